/*
 * cli-store.c - how commands find and open the store: the location rule
 * of cli-config.h (--db, $COVALID_DB, the configuration files, the
 * default).  Only commands that write may create a database; the others
 * open an existing one or say there is none, and create nothing.
 */
#include <libgen.h>

#include "cli/cli-config.h"
#include "cli/cli.h"
#include "covalid/store.h"
#include "util/cv.h"

int cli_store_make_dir(const char *location, const char *rule)
{
	char *copy;
	int r;

	/* The default's directory, or a configuration file's, is ours to
	 * make (XDG: 0700); one given on the command line is not: a
	 * mistyped --db should fail, not grow a tree. */
	if (strcmp(store_backend_of(location), "sqlite") != 0 || strcmp(rule, "--db") == 0 ||
	    strcmp(rule, "$COVALID_DB") == 0 || strcmp(location, ":memory:") == 0)
		return CLI_OK;
	copy = cv_xstrdup(cv_startswith(location, "sqlite:") ? location + strlen("sqlite:") : location);
	r = cv_mkdir_p(dirname(copy), 0700);
	free(copy);
	if (r < 0) {
		cli_error(location, "cannot make its directory: %s", strerror(-r));
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int open_at(const char *db, bool create, struct store **ret)
{
	const char *rule = NULL;
	char *location = NULL, *err = NULL;
	int r;

	r = cli_db_location(db, &location, &rule);
	if (r)
		return r;
	if (create) {
		r = cli_store_make_dir(location, rule);
		if (r) {
			free(location);
			return r;
		}
	}
	r = create ? store_open(location, ret, &err) : store_open_existing(location, ret, &err);
	if (r == -ENOENT && !create) {
		cli_error(location, "no database here (run 'covalid catalog import' or pass --db; "
				    "'covalid --version --verbose' says why this location)");
		free(err);
		free(location);
		return CLI_USAGE;
	}
	if (r < 0) {
		cli_error(location, "%s", err && *err ? err : strerror(-r));
		free(err);
		free(location);
		return r == -ENOMEM || r == -EIO || r == -ENOSPC ? CLI_INTERNAL : CLI_USAGE;
	}
	free(location);
	return CLI_OK;
}

int cli_open_store(const char *db, struct store **ret)
{
	return open_at(db, false, ret);
}

int cli_create_store(const char *db, struct store **ret)
{
	return open_at(db, true, ret);
}
