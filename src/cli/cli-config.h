/*
 * cli-config.h - covalid's configuration files and the one rule every
 * command finds its database by (docs/covalid.md, "Files").
 *
 * Two files, both optional: the system's, /etc/covalid/covalid.conf
 * ($COVALID_CONFIG_SYSTEM names another, for tests and packaging), and
 * the user's, $XDG_CONFIG_HOME/covalid/covalid.conf (~/.config/...).  The
 * user's overrides the system's key by key.  Lines are `key = value`;
 * a line whose first non-blank is `#` is a comment; blank lines are
 * ignored.  The keys are long options' names: db, server, token-file.
 * An unknown key or a malformed line is an error naming FILE:LINE.
 *
 * The files are read once per process, on first use; the values live
 * until the process ends.  Not thread-safe: commands call these before
 * they start threads.
 */
#ifndef COVALID_CLI_CONFIG_H
#define COVALID_CLI_CONFIG_H

#include <stdio.h>

/*
 * The value of key (db, server, token-file) from the user's file, else the
 * system's; NULL in *ret_value when neither sets it.  *ret_file (if given)
 * names the file it came from.  Reports a bad file itself ("covalid:
 * FILE:LINE: why") and returns CLI_USAGE; CLI_OK otherwise.
 */
int cli_config_get(const char *key, const char **ret_value, const char **ret_file);

/*
 * Where commands find the database, first found wins: --db (opt), then
 * $COVALID_DB, then db in the user's file, then in the system's, then the
 * default, $XDG_DATA_HOME/covalid/covalid.db.  *ret_location is the
 * caller's to free; *ret_rule says which rule chose it (static or
 * valid for the process).  Reports errors itself; returns an exit code.
 */
int cli_db_location(const char *opt, char **ret_location, const char **ret_rule);

/* `covalid --version --verbose`: the version, the build, the files read
 * and the database location with its rule.  Returns an exit code. */
int cli_version_verbose(FILE *f, const char *program);

#endif
