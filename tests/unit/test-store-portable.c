/*
 * test-store-portable.c - the store's conformance suite (issue 15): SQLite
 * only: the seam between the queries and the engines: no spelling only one
 * engine knows in a shared query file (store-internal.h, "Portable SQL"),
 * and what the SQLite backend supplies in its place behaves as SQLite's
 * own (sqlite.org/lang_corefunc.html#instr,
 * sqlite.org/lang_datefunc.html).
 */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "store/store-internal.h"
#include "tap.h"

/* ---- SQLite only: the seam, portable SQL in the shared query files ---- */

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
	char *loc = new_location("p");
	struct store *s = open_db(loc);

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
	free(loc);
}

/* db_now() writes what strftime('%Y-%m-%dT%H:%M:%SZ', 'now') wrote before it. */
TEST(db_now_is_what_strftime_wrote)
{
	char *loc = new_location("n");
	struct store *s = open_db(loc);
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
	free(loc);
}

int main(int argc, char **argv)
{
	static const struct tap_test sqlite[] = {
		TAP_E1(shared_sql_is_portable),
		TAP_E1(the_portability_scan_finds_what_it_must),
		TAP_E1(strpos_is_sqlites_instr),
		TAP_E1(db_now_is_what_strftime_wrote),
	};

	return suite_run(argc, argv, sqlite, CV_ELEMENTSOF(sqlite), NULL, 0);
}
