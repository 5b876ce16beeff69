/* test-catalog.c - catalog records, import all or nothing, export, the store's migrations. */
#include <errno.h>
#include <sqlite3.h>

#include "catalog/catalog-internal.h"
#include "covalid/catalog.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "tap.h"
#include "util/cv.h"

#define GOOD_CONFIG                                                                                         \
	"{\"type\":\"configuration\",\"id\":\"c1\",\"status\":\"validated\","                                     \
	"\"guest\":{\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux\",\"os_id\":\"rhel\","           \
	"\"version\":\"5.3\",\"arch\":[\"x86_64\"]},"                                                              \
	"\"hypervisor\":{\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2008 Hyper-V\",\"ids\":[\"microsoft\"]," \
	"\"version\":\"2008\",\"builds\":[\"6001\",\"6002\"]},"                                                     \
	"\"limits\":{\"max_vcpus\":1,\"allowed_vcpus\":[1]},"                                                      \
	"\"validated_by\":[\"Microsoft\",\"Red Hat\"],\"source\":\"seed\"}"

#define GOOD_PRODUCT                                                                                     \
	"{\"type\":\"product\",\"id\":\"rhel-5.3\",\"kind\":\"guest_os\",\"vendor\":\"Red Hat\","               \
	"\"product\":\"Red Hat Enterprise Linux\",\"version\":\"5.3\",\"osinfo_short_id\":\"rhel5.3\"}"

/* Replaces the first occurrence of from in GOOD_CONFIG by to. */
static char *variant(const char *from, const char *to)
{
	const char *base = GOOD_CONFIG;
	const char *at = strstr(base, from);

	if (!at) {
		tap_fail(__FILE__, __LINE__, "'%s' not in the base record", from);
		return cv_xstrdup(base);
	}
	return cv_xasprintf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
}

static void rejects(const char *json, const char *want)
{
	struct catalog_config *c = NULL;
	char *why = NULL;

	CHECK_INT(catalog_config_from_text(json, &c, &why), -EINVAL);
	CHECK(c == NULL);
	if (!why || !strstr(why, want))
		tap_fail(__FILE__, __LINE__, "error '%s' does not mention '%s'", why ? why : "(none)", want);
	free(why);
	/* The fast reader (catalog-internal.h) refuses it too. */
	CHECK_INT(catalog_config_from_text_fast(json, strlen(json), &c), -EAGAIN);
	CHECK(c == NULL);
}

TEST(parses_a_configuration)
{
	struct catalog_config *c = NULL;
	char *why = NULL;

	CHECK_INT(catalog_config_from_text(GOOD_CONFIG, &c, &why), 0);
	CHECK_STR(c->id, "c1");
	CHECK_INT(c->status, CATALOG_VALIDATED);
	CHECK_STR(c->guest.os_id, "rhel");
	CHECK_INT(c->hypervisor.builds.n, 2);
	CHECK_INT(c->limits.max_vcpus, 1);
	CHECK_INT(c->limits.n_allowed_vcpus, 1);
	CHECK_INT(c->limits.max_memory_mib, -1);
	catalog_config_free(c);
}

TEST(rejects_bad_records_naming_the_field)
{
	char *s;

	rejects("[]", "expected a JSON object");
	rejects("{\"type\":\"configuration\"}", "id: missing required field");
	rejects(s = variant("\"source\":\"seed\"", "\"source\":\"seed\",\"colour\":\"red\""), "colour: unknown field");
	free(s);
	rejects(s = variant("\"os_id\":\"rhel\",", ""), "guest.os_id: missing required field");
	free(s);
	rejects(s = variant("\"5.3\"", "\"7.9-7.0\""), "guest.version: bad version '7.9-7.0'");
	free(s);
	rejects(s = variant("\"5.3\"", "\"soon\""), "guest.version: bad version");
	free(s);
	rejects(s = variant("\"x86_64\"", "\"sparc\""), "unknown architecture 'sparc'");
	free(s);
	rejects(s = variant("\"microsoft\"", "\"hyper-v\""), "unknown hypervisor id 'hyper-v'");
	free(s);
	rejects(s = variant("\"6001\"", "\"60a1\""), "'60a1' is not a build number");
	free(s);
	rejects(s = variant("\"validated\"", "\"approved\""), "status: unknown status 'approved'");
	free(s);
	rejects(s = variant("\"c1\"", "\"c 1\""), "id: use 1 to 128");
	free(s);
	rejects(s = variant("\"max_vcpus\":1", "\"max_vcpus\":0"), "limits.max_vcpus: expected an integer");
	free(s);
	rejects(s = variant("\"allowed_vcpus\":[1]", "\"allowed_vcpus\":[\"one\"]"), "limits.allowed_vcpus");
	free(s);
	rejects(s = variant("\"validated_by\":[\"Microsoft\",\"Red Hat\"]", "\"validated_by\":[]"),
		"validated_by: must not be empty");
	free(s);
	rejects(s = variant("\"source\":\"seed\"", "\"source\":\"seed\",\"valid_from\":\"October\""),
		"valid_from: expected a date");
	free(s);
	/* Matching compares service packs: one it cannot read is refused. */
	rejects(s = variant("\"arch\"", "\"service_pack\":\"Service Pack 2\",\"arch\""),
		"guest.service_pack: 'Service Pack 2' is not a service pack");
	free(s);
	rejects(s = variant("\"arch\"", "\"service_pack\":\"SP0\",\"arch\""), "guest.service_pack: 'SP0'");
	free(s);
}

static bool same_strv(const struct cv_strv *a, const struct cv_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static bool same_spec(const struct version_spec *a, const struct version_spec *b)
{
	return a->lo == b->lo && a->hi == b->hi && a->any == b->any;
}

/* Every field catalog.h lists, but the document. */
static bool same_config(const struct catalog_config *a, const struct catalog_config *b)
{
	return cv_streq(a->id, b->id) && a->status == b->status && cv_streq(a->guest.vendor, b->guest.vendor) &&
	       cv_streq(a->guest.product, b->guest.product) && cv_streq(a->guest.os_id, b->guest.os_id) &&
	       cv_streq(a->guest.version, b->guest.version) && cv_streq(a->guest.osinfo, b->guest.osinfo) &&
	       cv_streq(a->guest.product_id, b->guest.product_id) &&
	       cv_streq(a->guest.service_pack, b->guest.service_pack) && same_strv(&a->guest.arch, &b->guest.arch) &&
	       same_spec(&a->guest.spec, &b->guest.spec) && cv_streq(a->hypervisor.vendor, b->hypervisor.vendor) &&
	       cv_streq(a->hypervisor.product, b->hypervisor.product) &&
	       cv_streq(a->hypervisor.version, b->hypervisor.version) &&
	       cv_streq(a->hypervisor.host_version, b->hypervisor.host_version) &&
	       cv_streq(a->hypervisor.product_id, b->hypervisor.product_id) &&
	       same_strv(&a->hypervisor.ids, &b->hypervisor.ids) &&
	       same_strv(&a->hypervisor.builds, &b->hypervisor.builds) &&
	       same_spec(&a->hypervisor.spec, &b->hypervisor.spec) &&
	       same_spec(&a->hypervisor.host_spec, &b->hypervisor.host_spec) &&
	       a->hypervisor.have_host_spec == b->hypervisor.have_host_spec &&
	       a->limits.max_vcpus == b->limits.max_vcpus && a->limits.max_vcpus_gen1 == b->limits.max_vcpus_gen1 &&
	       a->limits.n_allowed_vcpus == b->limits.n_allowed_vcpus &&
	       (a->limits.n_allowed_vcpus == 0 ||
		memcmp(a->limits.allowed_vcpus, b->limits.allowed_vcpus, a->limits.n_allowed_vcpus * sizeof(int)) == 0) &&
	       a->limits.max_memory_mib == b->limits.max_memory_mib &&
	       same_strv(&a->required_components, &b->required_components) &&
	       same_strv(&a->validated_by, &b->validated_by) && same_strv(&a->evidence, &b->evidence) &&
	       cv_streq(a->valid_from, b->valid_from) && cv_streq(a->valid_until, b->valid_until);
}

/* Both readers on one text: both accept it with the same fields, or both refuse it. */
static bool readers_agree(const char *text)
{
	struct catalog_config *t = NULL, *f = NULL;
	char *why = NULL;
	int rt = catalog_config_from_text(text, &t, &why);
	int rf = catalog_config_from_text_fast(text, strlen(text), &f);
	bool ok = (rt == 0) == (rf == 0) && (rt < 0 || same_config(t, f)) && (rf == 0 || rf == -EAGAIN);

	if (!ok)
		tap_fail(__FILE__, __LINE__, "tree reader %d (%s), fast reader %d, on: %s", rt, why ? why : "-", rf, text);
	CHECK(rf < 0 || f->doc == NULL);
	catalog_config_free(t);
	catalog_config_free(f);
	free(why);
	return ok;
}

/* Every field a configuration may have, nulls where they are allowed. */
#define FULL_CONFIG                                                                                            \
	"{\"type\":\"configuration\",\"id\":\"c.2:x+y-z\",\"status\":\"supported_limited\",\"guest\":{\"vendor\":\"V\","  \
	"\"product\":\"P\\u00e9\",\"os_id\":\"windows\",\"version\":\"2008\",\"arch\":[\"x86_64\",\"i686\"],"                \
	"\"osinfo_short_id\":\"win2k8\",\"service_pack\":\"SP2+\",\"editions\":[\"Datacenter\"],\"product_id\":\"win-2008\"}," \
	"\"hypervisor\":{\"vendor\":\"H\",\"product\":\"HP\",\"ids\":[\"kvm\",\"qemu\"],\"version\":\"2.x\","              \
	"\"host_version\":\"7.1+\",\"builds\":[\"4294967295\"],\"equivalents\":null,\"engine_os_type\":\"e\","             \
	"\"product_id\":null},\"limits\":{\"max_vcpus\":65536,\"max_vcpus_gen1\":null,\"allowed_vcpus\":[1,2,4],"     \
	"\"max_memory_mib\":1099511627776,\"basis\":\"b\"},\"required_components\":[\"vmbus\"],"                       \
	"\"required_drivers\":[],\"recommended_drivers\":null,\"integration_components\":\"i\",\"vm_generation\":\"2\","     \
	"\"validated_by\":[\"V\"],\"validated_by_detail\":[\"d\"],\"conditions\":[\"c\"],\"valid_from\":\"2019\","         \
	"\"valid_until\":\"2029-12-31\",\"evidence\":[\"log1\"],\"source\":\"s\",\"source_keys\":[\"k\"],"               \
	"\"inferred_fields\":[\"f\"],\"notes\":null,\"owner\":\"o\",\"claim_key\":\"k\"}"

/*
 * The fast reader (record.c, for import and catalog_load) against the tree
 * reader, which is the reference: on the records above, on hand-picked
 * edge cases, and on a few thousand random edits of two good records
 * (most of which one of them refuses, some of which both take).
 */
TEST(fast_reader_agrees_with_the_tree_reader)
{
	static const char *const bases[] = { GOOD_CONFIG, FULL_CONFIG };
	static const char alphabet[] = "{}[]\":,0123456789-.eE+ \\/untrfalsxSP_";
	static const char *const edges[][2] = {
		{ "\"max_vcpus\":1", "\"max_vcpus\":1.0" }, { "\"max_vcpus\":1", "\"max_vcpus\":1e0" },
		{ "\"max_vcpus\":1", "\"max_vcpus\":null" }, { "\"max_vcpus\":1", "\"max_vcpus\":-0" },
		{ "\"max_vcpus\":1", "\"max_vcpus\":65537" }, { "\"max_vcpus\":1", "\"max_vcpus\":true" },
		{ "\"max_vcpus\":1", "\"max_vcpus\":1,\"max_vcpus\":2" }, { "[1]", "[]" }, { "[1]", "[null]" },
		{ "[1]", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
			 "33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64]" },
		{ "[1]", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
			 "33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65]" },
		{ "\"validated\"", "\"v\\u0061lidated\"" }, { "\"seed\"", "\"\"" }, { "\"seed\"", "null" },
		{ "\"limits\":{", "\"limits\":null,\"x\":{" }, { "\"c1\"", "\"c\\u0000\"" }, { "\"c1\"", "\"\\ud800\"" },
		{ "\"Red Hat\"]", "\"Red Hat\",\"\"]" }, { "\"6002\"", "\"4294967296\"" }, { "\"6002\"", "\"+6002\"" },
		{ "\"guest\":{", "\"guest\":null,\"g\":{" }, { "\"type\":\"configuration\"", "\"type\":\"product\"" },
		{ "\"source\":\"seed\"}", "\"source\":\"seed\"} " }, { "\"source\":\"seed\"}", "\"source\":\"seed\"}{}" },
		{ "\"source\":\"seed\"}", "\"source\":\"seed\",\"valid_from\":\"2019-1\"}" },
		{ "\"source\":\"seed\"}", "\"source\":\"seed\",\"valid_from\":\"2019-01\"}" },
		{ "\"source\":\"seed\"}", "\"source\":\"seed\",\"evidence\":[]}" },
		/* more items than the fast reader keeps on its stack (8) */
		{ "[\"microsoft\"]", "[\"microsoft\",\"kvm\",\"qemu\",\"xen\",\"vmware\",\"oracle\",\"bhyve\",\"amazon\","
				     "\"google\",\"acrn\",\"zvm\"]" },
		{ "[\"microsoft\"]", "[\"microsoft\",\"kvm\",\"qemu\",\"xen\",\"vmware\",\"oracle\",\"bhyve\",\"amazon\","
				     "\"google\",\"\"]" },
		{ "[\"microsoft\"]", "[\"microsoft\",\"kvm\",\"qemu\",\"xen\",\"vmware\",\"oracle\",\"bhyve\",\"amazon\"]" },
	};
	uint64_t rng = 0x2545f4914f6cdd1dull;
	size_t took = 0;

	for (size_t i = 0; i < CV_ELEMENTSOF(bases); i++)
		CHECK(readers_agree(bases[i]));
	for (size_t i = 0; i < CV_ELEMENTSOF(edges); i++) {
		char *s = variant(edges[i][0], edges[i][1]);

		CHECK(readers_agree(s));
		free(s);
	}
	for (int i = 0; i < 20000; i++) {
		const char *base = bases[i % CV_ELEMENTSOF(bases)];
		size_t n = strlen(base);
		char *s = cv_xmalloc(n + 8);
		struct catalog_config *c = NULL;
		char *why = NULL;

		memcpy(s, base, n + 1);
		for (int e = 0; e < 1 + i % 3; e++) {
			size_t at;
			char ch;

			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			at = (size_t)(rng >> 8) % n;
			ch = alphabet[(rng >> 40) % (sizeof(alphabet) - 1)];
			switch (rng % 3) {
			case 0: memmove(s + at, s + at + 1, n - at), n--; break;          /* delete */
			case 1: memmove(s + at + 1, s + at, n - at + 1), s[at] = ch, n++; break; /* insert */
			default: s[at] = ch; break;                                      /* replace */
			}
		}
		if (!readers_agree(s)) {
			free(s);
			break;
		}
		if (catalog_config_from_text(s, &c, &why) == 0)
			took++;
		catalog_config_free(c);
		free(why);
		free(s);
	}
	/* Some edits leave a good record (a digit for a digit, a string's letter): both took those. */
	CHECK(took > 100);
}

/* The words of data/validated-configs.jsonl ("SP2"; SUSE's "SP2+", "this
 * service pack or later") and of the Windows probe. */
TEST(service_packs_parse)
{
	static const struct {
		const char *s;
		int r;
		unsigned n;
		bool plus;
	} v[] = {
		{ "SP1", 0, 1, false },	 { "SP2", 0, 2, false },   { "SP4", 0, 4, false }, { "SP2+", 0, 2, true },
		{ "sp1+", 0, 1, true },	 { "SP99", 0, 99, false }, { "SP100", -EINVAL, 0, false },
		{ "SP0", -EINVAL, 0, false }, { "SP", -EINVAL, 0, false }, { "SP2a", -EINVAL, 0, false },
		{ "SP2++", -EINVAL, 0, false }, { "Service Pack 2", -EINVAL, 0, false }, { "", -EINVAL, 0, false },
		{ "+", -EINVAL, 0, false },
	};
	struct catalog_config *c = NULL;
	char *why = NULL, *s;

	for (size_t i = 0; i < CV_ELEMENTSOF(v); i++) {
		unsigned n = 0;
		bool plus = false;

		printf("# '%s'\n", v[i].s);
		CHECK_INT(catalog_service_pack_parse(v[i].s, &n, &plus), v[i].r);
		if (v[i].r == 0) {
			CHECK_INT(n, v[i].n);
			CHECK_INT(plus, v[i].plus);
		}
	}
	CHECK_INT(catalog_service_pack_parse(NULL, &(unsigned){ 0 }, NULL), -EINVAL);
	s = variant("\"arch\"", "\"service_pack\":\"SP2+\",\"arch\"");
	CHECK_INT(catalog_config_from_text(s, &c, &why), 0);
	CHECK_STR(c->guest.service_pack, "SP2+");
	catalog_config_free(c);
	free(s);
}

/* Windows Server 2008 R2 as data/products.jsonl has it (Microsoft's dates). */
#define LIFECYCLE_PRODUCT                                                                                     \
	"{\"type\":\"product\",\"id\":\"win-2008r2\",\"kind\":\"guest_os\",\"vendor\":\"Microsoft\","      \
	"\"product\":\"Windows Server 2008 R2\",\"version\":\"2008 R2\",\"release_date\":\"2009-10-22\","      \
	"\"eol_date\":\"2020-01-14\",\"lifecycle\":{\"start\":\"2009-10-22\",\"mainstream_end\":\"2015-01-13\"," \
	"\"extended_end\":\"2020-01-14\",\"esu_end\":\"2023-01-10\",\"maintenance_support_end\":null},"          \
	"\"lifecycle_sources\":[\"https://learn.microsoft.com/lifecycle/products/windows-server-2008-r2\"]}"

static void product_rejects(const char *json, const char *want)
{
	struct catalog_product *p = NULL;
	char *why = NULL;

	CHECK_INT(catalog_product_from_text(json, &p, &why), -EINVAL);
	CHECK(p == NULL);
	if (!why || !strstr(why, want))
		tap_fail(__FILE__, __LINE__, "error '%s' does not mention '%s'", why ? why : "(none)", want);
	free(why);
}

TEST(products_carry_their_life_cycle)
{
	struct catalog_product *p = NULL;
	char *why = NULL, *s;

	CHECK_INT(catalog_product_from_text(LIFECYCLE_PRODUCT, &p, &why), 0);
	CHECK_STR(p->release_date, "2009-10-22");
	CHECK_STR(p->eol_date, "2020-01-14");
	CHECK_STR(p->lifecycle.start, "2009-10-22");
	CHECK_STR(p->lifecycle.mainstream_end, "2015-01-13");
	CHECK_STR(p->lifecycle.extended_end, "2020-01-14");
	CHECK_STR(p->lifecycle.esu_end, "2023-01-10");
	CHECK(p->lifecycle.maintenance_end == NULL && p->lifecycle.els_end == NULL && p->lifecycle.applies_to == NULL);
	catalog_product_free(p);

	/* Red Hat's milestones, and whose life cycle it is. */
	CHECK_INT(catalog_product_from_text("{\"type\":\"product\",\"id\":\"rhel-5.3\",\"kind\":\"guest_os\","
					    "\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux\",\"version\":\"5.3\","
					    "\"eol_date\":\"2017-03-31\",\"lifecycle\":{\"maintenance_end\":\"2017-03-31\","
					    "\"els_end\":\"2020-11\",\"applies_to\":\"Red Hat Enterprise Linux 5\"}}",
					    &p, &why),
		  0);
	CHECK_STR(p->lifecycle.maintenance_end, "2017-03-31");
	CHECK_STR(p->lifecycle.els_end, "2020-11");
	CHECK_STR(p->lifecycle.applies_to, "Red Hat Enterprise Linux 5");
	CHECK(p->lifecycle.extended_end == NULL);
	catalog_product_free(p);

	/* No life cycle at all is no dates. */
	CHECK_INT(catalog_product_from_text(GOOD_PRODUCT, &p, &why), 0);
	CHECK(p->eol_date == NULL && p->release_date == NULL && p->lifecycle.start == NULL);
	catalog_product_free(p);

	/* A milestone is a date, whatever its name; the object holds nothing else. */
	product_rejects(s = cv_xasprintf("%.*s\"soon\"%s", (int)(strstr(LIFECYCLE_PRODUCT, "\"2020-01-14\",\"esu") -
								     LIFECYCLE_PRODUCT),
					 LIFECYCLE_PRODUCT, strstr(LIFECYCLE_PRODUCT, ",\"esu")),
			"lifecycle.extended_end: expected a date");
	free(s);
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"guest_os\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"lifecycle\":{\"sunset\":\"one day\"}}",
			"lifecycle.sunset: expected a date");
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"guest_os\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"lifecycle\":{\"applies_to\":5}}",
			"lifecycle.applies_to: expected a string");
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"guest_os\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"lifecycle\":[]}",
			"lifecycle: expected an object");
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"guest_os\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"eol_date\":\"2020-1-14\"}",
			"eol_date: expected a date");
}

TEST(configurations_link_their_products)
{
	struct catalog_config *c = NULL;
	char *why = NULL, *s, *t;

	s = variant("\"arch\":[\"x86_64\"]", "\"arch\":[\"x86_64\"],\"product_id\":\"rhel-5.3\"");
	t = cv_xasprintf("%.*s\"product_id\":\"hv-ws2008\",%s", (int)(strstr(s, "\"ids\"") - s), s, strstr(s, "\"ids\""));
	CHECK_INT(catalog_config_from_text(t, &c, &why), 0);
	CHECK_STR(c->guest.product_id, "rhel-5.3");
	CHECK_STR(c->hypervisor.product_id, "hv-ws2008");
	catalog_config_free(c);
	free(t);
	free(s);
	CHECK_INT(catalog_config_from_text(GOOD_CONFIG, &c, &why), 0);
	CHECK(c->guest.product_id == NULL && c->hypervisor.product_id == NULL);
	catalog_config_free(c);
	rejects(s = variant("\"arch\":[\"x86_64\"]", "\"arch\":[\"x86_64\"],\"product_id\":\"rhel 5.3\""),
		"guest.product_id: use 1 to 128");
	free(s);
}

static struct store *open_store(const char *name)
{
	char *path = cv_xasprintf("%s/%s", tap_tmpdir(), name);
	struct store *s = NULL;
	char *err = NULL;

	CHECK_INT(store_open(path, &s, &err), 0);
	free(err);
	free(path);
	return s;
}

static int import_text(struct store *s, const char *text, char **ret_error)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct catalog_import_stats st;
	int r = catalog_import(s, f, &st, ret_error);

	fclose(f);
	return r;
}

static int64_t count(struct store *s)
{
	int64_t n = -1;

	CHECK_INT(store_config_count(s, NULL, &n), 0);
	return n;
}

TEST(import_is_all_or_nothing)
{
	struct store *s = open_store("a.db");
	char *err = NULL, *second = variant("\"c1\"", "\"c2\"");
	char *text;

	CHECK_INT(import_text(s, GOOD_CONFIG "\n" GOOD_PRODUCT "\n", &err), 0);
	CHECK_INT(count(s), 1);

	/* A bad line after good ones: nothing of the file is written. */
	text = cv_xasprintf("%s\n\n%s\n{not json\n", second, GOOD_CONFIG);
	CHECK_INT(import_text(s, text, &err), -EINVAL);
	CHECK(err && cv_startswith(err, "4: invalid JSON"));
	free(err);
	err = NULL;
	free(text);
	CHECK_INT(count(s), 1);

	/* A duplicate id within one file. */
	text = cv_xasprintf("%s\n%s\n", second, second);
	CHECK_INT(import_text(s, text, &err), -EEXIST);
	CHECK(err && strstr(err, "2: duplicate id 'c2' (first on line 1)"));
	free(err);
	err = NULL;
	free(text);
	CHECK_INT(count(s), 1);

	/* A good file replaces by id and adds. */
	text = cv_xasprintf("%s\n%s\n", GOOD_CONFIG, second);
	CHECK_INT(import_text(s, text, &err), 0);
	CHECK_INT(count(s), 2);
	free(text);
	free(second);
	store_close(s);
}

static int import_mode(struct store *s, const char *text, enum catalog_import_mode mode,
		       struct catalog_import_stats *st)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	char *err = NULL;
	int r = catalog_import_with(s, f, mode, st, &err);

	free(err);
	fclose(f);
	return r;
}

static char *status_of(struct store *s, const char *id)
{
	struct catalog_config *c = NULL;
	char *doc = NULL, *why = NULL, *st;

	CHECK_INT(store_config_get(s, id, &doc), 0);
	CHECK_INT(catalog_config_from_text(doc, &c, &why), 0);
	st = cv_xstrdup(c ? catalog_status_name(c->status) : "?");
	catalog_config_free(c);
	free(doc);
	free(why);
	return st;
}

/*
 * Issue 16: importing a catalog file again never undoes what the program
 * decided: a revocation stands (catalog.h's import modes); --merge adds
 * new ids only and keeps every existing row.
 */
/* n configurations c0..c<n-1>, a line each. */
static char *numbered(unsigned n)
{
	struct cv_buf b;

	cv_buf_init(&b, 64 << 20);
	for (unsigned i = 0; i < n; i++) {
		char id[32], *line;

		snprintf(id, sizeof(id), "\"c%u\"", i);
		line = variant("\"c1\"", id);
		CHECK_INT(cv_buf_printf(&b, "%s\n", line), 0);
		free(line);
	}
	return cv_buf_detach(&b, NULL);
}

/* A stream whose first good bytes of text read well, then fails. */
struct failing {
	const char *text;
	size_t good, at;
};

static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
	struct failing *in = cookie;
	size_t n = in->good - in->at < size ? in->good - in->at : size;

	if (n == 0) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, in->text + in->at, n);
	in->at += n;
	return (ssize_t)n;
}

/*
 * The importer writes while it reads (import.c): a write that fails after
 * many rows went in stops the reader and leaves nothing; so does a read
 * error after many lines.  The failing write is a trigger the test adds.
 */
TEST(import_stops_at_a_failed_write_or_read)
{
	char *path = cv_xasprintf("%s/fail.db", tap_tmpdir());
	struct store *s = NULL;
	sqlite3 *db;
	char *err = NULL, *text = numbered(2000);
	FILE *f;

	CHECK_INT(store_open(path, &s, &err), 0);
	store_close(s);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON configurations WHEN NEW.id = 'c100' "
				   "BEGIN SELECT RAISE(ABORT, 'no c100 here'); END",
			       NULL, NULL, NULL),
		  SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK(import_text(s, text, &err) < 0);
	CHECK(err && cv_startswith(err, "101: cannot store the record") && strstr(err, "no c100 here"));
	free(err);
	err = NULL;
	CHECK_INT(count(s), 0);

	/* A stream that fails after 1000 lines (the trigger gone). */
	store_close(s);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP TRIGGER boom", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open(path, &s, &err), 0);
	struct failing in = { text, 0, 0 };
	const char *p = text;

	for (int i = 0; i < 1000; i++)
		p = strchr(p, '\n') + 1;
	in.good = (size_t)(p - text);
	f = fopencookie(&in, "r", (cookie_io_functions_t){ .read = failing_read });
	CHECK(f != NULL);
	if (f) {
		struct catalog_import_stats st;

		CHECK_INT(catalog_import(s, f, &st, &err), -EIO);
		CHECK(err && cv_startswith(err, "1001: read error"));
		free(err);
		fclose(f);
	}
	CHECK_INT(count(s), 0);
	store_close(s);
	free(text);
	free(path);
}

/* Long lines (the importer holds at most RING_BYTES of rows at a time, and
 * frees a long row's buffer once written): all of them stored, whole. */
TEST(import_takes_long_lines)
{
	struct store *s = open_store("long.db");
	size_t notes = 600 * 1024;
	char *pad = cv_xmalloc(notes + 1), *err = NULL, *doc = NULL;
	struct cv_buf b;
	char *text;

	memset(pad, 'n', notes);
	pad[notes] = '\0';
	cv_buf_init(&b, 256 << 20);
	for (unsigned i = 0; i < 100; i++) {
		char id[32], *line, *with;

		snprintf(id, sizeof(id), "\"c%u\"", i);
		line = variant("\"c1\"", id);
		/* every tenth short, between long ones */
		with = i % 10 ? cv_xasprintf("%.*s,\"notes\":\"%s\"}", (int)strlen(line) - 1, line, pad) : cv_xstrdup(line);
		CHECK_INT(cv_buf_printf(&b, "%s\n", with), 0);
		free(line);
		free(with);
	}
	text = cv_buf_detach(&b, NULL);
	CHECK_INT(import_text(s, text, &err), 0);
	CHECK_INT(count(s), 100);
	CHECK_INT(store_config_get(s, "c99", &doc), 0);
	CHECK(doc && strlen(doc) > notes && strstr(doc, pad));
	free(doc);
	free(text);
	free(pad);
	store_close(s);
}

TEST(import_keeps_what_the_program_decided)
{
	struct store *s = open_store("decided.db");
	char *two = variant("\"c1\"", "\"c2\"");
	char *text = cv_xasprintf("%s\n%s\n%s\n", GOOD_CONFIG, two, GOOD_PRODUCT);
	char *newer = variant("\"c1\"", "\"c3\"");
	char *text2 = cv_xasprintf("%s%s\n", text, newer);
	struct program_error e = { 0 };
	struct catalog_import_stats st = { 0 };
	char *got;

	CHECK_INT(import_mode(s, text, CATALOG_IMPORT_UPDATE, &st), 0);
	CHECK(st.configs_added == 2 && st.configs_replaced == 0 && st.products_added == 1);
	CHECK_INT(program_revoke(s, "c1", NULL, "test", &e), 0);
	/* Again: c2 is replaced; c1, revoked by the owner, is kept. */
	memset(&st, 0, sizeof(st));
	CHECK_INT(import_mode(s, text, CATALOG_IMPORT_UPDATE, &st), 0);
	CHECK(st.configs_added == 0 && st.configs_replaced == 1 && st.configs_decided == 1);
	CHECK(st.products_replaced == 1);
	got = status_of(s, "c1");
	CHECK_STR(got, "revoked");
	free(got);
	/* --merge: only c3 is new; c2 and the product are kept as they are. */
	memset(&st, 0, sizeof(st));
	CHECK_INT(import_mode(s, text2, CATALOG_IMPORT_MERGE, &st), 0);
	CHECK(st.configs_added == 1 && st.configs_replaced == 0 && st.configs_kept == 1 && st.configs_decided == 1);
	CHECK(st.products_added == 0 && st.products_replaced == 0 && st.products_kept == 1);
	CHECK_INT(count(s), 3);
	got = status_of(s, "c1");
	CHECK_STR(got, "revoked");
	free(got);
	free(two);
	free(newer);
	free(text);
	free(text2);
	store_close(s);
}

TEST(import_reports_missing_type_and_long_lines)
{
	struct store *s = open_store("b.db");
	char *err = NULL, *big = cv_xmalloc(CATALOG_LINE_MAX + 16);

	CHECK_INT(import_text(s, "{\"id\":\"x\"}\n", &err), -EINVAL);
	CHECK(err && strstr(err, "1: type: missing required field"));
	free(err);
	err = NULL;
	memset(big, ' ', CATALOG_LINE_MAX + 10);
	big[CATALOG_LINE_MAX + 10] = '\n';
	big[CATALOG_LINE_MAX + 11] = '\0';
	CHECK_INT(import_text(s, big, &err), -E2BIG);
	CHECK(err && strstr(err, "longer than 1 MiB"));
	free(err);
	free(big);
	CHECK_INT(count(s), 0);
	store_close(s);
}

TEST(loaded_products_keep_their_life_cycle)
{
	struct store *s = open_store("lc.db");
	struct catalog *cat = NULL;
	const struct catalog_product *p;
	char *err = NULL;

	CHECK_INT(import_text(s, LIFECYCLE_PRODUCT "\n" GOOD_PRODUCT "\n" GOOD_CONFIG "\n", &err), 0);
	CHECK_INT(catalog_load(s, CATALOG_LOAD_NO_DOCS, &cat, &err), 0);
	p = catalog_product_find(cat, "win-2008r2");
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->eol_date, "2020-01-14");
		CHECK_STR(p->lifecycle.extended_end, "2020-01-14");
	}
	CHECK(catalog_product_find(cat, "rhel-5.3") != NULL);
	CHECK(catalog_product_find(cat, "nosuch") == NULL && catalog_product_find(cat, NULL) == NULL);
	catalog_free(cat);
	store_close(s);
}

/* Products as data/products.jsonl has them (Red Hat's, Microsoft's, SUSE's
 * vendor names from the seed's products), and one the owner added. */
#define VENDOR_PRODUCTS                                                                                          \
	"{\"type\":\"product\",\"id\":\"rhel-5.3\",\"kind\":\"guest_os\",\"vendor\":\"Red Hat\","                     \
	"\"product\":\"Red Hat Enterprise Linux\",\"version\":\"5.3\",\"os_id\":\"rhel\"}\n"                            \
	"{\"type\":\"product\",\"id\":\"win-2008\",\"kind\":\"guest_os\",\"vendor\":\"Microsoft\","                   \
	"\"product\":\"Windows Server 2008\",\"version\":\"2008\",\"os_id\":\"windows\"}\n"                             \
	"{\"type\":\"product\",\"id\":\"osinfo-rocky9\",\"kind\":\"guest_os\",\"vendor\":\"Rocky Enterprise Software Foundation\"," \
	"\"product\":\"Rocky Linux 9\",\"version\":\"9\",\"osinfo_short_id\":\"rocky9\"}\n"                             \
	"{\"type\":\"product\",\"id\":\"hv-ws2008\",\"kind\":\"hypervisor\",\"vendor\":\"Microsoft\","                \
	"\"product\":\"Windows Server 2008 Hyper-V\",\"version\":\"2008\",\"ids\":[\"microsoft\"]}\n"                   \
	"{\"type\":\"product\",\"id\":\"hv-rhel5.4-kvm\",\"kind\":\"hypervisor\",\"vendor\":\"Red Hat\","             \
	"\"product\":\"Red Hat Enterprise Linux KVM\",\"version\":\"5.4\",\"ids\":[\"kvm\"]}\n"                          \
	"{\"type\":\"product\",\"id\":\"hv-sles12sp4\",\"kind\":\"hypervisor\",\"vendor\":\"SUSE\","                  \
	"\"product\":\"SUSE Linux Enterprise Server KVM/Xen\",\"version\":\"12 SP4\",\"ids\":[\"kvm\",\"xen\"]}\n"

static char *guest_vendor(struct store *s, const char *os_id, const char *osinfo, int want)
{
	char *v = NULL;

	CHECK_INT(catalog_guest_vendor(s, os_id, osinfo, &v), want);
	return v;
}

static char *hv_vendor(struct store *s, const char *id, const char *product, int want)
{
	char *v = NULL;

	CHECK_INT(catalog_hypervisor_vendor(s, id, product, &v), want);
	return v;
}

TEST(vendors_come_from_the_products)
{
	struct store *s = open_store("vendors.db");
	struct catalog_product *p = NULL;
	char *err = NULL, *v;

	/* No products: nothing to say. */
	CHECK(guest_vendor(s, "rhel", "rhel5.3", -ENOENT) == NULL);
	CHECK(hv_vendor(s, "microsoft", "Windows Server 2008 Hyper-V", -ENOENT) == NULL);

	CHECK_INT(import_text(s, VENDOR_PRODUCTS, &err), 0);
	CHECK_STR(v = guest_vendor(s, "rhel", NULL, 0), "Red Hat");
	free(v);
	CHECK_STR(v = guest_vendor(s, "windows", "win2k8", 0), "Microsoft");
	free(v);
	/* osinfo-db's products have no os-release ID: the short id names them. */
	CHECK_STR(v = guest_vendor(s, "rocky", "rocky9", 0), "Rocky Enterprise Software Foundation");
	free(v);
	/* An id is matched whole, not as a part of another ("rhe", "RHEL"). */
	CHECK(guest_vendor(s, "rhe", NULL, -ENOENT) == NULL);
	CHECK(guest_vendor(s, "RHEL", NULL, -ENOENT) == NULL);
	CHECK(guest_vendor(s, "debian", "debian12", -ENOENT) == NULL);
	CHECK(guest_vendor(s, NULL, NULL, -ENOENT) == NULL);

	/* One vendor ships Hyper-V. */
	CHECK_STR(v = hv_vendor(s, "microsoft", "Windows Server 2008 R2 Hyper-V", 0), "Microsoft");
	free(v);
	CHECK_STR(v = hv_vendor(s, "microsoft", NULL, 0), "Microsoft");
	free(v);
	/* Two ship KVM: the one the product name names, else none. */
	CHECK_STR(v = hv_vendor(s, "kvm", "Red Hat Enterprise Virtualization", 0), "Red Hat");
	free(v);
	CHECK(hv_vendor(s, "kvm", "QEMU/KVM", -ENOENT) == NULL);
	CHECK(hv_vendor(s, "kvm", NULL, -ENOENT) == NULL);
	/* Xen: only SUSE's product says it is Xen. */
	CHECK_STR(v = hv_vendor(s, "xen", "Xen HVM", 0), "SUSE");
	free(v);
	CHECK(hv_vendor(s, "vmware", "VMware", -ENOENT) == NULL);
	CHECK(hv_vendor(s, "", "KVM", -ENOENT) == NULL);

	/* A new guest vendor is a product record, not a change to covalid. */
	CHECK_INT(import_text(s,
			      "{\"type\":\"product\",\"id\":\"alma-9\",\"kind\":\"guest_os\",\"vendor\":\"AlmaLinux OS "
			      "Foundation\",\"product\":\"AlmaLinux\",\"version\":\"9\",\"os_id\":\"almalinux\"}\n",
			      &err),
		  0);
	CHECK_STR(v = guest_vendor(s, "almalinux", NULL, 0), "AlmaLinux OS Foundation");
	free(v);
	store_close(s);

	/* os_id is a guest's, ids a hypervisor's; ids is a list of names. */
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"hypervisor\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"os_id\":\"rhel\"}",
			"os_id: only a guest_os product has one");
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"guest_os\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"ids\":[\"kvm\"]}",
			"ids: only a hypervisor product has them");
	product_rejects("{\"type\":\"product\",\"id\":\"p\",\"kind\":\"hypervisor\",\"vendor\":\"v\",\"product\":\"p\","
			"\"version\":\"1\",\"ids\":\"kvm\"}",
			"ids: expected an array of strings");
	CHECK_INT(catalog_product_from_text(
			  "{\"type\":\"product\",\"id\":\"p\",\"kind\":\"hypervisor\",\"vendor\":\"v\",\"product\":\"p\","
			  "\"version\":\"1\",\"ids\":[\"kvm\",\"xen\"]}",
			  &p, &err),
		  0);
	CHECK(p && p->ids.n == 2 && cv_strv_contains(&p->ids, "xen") && !p->os_id);
	catalog_product_free(p);
}

TEST(export_returns_what_was_imported)
{
	struct store *s = open_store("c.db");
	char *err = NULL, *buf = NULL;
	size_t len = 0;
	FILE *out;

	CHECK_INT(import_text(s, GOOD_PRODUCT "\n" GOOD_CONFIG "\n", &err), 0);
	out = open_memstream(&buf, &len);
	CHECK_INT(catalog_export(s, out), 0);
	fclose(out);
	CHECK_STR(buf, GOOD_PRODUCT "\n" GOOD_CONFIG "\n");
	free(buf);
	store_close(s);
}

/* The schema as version 1 shipped it: a database made by that release. */
static const char v1_schema[] =
	"CREATE TABLE products (id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('guest_os', 'hypervisor')),"
	" vendor TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL, osinfo TEXT,"
	" doc TEXT NOT NULL CHECK (json_valid(doc)),"
	" updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));"
	"CREATE TABLE configurations (id TEXT PRIMARY KEY, status TEXT NOT NULL, guest_os TEXT NOT NULL,"
	" guest_vendor TEXT NOT NULL, guest_product TEXT NOT NULL, guest_version TEXT NOT NULL,"
	" hv_ids TEXT NOT NULL, hv_vendor TEXT NOT NULL, hv_product TEXT NOT NULL, hv_version TEXT NOT NULL,"
	" doc TEXT NOT NULL CHECK (json_valid(doc)),"
	" updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));"
	"PRAGMA user_version = 1;";

static int count_cb(void *ud, const char *id, const char *doc)
{
	(void)id;
	(void)doc;
	(*(int *)ud)++;
	return 0;
}

TEST(migrates_an_old_database)
{
	char *path = cv_xasprintf("%s/old.db", tap_tmpdir());
	char *insert = cv_xasprintf("INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product,"
				    " guest_version, hv_ids, hv_vendor, hv_product, hv_version, doc) VALUES ('c1',"
				    " 'validated', 'rhel', 'Red Hat', 'RHEL', '5.3', 'microsoft', 'Microsoft',"
				    " 'Windows Server 2008 Hyper-V', '2008', '%s')", GOOD_CONFIG);
	struct store_query q = { .vendor = "Red Hat" };
	struct store *s = NULL;
	sqlite3 *db;
	char *err = NULL;
	int version = 0, n = 0;

	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, insert, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK_INT(store_schema_version(s, &version), 0);
	CHECK_INT(version, STORE_SCHEMA_VERSION);
	/* Version 2 backfilled validated_by from the document; the vendor
	 * filter reads that column. */
	CHECK_INT(store_config_list(s, &q, count_cb, &n), 0);
	CHECK_INT(n, 1);
	store_close(s);
	/* Opening again is a no-op. */
	CHECK_INT(store_open(path, &s, &err), 0);
	store_close(s);
	free(insert);
	free(path);
}

TEST(refuses_a_newer_database_and_non_databases)
{
	char *path = cv_xasprintf("%s/new.db", tap_tmpdir());
	char *junk = cv_xasprintf("%s/junk.db", tap_tmpdir());
	struct store *s = NULL;
	char *err = NULL;
	sqlite3 *db;

	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open(path, &s, &err), -EPROTO);
	CHECK(err && strstr(err, "newer than this covalid"));
	free(err);
	err = NULL;

	{
		static const char text[] = "this is not a database, just text that is long enough to look like a "
					   "header page of something else entirely...........................";

		CHECK_INT(cv_write_file_atomic(junk, text, sizeof(text) - 1, 0644), 0);
	}
	CHECK_INT(store_open(junk, &s, &err), -EBADMSG);
	CHECK(err && strstr(err, "not a database"));
	free(err);
	err = NULL;
	/* Port 1 (tcpmux) has no PostgreSQL: the backend's refusal, not an
	 * SQLite file of that name (test-store holds the backend itself). */
	CHECK_INT(store_open("postgresql://127.0.0.1:1/covalid?connect_timeout=5", &s, &err), -ECONNREFUSED);
	CHECK(err && strstr(err, "127.0.0.1"));
	free(err);
	free(path);
	free(junk);
}

TEST(list_filters)
{
	struct store *s = open_store("d.db");
	char *err = NULL, *kvm = variant("\"ids\":[\"microsoft\"]", "\"ids\":[\"kvm\"]");
	char *text, *kvm2 = NULL;
	struct store_query q = { 0 };
	int n;

	kvm2 = cv_xstrdup(kvm);
	{
		char *p = strstr(kvm2, "\"c1\"");

		p[2] = '9';
	}
	text = cv_xasprintf("%s\n%s\n", GOOD_CONFIG, kvm2);
	CHECK_INT(import_text(s, text, &err), 0);
	q.hypervisor = "microsoft";
	n = 0;
	CHECK_INT(store_config_list(s, &q, count_cb, &n), 0);
	CHECK_INT(n, 1);
	q.hypervisor = "Hyper-V"; /* part of the product name */
	n = 0;
	CHECK_INT(store_config_list(s, &q, count_cb, &n), 0);
	CHECK_INT(n, 2);
	q = (struct store_query){ .guest = "rhel", .status = "validated", .limit = 1 };
	n = 0;
	CHECK_INT(store_config_list(s, &q, count_cb, &n), 0);
	CHECK_INT(n, 1);
	q = (struct store_query){ .text = "nothing like this" };
	n = 0;
	CHECK_INT(store_config_list(s, &q, count_cb, &n), 0);
	CHECK_INT(n, 0);
	free(text);
	free(kvm);
	free(kvm2);
	store_close(s);
}

static int keep_os(void *ud, const struct catalog_osinfo_os *o)
{
	char **names = ud;

	if (!names[0])
		names[0] = cv_xstrdup(o->short_id);
	else
		names[1] = cv_xasprintf("%s|%s|%s", o->short_id, o->name ? o->name : "-", o->vendor ? o->vendor : "-");
	return 0;
}

/* The parse-from-memory entry point the importer and fuzz-osinfo share:
 * untranslated fields only, the first of each; <os> without a short-id
 * skipped; a malformed document named with its line. */
TEST(osinfo_parses_one_document_from_memory)
{
	static const char xml[] =
		"<libosinfo>\n"
		"<os id=\"http://redhat.com/rhel/5.3\"><short-id>rhel5.3</short-id>"
		"<name xml:lang=\"de\">RHEL (de)</name><name> Red Hat Enterprise Linux 5.3 </name><name>second</name></os>\n"
		"<os id=\"x\"><name>no short-id</name></os>\n"
		"<os><short-id>sles11</short-id><vendor>SUSE</vendor></os>\n"
		"</libosinfo>\n";
	char *names[2] = { NULL, NULL }, *err = NULL;
	size_t n = 0;

	CHECK_INT(catalog_osinfo_parse(xml, strlen(xml), "t.xml", keep_os, names, &n, &err), 0);
	CHECK_INT((int)n, 2);
	CHECK_STR(names[0], "rhel5.3");
	CHECK_STR(names[1], "sles11|-|SUSE");
	free(names[0]);
	free(names[1]);
	CHECK_INT(catalog_osinfo_parse("<libosinfo><os>", 15, "bad.xml", keep_os, names, &n, &err), -EBADMSG);
	CHECK(err && strncmp(err, "bad.xml:1: not well-formed XML", 30) == 0);
	free(err);
}

TAP_MAIN(parses_a_configuration, rejects_bad_records_naming_the_field, fast_reader_agrees_with_the_tree_reader,
	 service_packs_parse,
	 products_carry_their_life_cycle,
	 configurations_link_their_products, loaded_products_keep_their_life_cycle, vendors_come_from_the_products,
	 import_is_all_or_nothing, import_stops_at_a_failed_write_or_read, import_takes_long_lines,
	 import_keeps_what_the_program_decided,
	 import_reports_missing_type_and_long_lines, export_returns_what_was_imported, migrates_an_old_database,
	 refuses_a_newer_database_and_non_databases, list_filters,
	 osinfo_parses_one_document_from_memory)
