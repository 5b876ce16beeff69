/*
 * cli-config.c - the configuration files and the database location rule
 * (cli/cli-config.h).
 */
#include "cli/cli-config.h"
#include "cli/cli.h"
#include "covalid/covalid.h"
#include "covalid/store.h"
#include "util/cv.h"

/* A configuration file is a few lines: anything bigger is not one. */
#define CONFIG_FILE_MAX (64 * 1024)

/* The keys a file may set: the long options they stand for. */
static const char *const config_keys[] = { "db", "server", "token-file" };
#define N_KEYS CV_ELEMENTSOF(config_keys)

struct config_file {
	char *path;  /* NULL: no such file for this user (no HOME) */
	bool found;
	char *values[N_KEYS];
};

/* [0] the system's, [1] the user's: read once (loaded), kept for the process. */
static struct config_file files[2];
static bool loaded;
static int load_result;

static int key_index(const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(config_keys[i], key) == 0)
			return (int)i;
	return -1;
}

static char *system_path(void)
{
	const char *e = getenv("COVALID_CONFIG_SYSTEM");

	return cv_xstrdup(e && *e ? e : "/etc/covalid/covalid.conf");
}

static char *user_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	/* XDG base directories: a relative $XDG_CONFIG_HOME is ignored. */
	if (xdg && *xdg == '/')
		return cv_xasprintf("%s/covalid/covalid.conf", xdg);
	if (home && *home)
		return cv_xasprintf("%s/.config/covalid/covalid.conf", home);
	return NULL;
}

/*
 * A path value: "~/" is the user's home; a relative path is refused, since
 * it would name a different file from every working directory.  URLs
 * (server, a postgresql:// db) are taken as written.
 */
static int path_value(const char *key, const char *value, char **ret, char **ret_why)
{
	const char *home = getenv("HOME");

	if (strcmp(key, "server") == 0 || strstr(value, "://") || cv_startswith(value, "sqlite:/") ||
	    value[0] == '/') {
		*ret = cv_xstrdup(value);
		return 0;
	}
	if (cv_startswith(value, "~/") && home && *home == '/') {
		*ret = cv_xasprintf("%s/%s", home, value + 2);
		return 0;
	}
	*ret_why = cv_xasprintf("%s: '%s' is a relative path (it would depend on the working directory); "
				"write an absolute one or ~/...", key, value);
	return -EINVAL;
}

/* Parses text (a whole file) into f->values; *ret_why is "LINE: why". */
static int parse(struct config_file *f, char *text, size_t len, char **ret_why)
{
	size_t lineno = 0;
	char *line = text, *next;

	if (memchr(text, '\0', len)) {
		*ret_why = cv_xstrdup("1: NUL byte in the file (not a text file)");
		return -EINVAL;
	}
	for (; line && *line; line = next) {
		char *eq, *key, *value, *why = NULL;
		int k;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		key = cv_strstrip(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			*ret_why = cv_xasprintf("%zu: expected 'key = value' (keys: db, server, token-file)", lineno);
			return -EINVAL;
		}
		*eq = '\0';
		key = cv_strstrip(key);
		value = cv_strstrip(eq + 1);
		k = key_index(key);
		if (k < 0) {
			*ret_why = cv_xasprintf("%zu: unknown key '%s' (keys: db, server, token-file)", lineno, key);
			return -EINVAL;
		}
		if (*value == '\0') {
			*ret_why = cv_xasprintf("%zu: %s: no value", lineno, key);
			return -EINVAL;
		}
		if (f->values[k]) {
			*ret_why = cv_xasprintf("%zu: %s: set twice in this file", lineno, key);
			return -EINVAL;
		}
		if (path_value(key, value, &f->values[k], &why) < 0) {
			*ret_why = cv_xasprintf("%zu: %s", lineno, why);
			free(why);
			return -EINVAL;
		}
	}
	return 0;
}

static int load_one(struct config_file *f)
{
	char *text = NULL, *why = NULL;
	size_t len = 0;
	int r;

	if (!f->path)
		return CLI_OK;
	r = cv_read_file(f->path, CONFIG_FILE_MAX, &text, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return CLI_OK; /* no file: nothing set, not an error */
	if (r < 0) {
		cli_error(f->path, "%s", r == -EFBIG || r == -E2BIG ? "too big for a configuration file" : strerror(-r));
		return CLI_USAGE;
	}
	f->found = true;
	r = parse(f, text, len, &why);
	free(text);
	if (r < 0) {
		/* "covalid: FILE:LINE: why", as catalog import reports a file. */
		fprintf(stderr, "covalid: %s:%s\n", f->path, why);
		free(why);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int load(void)
{
	if (loaded)
		return load_result;
	loaded = true;
	files[0].path = system_path();
	files[1].path = user_path();
	load_result = load_one(&files[0]);
	if (load_result == CLI_OK)
		load_result = load_one(&files[1]);
	return load_result;
}

int cli_config_get(const char *key, const char **ret_value, const char **ret_file)
{
	int k = key_index(key), r;

	r = load();
	if (r)
		return r;
	*ret_value = NULL;
	if (k < 0)
		return CLI_OK;
	/* The user's file first: it overrides the system's key by key. */
	for (int i = 1; i >= 0; i--) {
		if (files[i].values[k]) {
			*ret_value = files[i].values[k];
			if (ret_file)
				*ret_file = files[i].path;
			return CLI_OK;
		}
	}
	return CLI_OK;
}

int cli_db_location(const char *opt, char **ret_location, const char **ret_rule)
{
	static char *rule;
	const char *env = getenv("COVALID_DB"), *value = NULL, *file = NULL;
	char *loc = NULL;
	int r;

	if (opt && *opt) {
		*ret_location = cv_xstrdup(opt);
		*ret_rule = "--db";
		return CLI_OK;
	}
	if (env && *env) {
		*ret_location = cv_xstrdup(env);
		*ret_rule = "$COVALID_DB";
		return CLI_OK;
	}
	r = cli_config_get("db", &value, &file);
	if (r)
		return r;
	if (value) {
		free(rule);
		rule = cv_xasprintf("db in %s", file);
		*ret_location = cv_xstrdup(value);
		*ret_rule = rule;
		return CLI_OK;
	}
	r = store_default_location(&loc);
	if (r < 0) {
		cli_error("database", "no --db given and no default location (%s); set HOME or XDG_DATA_HOME",
			  strerror(-r));
		return CLI_USAGE;
	}
	*ret_location = loc;
	*ret_rule = "the default ($XDG_DATA_HOME/covalid/covalid.db, ~/.local/share/covalid/covalid.db)";
	return CLI_OK;
}

int cli_version_verbose(FILE *f, const char *program)
{
	const char *rule = NULL;
	char *loc = NULL, *libs;
	int r;

	fprintf(f, "%s %s\n", program, COVALID_VERSION);
	libs = store_library_versions();
	fprintf(f, "build:      %s %s, %s%s\n",
#if defined(__clang__)
		"clang",
#else
		"gcc",
#endif
		__VERSION__, libs,
#if defined(__SANITIZE_ADDRESS__)
		", AddressSanitizer"
#else
		""
#endif
	);
	free(libs);
	r = load();
	for (int i = 0; i < 2; i++) {
		const char *what = i == 0 ? "system" : "user";

		if (!files[i].path)
			fprintf(f, "config:     (no %s file: neither XDG_CONFIG_HOME nor HOME is set)\n", what);
		else
			fprintf(f, "config:     %s (%s, %s)\n", files[i].path, what,
				files[i].found ? "read" : "not found");
	}
	if (r)
		return r;
	r = cli_db_location(NULL, &loc, &rule);
	if (r)
		return r;
	/* The location as every command without --db would use it; a
	 * PostgreSQL URI's password is not shown. */
	if (strcmp(store_backend_of(loc), "postgresql") == 0 && (strstr(loc, "password=") || strchr(loc, '@')))
		fprintf(f, "database:   %s\n", "(a PostgreSQL URI with credentials, not shown)");
	else
		fprintf(f, "database:   %s\n", loc);
	fprintf(f, "  chosen by %s\n", rule);
	fprintf(f, "  (the rule: --db, then $COVALID_DB, then db in the user's file, then in the system's, then the "
		   "default)\n");
	free(loc);
	return CLI_OK;
}
