/* test-os-release.c - os-release and legacy release parsing, osinfo short-ids. */
#include <dirent.h>
#include <unistd.h>

#include "covalid/util.h"
#include "probe/os-release.h"
#include "tap.h"

static void parse(const char *text, struct os_release *o)
{
	os_release_init(o);
	os_release_parse(text, strlen(text), o);
}

TEST(os_release_quotes_and_escapes)
{
	struct os_release o;

	parse("# comment\nNAME=\"Red Hat \\\"Enterprise\\\" Linux\"\nID=rhel\nVERSION_ID='9.2'\n"
	      "PRETTY_NAME=\"Red Hat Enterprise Linux 9.2 (Plow)\"\r\nID_LIKE=\"fedora\"\n", &o);
	CHECK_STR(o.id, "rhel");
	CHECK_STR(o.version_id, "9.2");
	CHECK_STR(o.name, "Red Hat \"Enterprise\" Linux");
	CHECK_STR(o.pretty, "Red Hat Enterprise Linux 9.2 (Plow)");
	CHECK_STR(o.id_like, "fedora");
	CHECK_INT(o.bad_lines, 0);
	os_release_release(&o);
}

TEST(os_release_garbage_lines_are_counted)
{
	struct os_release o;

	parse("this is not\nID=debian\n\x01\x02\x03\nVERSION_ID=12\n", &o);
	CHECK_STR(o.id, "debian");
	CHECK_STR(o.version_id, "12");
	CHECK_INT(o.bad_lines, 2);
	os_release_release(&o);
}

TEST(os_release_binary_values_are_sanitized_and_capped)
{
	struct os_release o;
	char text[2048];

	memset(text, 'A', sizeof(text));
	memcpy(text, "ID=", 3);
	text[sizeof(text) - 1] = '\0';
	parse(text, &o);
	CHECK(o.id != NULL);
	CHECK(strlen(o.id) < OS_RELEASE_VALUE_MAX);
	os_release_release(&o);
	parse("ID=\"ab\xff\x01\"\n", &o);
	CHECK_STR(o.id, "ab??");
	os_release_release(&o);
}

TEST(os_release_empty_and_unterminated)
{
	struct os_release o;

	parse("", &o);
	CHECK(o.id == NULL);
	os_release_release(&o);
	parse("ID=\"unterminated", &o);
	CHECK_STR(o.id, "unterminated");
	os_release_release(&o);
}

static void legacy(const char *file, const char *text, const char *id, const char *version)
{
	struct os_release o;

	os_release_init(&o);
	CHECK_INT(legacy_release_parse(file, text, strlen(text), &o), 0);
	CHECK_STR(o.id, id);
	CHECK_STR(o.version_id, version);
	os_release_release(&o);
}

TEST(legacy_release_files)
{
	legacy("etc/redhat-release", "Red Hat Enterprise Linux Server release 5.3 (Tikanga)\n", "rhel", "5.3");
	legacy("etc/redhat-release", "Red Hat Enterprise Linux AS release 4 (Nahant Update 8)\n", "rhel", "4.8");
	legacy("etc/redhat-release", "CentOS release 6.10 (Final)\n", "centos", "6.10");
	legacy("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n", "centos", "7.9.2009");
	legacy("etc/oracle-release", "Oracle Linux Server release 6.10\n", "ol", "6.10");
	legacy("etc/enterprise-release", "Enterprise Linux Enterprise Linux Server release 5.3 (Carthage)\n", "ol", "5.3");
	legacy("etc/fedora-release", "Fedora release 8 (Werewolf)\n", "fedora", "8");
	legacy("etc/SuSE-release", "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n", "sles", "11.4");
	legacy("etc/SuSE-release", "SUSE Linux Enterprise Server 10 (i586)\nVERSION = 10\nPATCHLEVEL = 0\n", "sles", "10");
	legacy("etc/SuSE-release", "openSUSE 13.1 (x86_64)\nVERSION = 13.1\nCODENAME = Bottle\n", "opensuse", "13.1");
	legacy("etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=10.04\nDISTRIB_DESCRIPTION=\"Ubuntu 10.04 LTS\"\n", "ubuntu", "10.04");
	legacy("etc/debian_version", "5.0.10\n", "debian", "5.0.10");
	legacy("etc/debian_version", "lenny/sid\n", "debian", NULL);
	legacy("etc/alpine-release", "3.18.4\n", "alpine", "3.18.4");
	legacy("etc/slackware-version", "Slackware 14.2\n", "slackware", "14.2");
}

TEST(legacy_rejects_unknown_text)
{
	struct os_release o;

	os_release_init(&o);
	CHECK_INT(legacy_release_parse("etc/redhat-release", "hello world\n", 12, &o), -EINVAL);
	CHECK_INT(legacy_release_parse("etc/SuSE-release", "SUSE\n", 5, &o), -EINVAL);
	CHECK_INT(legacy_release_parse("etc/debian_version", "", 0, &o), -EINVAL);
	CHECK_INT(legacy_release_parse("etc/unknown", "x", 1, &o), -EINVAL);
	os_release_release(&o);
}

static void osinfo(const char *id, const char *version, const char *name, const char *want)
{
	char *got = osinfo_short_id(id, version, name);

	CHECK_STR(got, want);
	free(got);
}

TEST(osinfo_short_ids)
{
	osinfo("rhel", "5.3", NULL, "rhel5.3");
	osinfo("rhel", "9.2", NULL, "rhel9.2");
	osinfo("rhel", "4.8", NULL, "rhel4.8");
	osinfo("rhel", "3", NULL, "rhel3");
	osinfo("centos", "7", "CentOS Linux", "centos7.0");
	osinfo("centos", "8", "CentOS Linux", "centos8");
	osinfo("centos", "8", "CentOS Stream", "centos-stream8");
	osinfo("centos", "9", "CentOS Stream", "centos-stream9");
	osinfo("centos", "6.10", NULL, "centos6.10");
	osinfo("debian", "12", NULL, "debian12");
	osinfo("debian", "5.0.10", NULL, "debian5");
	osinfo("ubuntu", "22.04", NULL, "ubuntu22.04");
	osinfo("sles", "11.4", NULL, "sles11sp4");
	osinfo("sles", "12", NULL, "sles12");
	osinfo("sles", "15.4", NULL, "sle15sp4");
	osinfo("opensuse-leap", "15.4", NULL, "opensuse15.4");
	osinfo("alpine", "3.18.4", NULL, "alpinelinux3.18");
	osinfo("ol", "7.9", NULL, "ol7.9");
	osinfo("fedora", "37", NULL, "fedora37");
	osinfo("amzn", "2023", NULL, NULL);
	osinfo(NULL, "1", NULL, NULL);
	osinfo("rhel", NULL, NULL, NULL);
	osinfo("rhel", "x.y", NULL, NULL);
}

/* Is short-id sid in the osinfo-db under dir?  Reads every XML file under os/. */
static bool osinfo_db_has(const char *dir, const char *sid)
{
	char *needle = cv_xasprintf("<short-id>%s</short-id>", sid);
	char *osdir = cv_xasprintf("%s/os", dir);
	struct dirent *v, *f;
	bool found = false;
	DIR *vd = opendir(osdir), *fd;

	while (vd && !found && (v = readdir(vd))) {
		char *vpath = cv_xasprintf("%s/%s", osdir, v->d_name);

		fd = v->d_name[0] != '.' ? opendir(vpath) : NULL;
		while (fd && !found && (f = readdir(fd))) {
			char *path = cv_xasprintf("%s/%s", vpath, f->d_name), *text;
			size_t n;

			if (cv_endswith(f->d_name, ".xml") && cv_read_file(path, 1 << 20, &text, &n) == 0) {
				found = strstr(text, needle) != NULL;
				free(text);
			}
			free(path);
		}
		if (fd)
			closedir(fd);
		free(vpath);
	}
	if (vd)
		closedir(vd);
	free(osdir);
	free(needle);
	return found;
}

/* The rules must produce ids libosinfo really has, for the releases the
 * installed osinfo-db knows (Debian 12's is from 2022: no debian12 yet). */
TEST(osinfo_ids_exist_in_osinfo_db)
{
	static const struct {
		const char *id, *version, *name;
	} known[] = {
		{ "rhel", "5.3", NULL },   { "rhel", "6.5", NULL },       { "rhel", "4.8", NULL },
		{ "rhel", "9.1", NULL },   { "centos", "7", "CentOS Linux" }, { "centos", "8", "CentOS Linux" },
		{ "centos", "9", "CentOS Stream" }, { "debian", "11", NULL }, { "debian", "5.0.10", NULL },
		{ "ubuntu", "22.04", NULL }, { "sles", "11.4", NULL },    { "sles", "12.5", NULL },
		{ "sles", "15.4", NULL },  { "opensuse-leap", "15.4", NULL }, { "alpine", "3.17.0", NULL },
		{ "ol", "7.9", NULL },     { "fedora", "37", NULL },      { "almalinux", "9.2", NULL },
		{ "scientific", "6.4", NULL },
	};
	const char *db = "/usr/share/osinfo";

	if (access(db, F_OK) < 0)
		tap_skip("osinfo-db is not installed (/usr/share/osinfo)");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char *sid = osinfo_short_id(known[i].id, known[i].version, known[i].name);

		CHECK(sid != NULL);
		if (sid && !osinfo_db_has(db, sid))
			tap_fail(__FILE__, __LINE__, "osinfo-db has no short-id %s", sid);
		free(sid);
	}
}

TAP_MAIN(os_release_quotes_and_escapes, os_release_garbage_lines_are_counted,
	 os_release_binary_values_are_sanitized_and_capped, os_release_empty_and_unterminated,
	 legacy_release_files, legacy_rejects_unknown_text, osinfo_short_ids, osinfo_ids_exist_in_osinfo_db)
