/*
 * submit.c - vendors, their keys, submissions and revocations (see
 * covalid/program.h).
 *
 * An accepted test log proves one configuration: the guest it ran in (OS
 * id, version, architecture) on the hypervisor it ran on (id, product,
 * version, host build) with the vCPUs and memory it had.  The next log of
 * the same configuration, by the same vendor, extends it: its vCPU counts
 * join the allowed set, the larger memory raises the limit, the log joins
 * the evidence.
 *
 * "The same configuration, by the same vendor" is decided by the
 * configuration's owner (the vendor id) and the claim's key (the claim's
 * fields as they are, program_claim_key()), both kept in its document --
 * never by its id alone.  Ids are "<vendor>:<hypervisor>-<build>-<os><version>-<arch>",
 * sanitized and cut to the catalog's 128 characters: readable, but two
 * different claims can come out the same (sanitizing "a b" and "a_b",
 * cutting, "rhel"+"15.3" and "rhel1"+"5.3"), and an id joined with '-'
 * alone once let vendor "ms" extend the seed's "ms-hv2008-ws-..." row.  So
 * the vendor id ends at ':', which no vendor id has and no seed id
 * uses, and a taken id whose owner or key differs is never extended: the
 * log gets the id with its key's digest appended instead.
 */
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "covalid/catalog.h"
#include "covalid/descriptor.h"
#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "covalid/testlog.h"
#include "program/program-internal.h"
#include "util/cv.h"

/* The catalog's longest id (catalog/record.c). */
#define CONFIG_ID_MAX 128
/* Hex digits of the key's digest that set a configuration apart from
 * another with the same readable id: 64 bits. */
#define CONFIG_ID_DIGEST_HEX 16

char *program_vendor_slug(const char *name)
{
	struct cv_buf b;
	bool dash = false;

	cv_buf_init(&b, 64);
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c)) {
			if (dash && b.len && cv_buf_append(&b, "-", 1) < 0)
				break;
			dash = false;
			c = (unsigned char)tolower(c);
			if (cv_buf_append(&b, &c, 1) < 0)
				break;
		} else
			dash = true;
	}
	return cv_buf_detach(&b, NULL);
}

bool program_slug_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64 || id[0] == '-' || id[n - 1] == '-')
		return false;
	for (const char *p = id; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

int program_org_id(const char *name, const char *id, char **ret_id, struct program_error *err)
{
	char *slug;

	if (!name || !*name || strlen(name) > 128 || !cv_str_is_clean_utf8(name, strlen(name))) {
		program_error_set(err, 400, "invalid_field", "name: 1 to 128 printable characters");
		return -EINVAL;
	}
	slug = id ? cv_xstrdup(id) : program_vendor_slug(name);
	if (!program_slug_ok(slug)) {
		char *safe = cv_str_sanitize(slug, strlen(slug), 64);

		program_error_set(err, 400, "invalid_field", "id: '%s' is not lower-case letters, digits and dashes", safe);
		free(safe);
		free(slug);
		return -EINVAL;
	}
	*ret_id = slug;
	return 0;
}

int program_vendor_admit(struct store *s, const char *name, const char *id, char **ret_id, struct program_error *err)
{
	char *slug = NULL;
	int r;

	r = program_org_id(name, id, &slug, err);
	if (r < 0)
		return r;
	r = store_begin(s);
	if (r == 0) {
		r = store_vendor_add(s, slug, name);
		r = r < 0 ? r : store_commit(s);
		if (r < 0)
			store_rollback(s);
	}
	if (r == -EEXIST) {
		program_error_set(err, 409, "vendor_exists", "a vendor with id '%s' or name '%s' exists", slug, name);
		free(slug);
		return r;
	}
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		free(slug);
		return r;
	}
	*ret_id = slug;
	return 0;
}

int program_key_register(struct store *s, const char *vendor_id, const char *public_key, char **ret_key_id,
			 struct program_error *err)
{
	struct sign_key k;
	char *why = NULL, *canon;
	int r;

	if (store_vendor_get(s, vendor_id, NULL) == -ENOENT) {
		program_error_set(err, 404, "unknown_vendor", "no vendor '%s'", vendor_id);
		return -ENOENT;
	}
	if (!public_key || sign_key_parse_public(public_key, &k, &why) < 0) {
		program_error_set(err, 400, "invalid_key", "public_key: %s", why ? why : "missing");
		free(why);
		return -EINVAL;
	}
	r = program_txn_begin(s, err);
	if (r < 0)
		return r;
	canon = sign_key_public_string(&k);
	r = store_key_add(s, k.id, vendor_id, canon);
	free(canon);
	if (r == -EEXIST)
		program_error_set(err, 409, "key_exists", "key %s is registered already", k.id);
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	r = program_txn_end(s, r, err);
	if (r < 0)
		return r;
	*ret_key_id = cv_xstrdup(k.id);
	return 0;
}

int program_key_revoke(struct store *s, const char *key_id, struct program_error *err)
{
	int r = program_txn_begin(s, err);

	if (r < 0)
		return r;
	r = store_key_revoke(s, key_id);
	if (r == -ENOENT)
		program_error_set(err, 404, "not_found", "no such key, or it is revoked already");
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	return program_txn_end(s, r, err);
}

/* ---- from a log to a configuration ---- */

static const char *str_at(json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

/*
 * Who makes the claim's guest and hypervisor, as the catalog's products say
 * (catalog_guest_vendor); where they do not, what the guest calls itself
 * and what the probe named the hypervisor, so that the row still says
 * something true.  -errno on a store error.
 */
static int claim_vendors(struct store *s, json_t *log, char **ret_guest, char **ret_hypervisor)
{
	json_t *claim = json_object_get(log, "claim");
	const char *os = str_at(claim, "guest", "os_id"), *osinfo = str_at(claim, "guest", "osinfo");
	const char *hv = str_at(claim, "hypervisor", "id"), *product = str_at(claim, "hypervisor", "product");
	const char *os_name = json_string_value(
		json_object_get(json_object_get(json_object_get(json_object_get(log, "descriptor"), "guest"), "os"), "name"));
	char *g = NULL, *h = NULL;
	int r;

	r = catalog_guest_vendor(s, os, osinfo, &g);
	if (r == -ENOENT)
		g = cv_xstrdup(os_name ? os_name : os);
	else if (r < 0)
		goto fail;
	r = catalog_hypervisor_vendor(s, hv, product, &h);
	if (r == -ENOENT)
		h = cv_xstrdup(product ? product : hv);
	else if (r < 0)
		goto fail;
	*ret_guest = g;
	*ret_hypervisor = h;
	return 0;
fail:
	free(g);
	return r;
}

static void blake2b_hex(const void *data, size_t len, char hex[65])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

/*
 * The readable id of a claim's configuration: the vendor id, ':', then
 * hypervisor, its build or version, guest and arch, with anything the
 * catalog's ids cannot hold (and any further ':') made '_', cut to the
 * catalog's limit.  With digest, the id of the second choice: the same
 * cut shorter, '.', and the first hex digits of the key's BLAKE2b.
 */
static char *config_id(const char *vendor_id, json_t *claim, const char *sp, const char *key, bool digest)
{
	const char *hv = str_at(claim, "hypervisor", "id"), *build = str_at(claim, "hypervisor", "build");
	const char *hver = str_at(claim, "hypervisor", "version"), *os = str_at(claim, "guest", "os_id");
	const char *ver = str_at(claim, "guest", "version"), *arch = str_at(claim, "guest", "arch");
	/* "-sp1" as the seed's Windows ids write it; "-rtm" the release
	 * without one (Microsoft's lifecycle pages: "RTM"). */
	char *rest = cv_xasprintf("%s-%s-%s%s%s%s-%s", hv, build ? build : hver ? hver : "any", os, ver,
				  !sp ? "" : *sp ? "-sp" : "-rtm", sp && *sp ? sp + 2 : "", arch);
	char *id, hex[65];
	size_t max = CONFIG_ID_MAX - (digest ? CONFIG_ID_DIGEST_HEX + 1 : 0);

	for (char *p = rest; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._+-", *p))
			*p = '_';
	id = cv_xasprintf("%s:%s", vendor_id, rest);
	free(rest);
	if (strlen(id) > max)
		id[max] = '\0';
	if (digest) {
		char *d;

		blake2b_hex(key, strlen(key), hex);
		d = cv_xasprintf("%s.%.*s", id, CONFIG_ID_DIGEST_HEX, hex);
		free(id);
		id = d;
	}
	return id;
}

static void add_edition(json_t *c, json_t *log);

static json_t *new_config(const char *id, const char *vendor_id, const char *vendor_name, const char *claim_key,
			  const char *submission, const char *key_id, const char *guest_vendor, const char *hv_vendor,
			  const char *sp, json_t *log)
{
	json_t *claim = json_object_get(log, "claim"), *desc = json_object_get(log, "descriptor");
	const char *os = str_at(claim, "guest", "os_id"), *hv = str_at(claim, "hypervisor", "id");
	const char *product = str_at(claim, "hypervisor", "product"), *hver = str_at(claim, "hypervisor", "version");
	const char *build = str_at(claim, "hypervisor", "build"), *arch = str_at(claim, "guest", "arch");
	json_t *os_doc = json_object_get(json_object_get(desc, "guest"), "os");
	const char *os_name = json_string_value(json_object_get(os_doc, "name"));
	const char *edition = json_string_value(json_object_get(os_doc, "edition"));
	const char *started = json_string_value(json_object_get(log, "started_at"));
	json_t *vcpus = json_object_get(json_object_get(claim, "vm"), "vcpus");
	json_t *mem = json_object_get(json_object_get(claim, "vm"), "memory_mib");
	json_t *present = json_object_get(json_object_get(desc, "integration"), "present");
	json_t *expected = json_object_get(json_object_get(desc, "integration"), "expected");
	json_t *required = json_array(), *limits = json_object(), *hvo, *c, *x;
	char *source, *product_name = NULL, from[11] = "";
	size_t i;

	/* The components the guest had bound that its hypervisor expects:
	 * a later machine must have them too. */
	json_array_foreach(present, i, x) {
		size_t k;
		json_t *y;

		json_array_foreach(expected, k, y)
			if (json_equal(x, y))
				json_array_append(required, x);
	}
	if (json_is_integer(vcpus)) {
		json_object_set_new(limits, "max_vcpus", json_integer(json_integer_value(vcpus)));
		json_object_set_new(limits, "allowed_vcpus", json_pack("[I]", json_integer_value(vcpus)));
	}
	if (json_is_integer(mem))
		json_object_set_new(limits, "max_memory_mib", json_integer(json_integer_value(mem)));
	json_object_set_new(limits, "basis", json_string("the vCPU counts and memory of the accepted test logs"));
	hvo = json_pack("{s:s, s:s, s:[s], s:s}", "vendor", hv_vendor, "product", product ? product : hv,
			"ids", hv, "version", hver ? hver : "unspecified");
	if (hver)
		json_object_set_new(hvo, "host_version", json_string(hver));
	if (build)
		json_object_set_new(hvo, "builds", json_pack("[s]", build));
	if (started && strlen(started) >= 10)
		memcpy(from, started, 10);
	/* "Windows Server 2008 R2 Enterprise" is the product of one edition:
	 * the configuration is the release's, its editions listed apart. */
	if (os_name && edition && *edition && strlen(os_name) > strlen(edition) + 1 &&
	    strcmp(os_name + strlen(os_name) - strlen(edition), edition) == 0 &&
	    os_name[strlen(os_name) - strlen(edition) - 1] == ' ')
		product_name = cv_xasprintf("%.*s", (int)(strlen(os_name) - strlen(edition) - 1), os_name);
	source = cv_xasprintf("covalid submission %s by %s, test log signed by key %s", submission, vendor_name, key_id);
	c = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:[s]}, s:o, s:o, s:o, s:[s], s:[s], s:s, s:s}", "type",
		      "configuration", "id", id, "status", "validated", "guest", "vendor",
		      guest_vendor, "product", product_name ? product_name : os_name ? os_name : os,
		      "os_id", os, "version", str_at(claim, "guest", "version"), "arch", arch ? arch : "x86_64",
		      "hypervisor", hvo, "limits", limits, "required_components", required, "validated_by", vendor_name,
		      "evidence", submission, "source", source, "valid_from", *from ? from : "1970-01-01");
	if (str_at(claim, "guest", "osinfo"))
		json_object_set_new(json_object_get(c, "guest"), "osinfo_short_id", json_string(str_at(claim, "guest", "osinfo")));
	/* The service pack it ran at, which matching holds a machine to (that
	 * one or later, docs/check.md); none stated, none held.  The editions
	 * are those the logs ran on: matching does not read them. */
	if (sp && *sp)
		json_object_set_new(json_object_get(c, "guest"), "service_pack", json_string(sp));
	add_edition(c, log);
	/* Who may extend and revoke it, and which claim it is. */
	json_object_set_new(c, "owner", json_string(vendor_id));
	json_object_set_new(c, "claim_key", json_string(claim_key));
	free(source);
	free(product_name);
	return c;
}

/* The Windows edition of the log's guest joins the configuration's
 * guest.editions ("Enterprise"), if the descriptor names one. */
static void add_edition(json_t *c, json_t *log)
{
	json_t *os = json_object_get(json_object_get(json_object_get(log, "descriptor"), "guest"), "os");
	json_t *edition = json_object_get(os, "edition"), *g = json_object_get(c, "guest"), *editions, *x;
	size_t i;

	if (!json_is_string(edition) || json_string_length(edition) == 0 || !json_is_object(g))
		return;
	editions = json_object_get(g, "editions");
	if (!json_is_array(editions)) {
		editions = json_array();
		json_object_set_new(g, "editions", editions);
	}
	json_array_foreach(editions, i, x)
		if (json_equal(x, edition))
			return;
	/* Windows has a handful; a bound all the same. */
	if (json_array_size(editions) < 16)
		json_array_append(editions, edition);
}

/* Folds another accepted log into an existing configuration. */
static void extend_config(json_t *c, const char *vendor_name, const char *submission, json_t *log)
{
	json_t *claim = json_object_get(log, "claim");
	json_t *vcpus = json_object_get(json_object_get(claim, "vm"), "vcpus");
	json_t *mem = json_object_get(json_object_get(claim, "vm"), "memory_mib");
	json_t *limits = json_object_get(c, "limits"), *allowed, *ev, *by;
	bool have = false;
	size_t i;
	json_t *x;

	if (!json_is_object(limits)) {
		limits = json_object();
		json_object_set_new(c, "limits", limits);
	}
	allowed = json_object_get(limits, "allowed_vcpus");
	if (json_is_integer(vcpus) && json_is_array(allowed)) {
		json_array_foreach(allowed, i, x)
			have |= json_integer_value(x) == json_integer_value(vcpus);
		if (!have && json_array_size(allowed) < 64)
			json_array_append(allowed, vcpus);
		if (json_integer_value(vcpus) > json_integer_value(json_object_get(limits, "max_vcpus")))
			json_object_set(limits, "max_vcpus", vcpus);
	}
	if (json_is_integer(mem) && json_integer_value(mem) > json_integer_value(json_object_get(limits, "max_memory_mib")))
		json_object_set(limits, "max_memory_mib", mem);
	ev = json_object_get(c, "evidence");
	if (!json_is_array(ev)) {
		ev = json_array();
		json_object_set_new(c, "evidence", ev);
	}
	json_array_append_new(ev, json_string(submission));
	add_edition(c, log);
	/* The document names the latest test logs; the evidence table keeps
	 * them all.  Unbounded, every extension would cost more than the last. */
	while (json_array_size(ev) > PROGRAM_EVIDENCE_IN_DOC)
		json_array_remove(ev, 0);
	by = json_object_get(c, "validated_by");
	have = false;
	json_array_foreach(by, i, x)
		have |= cv_streq(json_string_value(x), vendor_name);
	if (!have)
		json_array_append_new(by, json_string(vendor_name));
	/* A configuration revoked and validated again is validated. */
	json_object_set_new(c, "status", json_string("validated"));
}

static char *new_submission_id(void)
{
	uint8_t raw[8];
	char hex[2 * sizeof(raw) + 1];
	char now[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	/* Sortable by time, unguessable. */
	return cv_xasprintf("sub_%.4s%.2s%.2s_%s", now, now + 5, now + 8, hex);
}

static json_t *reasons_json(const struct cv_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

/* The configuration at id, if vendor_id owns it for this claim key. */
static bool is_ours(json_t *c, const char *vendor_id, const char *claim_key)
{
	return cv_streq(json_string_value(json_object_get(c, "owner")), vendor_id) &&
	       cv_streq(json_string_value(json_object_get(c, "claim_key")), claim_key);
}

/* Stores the configuration the log proves; fills sub->config_id. */
static int record_config(struct store *s, const char *vendor_id, const char *vendor_name, const char *key_id,
			 json_t *log, struct program_submission *sub, struct program_error *err)
{
	struct catalog_config *cfg = NULL;
	json_t *claim = json_object_get(log, "claim"), *c = NULL;
	char sp_buf[PROGRAM_SERVICE_PACK_SIZE];
	const char *sp = program_log_service_pack(log, sp_buf) ? sp_buf : NULL;
	char *key = program_claim_key(claim, sp), *id = NULL, *doc = NULL, *why = NULL, *gv = NULL, *hvv = NULL;
	int r;

	/* The readable id first; when that is another's (another owner, a
	 * row the program's owner imported, this vendor's other claim that
	 * reads the same), the id with the key's digest. */
	for (int attempt = 0; attempt < 2 && !c; attempt++) {
		free(id);
		id = config_id(vendor_id, claim, sp, key, attempt == 1);
		r = store_config_get(s, id, &doc);
		if (r == -ENOENT) {
			r = claim_vendors(s, log, &gv, &hvv);
			if (r < 0) {
				program_error_set(err, 500, "internal", "%s", store_errmsg(s));
				goto out;
			}
			c = new_config(id, vendor_id, vendor_name, key, sub->id, key_id, gv, hvv, sp, log);
			sub->created = true;
		} else if (r < 0) {
			program_error_set(err, 500, "internal", "%s", store_errmsg(s));
			goto out;
		} else {
			c = json_loads(doc, 0, NULL);
			doc = cv_free(doc);
			if (!c) {
				program_error_set(err, 500, "internal", "stored configuration %s is not JSON", id);
				r = -EBADMSG;
				goto out;
			}
			if (is_ours(c, vendor_id, key)) {
				extend_config(c, vendor_name, sub->id, log);
			} else {
				json_decref(c);
				c = NULL;
			}
		}
	}
	if (!c) {
		/* Both taken by others: only the program's owner can have put
		 * a row at this vendor's digest id. */
		program_error_set(err, 409, "configuration_conflict",
				  "configuration ids %s and its digest form are held by configurations of another "
				  "owner or claim; the program's owner must resolve it", id);
		r = -EEXIST;
		goto out;
	}
	r = catalog_config_from_json(c, &cfg, &why);
	if (r < 0) {
		/* The log passed the policy but says something the catalog
		 * cannot hold (a version it cannot compare): say so. */
		program_error_set(err, 422, "unusable_log", "the log cannot make a configuration: %s", why);
		goto out;
	}
	r = catalog_config_store(s, cfg, NULL);
	if (r == 0)
		r = store_evidence_add(s, id, sub->id);
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	sub->config_id = id;
	id = NULL;
	r = 0;
out:
	catalog_config_free(cfg);
	json_decref(c);
	free(why);
	free(doc);
	free(key);
	free(id);
	free(gv);
	free(hvv);
	return r;
}

/* The content a log's signature covers, as a BLAKE2b-256 digest (hex):
 * the same log however often it is signed again.  The log's text is
 * canonical (verified), so that content is the text without its
 * signature member: hashed in two pieces, not serialized again. */
static int log_digest(const char *log, size_t len, char **ret)
{
	crypto_generichash_state st;
	uint8_t h[32];
	char hex[65];
	size_t at, n;
	int r = testlog_signature_span(log, len, &at, &n);

	if (r < 0)
		return r;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)log, at);
	crypto_generichash_update(&st, (const unsigned char *)log + at + n, len - at - n);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	*ret = cv_xstrdup(hex);
	return 0;
}

/*
 * Vendors' public keys as parsed from the store's text, kept: parsing
 * checks the point (crypto_core_ed25519_is_valid_point, a few per cent of
 * a submission), and the same few keys sign every log.  Keyed by the
 * whole text the store holds: whether the key is the vendor's and not
 * revoked is still read from the store for every log; what is not
 * repeated is the parse of the same bytes, which always comes out the
 * same.  Only keys that parsed are kept; a full cache forgets its oldest.
 */
#define KEY_CACHE_SIZE 16
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *text;
	struct sign_key pub; /* the public part only */
} key_cache[KEY_CACHE_SIZE];
static size_t key_cache_next;

static int parse_public_key(const char *text, struct sign_key *ret, char **ret_why)
{
	int r;

	pthread_mutex_lock(&key_cache_lock);
	for (size_t i = 0; i < KEY_CACHE_SIZE; i++)
		if (key_cache[i].text && strcmp(key_cache[i].text, text) == 0) {
			*ret = key_cache[i].pub;
			pthread_mutex_unlock(&key_cache_lock);
			return 0;
		}
	pthread_mutex_unlock(&key_cache_lock);
	r = sign_key_parse_public(text, ret, ret_why);
	if (r < 0)
		return r;
	pthread_mutex_lock(&key_cache_lock);
	{
		size_t i = key_cache_next++ % KEY_CACHE_SIZE;

		free(key_cache[i].text);
		key_cache[i].text = cv_xstrdup(text);
		key_cache[i].pub = *ret;
	}
	pthread_mutex_unlock(&key_cache_lock);
	return 0;
}

/*
 * A submission in two steps, so that a server can check many at once and
 * record them together (group commit, src/server/writer.c): checking
 * (parsing, the signature, the policy's judgement) reads the store and
 * needs no transaction; recording is one.  What checking read (the key,
 * the vendor, the policy) it read before the recording's transaction
 * began, as program_submit always has.
 */
struct program_submit_checked {
	char *vendor_id, *vendor_name, *key_id, *digest;
	const char *log; /* the caller's bytes */
	json_t *doc;     /* the parsed log, when accepted (NULL when rejected) */
	struct program_submission sub;
};

struct program_submit_checked *program_submit_checked_free(struct program_submit_checked *c)
{
	if (!c)
		return NULL;
	free(c->vendor_id);
	free(c->vendor_name);
	free(c->key_id);
	free(c->digest);
	json_decref(c->doc);
	program_submission_release(&c->sub);
	free(c);
	return NULL;
}

int program_submit_check(struct store *s, const char *vendor_id, const char *log, size_t len,
			 struct program_submit_checked **ret, struct program_error *err)
{
	struct program_submit_checked *c = cv_xcalloc(1, sizeof(*c));
	struct program_submission *sub = &c->sub;
	struct program_policy *policy = NULL;
	struct descriptor *desc = NULL;
	struct sign_key pub;
	json_t *doc = NULL, *sig;
	char *why = NULL, *key_vendor = NULL, *key_text = NULL;
	const char *kid;
	int64_t thresholds_version;
	bool revoked = false;
	int r;

	cv_strv_init(&sub->reasons);
	r = testlog_parse(log, len, &doc, &why);
	if (r < 0) {
		program_error_set(err, 400, "invalid_log", "%s", why);
		goto out;
	}
	/* Malformed (a field of the wrong type, missing, an impossible
	 * time) is 400 before anything else is looked at. */
	r = program_claim_check(doc, &desc, err);
	if (r < 0)
		goto out;
	/* The threshold version's shape now (400); whether the policy holds
	 * that version once the policy is loaded (422). */
	r = program_log_thresholds_version(doc, &thresholds_version, err);
	if (r < 0)
		goto out;
	sig = json_object_get(doc, "signature");
	kid = json_string_value(json_object_get(sig, "key_id"));
	if (!kid) {
		program_error_set(err, 422, "bad_signature", "the log is not signed (covalid kit sign LOG --key KEY)");
		r = -EBADMSG;
		goto out;
	}
	r = store_key_get(s, kid, &key_vendor, &key_text, &revoked);
	if (r == -ENOENT || (r == 0 && (!cv_streq(key_vendor, vendor_id) || revoked))) {
		program_error_set(err, 422, "bad_signature", "key %s is not a registered key of vendor %s%s", kid, vendor_id,
				  revoked ? " (it was revoked)" : "");
		r = -EACCES;
		goto out;
	}
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	if (parse_public_key(key_text, &pub, &why) < 0 ||
	    testlog_verify_parsed(doc, log, len, &pub, &why) < 0) {
		program_error_set(err, 422, "bad_signature", "%s", why ? why : "bad key");
		r = -EBADMSG;
		goto out;
	}
	r = store_vendor_get(s, vendor_id, &c->vendor_name);
	if (r < 0) {
		program_error_set(err, 404, "unknown_vendor", "no vendor '%s'", vendor_id);
		goto out;
	}
	r = program_policy_load(s, &policy, err);
	if (r < 0)
		goto out;
	/* A status its own measurements contradict (a log edited to "pass"
	 * beside a failing measurement, and signed again) is refused, like
	 * a bad signature: nothing is recorded. */
	r = program_statuses_check(policy, doc, err);
	if (r < 0)
		goto out;
	/* A claim its own descriptor contradicts proves nothing: recorded,
	 * rejected, with the policy's reasons after it. */
	program_claim_agreement(doc, desc, &sub->reasons);
	program_policy_evaluate(policy, doc, &sub->reasons);
	sub->accepted = sub->reasons.n == 0;
	sub->id = new_submission_id();
	r = log_digest(log, len, &c->digest);
	if (r < 0) {
		/* Not reached: the log was verified canonical and signed above. */
		program_error_set(err, 500, "internal", "the signed content of the log is not found");
		goto out;
	}
	c->vendor_id = cv_xstrdup(vendor_id);
	c->key_id = cv_xstrdup(kid);
	c->log = log;
	/* Recording reads the document only to make the configuration of
	 * an accepted log.  A rejected one's is freed now, while it is still
	 * in this thread's cache, not after the wait for the write. */
	if (sub->accepted) {
		c->doc = doc;
		doc = NULL;
	}
	*ret = c;
	c = NULL;
	r = 0;
out:
	program_submit_checked_free(c);
	program_policy_free(policy);
	descriptor_free(desc);
	json_decref(doc);
	free(why);
	free(key_vendor);
	free(key_text);
	return r;
}

int program_submit_record(struct store *s, struct program_submit_checked *c, struct program_submission *ret,
			  struct program_error *err)
{
	struct program_submission *sub = &c->sub;
	char *reasons = NULL, *earlier = NULL;
	bool in_tx = false;
	int r;

	r = store_begin(s);
	if (r < 0) {
		program_error_set(err, 503, "busy", "the database is busy: %s", store_errmsg(s));
		goto out;
	}
	in_tx = true;
	/*
	 * A log accepted once is evidence once: the same log again (a
	 * replay, or its content signed anew) is refused, naming the first.
	 * A rejected log proved nothing and may come again, say after the
	 * policy changed.  The unique index on accepted digests holds this
	 * against another process's writer too.
	 */
	r = store_submission_find_digest(s, c->digest, &earlier);
	if (r == 0) {
		program_error_set(err, 409, "duplicate_submission", "this test log was accepted already, as submission %s",
				  earlier);
		r = -EEXIST;
		goto out;
	}
	if (r != -ENOENT) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	if (sub->accepted) {
		r = record_config(s, c->vendor_id, c->vendor_name, c->key_id, c->doc, sub, err);
		if (r < 0)
			goto out;
	}
	{
		json_t *rj = reasons_json(&sub->reasons);
		struct store_submission_row row = { sub->id, c->vendor_id, c->key_id, sub->accepted ? "accepted" : "rejected",
						    NULL, sub->config_id, c->log, NULL, c->digest };

		reasons = json_dumps(rj, JSON_COMPACT);
		json_decref(rj);
		row.reasons = reasons;
		r = store_submission_add(s, &row);
	}
	if (r == -EEXIST && sub->accepted) {
		program_error_set(err, 409, "duplicate_submission", "this test log was accepted already");
		goto out;
	}
	if (r == 0)
		r = store_commit(s);
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	in_tx = false;
	*ret = *sub;
	memset(sub, 0, sizeof(*sub));
	r = 0;
out:
	if (in_tx) {
		store_rollback(s);
		/* What recording set (the configuration) belongs to the rolled-back try. */
		sub->config_id = cv_free(sub->config_id);
		sub->created = false;
	}
	free(reasons);
	free(earlier);
	return r;
}

int program_submit(struct store *s, const char *vendor_id, const char *log, size_t len,
		   struct program_submission *ret, struct program_error *err)
{
	struct program_submit_checked *c = NULL;
	int r = program_submit_check(s, vendor_id, log, len, &c, err);

	if (r == 0)
		r = program_submit_record(s, c, ret, err);
	program_submit_checked_free(c);
	return r;
}

void program_submission_release(struct program_submission *sub)
{
	free(sub->id);
	free(sub->config_id);
	cv_strv_release(&sub->reasons);
	memset(sub, 0, sizeof(*sub));
}

int program_revoke(struct store *s, const char *config_id, const char *vendor_id, const char *reason,
		   struct program_error *err)
{
	struct catalog_config *cfg = NULL;
	char *doc = NULL, *why = NULL, *vendor_name = NULL;
	json_t *c = NULL;
	bool may = vendor_id == NULL;
	int r;

	r = store_begin(s);
	if (r < 0) {
		program_error_set(err, 503, "busy", "the database is busy: %s", store_errmsg(s));
		return r;
	}
	r = store_config_get(s, config_id, &doc);
	if (r == -ENOENT) {
		program_error_set(err, 404, "not_found", "no configuration '%s'", config_id);
		goto out;
	}
	if (r < 0) {
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
		goto out;
	}
	c = json_loads(doc, 0, NULL);
	if (!c) {
		program_error_set(err, 500, "internal", "stored configuration %s is not JSON", config_id);
		r = -EBADMSG;
		goto out;
	}
	if (vendor_id) {
		const char *owner = json_string_value(json_object_get(c, "owner"));
		size_t i;
		json_t *x;

		/*
		 * A configuration a submission made is its owner's alone.  A
		 * row the program's owner imported has no owner; a vendor it
		 * names in validated_by may revoke it, as before: only the
		 * program's owner writes those names now, since a submission
		 * extends nothing but its own vendor's configurations.
		 */
		if (store_vendor_get(s, vendor_id, &vendor_name) < 0)
			may = false;
		else if (owner)
			may = cv_streq(owner, vendor_id);
		else
			json_array_foreach(json_object_get(c, "validated_by"), i, x)
				may |= cv_streq(json_string_value(x), vendor_name);
	}
	if (!may) {
		/* Not its configuration.  The catalog is public, so saying
		 * "forbidden" rather than "not found" leaks nothing. */
		program_error_set(err, 403, "forbidden", "only the vendor that owns %s, or the program's owner, may revoke it",
				  config_id);
		r = -EPERM;
		goto out;
	}
	json_object_set_new(c, "status", json_string("revoked"));
	{
		char *note = cv_xasprintf("revoked by %s%s%s", vendor_id ? vendor_name : "the program owner",
					  reason ? ": " : "", reason ? reason : "");
		const char *old = json_string_value(json_object_get(c, "notes"));
		char *notes = old ? cv_xasprintf("%s | %s", old, note) : cv_xstrdup(note);

		json_object_set_new(c, "notes", json_string(notes));
		free(note);
		free(notes);
	}
	r = catalog_config_from_json(c, &cfg, &why);
	if (r == 0)
		r = catalog_config_store(s, cfg, NULL);
	if (r == 0)
		r = store_commit(s);
	if (r < 0)
		program_error_set(err, 500, "internal", "%s", why ? why : store_errmsg(s));
out:
	if (r < 0)
		store_rollback(s);
	catalog_config_free(cfg);
	json_decref(c);
	free(doc);
	free(why);
	free(vendor_name);
	return r;
}
