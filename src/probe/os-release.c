/*
 * os-release.c - os-release and legacy release files (see os-release.h).
 *
 * The os-release grammar is the one systemd's parse_env_file() accepts
 * (os-release(5)): KEY=VALUE, VALUE optionally in double or single
 * quotes, backslash escapes \" \\ \$ \` inside double quotes, '#' comments.
 */
#include <ctype.h>

#include "probe/os-release.h"
#include "util/cv.h"

void os_release_init(struct os_release *o)
{
	memset(o, 0, sizeof(*o));
}

void os_release_release(struct os_release *o)
{
	free(o->id);
	free(o->version_id);
	free(o->name);
	free(o->pretty);
	free(o->id_like);
	os_release_init(o);
}

static void set(char **field, const char *v, size_t n)
{
	free(*field);
	*field = cv_str_sanitize(v, n, OS_RELEASE_VALUE_MAX - 1);
}

/* Unquotes one value into out (at most cap bytes); returns its length. */
static size_t unquote(const char *v, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	char q = 0;

	for (size_t i = 0; i < n && o < cap; i++) {
		char c = v[i];

		if (q == 0 && (c == '"' || c == '\'')) {
			q = c;
			continue;
		}
		if (q && c == q) {
			q = 0;
			continue;
		}
		if (q == '"' && c == '\\' && i + 1 < n && strchr("\"\\$`", v[i + 1])) {
			out[o++] = v[++i];
			continue;
		}
		if (q == 0 && c == '\\' && i + 1 < n) {
			out[o++] = v[++i];
			continue;
		}
		if (q == 0 && (c == ' ' || c == '\t'))
			break; /* unquoted whitespace ends the value */
		out[o++] = c;
	}
	return o;
}

void os_release_parse(const char *text, size_t len, struct os_release *o)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "ID", offsetof(struct os_release, id) },
		{ "VERSION_ID", offsetof(struct os_release, version_id) },
		{ "NAME", offsetof(struct os_release, name) },
		{ "PRETTY_NAME", offsetof(struct os_release, pretty) },
		{ "ID_LIKE", offsetof(struct os_release, id_like) },
	};
	const char *p = text, *end = text + len;
	char val[OS_RELEASE_VALUE_MAX];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq, *k = p;
		size_t klen;

		p = nl ? nl + 1 : end;
		while (k < le && (*k == ' ' || *k == '\t'))
			k++;
		if (k == le || *k == '#' || (le - k == 1 && *k == '\r'))
			continue;
		eq = memchr(k, '=', (size_t)(le - k));
		if (!eq) {
			o->bad_lines++;
			continue;
		}
		klen = (size_t)(eq - k);
		for (size_t i = 0; i < CV_ELEMENTSOF(keys); i++) {
			const char *v = eq + 1;
			size_t vlen = (size_t)(le - v), n;

			if (strlen(keys[i].key) != klen || memcmp(keys[i].key, k, klen) != 0)
				continue;
			if (vlen && v[vlen - 1] == '\r')
				vlen--;
			n = unquote(v, vlen, val, sizeof(val));
			set((char **)((char *)o + keys[i].off), val, n);
		}
	}
}

/* ---- legacy files ---- */

/* The first line, trimmed, bounded. */
static char *first_line(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	size_t n = nl ? (size_t)(nl - text) : len;
	char *s = cv_str_sanitize(text, n, OS_RELEASE_VALUE_MAX);

	return cv_strstrip(s);
}

/* Reads the first "N" or "N.M" in s into a new string. */
static char *version_in(const char *s)
{
	for (const char *p = s; *p; p++)
		if (isdigit((unsigned char)*p) && (p == s || p[-1] == ' ')) {
			size_t n = 0;

			while (isdigit((unsigned char)p[n]) || (p[n] == '.' && isdigit((unsigned char)p[n + 1])))
				n++;
			return cv_xstrndup(p, n);
		}
	return NULL;
}

/*
 * "<name> release <version> (<codename>[ Update <n>])":
 * Red Hat Enterprise Linux, CentOS, Fedora, Scientific Linux, Oracle Linux.
 * RHEL 3 and 4 put the minor release in "(Nahant Update 8)".
 */
static int redhat_like(const char *text, size_t len, struct os_release *o)
{
	static const struct {
		const char *prefix, *id;
	} names[] = {
		{ "Red Hat Enterprise Linux", "rhel" },
		{ "Red Hat Linux", "redhat" },
		{ "CentOS Stream", "centos" },
		{ "CentOS", "centos" },
		{ "Fedora", "fedora" },
		{ "Scientific Linux", "scientific" },
		{ "Oracle Linux", "ol" },
		{ "Enterprise Linux Enterprise Linux", "ol" },
		{ "AlmaLinux", "almalinux" },
		{ "Rocky Linux", "rocky" },
	};
	char *line = first_line(text, len);
	char *rel = strstr(line, " release ");
	char *upd;
	int r = -EINVAL;

	if (!rel)
		goto out;
	for (size_t i = 0; i < CV_ELEMENTSOF(names); i++)
		if (cv_startswith(line, names[i].prefix)) {
			free(o->id);
			o->id = cv_xstrdup(names[i].id);
			break;
		}
	if (!o->id)
		goto out;
	free(o->pretty);
	o->pretty = cv_xstrdup(line);
	free(o->name);
	o->name = cv_xstrndup(line, (size_t)(rel - line));
	free(o->version_id);
	o->version_id = version_in(rel + 9);
	upd = strstr(rel, " Update ");
	if (o->version_id && !strchr(o->version_id, '.') && upd) {
		char *minor = version_in(upd + 8);

		if (minor) {
			char *v = cv_xasprintf("%s.%s", o->version_id, minor);

			free(o->version_id);
			o->version_id = v;
			free(minor);
		}
	}
	r = 0;
out:
	free(line);
	return r;
}

/* A "KEY = VALUE" line in SuSE-release. */
static char *kv(const char *text, size_t len, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) > klen && memcmp(p, key, klen) == 0) {
			const char *v = p + klen;

			while (v < le && (*v == ' ' || *v == '\t' || *v == '='))
				v++;
			if (v < le) {
				char *s = cv_str_sanitize(v, (size_t)(le - v), OS_RELEASE_VALUE_MAX);

				return cv_strstrip(s);
			}
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* SLES 9-11, openSUSE before 42: name line, VERSION = 11, PATCHLEVEL = 4. */
static int suse(const char *text, size_t len, struct os_release *o)
{
	char *line = first_line(text, len);
	char *ver = kv(text, len, "VERSION"), *pl = kv(text, len, "PATCHLEVEL");
	int r = -EINVAL;

	if (!ver)
		goto out;
	free(o->id);
	if (strstr(line, "openSUSE"))
		o->id = cv_xstrdup("opensuse");
	else if (strstr(line, "Desktop"))
		o->id = cv_xstrdup("sled");
	else
		o->id = cv_xstrdup("sles");
	free(o->version_id);
	o->version_id = pl && strcmp(pl, "0") != 0 ? cv_xasprintf("%s.%s", ver, pl) : cv_xstrdup(ver);
	free(o->pretty);
	o->pretty = cv_xstrdup(line);
	free(o->name);
	o->name = cv_xstrdup(line);
	{
		/* "SUSE Linux Enterprise Server 11 (x86_64)": drop the version and arch. */
		char *sp = strstr(o->name, " (");

		if (sp)
			*sp = '\0';
	}
	r = 0;
out:
	free(line);
	free(ver);
	free(pl);
	return r;
}

static int debian_version(const char *text, size_t len, struct os_release *o)
{
	char *line = first_line(text, len);

	if (!*line) {
		free(line);
		return -EINVAL;
	}
	free(o->id);
	o->id = cv_xstrdup("debian");
	free(o->name);
	o->name = cv_xstrdup("Debian GNU/Linux");
	free(o->pretty);
	o->pretty = cv_xasprintf("Debian GNU/Linux %s", line);
	free(o->version_id);
	/* "lenny/sid" is testing: no number to give. */
	o->version_id = isdigit((unsigned char)line[0]) ? cv_xstrdup(line) : NULL;
	free(line);
	return 0;
}

static int lsb_release(const char *text, size_t len, struct os_release *o)
{
	char *id = kv(text, len, "DISTRIB_ID"), *rel = kv(text, len, "DISTRIB_RELEASE");
	char *desc = kv(text, len, "DISTRIB_DESCRIPTION");
	int r = -EINVAL;

	if (!id)
		goto out;
	for (char *c = id; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	free(o->id);
	o->id = id;
	id = NULL;
	free(o->version_id);
	o->version_id = rel;
	rel = NULL;
	if (desc) {
		char *d = desc;
		size_t n = strlen(d);

		if (n >= 2 && d[0] == '"' && d[n - 1] == '"') {
			d[n - 1] = '\0';
			d++;
		}
		free(o->pretty);
		o->pretty = cv_xstrdup(d);
	}
	r = 0;
out:
	free(id);
	free(rel);
	free(desc);
	return r;
}

/* Files whose first line holds a name and a version. */
static int simple(const char *id, const char *name, const char *text, size_t len, struct os_release *o)
{
	char *line = first_line(text, len);

	free(o->id);
	o->id = cv_xstrdup(id);
	free(o->name);
	o->name = cv_xstrdup(name);
	free(o->pretty);
	o->pretty = *line ? cv_xstrdup(line) : cv_xstrdup(name);
	free(o->version_id);
	o->version_id = version_in(line);
	if (!o->version_id && isdigit((unsigned char)line[0]))
		o->version_id = cv_xstrdup(line);
	free(line);
	return 0;
}

int legacy_release_parse(const char *file, const char *text, size_t len, struct os_release *o)
{
	if (cv_endswith(file, "redhat-release") || cv_endswith(file, "centos-release") ||
	    cv_endswith(file, "oracle-release") || cv_endswith(file, "fedora-release") ||
	    cv_endswith(file, "enterprise-release") || cv_endswith(file, "sl-release"))
		return redhat_like(text, len, o);
	if (cv_endswith(file, "SuSE-release"))
		return suse(text, len, o);
	if (cv_endswith(file, "lsb-release"))
		return lsb_release(text, len, o);
	if (cv_endswith(file, "debian_version"))
		return debian_version(text, len, o);
	if (cv_endswith(file, "alpine-release"))
		return simple("alpine", "Alpine Linux", text, len, o);
	if (cv_endswith(file, "gentoo-release"))
		return simple("gentoo", "Gentoo", text, len, o);
	if (cv_endswith(file, "slackware-version"))
		return simple("slackware", "Slackware", text, len, o);
	if (cv_endswith(file, "arch-release"))
		return simple("arch", "Arch Linux", text, len, o);
	return -EINVAL;
}

/* ---- libosinfo short-ids ---- */

/* Splits "11.4.2" into major 11, minor 4 (-1 where absent). */
static void major_minor(const char *v, long *maj, long *min)
{
	char *end;

	*maj = *min = -1;
	if (!v || !isdigit((unsigned char)*v))
		return;
	*maj = strtol(v, &end, 10);
	if (*end == '.' && isdigit((unsigned char)end[1]))
		*min = strtol(end + 1, NULL, 10);
	if (*maj > 100000 || *min > 100000)
		*maj = *min = -1;
}

/*
 * libosinfo's naming, by distribution (checked against osinfo-db by
 * tests/unit/test-os-release.c where the database is installed).  The
 * patterns, not a copy of the database, so releases newer than the
 * installed osinfo-db still get the id libosinfo gives them.
 */
char *osinfo_short_id(const char *id, const char *version_id, const char *name)
{
	long maj, min;

	if (!id)
		return NULL;
	major_minor(version_id, &maj, &min);
	if (strcmp(id, "arch") == 0)
		return cv_xstrdup("archlinux");
	if (strcmp(id, "gentoo") == 0)
		return cv_xstrdup("gentoo");
	if (maj < 0)
		return NULL;
	if (strcmp(id, "rhel") == 0) {
		if (maj <= 3)
			return min > 0 ? cv_xasprintf("rhel%ld.%ld", maj, min) : cv_xasprintf("rhel%ld", maj);
		return cv_xasprintf("rhel%ld.%ld", maj, min < 0 ? 0 : min);
	}
	if (strcmp(id, "centos") == 0) {
		if (maj >= 8 && (maj >= 9 || (name && strstr(name, "Stream"))))
			return cv_xasprintf("centos-stream%ld", maj);
		if (maj == 8)
			return cv_xstrdup("centos8");
		if (maj == 7)
			return cv_xstrdup("centos7.0");
		return cv_xasprintf("centos%ld.%ld", maj, min < 0 ? 0 : min);
	}
	if (strcmp(id, "ol") == 0)
		return cv_xasprintf("ol%ld.%ld", maj, min < 0 ? 0 : min);
	if (strcmp(id, "scientific") == 0)
		return cv_xasprintf("scientificlinux%ld.%ld", maj, min < 0 ? 0 : min);
	if (strcmp(id, "almalinux") == 0)
		return cv_xasprintf("almalinux%ld", maj);
	if (strcmp(id, "rocky") == 0)
		return min >= 0 ? cv_xasprintf("rocky%ld.%ld", maj, min) : cv_xasprintf("rocky%ld", maj);
	if (strcmp(id, "fedora") == 0)
		return cv_xasprintf("fedora%ld", maj);
	if (strcmp(id, "debian") == 0)
		return cv_xasprintf("debian%ld", maj);
	if (strcmp(id, "ubuntu") == 0)
		return cv_xasprintf("ubuntu%ld.%02ld", maj, min < 0 ? 0 : min);
	if (strcmp(id, "sles") == 0 || strcmp(id, "sled") == 0 || strcmp(id, "sle") == 0) {
		const char *p = maj >= 15 ? "sle" : id;

		return min > 0 ? cv_xasprintf("%s%ldsp%ld", p, maj, min) : cv_xasprintf("%s%ld", p, maj);
	}
	if (strcmp(id, "opensuse") == 0 || strcmp(id, "opensuse-leap") == 0)
		return cv_xasprintf("opensuse%ld.%ld", maj, min < 0 ? 0 : min);
	if (strcmp(id, "alpine") == 0)
		return cv_xasprintf("alpinelinux%ld.%ld", maj, min < 0 ? 0 : min);
	if (strcmp(id, "slackware") == 0)
		return cv_xasprintf("slackware%ld.%ld", maj, min < 0 ? 0 : min);
	return NULL;
}
