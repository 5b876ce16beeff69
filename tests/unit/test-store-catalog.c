/*
 * test-store-catalog.c - the store's conformance suite (issue 15): the
 * catalog (store-catalog.c): configurations, their queries and the
 * catalog's generation.  Expected values come from store.h's comments (its
 * contract).  Each test runs once on SQLite and once on a real PostgreSQL
 * (store-suite.h: one cluster per binary, a fresh database per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

/* ---- conformance: the catalog ---- */

static char *config_ids(struct store *s, const struct store_query *q)
{
	struct cv_strv v;
	int64_t n = -1;
	char *r;

	cv_strv_init(&v);
	CHECK_INT(store_config_list(s, q, push_doc, &v), 0);
	/* The count agrees with the list (without its limit and offset). */
	if (q && !q->limit && !q->offset) {
		CHECK_INT(store_config_count(s, q, &n), 0);
		CHECK_INT(n, (int64_t)v.n);
	}
	r = joined(&v, false);
	return r;
}

#define CHECK_CONFIGS(s, expected, ...)                                          \
	do {                                                                     \
		struct store_query q_ = { __VA_ARGS__ };                         \
		char *got_ = config_ids((s), &q_);                               \
		CHECK_STR(got_, (expected));                                     \
		free(got_);                                                      \
	} while (0)

static void catalog(void)
{
	char *loc = new_location("cat");
	struct store *s = open_db(loc);
	struct store_product_row p = { .id = "rhel5.3", .kind = "guest_os", .vendor = "Red Hat",
				       .product = "Red Hat Enterprise Linux", .version = "5.3", .osinfo = "rhel5.3",
				       .doc = "{\"id\":\"rhel5.3\"}" };
	struct store_product_row h = { .id = "hyperv2008", .kind = "hypervisor", .vendor = "Microsoft",
				       .product = "Windows Server 2008 Hyper-V", .version = "2008", .osinfo = NULL,
				       .doc = "{\"id\":\"hyperv2008\",\"note\":\"hv\"}" };
	int64_t g0 = -1, g1 = -1, g2 = -1, g3 = -1, g4 = -1;
	bool replaced = false;
	char *doc = NULL;
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_catalog_generation(s, &g0), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_product_put(s, &p, &replaced), 0);
	CHECK(!replaced);
	CHECK_INT(store_product_put(s, &h, &replaced), 0);
	CHECK(!replaced);
	CHECK_INT(store_commit(s), 0);
	/* Every catalog write bumps the generation. */
	CHECK_INT(store_catalog_generation(s, &g1), 0);
	CHECK(g1 > g0);
	CHECK_INT(store_product_get(s, "rhel5.3", &doc), 0);
	CHECK_STR(doc, "{\"id\":\"rhel5.3\"}");
	free(doc);
	doc = NULL;
	CHECK_INT(store_product_get(s, "nope", &doc), -ENOENT);
	/* Put by id again: replaced, and the new document is the one kept. */
	p.doc = "{\"id\":\"rhel5.3\",\"v\":2}";
	CHECK_INT(store_product_put(s, &p, &replaced), 0);
	CHECK(replaced);
	CHECK_INT(store_product_get(s, "rhel5.3", &doc), 0);
	CHECK_STR(doc, "{\"id\":\"rhel5.3\",\"v\":2}");
	free(doc);
	doc = NULL;
	CHECK_INT(store_catalog_generation(s, &g2), 0);
	CHECK(g2 > g1);

	/* Products by filter, in id order. */
	CHECK_INT(store_product_list(s, NULL, push_doc, &v), 0);
	CHECK_LIST(&v, false, "hyperv2008,rhel5.3");
	{
		struct store_query q = { .kind = "hypervisor" };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "hyperv2008");
	}
	{
		struct store_query q = { .vendor = "red hat" };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "rhel5.3");
	}
	{
		struct store_query q = { .text = "note" };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "hyperv2008");
	}
	{
		struct store_query q = { .limit = 1, .offset = 1 };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "rhel5.3");
	}

	/* Configurations. */
	CHECK_INT(store_begin(s), 0);
	put_config(s, "c1", "validated", "rhel5.3", "Red Hat", "Red Hat Enterprise Linux", "hyperv2008 hyperv2008r2",
		   "Microsoft", "Windows Server 2008 Hyper-V", "Red Hat\nMicrosoft", "{\"id\":\"c1\",\"n\":\"alpha\"}");
	put_config(s, "c2", "supported", "win2k8", "Microsoft", "Windows Server 2008", "kvm", "Red Hat", "RHEL KVM",
		   "Red Hat", "{\"id\":\"c2\",\"n\":\"beta\"}");
	put_config(s, "c3", "withdrawn", "sles11", "SUSE", "SUSE Linux Enterprise Server", "esxi5", "VMware",
		   "vSphere ESXi", "", "{\"id\":\"c3\",\"n\":\"gamma\"}");
	put_config(s, "c4", "validated", "sles11", "SUSE", "SUSE Linux Enterprise Server", "kvm", "Red Hat", "RHEL KVM",
		   "Acme Corp", "{\"id\":\"c4\",\"n\":\"delta\"}");
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_catalog_generation(s, &g3), 0);
	CHECK(g3 > g2);
	CHECK_INT(store_config_get(s, "c2", &doc), 0);
	CHECK_STR(doc, "{\"id\":\"c2\",\"n\":\"beta\"}");
	free(doc);
	doc = NULL;
	CHECK_INT(store_config_get(s, "c9", &doc), -ENOENT);
	CHECK_CONFIGS(s, "c1,c2,c3,c4", .limit = 0);
	/* guest: the OS id exactly, or the product by substring, case-folded. */
	CHECK_CONFIGS(s, "c1", .guest = "rhel5.3");
	CHECK_CONFIGS(s, "c2", .guest = "WINDOWS server");
	CHECK_CONFIGS(s, "", .guest = "rhel5"); /* neither an id nor in "Red Hat Enterprise Linux" */
	/* hypervisor: one of the ids (a whole word) or the product by substring. */
	CHECK_CONFIGS(s, "c1", .hypervisor = "hyperv2008r2");
	CHECK_CONFIGS(s, "", .hypervisor = "hyperv");
	CHECK_CONFIGS(s, "c1", .hypervisor = "hyper-v");
	CHECK_CONFIGS(s, "c2,c4", .hypervisor = "kvm");
	CHECK_CONFIGS(s, "c3", .hypervisor = "esx");
	/* vendor: guest's, hypervisor's or a validator, by name or by id. */
	CHECK_CONFIGS(s, "c1,c2,c4", .vendor = "Red Hat");
	CHECK_CONFIGS(s, "c1,c2,c4", .vendor = "red-hat");
	CHECK_CONFIGS(s, "c1,c2", .vendor = "microsoft");
	CHECK_CONFIGS(s, "c4", .vendor = "acme-corp");
	CHECK_CONFIGS(s, "c4", .vendor = "Acme Corp");
	CHECK_CONFIGS(s, "", .vendor = "acme");
	/* status: one, or several comma-separated. */
	CHECK_CONFIGS(s, "c1,c4", .status = "validated");
	CHECK_CONFIGS(s, "c1,c2,c4", .status = "validated,supported");
	CHECK_CONFIGS(s, "", .status = "valid");
	/* text: the whole document. */
	CHECK_CONFIGS(s, "c2", .text = "beta");
	/* Filters together. */
	CHECK_CONFIGS(s, "c4", .vendor = "red-hat", .guest = "sles11");
	/* limit and offset, in id order. */
	CHECK_CONFIGS(s, "c2,c3", .limit = 2, .offset = 1);
	CHECK_CONFIGS(s, "c4", .offset = 3, .limit = 10);

	/* Replacing a configuration: its columns follow. */
	put_config(s, "c5", "validated", "x", "X", "X OS", "kvm", "Red Hat", "RHEL KVM", "", "{}");
	{
		struct store_config_row c = { .id = "c5", .status = "withdrawn", .guest_os = "x", .guest_vendor = "X",
					      .guest_product = "X OS", .guest_version = "1", .hv_ids = "kvm",
					      .hv_vendor = "Red Hat", .hv_product = "RHEL KVM", .hv_version = "1",
					      .validated_by = NULL, .doc = "{\"v\":2}" };

		CHECK_INT(store_config_put(s, &c, &replaced), 0);
		CHECK(replaced);
	}
	CHECK_CONFIGS(s, "c3,c5", .status = "withdrawn");
	/* A vendor is part of the catalog too. */
	CHECK_INT(store_catalog_generation(s, &g3), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "acme", "Acme"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_catalog_generation(s, &g4), 0);
	CHECK(g4 > g3);
	/* Another connection sees the same generation. */
	{
		struct store *o = open_db(loc);
		int64_t g = -1;

		CHECK_INT(store_catalog_generation(o, &g), 0);
		CHECK_INT(g, g4);
		store_close(o);
	}
	store_close(s);
	free(loc);
}

/*
 * store_config_decided (store.h): a configuration is decided once it is
 * revoked or has submitted evidence; a plain imported row is not; no row
 * is -ENOENT.  What catalog import keeps (issue 16).
 */
static void config_decided(void)
{
	char *loc = new_location("decided");
	struct store *s = open_db(loc);
	bool d = true;

	put_config(s, "plain", "validated", "rhel", "Red Hat", "RHEL", "microsoft", "Microsoft", "Hyper-V", "", "{}");
	put_config(s, "gone", "revoked", "rhel", "Red Hat", "RHEL", "microsoft", "Microsoft", "Hyper-V", "", "{}");
	put_config(s, "tested", "validated", "rhel", "Red Hat", "RHEL", "kvm", "Red Hat", "KVM", "", "{}");
	CHECK_INT(store_evidence_add(s, "tested", "log-1"), 0);
	CHECK_INT(store_config_decided(s, "plain", &d), 0);
	CHECK(!d);
	CHECK_INT(store_config_decided(s, "gone", &d), 0);
	CHECK(d);
	d = false;
	CHECK_INT(store_config_decided(s, "tested", &d), 0);
	CHECK(d);
	CHECK_INT(store_config_decided(s, "nope", &d), -ENOENT);
	store_close(s);
	free(loc);
}

/* Pushes "id" of each row a change walk hands over. */
static int push_id(void *userdata, const char *id, const char *doc)
{
	(void)doc;
	cv_strv_push((struct cv_strv *)userdata, cv_xstrdup(id));
	return 0;
}

static char *changes(struct store *s, int64_t since, bool products)
{
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_catalog_changes(s, since, products ? NULL : push_id, products ? push_id : NULL, &v), 0);
	return joined(&v, false);
}

/*
 * store_catalog_changes(): the rows written after a generation, each
 * stamped with the generation its write bumped to (store.h); one bump
 * stamps many rows written with store_config_write().
 */
static void catalog_changes(void)
{
	char *loc = new_location("changes");
	struct store *s = open_db(loc);
	struct store_product_row p = { .id = "hyperv2008", .kind = "hypervisor", .vendor = "Microsoft",
				       .product = "Windows Server 2008 Hyper-V", .version = "2008", .doc = "{}" };
	struct store_config_row c = { .id = "c", .status = "validated", .guest_os = "rhel", .guest_vendor = "Red Hat",
				      .guest_product = "RHEL", .guest_version = "5", .hv_ids = "microsoft",
				      .hv_vendor = "Microsoft", .hv_product = "Hyper-V", .hv_version = "2008",
				      .doc = "{}" };
	int64_t g0 = -1, g1 = -1, g2 = -1, g3 = -1, now = -1;
	char *got;

	CHECK_INT(store_catalog_generation(s, &g0), 0);
	put_config(s, "a", "validated", "rhel", "Red Hat", "RHEL", "microsoft", "Microsoft", "Hyper-V", "", "{}");
	put_config(s, "b", "validated", "rhel", "Red Hat", "RHEL", "kvm", "Red Hat", "KVM", "", "{}");
	CHECK_INT(store_catalog_generation(s, &g1), 0);
	CHECK_INT(g1, g0 + 2); /* one bump a put */
	got = changes(s, g0, false);
	CHECK_STR(got, "a,b");
	free(got);
	got = changes(s, g0 + 1, false);
	CHECK_STR(got, "b");
	free(got);
	got = changes(s, g1, false);
	CHECK_STR(got, "");
	free(got);
	/* One bump, three rows: all stamped with it; a replaced row moves. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_catalog_bump(s, &g2), 0);
	CHECK_INT(g2, g1 + 1);
	CHECK_INT(store_config_write(s, &c, g2, NULL), 0);
	c.id = "a";
	CHECK_INT(store_config_write(s, &c, g2, NULL), 0);
	CHECK_INT(store_product_write(s, &p, g2, NULL), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_catalog_generation(s, &now), 0);
	CHECK_INT(now, g2); /* writes without a bump do not bump */
	got = changes(s, g1, false);
	CHECK_STR(got, "a,c");
	free(got);
	got = changes(s, g1, true);
	CHECK_STR(got, "hyperv2008");
	free(got);
	got = changes(s, g2, true);
	CHECK_STR(got, "");
	free(got);
	/* A vendor's admission bumps with no row: nothing to load. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "red-hat", "Red Hat"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_catalog_generation(s, &g3), 0);
	CHECK_INT(g3, g2 + 1);
	got = changes(s, g2, false);
	CHECK_STR(got, "");
	free(got);
	store_close(s);
	free(loc);
}

/*
 * ---- conformance: configuration queries against a naive recount ----
 *
 * Forty configurations over a few guests, hypervisors, statuses and
 * validators, written out of id order and some replaced (their groups,
 * status and validators changing), then every filter of store.h's
 * struct store_query, alone and together, checked three ways: the list
 * in id order, the count, and a walk by key (after, three a page) and by
 * offset, each equal to what the contract's words give when applied to
 * each row here in C (ASCII data: lower() folds A-Z on both engines).
 */

struct cq_row {
	char id[16], doc[80];
	const char *status, *guest_os, *guest_vendor, *guest_product, *hv_ids, *hv_vendor, *hv_product, *validated_by;
};

static const char *const cq_guest[][3] = {
	{ "rhel", "Red Hat", "Red Hat Enterprise Linux" },
	{ "win2k8", "Microsoft", "Windows Server 2008" },
	{ "sles11", "SUSE", "SUSE Linux Enterprise Server" },
	{ "acmeos", "Acme Corp", "AcmeOS Linux" },
};
static const char *const cq_hv[][3] = {
	{ "hyperv2008 hyperv2008r2", "Microsoft", "Windows Server 2008 Hyper-V" },
	{ "kvm", "Red Hat", "RHEL KVM" },
	{ "esxi5", "VMware", "vSphere ESXi" },
	{ "xen kvm", "Citrix", "XenServer" },
};
static const char *const cq_status[] = { "validated", "supported", "withdrawn", "revoked" };
static const char *const cq_validators[] = { "", "Red Hat", "Red Hat\nMicrosoft", "Acme Corp", "VMware\n", "SUSE\nAcme Corp" };

#define CQ_N 40

static void cq_fill(struct cq_row *row, int i, int variant)
{
	int k = i + variant * 3;

	snprintf(row->id, sizeof(row->id), "c%02d", i);
	snprintf(row->doc, sizeof(row->doc), "{\"id\":\"%s\",\"n\":\"Word%d\"}", row->id, (i + variant) % 7);
	row->status = cq_status[(k / 2) % 4];
	row->guest_os = cq_guest[k % 4][0];
	row->guest_vendor = cq_guest[k % 4][1];
	row->guest_product = cq_guest[k % 4][2];
	row->hv_ids = cq_hv[(k / 3) % 4][0];
	row->hv_vendor = cq_hv[(k / 3) % 4][1];
	row->hv_product = cq_hv[(k / 3) % 4][2];
	row->validated_by = cq_validators[k % 6];
}

static char *cq_lower(const char *s, bool dashes)
{
	char *r = cv_xstrdup(s);

	for (char *c = r; *c; c++)
		*c = dashes && *c == ' ' ? '-' : *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
	return r;
}

/* haystack contains pre + needle + post (pre and post: separators around both). */
static bool cq_has(const char *hay, const char *needle, const char *sep)
{
	char *h = cv_xasprintf("%s%s%s", sep, hay, sep), *n = cv_xasprintf("%s%s%s", sep, needle, sep);
	bool r = strstr(h, n) != NULL;

	free(h);
	free(n);
	return r;
}

/* store.h's words for struct store_query, one row at a time. */
static bool cq_match(const struct cq_row *row, const struct store_query *q)
{
	bool ok = true;

	if (q->guest) {
		char *g = cq_lower(q->guest, false), *p = cq_lower(row->guest_product, false);

		ok = ok && (strcmp(row->guest_os, g) == 0 || strstr(p, g));
		free(g);
		free(p);
	}
	if (q->hypervisor) {
		char *h = cq_lower(q->hypervisor, false), *p = cq_lower(row->hv_product, false);

		ok = ok && (cq_has(row->hv_ids, h, " ") || strstr(p, h));
		free(h);
		free(p);
	}
	if (q->vendor) {
		char *v = cq_lower(q->vendor, false), *vs = cq_lower(q->vendor, true);
		char *gv = cq_lower(row->guest_vendor, false), *gvs = cq_lower(row->guest_vendor, true);
		char *hv = cq_lower(row->hv_vendor, false), *hvs = cq_lower(row->hv_vendor, true);
		char *vb = cq_lower(row->validated_by, true);

		ok = ok && (!strcmp(v, gv) || !strcmp(v, gvs) || !strcmp(v, hv) || !strcmp(v, hvs) || cq_has(vb, vs, "\n"));
		free(v), free(vs), free(gv), free(gvs), free(hv), free(hvs), free(vb);
	}
	if (q->status)
		ok = ok && cq_has(q->status, row->status, ",");
	if (q->text) {
		char *t = cq_lower(q->text, false), *d = cq_lower(row->doc, false);

		ok = ok && strstr(d, t);
		free(t);
		free(d);
	}
	if (q->after)
		ok = ok && strcmp(row->id, q->after) > 0;
	return ok;
}

static void config_queries(void)
{
	char *loc = new_location("queries");
	struct store *s = open_db(loc);
	static struct cq_row rows[CQ_N];
	static const struct store_query qs[] = {
		{ 0 },
		{ .guest = "rhel" }, { .guest = "RHEL" }, { .guest = "linux" }, { .guest = "Enterprise" },
		{ .guest = "win" }, { .guest = "rhel5" }, { .guest = "acmeos" },
		{ .hypervisor = "kvm" }, { .hypervisor = "hyperv2008r2" }, { .hypervisor = "hyper-v" },
		{ .hypervisor = "xen" }, { .hypervisor = "esx" }, { .hypervisor = "hyperv" }, { .hypervisor = "KVM" },
		{ .vendor = "Red Hat" }, { .vendor = "red-hat" }, { .vendor = "microsoft" }, { .vendor = "acme-corp" },
		{ .vendor = "Acme Corp" }, { .vendor = "acme" }, { .vendor = "vmware" }, { .vendor = "suse" },
		{ .vendor = "citrix" }, { .vendor = "" }, { .vendor = "Red Hat\nMicrosoft" }, { .vendor = "nobody" },
		{ .status = "validated" }, { .status = "validated,revoked" }, { .status = "valid" },
		{ .status = "supported,withdrawn,revoked,validated" },
		{ .status = "a,b,c,d,e,f,g,h,withdrawn" }, /* more items than the IN list takes */
		{ .text = "word1" }, { .text = "WORD" }, { .text = "\"id\":\"c1" },
		{ .guest = "linux", .status = "validated,supported" }, { .vendor = "red-hat", .hypervisor = "kvm" },
		{ .vendor = "acme-corp", .guest = "linux", .status = "revoked,withdrawn" },
		{ .hypervisor = "xen", .text = "word3" }, { .guest = "rhel", .hypervisor = "hyper-v", .vendor = "microsoft" },
		{ .after = "c17" }, { .after = "c17x" }, { .after = "c39" }, { .after = "" }, { .after = "b" },
		{ .guest = "linux", .after = "c20" }, { .vendor = "red-hat", .status = "validated", .after = "c05" },
	};

	/* Written out of id order; then every fifth replaced, changing
	 * its groups, status and validators. */
	CHECK_INT(store_begin(s), 0);
	for (int j = 0; j < CQ_N; j++) {
		int i = (j * 7) % CQ_N;
		struct store_config_row c = { 0 };
		bool replaced = true;

		cq_fill(&rows[i], i, 0);
		c = (struct store_config_row){ .id = rows[i].id, .status = rows[i].status, .guest_os = rows[i].guest_os,
					       .guest_vendor = rows[i].guest_vendor, .guest_product = rows[i].guest_product,
					       .guest_version = "1", .hv_ids = rows[i].hv_ids, .hv_vendor = rows[i].hv_vendor,
					       .hv_product = rows[i].hv_product, .hv_version = "1",
					       .validated_by = rows[i].validated_by, .doc = rows[i].doc };
		CHECK_INT(store_config_put(s, &c, &replaced), 0);
		CHECK(!replaced);
	}
	for (int i = 0; i < CQ_N; i += 5) {
		struct store_config_row c;
		bool replaced = false;

		cq_fill(&rows[i], i, 1);
		c = (struct store_config_row){ .id = rows[i].id, .status = rows[i].status, .guest_os = rows[i].guest_os,
					       .guest_vendor = rows[i].guest_vendor, .guest_product = rows[i].guest_product,
					       .guest_version = "2", .hv_ids = rows[i].hv_ids, .hv_vendor = rows[i].hv_vendor,
					       .hv_product = rows[i].hv_product, .hv_version = "2",
					       .validated_by = rows[i].validated_by, .doc = rows[i].doc };
		CHECK_INT(store_config_put(s, &c, &replaced), 0);
		CHECK(replaced);
	}
	CHECK_INT(store_commit(s), 0);

	for (size_t k = 0; k < CV_ELEMENTSOF(qs); k++) {
		struct store_query q = qs[k];
		struct cv_strv want, got;
		char *w, *g;
		int64_t n = -1, n_want = 0;

		cv_strv_init(&want);
		cv_strv_init(&got);
		for (int i = 0; i < CQ_N; i++) /* rows[] is in id order */
			if (cq_match(&rows[i], &q)) {
				cv_strv_push(&want, rows[i].id);
				n_want++;
			}
		w = joined(&want, false);
		/* The list, in id order. */
		CHECK_INT(store_config_list(s, &q, push_doc, &got), 0);
		g = joined(&got, false);
		if (strcmp(g, w) != 0)
			tap_fail(__FILE__, __LINE__, "query %zu: got %s, want %s", k, g, w);
		free(g);
		/* The count (which ignores after: the rows before it count too). */
		{
			struct store_query c = q;
			int64_t n_all = 0;

			c.after = NULL;
			for (int i = 0; i < CQ_N; i++)
				n_all += cq_match(&rows[i], &c);
			CHECK_INT(store_config_count(s, &q, &n), 0);
			if (n != n_all)
				tap_fail(__FILE__, __LINE__, "query %zu: count %lld, want %lld", k, (long long)n,
					 (long long)n_all);
		}
		/* By key, three a page: every page follows the last one's last id. */
		{
			struct store_query p = q;
			char *last = NULL;

			p.limit = 3;
			for (int pages = 0; pages <= CQ_N; pages++) {
				size_t before = got.n;

				CHECK_INT(store_config_list(s, &p, push_doc, &got), 0);
				if (got.n == before)
					break;
				free(last);
				last = cv_xstrdup(got.v[got.n - 1]);
				p.after = last;
				if (got.n - before < 3)
					break;
			}
			free(last);
			g = joined(&got, false);
			if (strcmp(g, w) != 0)
				tap_fail(__FILE__, __LINE__, "query %zu by key: got %s, want %s", k, g, w);
			free(g);
		}
		/* By offset, four a page. */
		{
			struct store_query p = q;

			p.limit = 4;
			for (p.offset = 0; p.offset <= n_want; p.offset += 4)
				CHECK_INT(store_config_list(s, &p, push_doc, &got), 0);
			g = joined(&got, false);
			if (strcmp(g, w) != 0)
				tap_fail(__FILE__, __LINE__, "query %zu by offset: got %s, want %s", k, g, w);
			free(g);
		}
		free(w);
	}
	/* Every configuration's count follows writes: another connection's,
	 * and inside a transaction its own, rolled back or not. */
	{
		struct store *o = open_db(loc);
		int64_t n = -1;

		CHECK_INT(store_config_count(s, NULL, &n), 0);
		CHECK_INT(n, CQ_N);
		put_config(o, "c99", "validated", "rhel", "Red Hat", "RHEL", "kvm", "Red Hat", "KVM", "", "{}");
		CHECK_INT(store_config_count(s, NULL, &n), 0);
		CHECK_INT(n, CQ_N + 1);
		CHECK_INT(store_begin(s), 0);
		put_config(s, "c98", "validated", "rhel", "Red Hat", "RHEL", "kvm", "Red Hat", "KVM", "", "{}");
		CHECK_INT(store_config_count(s, NULL, &n), 0);
		CHECK_INT(n, CQ_N + 2);
		store_rollback(s);
		CHECK_INT(store_config_count(s, NULL, &n), 0);
		CHECK_INT(n, CQ_N + 1);
		CHECK_INT(store_config_count(o, NULL, &n), 0);
		CHECK_INT(n, CQ_N + 1);
		store_close(o);
	}
	store_close(s);
	free(loc);
}

/*
 * A configuration's guest and hypervisor groups are rows the filters read
 * (store-catalog.c); a connection skips writing a group it has written
 * before.  One written in a transaction rolled back is not there: the next
 * configuration of that group must write it again, or the filters miss it.
 */
static void groups_after_a_rollback(void)
{
	char *loc = new_location("groups");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	put_config(s, "gone", "validated", "sles", "SUSE", "SLES", "xen", "Citrix", "XenServer", "", "{}");
	CHECK_INT(store_rollback(s), 0);
	put_config(s, "kept", "validated", "sles", "SUSE", "SLES", "xen", "Citrix", "XenServer", "", "{}");
	/* A savepoint rolled back inside a transaction kept. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_begin(s), 0);
	put_config(s, "inner", "validated", "ol", "Oracle", "Oracle Linux", "kvm", "Oracle", "OLVM", "", "{}");
	CHECK_INT(store_rollback(s), 0);
	put_config(s, "outer", "validated", "ol", "Oracle", "Oracle Linux", "kvm", "Oracle", "OLVM", "", "{}");
	CHECK_INT(store_commit(s), 0);
	CHECK_CONFIGS(s, "kept", .guest = "sles");
	CHECK_CONFIGS(s, "kept", .hypervisor = "xenserver");
	CHECK_CONFIGS(s, "outer", .guest = "oracle linux");
	CHECK_CONFIGS(s, "outer", .hypervisor = "olvm");
	store_close(s);
	free(loc);
}

#define BOTH(X) X(catalog) X(config_decided) X(config_queries) X(catalog_changes) X(groups_after_a_rollback)
SUITE_MAIN(BOTH)
