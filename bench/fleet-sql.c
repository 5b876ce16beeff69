/*
 * fleet-sql.c - the peer bench/fleet.sh measures `covalid check --fleet`
 * against: the straightforward SQL approach, one indexed SQLite query per
 * descriptor through the sqlite3 library.
 *
 *   fleet-sql [--major] [--verdicts FILE] CATALOG.db FLEET.jsonl
 *
 * It reads the same catalog (a covalid database) and the same fleet, and
 * reduces descriptors to keys with the same code as covalid, so that only
 * the matching differs: here every configuration is a row of an in-memory
 * table clustered on (guest OS, hypervisor, version low end) (a WITHOUT
 * ROWID table, so the range scan reads rows in order), and each
 * descriptor is one prepared, reused SELECT whose WHERE clause states the
 * same rules as check_score() (docs/check.md).
 *
 * Two tables, two peers.  The naive one (the default) is clustered on
 * (os, hv, lo): "lo <= version" bounds the scan on one side only, so a
 * query reads every row of the pair below the version.  The tight one
 * (--major) adds the version's major to the key: a row whose interval lies
 * within one major (every statement but "N+" floors with no ceiling and
 * "unspecified") is filed under that major, the others under -1, and the
 * query reads "major IN (the version's major, -1)": only rows that can
 * contain the version, as an index built for this question would.
 *
 * It prints the verdict counts and the match-phase time; with --verdicts,
 * each descriptor's verdict too ("LINE VERDICT", lines numbered from 1 as
 * covalid's records name them), which bench/fleet.sh compares line by line
 * with covalid's.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include "check/check-internal.h"
#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/store.h"
#include "covalid/version.h"
#include "util/cv.h"

/* Unsigned to signed, order kept: SQLite integers are signed. */
static int64_t s64(uint64_t v)
{
	return (int64_t)(v ^ 0x8000000000000000ull);
}

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "fleet-sql: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
	exit(1);
}

int main(int argc, char **argv)
{
	struct store *s = NULL;
	struct catalog *cat = NULL;
	struct check_index *ix = NULL;
	struct check_key *keys = NULL;
	size_t n = 0, alloc = 0, counts[CHECK_VERDICT__MAX] = { 0 };
	sqlite3 *db;
	sqlite3_stmt *ins, *q;
	char *why = NULL, *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	uint64_t t0, t1;
	struct rusage ru;

	bool major_key = false;
	const char *verdicts_path = NULL;
	FILE *vout = NULL;
	size_t *linenos = NULL, lineno = 0;

	while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-') {
		if (strcmp(argv[1], "--major") == 0) {
			major_key = true;
			argv++, argc--;
		} else if (strcmp(argv[1], "--verdicts") == 0 && argc > 2) {
			verdicts_path = argv[2];
			argv += 2, argc -= 2;
		} else {
			break;
		}
	}
	if (argc != 3) {
		fprintf(stderr, "usage: fleet-sql [--major] [--verdicts FILE] CATALOG.db FLEET.jsonl\n");
		return 2;
	}
	if (store_open(argv[1], &s, &why) < 0 || catalog_load(s, CATALOG_LOAD_NO_DOCS, &cat, &why) < 0 ||
	    check_index_build(cat, &ix) < 0) {
		fprintf(stderr, "fleet-sql: %s: %s\n", argv[1], why ? why : "cannot load");
		return 1;
	}
	store_close(s);

	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		die(db, "open");
	if (sqlite3_exec(db,
			 "CREATE TABLE cfg (os INTEGER, hv INTEGER, lo INTEGER, hi INTEGER, any_version INTEGER,"
			 " arch INTEGER, hv_mode INTEGER, b0, b1, b2, b3, b4, b5, b6, b7, hlo INTEGER, hhi INTEGER,"
			 " vcpu_set INTEGER, max_vcpus INTEGER, max_vcpus_gen1 INTEGER, max_mem INTEGER,"
			 " comps INTEGER, status INTEGER, config INTEGER, major INTEGER,"
			 " PRIMARY KEY (os, hv, major, lo, config)) WITHOUT ROWID;"
			 "BEGIN",
			 NULL, NULL, NULL) != SQLITE_OK)
		die(db, "schema");
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO cfg VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
			       " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
			       -1, &ins, NULL) != SQLITE_OK)
		die(db, "prepare insert");
	/* The index's own compiled rows, bucket by bucket: a configuration
	 * with several hypervisor ids is a row in each of its buckets. */
	for (size_t t = 0; t < ix->cap; t++) {
		const struct bucket *bk = ix->tab[t];

		for (size_t j = 0; bk && j < bk->n; j++) {
			const struct ccfg *cc = &bk->v[j];
			int64_t os = bk->os, hv = bk->hv;
			sqlite3_bind_int64(ins, 1, os);
			sqlite3_bind_int64(ins, 2, hv);
			sqlite3_bind_int64(ins, 3, s64(cc->any_version ? 0 : cc->lo));
			sqlite3_bind_int64(ins, 4, s64(cc->any_version ? UINT64_MAX : cc->hi));
			sqlite3_bind_int(ins, 5, cc->any_version);
			sqlite3_bind_int(ins, 6, cc->arch);
			sqlite3_bind_int(ins, 7, cc->hv_mode);
			for (int b = 0; b < CHECK_MAX_BUILDS; b++)
				if (b < cc->n_builds)
					sqlite3_bind_int64(ins, 8 + b, cc->builds[b]);
				else
					sqlite3_bind_null(ins, 8 + b);
			sqlite3_bind_int64(ins, 16, s64(cc->hlo));
			sqlite3_bind_int64(ins, 17, s64(cc->hhi));
			sqlite3_bind_int64(ins, 18, (int64_t)cc->vcpu_set);
			sqlite3_bind_int(ins, 19, cc->max_vcpus);
			sqlite3_bind_int(ins, 20, cc->max_vcpus_gen1);
			sqlite3_bind_int64(ins, 21, cc->max_memory_mib);
			sqlite3_bind_int64(ins, 22, (int64_t)cc->components);
			sqlite3_bind_int(ins, 23, cc->status);
			sqlite3_bind_int64(ins, 24, (int64_t)cc->config);
			/* The naive table files every row under one major (0), so
			 * its key is (os, hv, lo) in effect. */
			sqlite3_bind_int(ins, 25, !major_key ? 0 : !cc->any_version && version_major(cc->lo) == version_major(cc->hi)
									   ? (int)version_major(cc->lo) : -1);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die(db, "insert");
			sqlite3_reset(ins);
		}
	}
	sqlite3_finalize(ins);
	if (sqlite3_exec(db, "COMMIT; ANALYZE;", NULL, NULL, NULL) !=
	    SQLITE_OK)
		die(db, "index");

	/* The same descriptors, reduced with covalid's own code. */
	f = fopen(argv[2], "re");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct descriptor *d;

		lineno++;
		if (len <= 1 || descriptor_parse(line, (size_t)len, DESCRIPTOR_PARSE_NO_EVIDENCE, &d, NULL) < 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			keys = cv_xreallocarray(keys, alloc, sizeof(*keys));
			linenos = cv_xreallocarray(linenos, alloc, sizeof(*linenos));
		}
		linenos[n] = lineno;
		check_key_from_descriptor(ix, d, &keys[n++]);
		descriptor_free(d);
	}
	free(line);
	fclose(f);

	if (sqlite3_prepare_v2(db,
			       "SELECT status FROM cfg WHERE os = ?1 AND hv = ?2 AND lo <= ?3 AND hi >= ?3"
			       " AND (?11 OR any_version)"
			       " AND (arch & ?4) != 0"
			       " AND (hv_mode = 0 OR (hv_mode = 1 AND ?5 IN (b0, b1, b2, b3, b4, b5, b6, b7))"
			       "      OR (hv_mode = 2 AND ?12 AND hlo <= ?6 AND hhi >= ?6))"
			       " AND (CASE WHEN vcpu_set != 0 THEN ?7 BETWEEN 1 AND 64 AND ((vcpu_set >> (?7 - 1)) & 1)"
			       "      WHEN max_vcpus > 0 THEN ?7 BETWEEN 1 AND"
			       "        (CASE WHEN ?9 AND max_vcpus_gen1 > 0 THEN max_vcpus_gen1 ELSE max_vcpus END)"
			       "      ELSE 1 END)"
			       " AND (max_mem <= 0 OR ?8 BETWEEN 1 AND max_mem)"
			       " AND (comps & ~?10) = 0"
			       " AND major IN (?13, -1)",
			       -1, &q, NULL) != SQLITE_OK)
		die(db, "prepare query");

	if (verdicts_path) {
		vout = fopen(verdicts_path, "we");
		if (!vout) {
			perror(verdicts_path);
			return 1;
		}
	}
	/* Each descriptor's verdict, kept for --verdicts outside the timing. */
	uint8_t *vs = cv_xcalloc(n ? n : 1, 1);

	t0 = cv_now_ns();
	for (size_t i = 0; i < n; i++) {
		const struct check_key *k = &keys[i];
		bool excluded = false, validated = false, supportable = false, any = false;
		enum check_verdict v;

		if (k->hv_unknown || k->os_unknown) {
			counts[CHECK_UNKNOWN]++;
			vs[i] = CHECK_UNKNOWN;
			continue;
		}
		sqlite3_bind_int64(q, 1, k->os);
		sqlite3_bind_int64(q, 2, k->hv);
		sqlite3_bind_int64(q, 3, s64(k->have_version ? k->version : 0));
		sqlite3_bind_int(q, 4, k->arch);
		if (k->have_build)
			sqlite3_bind_int64(q, 5, k->build);
		else
			sqlite3_bind_null(q, 5);
		sqlite3_bind_int64(q, 6, s64(k->host_version));
		sqlite3_bind_int(q, 7, k->vcpus);
		sqlite3_bind_int64(q, 8, k->memory_mib);
		sqlite3_bind_int(q, 9, k->bios);
		sqlite3_bind_int64(q, 10, (int64_t)k->components);
		sqlite3_bind_int(q, 11, k->have_version);
		sqlite3_bind_int(q, 12, k->have_host_version);
		/* The naive table has every row under major 0. */
		sqlite3_bind_int(q, 13, !major_key ? 0 : k->have_version ? (int)version_major(k->version) : -1);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int st = sqlite3_column_int(q, 0);

			any = true;
			if (st == CATALOG_NOT_SUPPORTED)
				excluded = true;
			else if (st == CATALOG_VALIDATED)
				validated = true;
			else if (catalog_status_supportable((enum catalog_status)st))
				supportable = true;
		}
		sqlite3_reset(q);
		v = excluded ? CHECK_NOT_SUPPORTED : validated ? CHECK_VALIDATED : supportable ? CHECK_SUPPORTED
											: CHECK_NOT_VALIDATED;
		(void)any;
		counts[v]++;
		vs[i] = (uint8_t)v;
	}
	t1 = cv_now_ns();
	for (size_t i = 0; vout && i < n; i++)
		fprintf(vout, "%zu %s\n", linenos[i], check_verdict_name((enum check_verdict)vs[i]));
	if (vout && fclose(vout) != 0) {
		perror(verdicts_path);
		return 1;
	}
	free(vs);
	free(linenos);
	getrusage(RUSAGE_SELF, &ru);
	printf("sql%s: descriptors %zu; match %.3f s (%.0f/s); validated %zu supported %zu not-supported %zu "
	       "not-validated %zu unknown %zu; peak RSS %ld MiB\n",
	       major_key ? " (major)" : "", n, (double)(t1 - t0) / 1e9, (double)n / ((double)(t1 - t0) / 1e9), counts[CHECK_VALIDATED],
	       counts[CHECK_SUPPORTED], counts[CHECK_NOT_SUPPORTED], counts[CHECK_NOT_VALIDATED],
	       counts[CHECK_UNKNOWN], ru.ru_maxrss / 1024);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(keys);
	check_index_free(ix);
	catalog_free(cat);
	return 0;
}
