/*
 * test-store-import.c - catalog import (src/catalog/import.c) on both
 * store engines: it streams, so a bad line or a duplicate id found after
 * rows were already written must still leave the store as it was
 * (covalid/catalog.h: "all or nothing"); one import bumps the catalog
 * generation once; what is stored is what catalog_doc_dump() would store.
 * Expected values come from catalog.h, store.h and docs/catalog.md.
 */
#include <jansson.h>
#include <stdio.h>

#include "covalid/catalog.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

/* More lines than the importer's ring holds (512), so that rows are
 * written before the last line is read. */
#define MANY 2000

/* A configuration whose id is c<i>, its hypervisor ids and its notes as given. */
static char *config_line(unsigned i, const char *ids, const char *notes)
{
	return cv_xasprintf("{\"type\":\"configuration\",\"id\":\"c%u\",\"status\":\"validated\","
			    "\"guest\":{\"vendor\":\"Red Hat\",\"product\":\"Red Hat Enterprise Linux\",\"os_id\":\"rhel\","
			    "\"version\":\"5.%u\",\"arch\":[\"x86_64\"]},"
			    "\"hypervisor\":{\"vendor\":\"Microsoft\",\"product\":\"Windows Server 2008 Hyper-V\","
			    "\"ids\":%s,\"version\":\"2008\"},"
			    "\"limits\":{\"max_vcpus\":4},"
			    "\"validated_by\":[\"Microsoft\",\"Red Hat\"],\"source\":\"seed\",\"notes\":\"%s\"}",
			    i, i % 10, ids, notes);
}

#define PRODUCT_LINE                                                                                     \
	"{\"type\":\"product\",\"id\":\"rhel-5.3\",\"kind\":\"guest_os\",\"vendor\":\"Red Hat\","               \
	"\"product\":\"Red Hat Enterprise Linux\",\"version\":\"5.3\",\"osinfo_short_id\":\"rhel5.3\"}"

/* MANY configurations c0..c<MANY-1>, with line at its place (1-based) instead of the config's. */
static char *many(size_t at, const char *line)
{
	struct cv_buf b;

	cv_buf_init(&b, 64 << 20);
	for (unsigned i = 0; i < MANY; i++) {
		char *l = i + 1 == at ? cv_xstrdup(line) : config_line(i, "[\"microsoft\"]", "n");

		CHECK_INT(cv_buf_printf(&b, "%s\n", l), 0);
		free(l);
	}
	return cv_buf_detach(&b, NULL);
}

static int import(struct store *s, const char *text, enum catalog_import_mode mode, struct catalog_import_stats *st,
		  char **ret_error)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	*ret_error = NULL;
	r = catalog_import_with(s, f, mode, st, ret_error);
	fclose(f);
	return r;
}

static int64_t configs(struct store *s)
{
	int64_t n = -1;

	CHECK_INT(store_config_count(s, NULL, &n), 0);
	return n;
}

static int64_t generation(struct store *s)
{
	int64_t g = -1;

	CHECK_INT(store_catalog_generation(s, &g), 0);
	return g;
}

static void expect_error(const char *err, const char *want)
{
	if (!err || strcmp(err, want) != 0)
		tap_fail(__FILE__, __LINE__, "error '%s', expected '%s'", err ? err : "(none)", want);
}

static void import_all_or_nothing(void)
{
	char *loc = new_location("all");
	struct store *s = open_db(loc);
	struct catalog_import_stats st = { 0 };
	int64_t g0 = generation(s);
	char *err = NULL, *text, *dup = config_line(4, "[\"microsoft\"]", "n");

	/* A bad line at the very end, after MANY - 1 good ones. */
	text = many(MANY, "{\"type\":\"configuration\",");
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), -EINVAL);
	CHECK(err && cv_startswith(err, "2000: invalid JSON"));
	free(err);
	free(text);
	CHECK_INT(configs(s), 0);
	CHECK_INT(generation(s), g0);

	/* A record that parses but breaks the rules, at the end. */
	text = many(MANY, "{\"type\":\"configuration\",\"id\":\"bad\"}");
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), -EINVAL);
	CHECK(err && cv_startswith(err, "2000: status: missing required field"));
	free(err);
	free(text);
	CHECK_INT(configs(s), 0);

	/* A duplicate id far from the first: c4 is on line 5. */
	text = many(1800, dup);
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), -EEXIST);
	expect_error(err, "1800: duplicate id 'c4' (first on line 5)");
	free(err);
	free(text);
	CHECK_INT(configs(s), 0);
	CHECK_INT(generation(s), g0);

	/* The same on a table that has rows: they stay as they were. */
	text = many(0, NULL);
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), 0);
	CHECK(st.configs_added == MANY && st.configs_replaced == 0 && st.lines == MANY);
	CHECK_INT(generation(s), g0 + 1); /* one bump for the whole import */
	free(text);
	text = many(MANY, "not json");
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), -EINVAL);
	CHECK(err && cv_startswith(err, "2000: invalid JSON"));
	free(err);
	free(text);
	CHECK_INT(configs(s), MANY);
	CHECK_INT(generation(s), g0 + 1);

	free(dup);
	store_close(s);
	free(loc);
}

/* catalog.h's modes, with the table full before the import: every
 * existing id is looked up, decided ones kept. */
static void import_modes(void)
{
	char *loc = new_location("modes");
	struct store *s = open_db(loc);
	struct catalog_import_stats st = { 0 };
	struct program_error e = { 0 };
	char *err = NULL, *text = many(0, NULL), *more, *extra = config_line(MANY, "[\"microsoft\"]", "n");
	int64_t g;

	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), 0);
	CHECK_INT(program_revoke(s, "c7", NULL, "test", &e), 0);
	g = generation(s);
	memset(&st, 0, sizeof(st));
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), 0);
	CHECK(st.configs_added == 0 && st.configs_replaced == MANY - 1 && st.configs_decided == 1);
	CHECK_INT(generation(s), g + 1);
	more = cv_xasprintf("%s%s\n%s\n", text, extra, PRODUCT_LINE);
	memset(&st, 0, sizeof(st));
	CHECK_INT(import(s, more, CATALOG_IMPORT_MERGE, &st, &err), 0);
	CHECK(st.configs_added == 1 && st.configs_kept == MANY - 1 && st.configs_decided == 1);
	CHECK(st.products_added == 1 && st.products_kept == 0);
	memset(&st, 0, sizeof(st));
	CHECK_INT(import(s, more, CATALOG_IMPORT_MERGE, &st, &err), 0);
	CHECK(st.configs_added == 0 && st.products_added == 0 && st.products_kept == 1);
	memset(&st, 0, sizeof(st));
	CHECK_INT(import(s, more, CATALOG_IMPORT_UPDATE, &st, &err), 0);
	CHECK(st.configs_replaced == MANY && st.products_replaced == 1 && st.configs_decided == 1);
	CHECK_INT(configs(s), MANY + 1);
	free(more);
	free(extra);
	free(text);
	store_close(s);
	free(loc);
}

static int first_id(void *userdata, const char *id, const char *doc)
{
	(void)doc;
	if (!*(char **)userdata)
		*(char **)userdata = cv_xstrdup(id);
	return 0;
}

/* The stored document is catalog_doc_dump() of the line, whether the
 * importer dumped it or found the line already in that form; the row's
 * columns are filled as catalog_config_store() fills them. */
static void import_stores_the_dump(void)
{
	static const char *const lines[] = {
		/* compact: stored as it is */
		"{\"type\":\"configuration\",\"id\":\"d0\",\"status\":\"validated\",\"guest\":{\"vendor\":\"Red Hat\","
		"\"product\":\"RHEL\",\"os_id\":\"rhel\",\"version\":\"5.3\",\"arch\":[\"x86_64\"]},\"hypervisor\":{"
		"\"vendor\":\"Microsoft\",\"product\":\"Hyper-V\",\"ids\":[\"kvm\",\"qemu\"],\"version\":\"2008\"},"
		"\"limits\":{\"max_vcpus\":16,\"allowed_vcpus\":[1,2],\"max_memory_mib\":4096},"
		"\"validated_by\":[\"Microsoft\",\"Red Hat\"],\"source\":\"s\",\"notes\":\"caf\xc3\xa9 / true \x7f \xe2\x80\xa8 \xf0\x9f\x98\x80\"}",
		/* spaces between tokens */
		"{ \"type\": \"configuration\", \"id\": \"d1\", \"status\": \"validated\", \"guest\": {\"vendor\": \"V\","
		"\"product\":\"P\",\"os_id\":\"rhel\",\"version\":\"5\",\"arch\":[ \"x86_64\" ]},\"hypervisor\":{"
		"\"vendor\":\"H\",\"product\":\"HP\",\"ids\":[\"xen\"],\"version\":\"1\"},\"validated_by\":[\"V\"],"
		"\"source\":\"s\"}\t",
		/* escapes the dump writes otherwise */
		"{\"type\":\"configuration\",\"id\":\"d2\",\"status\":\"validated\",\"guest\":{\"vendor\":\"V\","
		"\"product\":\"P\\/Q\",\"os_id\":\"rhel\",\"version\":\"5\",\"arch\":[\"x86_64\"]},\"hypervisor\":{"
		"\"vendor\":\"H\",\"product\":\"caf\\u00e9\",\"ids\":[\"xen\"],\"version\":\"1\"},\"validated_by\":[\"V\"],"
		"\"source\":\"s\",\"notes\":\"a\\tb \\\"q\\\" \\\\ \\u0001\"}",
		/* a product, compact */
		PRODUCT_LINE,
	};
	const char *ids[] = { "d0", "d1", "d2" };
	char *loc = new_location("dump");
	struct store *s = open_db(loc);
	struct catalog_import_stats st = { 0 };
	struct cv_buf b;
	char *err = NULL, *doc = NULL, *text, *got = NULL;

	cv_buf_init(&b, 64 << 20);
	for (size_t i = 0; i < CV_ELEMENTSOF(lines); i++)
		CHECK_INT(cv_buf_printf(&b, "%s\n", lines[i]), 0);
	text = cv_buf_detach(&b, NULL);
	CHECK_INT(import(s, text, CATALOG_IMPORT_UPDATE, &st, &err), 0);
	CHECK(st.configs_added == 3 && st.products_added == 1);
	for (size_t i = 0; i < CV_ELEMENTSOF(lines); i++) {
		json_t *j = json_loads(lines[i], JSON_REJECT_DUPLICATES, NULL);
		char *want = catalog_doc_dump(j);

		if (i < CV_ELEMENTSOF(ids))
			CHECK_INT(store_config_get(s, ids[i], &doc), 0);
		else
			CHECK_INT(store_product_get(s, "rhel-5.3", &doc), 0);
		CHECK_STR(doc, want);
		free(doc);
		doc = NULL;
		free(want);
		json_decref(j);
	}
	/* The first line was compact already: stored byte for byte. */
	CHECK_INT(store_config_get(s, "d0", &doc), 0);
	CHECK_STR(doc, lines[0]);
	free(doc);
	/* hv_ids space-separated, validated_by a line each (the filters read them). */
	struct store_query q = { .hypervisor = "qemu" };
	CHECK_INT(store_config_list(s, &q, first_id, &got), 0);
	CHECK_STR(got, "d0");
	free(got);
	got = NULL;
	q = (struct store_query){ .vendor = "Red Hat", .hypervisor = "kvm" };
	CHECK_INT(store_config_list(s, &q, first_id, &got), 0);
	CHECK_STR(got, "d0");
	free(got);
	free(text);
	store_close(s);
	free(loc);
}

#define BOTH(X) X(import_all_or_nothing) X(import_modes) X(import_stores_the_dump)
SUITE_MAIN(BOTH)
