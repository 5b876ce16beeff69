/*
 * policy.c - the validation policy: which checks a test log must pass for
 * which guest and hypervisor families, which of them may be skipped, and
 * which kit modes count (docs/policy.md).
 *
 * The first rule whose guest and hypervisor match the log's claim
 * applies; "*" matches anything.  A required check must pass, or be
 * skipped where the rule allows it; checks the rule does not require are
 * recorded in the log but do not decide.  A rule's required_when adds
 * checks for logs whose descriptor shows a fact (a paravirtual NIC: the
 * transfer through it must then have been made).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "program/program-internal.h"
#include "util/cv.h"

#define POLICY_MAX_RULES 256
#define POLICY_MAX_BYTES (1024 * 1024)

/* required_when: these checks are required too when the log's
 * descriptor, at one of the facts below, holds any of these values. */
struct when {
	const char *fact; /* an entry of when_facts[] */
	struct cv_strv any_of, required;
};

struct rule {
	char *name, *guest, *hypervisor;
	struct cv_strv required, may_skip;
	struct when *when;
	size_t n_when;
};

struct program_policy {
	/* program_policy_load() hands out references to one parsed policy
	 * (the cache below); program_policy_free() drops one.  Nothing
	 * changes a policy once parsed, so threads share it. */
	atomic_uint refs;
	struct cv_strv modes;
	struct rule *rules;
	size_t n_rules;
	json_t *thresholds; /* the threshold sets (verdicts.c) */
};

/* The checks every guest must pass unless a rule says otherwise. */
static const char default_policy[] =
	"{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"default\",\"guest\":\"*\","
	"\"hypervisor\":\"*\",\"required\":[\"env.fingerprint\",\"cpu.topology\",\"cpu.all_vcpus_execute\","
	"\"cpu.feature_consistency\",\"time.monotonic\",\"time.cross_cpu_warp\",\"time.clocksource\",\"time.vdso\","
	"\"time.rate_skew\",\"time.timer_latency\",\"irq.timer_delivery\",\"kernel.health\",\"kernel.pv_drivers\","
	"\"mem.size\",\"mem.pattern\",\"storage.io_integrity\",\"net.loopback_integrity\",\"platform.security\"],"
	"\"may_skip\":[\"cpu.feature_consistency\",\"time.cross_cpu_warp\",\"mem.size\",\"time.rate_skew\","
	"\"time.vdso\"],"
	"\"required_when\":[{\"descriptor\":\"integration.present\",\"any_of\":[\"netvsc\",\"virtio_net\",\"vmxnet3\","
	"\"xen-netfront\"],\"required\":[\"net.peer_transfer\",\"time.reference\"]},"
	"{\"descriptor\":\"integration.expected\",\"any_of\":[\"storvsc\",\"virtio_storage\",\"vmw_pvscsi\","
	"\"xen-blkfront\"],\"required\":[\"storage.inventory\"]}]}]}";

/* With the built-in threshold sets, which the kit's checks judge by;
 * made once, on first use, by whichever thread comes first. */
static char *default_text;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void make_default(void)
{
	default_text = program_policy_add_thresholds(default_policy);
}

const char *program_policy_default(void)
{
	pthread_once(&default_once, make_default);
	return default_text;
}

const json_t *program_policy_thresholds(const struct program_policy *p)
{
	return p->thresholds;
}

struct program_policy *program_policy_free(struct program_policy *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return NULL;
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].guest);
		free(p->rules[i].hypervisor);
		cv_strv_release(&p->rules[i].required);
		cv_strv_release(&p->rules[i].may_skip);
		for (size_t k = 0; k < p->rules[i].n_when; k++) {
			cv_strv_release(&p->rules[i].when[k].any_of);
			cv_strv_release(&p->rules[i].when[k].required);
		}
		free(p->rules[i].when);
	}
	free(p->rules);
	cv_strv_release(&p->modes);
	json_decref(p->thresholds);
	free(p);
	return NULL;
}

static bool strings(json_t *a, struct cv_strv *out)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) > 1024)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return false;
		cv_strv_push(out, json_string_value(v));
	}
	return true;
}

/*
 * The descriptor facts a required_when may look at: lists of strings in
 * the log's descriptor (docs/descriptor.md).  A path "a.b" is an array of
 * strings; "vm.nics.driver" is the driver member of each vm.nics[] object.
 */
static const char *const when_facts[] = { "integration.present", "integration.expected", "vm.nics.driver" };
#define POLICY_MAX_WHEN 64

/* rules[i].required_when; false with err set. */
static bool parse_when(json_t *a, size_t i, struct rule *x, struct program_error *err)
{
	static const char *const wk[] = { "descriptor", "any_of", "required", "notes" };
	char where[80];
	size_t k;
	json_t *w;

	if (!json_is_array(a) || json_array_size(a) > POLICY_MAX_WHEN) {
		program_error_set(err, 400, "invalid_policy", "rules[%zu].required_when: expected an array of at most %d conditions",
				  i, POLICY_MAX_WHEN);
		return false;
	}
	x->when = cv_xcalloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*x->when));
	json_array_foreach(a, k, w) {
		struct when *c = &x->when[x->n_when++];
		const char *fact = json_string_value(json_object_get(w, "descriptor"));

		cv_strv_init(&c->any_of);
		cv_strv_init(&c->required);
		snprintf(where, sizeof(where), "rules[%zu].required_when[%zu]", i, k);
		if (!program_check_keys(w, wk, CV_ELEMENTSOF(wk), where, err))
			return false;
		for (size_t f = 0; fact && f < CV_ELEMENTSOF(when_facts); f++)
			if (strcmp(fact, when_facts[f]) == 0)
				c->fact = when_facts[f];
		if (!c->fact) {
			program_error_set(err, 400, "invalid_policy",
					  "%s.descriptor: expected \"integration.present\", \"integration.expected\" or \"vm.nics.driver\"",
					  where);
			return false;
		}
		if (!strings(json_object_get(w, "any_of"), &c->any_of) || c->any_of.n == 0 ||
		    !strings(json_object_get(w, "required"), &c->required) || c->required.n == 0) {
			program_error_set(err, 400, "invalid_policy", "%s: any_of and required are non-empty arrays of strings", where);
			return false;
		}
	}
	return true;
}

int program_policy_parse(const char *text, struct program_policy **ret, struct program_error *err)
{
	static const char *const top[] = { "schema", "modes", "rules", "notes", "thresholds" };
	static const char *const rk[] = { "name", "guest", "hypervisor", "required", "may_skip", "required_when", "notes" };
	struct program_policy *p = cv_xcalloc(1, sizeof(*p));
	json_error_t jerr;
	json_t *doc, *rules, *r;
	char where[32];
	size_t i;

	atomic_init(&p->refs, 1);
	cv_strv_init(&p->modes);
	doc = strlen(text) > POLICY_MAX_BYTES ? NULL : json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		program_error_set(err, 400, "malformed_json", "the policy is not valid JSON: %s", jerr.text);
		goto fail;
	}
	if (!json_is_object(doc) || !cv_streq(json_string_value(json_object_get(doc, "schema")), "covalid.policy/1")) {
		program_error_set(err, 400, "invalid_policy", "schema: expected \"covalid.policy/1\"");
		goto fail;
	}
	if (!program_check_keys(doc, top, CV_ELEMENTSOF(top), NULL, err))
		goto fail;
	if (!strings(json_object_get(doc, "modes"), &p->modes) || p->modes.n == 0) {
		program_error_set(err, 400, "invalid_policy", "modes: expected a non-empty array of \"full\", \"quick\"");
		goto fail;
	}
	for (i = 0; i < p->modes.n; i++)
		if (strcmp(p->modes.v[i], "full") != 0 && strcmp(p->modes.v[i], "quick") != 0) {
			program_error_set(err, 400, "invalid_policy", "modes: unknown mode '%s'", p->modes.v[i]);
			goto fail;
		}
	rules = json_object_get(doc, "rules");
	if (!json_is_array(rules) || json_array_size(rules) == 0 || json_array_size(rules) > POLICY_MAX_RULES) {
		program_error_set(err, 400, "invalid_policy", "rules: expected 1 to 256 rules");
		goto fail;
	}
	p->rules = cv_xcalloc(json_array_size(rules), sizeof(*p->rules));
	json_array_foreach(rules, i, r) {
		struct rule *x = &p->rules[p->n_rules++];

		cv_strv_init(&x->required);
		cv_strv_init(&x->may_skip);
		snprintf(where, sizeof(where), "rules[%zu]", i);
		if (!program_check_keys(r, rk, CV_ELEMENTSOF(rk), where, err))
			goto fail;
		if (!json_is_string(json_object_get(r, "name")) || !json_is_string(json_object_get(r, "guest")) ||
		    !json_is_string(json_object_get(r, "hypervisor"))) {
			program_error_set(err, 400, "invalid_policy", "rules[%zu]: name, guest and hypervisor are required strings", i);
			goto fail;
		}
		x->name = cv_xstrdup(json_string_value(json_object_get(r, "name")));
		x->guest = cv_xstrdup(json_string_value(json_object_get(r, "guest")));
		x->hypervisor = cv_xstrdup(json_string_value(json_object_get(r, "hypervisor")));
		if (!strings(json_object_get(r, "required"), &x->required) ||
		    (json_object_get(r, "may_skip") && !strings(json_object_get(r, "may_skip"), &x->may_skip))) {
			program_error_set(err, 400, "invalid_policy", "rules[%zu]: required and may_skip are arrays of check ids", i);
			goto fail;
		}
		if (json_object_get(r, "required_when") && !parse_when(json_object_get(r, "required_when"), i, x, err))
			goto fail;
	}
	if (program_thresholds_parse(json_object_get(doc, "thresholds"), &p->thresholds, err) < 0)
		goto fail;
	json_decref(doc);
	*ret = p;
	return 0;
fail:
	json_decref(doc);
	program_policy_free(p);
	return -EINVAL;
}

/*
 * The policy last parsed by program_policy_load(), kept with its text.
 * Every load still reads the policy's text from its store, so a decision
 * is always made by the policy that store holds at that moment; only the
 * parsing (JSON, every rule, the threshold sets: most of a load) is
 * skipped when the text is byte for byte the one parsed last.  Keyed by
 * the whole text, not by a version or a time: parsing is a function of
 * the text alone, so the policy handed out is the one a new parse would
 * make, whichever database (a process may open several) the text came
 * from.  One entry: a server has one database, and its policy changes
 * seldom.
 */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cache_text;
static size_t cache_len;
static struct program_policy *cache_policy;

/* The parsed policy of text, from the cache or parsed and kept there. */
static int policy_of_text(const char *text, struct program_policy **ret, struct program_error *err)
{
	size_t len = strlen(text);
	struct program_policy *p = NULL;
	int r;

	pthread_mutex_lock(&cache_lock);
	if (cache_policy && cache_len == len && memcmp(cache_text, text, len) == 0) {
		atomic_fetch_add(&cache_policy->refs, 1);
		*ret = cache_policy;
		pthread_mutex_unlock(&cache_lock);
		return 0;
	}
	pthread_mutex_unlock(&cache_lock);
	/* Parsed outside the lock: other threads go on with theirs. */
	r = program_policy_parse(text, &p, err);
	if (r < 0)
		return r;
	atomic_fetch_add(&p->refs, 1); /* the cache's */
	pthread_mutex_lock(&cache_lock);
	program_policy_free(cache_policy);
	free(cache_text);
	cache_policy = p;
	cache_text = cv_xstrdup(text);
	cache_len = len;
	pthread_mutex_unlock(&cache_lock);
	*ret = p;
	return 0;
}

int program_policy_load(struct store *s, struct program_policy **ret, struct program_error *err)
{
	char *doc = NULL;
	int r = store_policy_get(s, &doc);

	if (r == -ENOENT)
		return policy_of_text(program_policy_default(), ret, err);
	if (r < 0) {
		program_error_set(err, 500, "internal", "cannot read the policy: %s", store_errmsg(s));
		return r;
	}
	r = policy_of_text(doc, ret, err);
	free(doc);
	return r;
}

int program_policy_set(struct store *s, const char *text, struct program_error *err)
{
	struct program_policy *p = NULL;
	int r = program_policy_parse(text, &p, err);

	program_policy_free(p);
	if (r < 0)
		return r;
	r = program_txn_begin(s, err);
	if (r < 0)
		return r;
	r = store_policy_put(s, text);
	if (r < 0)
		program_error_set(err, 500, "internal", "cannot store the policy: %s", store_errmsg(s));
	return program_txn_end(s, r, err);
}

static bool matches(const char *pattern, const char *value)
{
	return strcmp(pattern, "*") == 0 || cv_streq(pattern, value);
}

/* The first of any_of the descriptor holds at fact, or NULL. */
static const char *descriptor_has(const json_t *desc, const struct when *c)
{
	json_t *list;
	size_t i;
	json_t *v;

	if (strcmp(c->fact, "vm.nics.driver") == 0)
		list = json_object_get(json_object_get(desc, "vm"), "nics");
	else
		list = json_object_get(json_object_get(desc, "integration"), strchr(c->fact, '.') + 1);
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(strcmp(c->fact, "vm.nics.driver") == 0 ? json_object_get(v, "driver") : v);

		if (s && cv_strv_contains(&c->any_of, s))
			return s;
	}
	return NULL;
}

/* The rule's required checks, then those its required_when adds for this
 * log, each once; why[i] says why a check was added (NULL: always). */
static void required_for(const struct rule *rule, const json_t *log, struct cv_strv *ids, struct cv_strv *why)
{
	const json_t *desc = json_object_get(log, "descriptor");

	for (size_t k = 0; k < rule->required.n; k++)
		if (cv_strv_add_unique(ids, rule->required.v[k]))
			cv_strv_push(why, "");
	for (size_t w = 0; w < rule->n_when; w++) {
		const char *has = descriptor_has(desc, &rule->when[w]);

		for (size_t k = 0; has && k < rule->when[w].required.n; k++)
			if (cv_strv_add_unique(ids, rule->when[w].required.v[k]))
				cv_strv_push_take(why, cv_xasprintf(" (the descriptor's %s has %s)", rule->when[w].fact, has));
	}
}

const char *program_policy_evaluate(const struct program_policy *p, const json_t *log, struct cv_strv *reasons)
{
	const json_t *doc = log;
	json_t *claim = json_object_get(doc, "claim"), *results = json_object_get(doc, "results");
	const char *guest = json_string_value(json_object_get(json_object_get(claim, "guest"), "os_id"));
	const char *hv = json_string_value(json_object_get(json_object_get(claim, "hypervisor"), "id"));
	const char *mode = json_string_value(json_object_get(json_object_get(doc, "kit"), "mode"));
	const struct rule *rule = NULL;
	struct cv_strv ids, added;

	if (!guest)
		cv_strv_push(reasons, "the log claims no guest OS");
	if (!hv || strcmp(hv, "none") == 0 || strcmp(hv, "unknown") == 0)
		cv_strv_push_take(reasons, cv_xasprintf("the log claims no hypervisor (%s)", hv ? hv : "none given"));
	if (!mode || !cv_strv_contains(&p->modes, mode)) {
		char *modes = cv_strv_join(&p->modes, ", ");

		cv_strv_push_take(reasons, cv_xasprintf("kit mode %s is not accepted (the policy accepts: %s)",
							 mode ? mode : "(none)", modes));
		free(modes);
	}
	for (size_t i = 0; i < p->n_rules && !rule; i++)
		if (matches(p->rules[i].guest, guest) && matches(p->rules[i].hypervisor, hv))
			rule = &p->rules[i];
	if (!rule) {
		cv_strv_push_take(reasons, cv_xasprintf("no policy rule covers guest %s on hypervisor %s",
							 guest ? guest : "?", hv ? hv : "?"));
		return NULL;
	}
	cv_strv_init(&ids);
	cv_strv_init(&added);
	required_for(rule, log, &ids, &added);
	for (size_t k = 0; k < ids.n; k++) {
		const char *id = ids.v[k], *status = NULL, *why = NULL, *when = added.v[k];
		size_t i;
		json_t *x;

		json_array_foreach(results, i, x)
			if (cv_streq(json_string_value(json_object_get(x, "id")), id)) {
				status = json_string_value(json_object_get(x, "status"));
				why = json_string_value(json_object_get(x, "reason"));
			}
		if (!status)
			cv_strv_push_take(reasons, cv_xasprintf("required check %s%s was not run", id, when));
		else if (strcmp(status, "pass") == 0)
			continue;
		else if (strcmp(status, "skip") == 0 && cv_strv_contains(&rule->may_skip, id))
			continue;
		else if (strcmp(status, "skip") == 0)
			cv_strv_push_take(reasons, cv_xasprintf("required check %s%s was skipped (%s); the policy does not allow skipping it",
								 id, when, why ? why : "no reason given"));
		else
			cv_strv_push_take(reasons, cv_xasprintf("required check %s%s: %s (%s)", id, when, status, why ? why : "no reason given"));
	}
	cv_strv_release(&ids);
	cv_strv_release(&added);
	return rule->name;
}
