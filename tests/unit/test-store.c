/*
 * test-store.c - the store's transactions: nesting (a begin inside an
 * open transaction is a savepoint), what each level's commit and rollback
 * keep or undo, the library's own transactions inside a caller's (the
 * server's group commit), and a transaction the engine rolled back under
 * its savepoints (nothing meant to be nested is then written alone).
 *
 * Expected behaviour is SQLite's documented savepoint semantics
 * (sqlite.org/lang_savepoint.html: RELEASE keeps a savepoint's work in
 * the enclosing transaction, ROLLBACK TO undoes it, only the outermost
 * COMMIT is durable) and store.h's contract.
 *
 * And the seam between the queries and the engines: no spelling only one
 * engine knows in a shared query file (store-internal.h, "Portable
 * SQL"), and what the SQLite backend supplies in its place behaves as
 * SQLite's own (sqlite.org/lang_corefunc.html#instr,
 * sqlite.org/lang_datefunc.html).
 */
#include <dirent.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store/store-internal.h"
#include "tap.h"

static struct store *open_db(const char *name)
{
	struct store *s = NULL;
	char *err = NULL, path[4096];

	snprintf(path, sizeof(path), "%s/%s", tap_tmpdir(), name);
	if (store_open(path, &s, &err) < 0) {
		tap_fail(__FILE__, __LINE__, "store_open %s: %s", path, err ? err : "?");
		exit(1);
	}
	return s;
}

static bool has_vendor(struct store *s, const char *id)
{
	return store_vendor_get(s, id, NULL) == 0;
}

/* A second connection: what is durable, not what this one sees in its transaction. */
static bool durable_vendor(const char *db, const char *id)
{
	struct store *o = open_db(db);
	bool there = has_vendor(o, id);

	store_close(o);
	return there;
}

TEST(nested_commits_keep_everything_and_only_the_outer_is_durable)
{
	struct store *s = open_db("a.db");

	CHECK_INT(store_txn_depth(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "outer", "Outer"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_txn_depth(s), 2);
	CHECK_INT(store_vendor_add(s, "inner", "Inner"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_txn_depth(s), 3);
	CHECK_INT(store_vendor_add(s, "innermost", "Innermost"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 1);
	/* Released savepoints are not durable until the outer commit. */
	CHECK(!durable_vendor("a.db", "inner"));
	CHECK(has_vendor(s, "inner"));
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(durable_vendor("a.db", "outer"));
	CHECK(durable_vendor("a.db", "inner"));
	CHECK(durable_vendor("a.db", "innermost"));
	store_close(s);
}

TEST(inner_rollback_undoes_only_its_own_work)
{
	struct store *s = open_db("b.db");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "kept", "Kept"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "undone", "Undone"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "undone-too", "Undone too"), 0);
	CHECK_INT(store_commit(s), 0); /* into "undone"'s level, which is rolled back */
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK(!has_vendor(s, "undone"));
	CHECK(!has_vendor(s, "undone-too"));
	CHECK(has_vendor(s, "kept"));
	/* The same level again: a savepoint rolled back is released, not left behind. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor("b.db", "kept"));
	CHECK(durable_vendor("b.db", "after"));
	CHECK(!durable_vendor("b.db", "undone"));
	CHECK(!durable_vendor("b.db", "undone-too"));
	store_close(s);
}

TEST(outer_rollback_undoes_released_savepoints)
{
	struct store *s = open_db("c.db");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "gone", "Gone"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!has_vendor(s, "gone"));
	CHECK(!durable_vendor("c.db", "gone"));
	/* The writer lock was let go: a new transaction begins. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_rollback(s), 0);
	store_close(s);
}

/* The library's calls own their transactions (src/program/txn.c); inside a
 * caller's they nest, and one that fails takes back only its own. */
TEST(library_calls_nest_in_a_callers_transaction)
{
	struct store *s = open_db("d.db");
	struct program_error e = { 0 };
	char *id = NULL, *tok = NULL, *tid = NULL;

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "First Vendor", "first", &id, &e), 0);
	free(id);
	id = NULL;
	CHECK_INT(store_txn_depth(s), 1);
	/* A duplicate: 409, and the first stays. */
	CHECK(program_vendor_admit(s, "First Vendor", "first", &id, &e) < 0);
	CHECK_INT(e.http, 409);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK_INT(program_token_issue(s, "first", "ci", &tok, &tid, &e), 0);
	/* A call that fails half-way (the vendor does not exist) leaves nothing. */
	CHECK(program_key_revoke(s, "no-such-key", &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK(!durable_vendor("d.db", "first"));
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor("d.db", "first"));
	free(tok);
	free(tid);

	/* And the caller's rollback takes back calls that "committed". */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "Second Vendor", "second", &id, &e), 0);
	free(id);
	CHECK_INT(store_rollback(s), 0);
	CHECK(!durable_vendor("d.db", "second"));
	CHECK(!has_vendor(s, "second"));
	store_close(s);
}

/* A statement that fails inside a savepoint (a full database) is taken back
 * with its savepoint; the transaction around it commits the rest. */
TEST(a_full_database_in_a_savepoint_spares_the_enclosing_work)
{
	struct store *s = open_db("e.db");
	int64_t pages = 0;
	char big[200000], sql[64];
	int r;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "small", "Small"), 0);
	CHECK_INT(db_query(s, "PRAGMA page_count", db_take_int, &pages, NULL), 1); /* stopped at its row */
	CHECK(pages > 0);
	/* The database may not grow: a large row does not fit (SQLITE_FULL). */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages);
	CHECK_INT(db_query(s, sql, NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), 0);
	r = store_vendor_add(s, "big", big);
	CHECK_INT(r, -ENOSPC);
	/* SQLite rolls back the statement, or the whole transaction; either
	 * way nothing of "big" is kept, and what the store says next is true. */
	if (store_rollback(s) == 0) {
		CHECK_INT(store_commit(s), 0);
		CHECK(durable_vendor("e.db", "small"));
	} else {
		CHECK(store_commit(s) < 0);
		store_rollback(s);
		CHECK(!durable_vendor("e.db", "small"));
	}
	CHECK(!durable_vendor("e.db", "big"));
	CHECK_INT(store_txn_depth(s), 0);
	store_close(s);
}

/* The engine rolled the transaction back under its savepoints (as SQLite
 * does after some I/O errors): nesting further, releasing or committing
 * fails, and nothing meant for that transaction is written alone. */
TEST(a_lost_transaction_is_never_continued_in_autocommit)
{
	struct store *s = open_db("f.db");

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "before", "Before"), 0);
	CHECK_INT(store_begin(s), 0);
	/* What the engine does on its own after such an error. */
	CHECK_INT(db_query(s, "ROLLBACK", NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), -EIO);
	CHECK(strstr(store_errmsg(s), "rolled back"));
	CHECK_INT(store_commit(s), -EIO); /* the release */
	CHECK_INT(store_txn_depth(s), 2);
	CHECK_INT(store_rollback(s), -EIO);
	CHECK_INT(store_txn_depth(s), 1);
	/* A savepoint now would have begun a transaction of its own. */
	CHECK_INT(store_begin(s), -EIO);
	CHECK(store_commit(s) < 0);
	store_rollback(s);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!durable_vendor("f.db", "before"));
	/* And the store works on. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor("f.db", "after"));
	store_close(s);
}

/* ---- the seam: portable SQL in the shared query files ---- */

/* The backends: the only files of src/store that may speak one engine's SQL. */
static const char *const backend_files[] = { "store-sqlite.c", "store-pg.c" };

/*
 * Spellings one engine has and the other lacks or reads differently
 * (sqlite.org/lang_corefunc.html, lang_datefunc.html, lang_insert.html,
 * lang_select.html#limitoffset; postgresql.org/docs/current/functions.html).
 * Matched case-insensitively inside the C string literals, where SQL is.
 */
static const char *const engine_only[] = {
	"strftime(", "datetime(", "julianday(", "date('now", "time('now", "'now'", "unixepoch(", "now()",
	"current_timestamp", "instr(", "char(", "chr(", "ifnull(", " glob ", "insert or ", "replace into",
	"autoincrement", "rowid", "pragma", "limit -1", "group_concat(", "string_agg(", "printf(", "typeof(",
	"last_insert_rowid", "changes()", "randomblob(", "ilike", "::", "serial", "sqlite_",
};

/* Known and documented (store-internal.h): file, spelling, until when. */
static const struct {
	const char *file, *spelling;
} known_exceptions[] = {
	{ NULL, NULL }, /* none now: the table stays for the next one, with its reason */
};

static bool is_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backend_files) / sizeof(backend_files[0]); i++)
		if (strcmp(name, backend_files[i]) == 0)
			return true;
	return false;
}

static bool is_known(const char *file, const char *spelling)
{
	for (size_t i = 0; i < sizeof(known_exceptions) / sizeof(known_exceptions[0]); i++)
		if (known_exceptions[i].file && strcmp(file, known_exceptions[i].file) == 0 &&
		    strcmp(spelling, known_exceptions[i].spelling) == 0)
			return true;
	return false;
}

/* The text inside the line's "..." literals, escapes kept as written. */
static void literals_of(const char *line, char *out, size_t size)
{
	bool in = false;
	size_t n = 0;

	for (const char *p = line; *p && n + 1 < size; p++) {
		if (!in && p[0] == '/' && (p[1] == '*' || p[1] == '/'))
			break; /* a comment after the code (its text is not SQL) */
		if (*p == '"') {
			in = !in;
			if (!in)
				out[n++] = ' ';
			continue;
		}
		if (in && *p == '\\' && p[1]) {
			out[n++] = *p++;
			if (n + 1 < size)
				out[n++] = *p;
			continue;
		}
		if (in)
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* Counts the engine-only spellings in name; each a failure of the test when report. */
static int scan_file(const char *dir, const char *name, bool report)
{
	char *path = cv_xasprintf("%s/%s", dir, name), line[4096], sql[4096];
	FILE *f = fopen(path, "r");
	int lineno = 0, found = 0;
	bool in_comment = false;

	if (!f) {
		if (report)
			tap_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
		free(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *code = line;

		lineno++;
		/* Block comments (this file's style): their words are not SQL. */
		if (in_comment) {
			const char *end = strstr(line, "*/");

			if (!end)
				continue;
			in_comment = false;
			code = end + 2;
		} else {
			const char *start = strstr(line, "/*");

			if (start && !strstr(start, "*/") && !memchr(line, '"', (size_t)(start - line))) {
				in_comment = true;
				continue;
			}
		}
		literals_of(code, sql, sizeof(sql));
		for (size_t i = 0; i < sizeof(engine_only) / sizeof(engine_only[0]); i++) {
			size_t len = strlen(engine_only[i]);

			for (const char *p = sql; *p; p++) {
				if (strncasecmp(p, engine_only[i], len) != 0)
					continue;
				if (!is_known(name, engine_only[i])) {
					if (report)
						tap_fail(__FILE__, __LINE__, "%s:%d: \"%s\" is one engine's SQL: it belongs in a backend",
							 path, lineno, engine_only[i]);
					found++;
				}
				break;
			}
		}
	}
	fclose(f);
	free(path);
	return found;
}

TEST(shared_sql_is_portable)
{
	char *dir = cv_xasprintf("%s/src/store", tap_srcdir());
	DIR *dh = opendir(dir);
	struct dirent *de;
	int files = 0;

	CHECK(dh);
	if (!dh) {
		free(dir);
		return;
	}
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);

		if (len < 3 || strcmp(de->d_name + len - 2, ".c") != 0 || is_backend(de->d_name))
			continue;
		files++;
		CHECK_INT(scan_file(dir, de->d_name, true), 0);
	}
	closedir(dh);
	free(dir);
	/* The shared query files were found at all (store.c, store-query.c, ...). */
	CHECK(files >= 2);
}

/* The scanner itself: it sees SQL in literals, not in comments. */
TEST(the_portability_scan_finds_what_it_must)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/store-bad.c", tap_tmpdir());
	f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs("/* strftime() in a comment is fine,\n * and instr( here too */\n"
	      "static const char *q = \"UPDATE t SET at = strftime('%s', 'now')\"; /* instr( */\n"
	      "static const char *r = \"SELECT 1 WHERE x = ?1\";\n"
	      "static const char *u = \"SELECT a FROM b LIMIT -1\";\n",
	      f);
	fclose(f);
	/* strftime( and 'now' on line 3, limit -1 on line 5. */
	CHECK_INT(scan_file(tap_tmpdir(), "store-bad.c", false), 3);
}

struct text_result {
	char *v;
	bool null;
};

static int take_text(struct store *s, struct db_stmt *st, void *userdata)
{
	struct text_result *t = userdata;
	const char *v = db_col(s, st, 0);

	t->null = !v;
	t->v = v ? cv_xstrdup(v) : NULL;
	return 1;
}

static char *sql_text(struct store *s, const char *sql, const char *a, const char *b)
{
	struct text_result t = { 0 };
	int r = db_query(s, sql, take_text, &t, "ss", a, b);

	if (r < 0)
		return cv_xstrdup("error");
	return t.null ? cv_xstrdup("NULL") : t.v;
}

/* strpos() as the SQLite backend supplies it answers what SQLite's instr() does. */
TEST(strpos_is_sqlites_instr)
{
	static const char *const cases[][2] = {
		{ "hello", "llo" }, { "hello", "x" },	{ "hello", "" },  { "", "" },	  { "h\xc3\xa9llo", "llo" },
		{ "a\nb\n", "\nb\n" }, { "abcabc", "c" }, { "ABC", "b" }, { "caf\xc3\xa9", "\xc3\xa9" },
	};
	struct store *s = open_db("p.db");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ours = sql_text(s, "SELECT strpos(?1, ?2)", cases[i][0], cases[i][1]);
		char *theirs = sql_text(s, "SELECT instr(?1, ?2)", cases[i][0], cases[i][1]);

		CHECK_STR(ours, theirs);
		free(ours);
		free(theirs);
	}
	/* Values from SQLite's documentation: characters, not bytes, counted from 1; NULL in, NULL out. */
	{
		char *v = sql_text(s, "SELECT strpos(?1, ?2)", "h\xc3\xa9llo", "llo");

		CHECK_STR(v, "3");
		free(v);
		v = sql_text(s, "SELECT strpos(?1, ?2)", NULL, "a");
		CHECK_STR(v, "NULL");
		free(v);
		v = sql_text(s, "SELECT strpos(?1, ?2)", "a", NULL);
		CHECK_STR(v, "NULL");
		free(v);
	}
	store_close(s);
}

/* db_now() writes what strftime('%Y-%m-%dT%H:%M:%SZ', 'now') wrote before it. */
TEST(db_now_is_what_strftime_wrote)
{
	struct store *s = open_db("n.db");
	char now[DB_NOW_SIZE], *before, *after;
	const char *sql = "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE ?1 IS NULL AND ?2 IS NULL";

	before = sql_text(s, sql, NULL, NULL);
	db_now(now);
	after = sql_text(s, sql, NULL, NULL);
	CHECK_INT((int64_t)strlen(now), 20);
	/* Within the same second as one of the engine's readings around it. */
	CHECK(strcmp(now, before) == 0 || strcmp(now, after) == 0);
	CHECK(strcmp(before, now) <= 0 && strcmp(now, after) <= 0);
	free(before);
	free(after);
	store_close(s);
}

/* ---- the seam: a backend picked by the location (covalid/store.h) ---- */

TEST(a_postgresql_location_is_refused_by_its_backend)
{
	/* libpq's URI schemes (postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS). */
	static const char *const locations[] = { "postgresql://localhost/covalid", "postgres://u@h:5432/db",
						 "postgresql:/typo" };

	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		struct store *s = NULL;
		char *err = NULL;

		CHECK_INT(store_open(locations[i], &s, &err), -EPROTONOSUPPORT);
		CHECK_STR(err, "the PostgreSQL backend is not built into this covalid yet");
		CHECK(!s);
		free(err);
		err = NULL;
		CHECK_INT(store_open_existing(locations[i], &s, &err), -EPROTONOSUPPORT);
		CHECK(err && strstr(err, "PostgreSQL"));
		free(err);
	}
	/* Nothing was made of them as SQLite files (in the tests' working directory). */
	CHECK(access("postgresql:", F_OK) < 0 && access("postgres:", F_OK) < 0);
}

TEST(an_sqlite_location_is_a_path_with_or_without_its_scheme)
{
	char *plain = cv_xasprintf("%s/plain.db", tap_tmpdir());
	char *schemed = cv_xasprintf("sqlite:%s/schemed.db", tap_tmpdir());
	struct store *s = NULL;
	char *err = NULL;

	CHECK_INT(store_open(plain, &s, &err), 0);
	CHECK_INT(store_vendor_add(s, "v", "V"), 0);
	s = store_close(s);
	CHECK_INT(store_open(schemed, &s, &err), 0);
	s = store_close(s);
	/* "sqlite:" is the scheme, not part of the file's name. */
	CHECK(access(schemed + strlen("sqlite:"), F_OK) == 0);
	/* The same file by either spelling. */
	free(schemed);
	schemed = cv_xasprintf("sqlite:%s", plain);
	CHECK_INT(store_open_existing(schemed, &s, &err), 0);
	CHECK(s && has_vendor(s, "v"));
	s = store_close(s);
	CHECK(!err);
	free(plain);
	free(schemed);
}

TAP_MAIN(nested_commits_keep_everything_and_only_the_outer_is_durable, inner_rollback_undoes_only_its_own_work,
	 outer_rollback_undoes_released_savepoints, library_calls_nest_in_a_callers_transaction,
	 a_full_database_in_a_savepoint_spares_the_enclosing_work, a_lost_transaction_is_never_continued_in_autocommit,
	 shared_sql_is_portable, the_portability_scan_finds_what_it_must, strpos_is_sqlites_instr,
	 db_now_is_what_strftime_wrote, a_postgresql_location_is_refused_by_its_backend,
	 an_sqlite_location_is_a_path_with_or_without_its_scheme)
