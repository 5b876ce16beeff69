/*
 * cmd-admin-db.c - `covalid admin backup` and `covalid admin migrate`:
 * the owner's operations on the database itself, run where it is (like
 * `admin bootstrap`), not through the server (docs/deploy.md).
 */
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-program/program-cli.h"
#include "cli/cli-config.h"
#include "cli/cli.h"
#include "covalid/store.h"
#include "util/cv.h"

struct db_opts {
	const char *db, *from, *to;
	bool force;
};

static int parse(const char *cmd, int argc, char **argv, struct db_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'F': o->from = optarg; break;
		case 'T': o->to = optarg; break;
		case 'f': o->force = true; break;
		default: return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return CLI_OK;
}

/* The location rule every command follows (cli/cli-config.h). */
static int location(const char *db, char **ret)
{
	const char *rule = NULL;

	return cli_db_location(db, ret, &rule);
}

/*
 * A location as it may be shown: a PostgreSQL URI's password (in
 * user:password@ or a password= parameter) replaced by ***, since what is
 * printed ends up in terminals' scrollback and logs.
 */
static char *shown(const char *loc)
{
	struct cv_buf b;
	const char *p = strstr(loc, "://"), *auth_end, *at = NULL, *colon = NULL, *q;
	int r = 0;

	if (strcmp(store_backend_of(loc), "postgresql") != 0 || !p)
		return cv_xstrdup(loc);
	p += 3;
	auth_end = p + strcspn(p, "/?");
	for (q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at)
		colon = memchr(p, ':', (size_t)(at - p));
	cv_buf_init(&b, SIZE_MAX / 2);
	if (colon) {
		r = cv_buf_append(&b, loc, (size_t)(colon + 1 - loc));
		if (r == 0)
			r = cv_buf_puts(&b, "***");
		p = at;
	} else
		p = loc;
	/* The rest, with any password= parameter's value hidden. */
	while (r == 0 && *p) {
		const char *pw = strstr(p, "password=");
		bool param = pw && pw > loc && (pw[-1] == '?' || pw[-1] == '&');

		if (!pw) {
			r = cv_buf_puts(&b, p);
			break;
		}
		pw += strlen("password=");
		r = cv_buf_append(&b, p, (size_t)(pw - p));
		p = pw;
		if (r == 0 && param) {
			r = cv_buf_puts(&b, "***");
			p = pw + strcspn(pw, "&");
		}
	}
	if (r < 0)
		abort(); /* out of memory, as cv_x* functions do */
	return cv_buf_detach(&b, NULL);
}

static int exit_for(int r)
{
	return r == -ENOMEM || r == -EIO || r == -ENOSPC ? CLI_INTERNAL : CLI_USAGE;
}

static int open_existing(const char *loc, struct store **ret)
{
	char *err = NULL, *show;
	int r = store_open_existing(loc, ret, &err);

	if (r < 0) {
		show = shown(loc);
		cli_error(show, "%s", err && *err ? err : strerror(-r));
		free(show);
		free(err);
		return exit_for(r);
	}
	return CLI_OK;
}

int cmd_admin_backup(int argc, char **argv)
{
	struct db_opts o = { 0 };
	struct store *s = NULL;
	char *loc = NULL, *err = NULL, *show = NULL;
	const char *dest;
	struct stat st;
	int r;

	r = parse("admin backup", argc, argv, &o);
	if (r)
		return r;
	if (optind + 1 != argc)
		return cli_usage("admin backup", "one destination file, please (covalid admin backup DEST)");
	dest = argv[optind];
	r = location(o.db, &loc);
	if (r)
		return r;
	show = shown(loc);
	/* PostgreSQL has its tools, which know its snapshots, roles and
	 * large objects: covalid names them rather than mimic them. */
	if (strcmp(store_backend_of(loc), "sqlite") != 0) {
		cli_error("admin backup",
			  "%s is a PostgreSQL database: back it up with PostgreSQL's own tools, e.g.\n"
			  "  pg_dump --format=custom --file='%s' --dbname='%s'\n"
			  "(restore with pg_restore --dbname=...; pg_basebackup for a copy of the whole cluster;"
			  " see docs/deploy.md)",
			  show, dest, show);
		r = CLI_USAGE;
		goto out;
	}
	if (!o.force && stat(dest, &st) == 0) {
		cli_error(dest, "exists; not overwriting it (use --force)");
		r = CLI_USAGE;
		goto out;
	}
	r = open_existing(loc, &s);
	if (r)
		goto out;
	r = store_backup(s, dest, &err);
	if (r < 0) {
		cli_error("admin backup", "%s", err ? err : strerror(-r));
		r = exit_for(r);
		goto out;
	}
	if (stat(dest, &st) == 0)
		printf("backup of %s written to %s (%lld bytes)\n", show, dest, (long long)st.st_size);
	r = CLI_OK;
out:
	store_close(s);
	free(err);
	free(show);
	free(loc);
	return r;
}

static void print_checks(const struct store_copy_check *c, size_t n)
{
	printf("%-24s %12s %12s  %-16s  %s\n", "table", "source rows", "dest rows", "digest", "");
	for (size_t i = 0; i < n; i++) {
		bool same = c[i].source_rows == c[i].dest_rows && strcmp(c[i].source_digest, c[i].dest_digest) == 0;

		if (same)
			printf("%-24s %12lld %12lld  %.16s  ok\n", c[i].table, (long long)c[i].source_rows,
			       (long long)c[i].dest_rows, c[i].source_digest);
		else
			printf("%-24s %12lld %12lld  %.16s  DIFFERS (destination %.16s)\n", c[i].table,
			       (long long)c[i].source_rows, (long long)c[i].dest_rows, c[i].source_digest,
			       c[i].dest_digest);
	}
}

/* An SQLite file this command made, removed again when nothing went in. */
static void remove_made(const char *loc)
{
	char *p;

	if (strcmp(store_backend_of(loc), "sqlite") != 0)
		return;
	if (cv_startswith(loc, "sqlite:"))
		loc += strlen("sqlite:");
	unlink(loc);
	p = cv_xasprintf("%s-wal", loc);
	unlink(p);
	free(p);
	p = cv_xasprintf("%s-shm", loc);
	unlink(p);
	free(p);
}

int cmd_admin_migrate(int argc, char **argv)
{
	struct db_opts o = { 0 };
	struct store *src = NULL, *dst = NULL;
	struct store_copy_check *checks = NULL;
	char *err = NULL, *id_src = NULL, *id_dst = NULL, *show_from = NULL, *show_to = NULL;
	bool made = false;
	int64_t rows = 0;
	size_t n = 0;
	struct stat st;
	int r;

	r = parse("admin migrate", argc, argv, &o);
	if (r)
		return r;
	if (!o.from || !o.to || optind != argc)
		return cli_usage("admin migrate", "covalid admin migrate --from LOCATION --to LOCATION");
	show_from = shown(o.from);
	show_to = shown(o.to);
	r = open_existing(o.from, &src);
	if (r)
		goto out;
	{
		const char *path = cv_startswith(o.to, "sqlite:") ? o.to + strlen("sqlite:") : o.to;

		made = strcmp(store_backend_of(o.to), "sqlite") == 0 && stat(path, &st) < 0 && errno == ENOENT;
	}
	r = store_open(o.to, &dst, &err);
	if (r < 0) {
		cli_error(show_to, "%s", err && *err ? err : strerror(-r));
		r = exit_for(r);
		goto out;
	}
	id_src = store_identity(src);
	id_dst = store_identity(dst);
	if (id_src && id_dst && strcmp(id_src, id_dst) == 0) {
		cli_error("admin migrate", "%s and %s are the same database", show_from, show_to);
		r = CLI_USAGE;
		goto out;
	}
	r = store_copy(src, dst, &checks, &n, &err);
	if (checks)
		print_checks(checks, n);
	if (r < 0) {
		cli_error("admin migrate", "%s", err ? err : strerror(-r));
		r = r == -EBADE ? CLI_NO : exit_for(r);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		rows += checks[i].dest_rows;
	printf("migrated %lld rows in %zu tables from %s to %s: counts and digests match\n", (long long)rows, n,
	       show_from, show_to);
	r = CLI_OK;
	made = false;
out:
	store_close(src);
	store_close(dst);
	if (made && r != CLI_OK)
		remove_made(o.to);
	free(checks);
	free(err);
	free(id_src);
	free(id_dst);
	free(show_from);
	free(show_to);
	return r;
}
