/*
 * cli-store.c - how commands find and open the store: --db, then
 * $COVALID_DB, then the default location (covalid/store.h).
 */
#include "cli/cli.h"
#include "covalid/store.h"
#include "util/cv.h"

int cli_open_store(const char *db, struct store **ret)
{
	char *location = NULL, *err = NULL;
	int r;

	if (!db)
		db = getenv("COVALID_DB");
	if (db && *db)
		location = cv_xstrdup(db);
	else {
		r = store_default_location(&location);
		if (r < 0) {
			cli_error("database", "no --db given and no default location (%s); set HOME or XDG_DATA_HOME",
				  strerror(-r));
			return CLI_USAGE;
		}
	}
	r = store_open(location, ret, &err);
	if (r < 0) {
		cli_error(location, "%s", err && *err ? err : strerror(-r));
		free(err);
		free(location);
		return r == -ENOMEM || r == -EIO || r == -ENOSPC ? CLI_INTERNAL : CLI_USAGE;
	}
	free(location);
	return CLI_OK;
}
