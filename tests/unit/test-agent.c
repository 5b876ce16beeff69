/*
 * test-agent.c - the monitoring agent's parts: the spool's order, bounds
 * and drop policy; the state directory's permissions and a tampered or
 * malformed agent.json; the health measures from fixture /proc files
 * under a root; the HTTP client against answers a tiny server in the
 * test makes (truncated, huge, a bad status line, slow).
 *
 * Expected values are worked out here from the sources' definitions
 * (proc(5) for /proc/stat, /proc/meminfo and /proc/loadavg;
 * Documentation/ABI/testing/dev-kmsg for the kernel log; RFC 9112 for
 * HTTP/1.1), not taken from what the code printed.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "tap.h"

static char *path_of(const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", tap_tmpdir(), name) < 0)
		abort();
	return p;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = NULL, *slash;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		abort();
	slash = strrchr(p, '/');
	*slash = '\0';
	CHECK_INT(cv_mkdir_p(p, 0755), 0);
	*slash = '/';
	CHECK_INT(cv_write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

/* ---- spool ---- */

static void spool_seqs(const struct agent_spool *s, char *out, size_t size)
{
	struct agent_spool_entry *v = NULL;
	size_t n = 0, used = 0;

	CHECK_INT(agent_spool_list(s, &v, &n), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%llu%c", i ? " " : "", (unsigned long long)v[i].seq,
					 v[i].heartbeat ? 'h' : 'd');
	agent_spool_entries_free(v, n);
}

TEST(spool_lists_oldest_first)
{
	struct agent_spool s;
	uint64_t dropped = 0;
	char seqs[256];

	agent_spool_init(&s, tap_tmpdir(), 0, 0);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, ""); /* no spool directory yet: empty, not an error */
	/* Written out of order, and 10 after 9 (names must sort as numbers). */
	CHECK_INT(agent_spool_add(&s, 10, true, "{}", 2, &dropped), 0);
	CHECK_INT(agent_spool_add(&s, 2, false, "{}", 2, &dropped), 0);
	CHECK_INT(agent_spool_add(&s, 9, true, "{}", 2, &dropped), 0);
	/* What is not a report is not listed. */
	put(tap_tmpdir(), "spool/notes.txt", "x");
	put(tap_tmpdir(), "spool/00000000000000000001-x.json", "{}");
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "2d 9h 10h");
	CHECK_INT(dropped, 0);
	agent_spool_release(&s);
}

TEST(spool_full_drops_oldest_heartbeat_first)
{
	struct agent_spool s;
	uint64_t dropped = 0;
	char seqs[256];

	agent_spool_init(&s, tap_tmpdir(), 3, 1 << 20);
	CHECK_INT(agent_spool_add(&s, 1, false, "{}", 2, &dropped), 0);
	CHECK_INT(agent_spool_add(&s, 2, true, "{}", 2, &dropped), 0);
	CHECK_INT(agent_spool_add(&s, 3, true, "{}", 2, &dropped), 0);
	CHECK_INT(dropped, 0);
	/* Full (3): the 4th pushes out the oldest heartbeat (2), not the
	 * older descriptor report (1). */
	CHECK_INT(agent_spool_add(&s, 4, false, "{}", 2, &dropped), 0);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "1d 3h 4d");
	CHECK_INT(dropped, 1);
	CHECK_INT(agent_spool_add(&s, 5, false, "{}", 2, &dropped), 0);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "1d 4d 5d");
	CHECK_INT(dropped, 2);
	/* No heartbeat left: the oldest report of any kind goes. */
	CHECK_INT(agent_spool_add(&s, 6, true, "{}", 2, &dropped), 0);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "4d 5d 6h");
	CHECK_INT(dropped, 3);
	agent_spool_release(&s);
}

/* A report carrying a count of dropped reports gives it back when it is
 * dropped in turn: the server is told every drop (docs/agent.md). */
TEST(spool_drop_keeps_the_count_a_report_carried)
{
	static const char carrying[] = "{\"seq\": 1, \"dropped\": 5}";
	struct agent_spool s;
	uint64_t dropped = 0;
	char seqs[256];

	agent_spool_init(&s, tap_tmpdir(), 2, 1 << 20);
	CHECK_INT(agent_spool_add(&s, 1, true, carrying, strlen(carrying), &dropped), 0);
	CHECK_INT(agent_spool_add(&s, 2, true, "{}", 2, &dropped), 0);
	CHECK_INT(dropped, 0);
	/* Report 1 goes: itself and the 5 it carried. */
	CHECK_INT(agent_spool_add(&s, 3, true, "{}", 2, &dropped), 0);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "2h 3h");
	CHECK_INT(dropped, 6);
	agent_spool_release(&s);
}

TEST(spool_bounded_by_bytes)
{
	struct agent_spool s;
	uint64_t dropped = 0;
	char seqs[256], body[400];

	memset(body, 'x', sizeof(body));
	agent_spool_init(&s, tap_tmpdir(), 100, 1000);
	CHECK_INT(agent_spool_add(&s, 1, true, body, 400, &dropped), 0);
	CHECK_INT(agent_spool_add(&s, 2, false, body, 400, &dropped), 0);
	/* 400 + 400 + 400 > 1000: one must go, the heartbeat. */
	CHECK_INT(agent_spool_add(&s, 3, true, body, 400, &dropped), 0);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "2d 3h");
	CHECK_INT(dropped, 1);
	/* A report larger than the whole spool is refused, nothing dropped. */
	CHECK_INT(agent_spool_add(&s, 4, true, "x", 1001, &dropped), -E2BIG);
	spool_seqs(&s, seqs, sizeof(seqs));
	CHECK_STR(seqs, "2d 3h");
	agent_spool_release(&s);
}

/* ---- state ---- */

static const char good_state[] =
	"{\"schema\":\"covalid.agent-state/1\",\"server\":\"http://127.0.0.1:8080\",\"machine\":\"m-0123456789abcdef\","
	"\"credential\":\"cv_0123456789abcdef\",\"customer\":\"contoso\",\"name\":\"web01\","
	"\"machine_key\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\",\"interval\":60}";

static char *state_dir_with(const char *json, mode_t file_mode)
{
	char *dir = path_of("state"), *f = NULL;

	CHECK_INT(cv_mkdir_p(dir, 0700), 0);
	CHECK_INT(chmod(dir, 0700), 0);
	if (asprintf(&f, "%s/agent.json", dir) < 0)
		abort();
	CHECK_INT(cv_write_file_atomic(f, json, strlen(json), file_mode), 0);
	CHECK_INT(chmod(f, file_mode), 0);
	free(f);
	return dir;
}

TEST(state_loads_a_good_file)
{
	char *dir = state_dir_with(good_state, 0600), *why = NULL;
	struct agent_config c = { 0 };

	CHECK_INT(agent_config_load(dir, &c, &why), 0);
	CHECK_STR(c.machine, "m-0123456789abcdef");
	CHECK_STR(c.credential, "cv_0123456789abcdef");
	CHECK_INT(c.interval, 60);
	/* What is saved loads back the same, and private. */
	CHECK_INT(agent_config_save(dir, &c, &why), 0);
	agent_config_release(&c);
	CHECK_INT(agent_config_load(dir, &c, &why), 0);
	CHECK_STR(c.name, "web01");
	{
		struct stat st;
		char *f = NULL;

		if (asprintf(&f, "%s/agent.json", dir) < 0)
			abort();
		CHECK_INT(stat(f, &st), 0);
		CHECK_INT(st.st_mode & 07777, 0600);
		free(f);
	}
	agent_config_release(&c);
	free(why);
	free(dir);
}

TEST(state_dir_others_may_write_is_refused)
{
	char *dir = state_dir_with(good_state, 0600), *why = NULL;
	struct agent_config c = { 0 };

	CHECK_INT(chmod(dir, 0777), 0);
	CHECK_INT(agent_config_load(dir, &c, &why), -EPERM);
	CHECK(why && strstr(why, dir) && strstr(why, "others may write"));
	free(why);
	why = NULL;
	CHECK_INT(chmod(dir, 0720), 0);
	CHECK_INT(agent_config_load(dir, &c, &why), -EPERM);
	free(why);
	free(dir);
}

TEST(state_file_readable_by_others_is_refused)
{
	char *dir = state_dir_with(good_state, 0644), *why = NULL;
	struct agent_config c = { 0 };

	CHECK_INT(agent_config_load(dir, &c, &why), -EPERM);
	CHECK(why && strstr(why, "agent.json") && strstr(why, "0644"));
	free(why);
	free(dir);
}

/* Each tampered file is refused with the field named. */
static void refused(const char *json, const char *needle)
{
	char *dir = state_dir_with(json, 0600), *why = NULL;
	struct agent_config c = { 0 };

	CHECK_INT(agent_config_load(dir, &c, &why), -EINVAL);
	if (!why || !strstr(why, needle))
		tap_fail(__FILE__, __LINE__, "why '%s' lacks '%s'", why ? why : "(null)", needle);
	CHECK(why && strstr(why, "agent.json"));
	CHECK(c.machine == NULL);
	free(why);
	free(dir);
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *r = NULL;

	if (!p || asprintf(&r, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from)) < 0)
		abort();
	return r;
}

TEST(state_tampered_or_malformed_is_refused)
{
	static const struct {
		const char *from, *to, *needle;
	} cases[] = {
		{ "\"m-0123456789abcdef\"", "\"m-../../etc\"", "'machine'" },
		{ "\"m-0123456789abcdef\"", "42", "'machine'" },
		{ "http://127.0.0.1:8080", "https://127.0.0.1:8080", "'server'" },
		{ "http://127.0.0.1:8080", "ftp://x", "'server'" },
		{ "cv_0123456789abcdef", "cv 01234\\n56789", "'credential'" },
		{ "\"interval\":60", "\"interval\":5", "'interval'" },
		{ "\"interval\":60", "\"interval\":\"60\"", "'interval'" },
		{ "\"name\":\"web01\"", "\"name\":\"\"", "'name'" },
		{ "\"name\":\"web01\"", "\"name\":\"web01\",\"extra\":1", "unknown field 'extra'" },
		{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "beef", "'machine_key'" },
		{ "covalid.agent-state/1", "covalid.agent-state/2", "'schema'" },
		{ "\"customer\":\"contoso\",", "", "'customer'" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		char *j = replace(good_state, cases[i].from, cases[i].to);

		refused(j, cases[i].needle);
		free(j);
	}
	refused("{\"schema\": ", "not a JSON object");
	refused("[1, 2]", "not a JSON object");
	refused("{\"server\":\"http://a\",\"server\":\"http://b\"}", "not a JSON object");
}

TEST(state_not_enrolled_is_named)
{
	char *dir = path_of("empty"), *why = NULL;
	struct agent_config c = { 0 };

	CHECK_INT(cv_mkdir_p(dir, 0700), 0);
	CHECK_INT(agent_config_load(dir, &c, &why), -ENOENT);
	CHECK(why && strstr(why, "not enrolled"));
	free(why);
	free(dir);
}

TEST(runstate_round_trips)
{
	char *dir = path_of("rs"), *why = NULL;
	struct agent_runstate s = { 0 }, t = { 0 };

	CHECK_INT(cv_mkdir_p(dir, 0700), 0);
	CHECK_INT(agent_runstate_load(dir, &t, &why), 0); /* absent: afresh */
	CHECK_INT(t.seq, 0);
	s.seq = 41;
	s.sent_digest = cv_xstrdup("abc");
	s.have_kmsg = true;
	s.kmsg_seq = 1234;
	s.have_cpu = true;
	s.cpu_total = 1000;
	s.cpu_idle = 900;
	s.dropped = 3;
	CHECK_INT(agent_runstate_save(dir, &s, &why), 0);
	CHECK_INT(agent_runstate_load(dir, &t, &why), 0);
	CHECK_INT(t.seq, 41);
	CHECK_STR(t.sent_digest, "abc");
	CHECK(t.have_kmsg && t.kmsg_seq == 1234 && t.have_cpu && t.cpu_total == 1000 && t.cpu_idle == 900);
	CHECK_INT(t.dropped, 3);
	CHECK(!t.have_clock);
	agent_runstate_release(&s);
	agent_runstate_release(&t);
	put(dir, "run.json", "{\"seq\": -1}");
	CHECK_INT(agent_runstate_load(dir, &t, &why), -EINVAL);
	CHECK(why && strstr(why, "run.json"));
	free(why);
	free(dir);
}

/* ---- health ---- */

TEST(health_parsers)
{
	uint64_t total, idle, mt, ma;
	double l[3];
	int level;
	uint64_t seq;
	char *msg = NULL;

	/* proc(5): user nice system idle iowait irq softirq steal guest guest_nice. */
	CHECK_INT(agent_parse_proc_stat("cpu  100 5 50 800 20 3 2 0 7 0\ncpu0 1 2 3 4\n", &total, &idle), 0);
	CHECK_INT(total, 100 + 5 + 50 + 800 + 20 + 3 + 2 + 0); /* guest is inside user already */
	CHECK_INT(idle, 800 + 20);
	/* Linux 2.6.0-2.6.10 had only four. */
	CHECK_INT(agent_parse_proc_stat("cpu  1 2 3 4\n", &total, &idle), 0);
	CHECK_INT(total, 10);
	CHECK_INT(idle, 4);
	CHECK_INT(agent_parse_proc_stat("intr 1 2 3\n", &total, &idle), -EINVAL);
	CHECK_INT(agent_parse_meminfo("MemTotal:  2048000 kB\nMemFree:  100 kB\nMemAvailable:  512000 kB\n", &mt, &ma), 0);
	CHECK_INT(mt, 2048000);
	CHECK_INT(ma, 512000);
	/* Before 3.14: no MemAvailable; free + buffers + cached. */
	CHECK_INT(agent_parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n", &mt, &ma), 0);
	CHECK_INT(ma, 400);
	CHECK_INT(agent_parse_meminfo("MemFree: 100 kB\n", &mt, &ma), -EINVAL);
	CHECK_INT(agent_parse_loadavg("0.20 0.18 0.12 1/80 11206\n", l), 0);
	CHECK(l[0] == 0.20 && l[1] == 0.18 && l[2] == 0.12);
	CHECK_INT(agent_parse_loadavg("0.20 zero\n", l), -EINVAL);
	/* dev-kmsg: prio = facility << 3 | level; "6,339,5140900,-;text". */
	CHECK_INT(agent_parse_kmsg("11,42,100,-;sda: I/O error\n", 27, &level, &seq, &msg), 0);
	CHECK_INT(level, 3); /* 11 = facility 1 (user) << 3 | 3 (err) */
	CHECK_INT(seq, 42);
	CHECK_STR(msg, "sda: I/O error");
	free(msg);
	CHECK_INT(agent_parse_kmsg("x,1,2,-;m", 9, &level, &seq, &msg), -EINVAL);
	CHECK_INT(agent_parse_kmsg("3,1,2,-", 7, &level, &seq, &msg), -EINVAL);
}

TEST(health_from_a_fixture_root)
{
	const char *root = tap_tmpdir();
	struct agent_runstate st = { 0 };
	struct agent_health_ctx ctx = { .root = root, .state = &st };
	json_t *h, *e;

	put(root, "proc/stat", "cpu  1000 0 500 8000 500 0 0 0 0 0\n");
	put(root, "proc/meminfo", "MemTotal:  4194304 kB\nMemFree: 1 kB\nMemAvailable:  1048576 kB\n");
	put(root, "proc/loadavg", "1.50 0.75 0.25 2/100 999\n");
	put(root, "proc/mounts", "proc /proc proc rw 0 0\n/dev/vda1 / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n");
	/* Levels: 3 err (counted), 6 info, 2 crit (counted), 4 warning; a continuation line. */
	put(root, "dev/kmsg",
	    "3,10,100,-;EXT4-fs error (device vda1)\n"
	    " DEVICE=b253:1\n"
	    "6,11,200,-;eth0: link up\n"
	    "2,12,300,-;kernel BUG at mm/slab.c:1\n"
	    "4,13,400,-;a warning\n");
	h = json_object();
	json_object_set_new(h, "disks", json_array());
	agent_health_sys(&ctx, h);
	/* The first sample has nothing to compare with. */
	CHECK(json_object_get(h, "cpu_pct") == NULL);
	/* (4194304 - 1048576) / 4194304 = 75 %; 4194304 kB = 4096 MiB. */
	CHECK(json_real_value(json_object_get(h, "mem_pct")) == 75.0);
	CHECK_INT(json_integer_value(json_object_get(h, "mem_total_mib")), 4096);
	CHECK(json_real_value(json_array_get(json_object_get(h, "load"), 0)) == 1.5);
	CHECK(json_real_value(json_array_get(json_object_get(h, "load"), 2)) == 0.25);
	/* "/" of the fixture (ext4 on /dev/vda1) is measured; proc and tmpfs are not disks. */
	CHECK_INT(json_array_size(json_object_get(h, "disks")), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(h, "disks"), 0), "path")), "/");
	e = json_object_get(h, "errors");
	CHECK_INT(json_integer_value(json_object_get(e, "count")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(e, "recent"), 0)), "EXT4-fs error (device vda1)");
	CHECK_STR(json_string_value(json_array_get(json_object_get(e, "recent"), 1)), "kernel BUG at mm/slab.c:1");
	CHECK(st.have_kmsg && st.kmsg_seq == 13);
	json_decref(h);

	/* The next report: 1000 more jiffies, of which idle+iowait 250:
	 * 75 % busy.  Only records after seq 13 count. */
	put(root, "proc/stat", "cpu  1500 0 750 8200 550 0 0 0 0 0\n");
	put(root, "dev/kmsg",
	    "3,10,100,-;EXT4-fs error (device vda1)\n"
	    "4,13,400,-;a warning\n"
	    "0,14,500,-;panic soon\n");
	h = json_object();
	json_object_set_new(h, "disks", json_array());
	agent_health_sys(&ctx, h);
	CHECK(json_real_value(json_object_get(h, "cpu_pct")) == 75.0);
	e = json_object_get(h, "errors");
	CHECK_INT(json_integer_value(json_object_get(e, "count")), 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(e, "recent"), 0)), "panic soon");
	json_decref(h);

	/* A reboot (another boot_id: proc(5), /proc/sys/kernel/random/boot_id)
	 * numbers the log from the start again: its errors below the old
	 * boot's last number count. */
	put(root, "proc/sys/kernel/random/boot_id", "0f4c5b2e-1111-4d6a-9a51-3c0e8b7d2a01\n");
	h = json_object();
	json_object_set_new(h, "disks", json_array());
	agent_health_sys(&ctx, h);
	json_decref(h);
	put(root, "proc/sys/kernel/random/boot_id", "7d2e9c40-2222-4f1b-8c3a-5e6f7a8b9c0d\n");
	put(root, "dev/kmsg", "3,2,50,-;storvsc: failed after reboot\n");
	h = json_object();
	json_object_set_new(h, "disks", json_array());
	agent_health_sys(&ctx, h);
	e = json_object_get(h, "errors");
	CHECK_INT(json_integer_value(json_object_get(e, "count")), 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(e, "recent"), 0)), "storvsc: failed after reboot");
	CHECK(st.kmsg_seq == 2);
	json_decref(h);

	/* No kernel log in the root: unavailable, with why. */
	CHECK_INT(remove(path_of("dev/kmsg")), 0);
	h = json_object();
	json_object_set_new(h, "disks", json_array());
	agent_health_sys(&ctx, h);
	e = json_object_get(h, "errors");
	CHECK(json_is_false(json_object_get(e, "available")));
	CHECK(json_string_value(json_object_get(e, "why")) != NULL);
	json_decref(h);
	agent_runstate_release(&st);
}

/* ---- HTTP ---- */

TEST(url_parsing)
{
	struct agent_url u = { 0 };
	char *why = NULL;

	CHECK_INT(agent_url_parse("http://example.org", &u, &why), 0);
	CHECK_STR(u.host, "example.org");
	CHECK_INT(u.port, 80);
	CHECK_STR(u.prefix, "");
	agent_url_release(&u);
	CHECK_INT(agent_url_parse("http://[::1]:8080/covalid/", &u, &why), 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 8080);
	CHECK_STR(u.prefix, "/covalid");
	CHECK_STR(u.text, "http://[::1]:8080/covalid");
	agent_url_release(&u);
	CHECK_INT(agent_url_parse("https://example.org", &u, &why), -EINVAL);
	CHECK(why && strstr(why, "https"));
	CHECK_INT(agent_url_parse("http://example.org:99999", &u, &why), -EINVAL);
	CHECK(why && strstr(why, "example.org:99999"));
	CHECK_INT(agent_url_parse("http://user@example.org", &u, &why), -EINVAL);
	CHECK_INT(agent_url_parse("http://example.org/?q", &u, &why), -EINVAL);
	CHECK_INT(agent_url_parse("example.org", &u, &why), -EINVAL);
	CHECK_INT(agent_url_parse("http://::1:80", &u, &why), -EINVAL);
	free(why);
}

static int parse(const char *text, bool eof, struct agent_http_answer *a, char **why)
{
	return agent_http_parse(text, strlen(text), eof, a, why);
}

TEST(http_parse_strictly)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL;

	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", false, &a, &why), 0);
	CHECK_INT(a.status, 200);
	CHECK_STR(a.body, "{}");
	agent_http_answer_release(&a);
	/* RFC 9112 7.1: chunks, an extension, a trailer. */
	CHECK_INT(parse("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\n{\"a\r\n4\r\n\":1}\r\n0\r\nX-T: 1\r\n\r\n",
			false, &a, &why), 0);
	CHECK_INT(a.status, 201);
	CHECK_STR(a.body, "{\"a\":1}");
	agent_http_answer_release(&a);
	/* No length: to the close. */
	CHECK_INT(parse("HTTP/1.0 503 Busy\r\n\r\nlater", false, &a, &why), -EAGAIN);
	CHECK_INT(parse("HTTP/1.0 503 Busy\r\n\r\nlater", true, &a, &why), 0);
	CHECK_STR(a.body, "later");
	agent_http_answer_release(&a);
	/* Incomplete is "more", or an error at the close. */
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", false, &a, &why), -EAGAIN);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", true, &a, &why), -EPROTO);
	CHECK(why && strstr(why, "2 of its 10"));
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-", true, &a, &why), -EPROTO);
	CHECK_INT(parse("", true, &a, &why), -EPROTO);
	/* Malformed. */
	CHECK_INT(parse("HTTP/1.1 2OO OK\r\n\r\n", true, &a, &why), -EPROTO);
	CHECK(why && strstr(why, "status line"));
	CHECK_INT(parse("HTTP/2 200 OK\r\n\r\n", true, &a, &why), -EPROTO);
	CHECK_INT(parse("ICY 200 OK\r\n\r\n", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", true, &a, &why),
		  -EPROTO);
	CHECK(why && strstr(why, "both"));
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", true, &a, &why), -EPROTO);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true, &a, &why), -EPROTO);
	/* Huge. */
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", false, &a, &why), -E2BIG);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFF\r\n", false, &a, &why), -E2BIG);
	free(why);
}

/*
 * A one-shot server: accepts one connection on 127.0.0.1, reads the
 * request's head, writes answer (len bytes; or `repeat` times), then
 * sleeps `hold` seconds before closing.  Returns the port.
 */
static pid_t server_pid;

static uint16_t serve_once(const char *answer, size_t len, int repeat, int hold)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	CHECK(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK_INT(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(listen(s, 1), 0);
	CHECK_INT(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	server_pid = fork();
	if (server_pid == 0) {
		int c = accept(s, NULL, NULL);
		char buf[65536];
		size_t got = 0;

		signal(SIGPIPE, SIG_IGN);
		while (got < sizeof(buf) - 1) {
			ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		for (int i = 0; i < repeat; i++)
			if (write(c, answer, len) < 0)
				break;
		sleep((unsigned)hold);
		close(c);
		_exit(0);
	}
	close(s);
	return ntohs(a.sin_port);
}

static void server_done(void)
{
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
}

static int post(uint16_t port, int timeout_ms, struct agent_http_answer *ans, char **why)
{
	struct agent_url u = { 0 };
	char *url = NULL;
	int r;

	if (asprintf(&url, "http://127.0.0.1:%u", port) < 0)
		abort();
	CHECK_INT(agent_url_parse(url, &u, why), 0);
	r = agent_http_post(&u, "/api/v1/agent/report", "cv_x", "{}", 2, timeout_ms, ans, why);
	agent_url_release(&u);
	free(url);
	return r;
}

#define ANSWER(s) s, sizeof(s) - 1

TEST(http_client_reads_a_good_answer)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL;
	uint16_t port = serve_once(ANSWER("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"seq\": 1}\n"), 1, 0);

	CHECK_INT(post(port, 5000, &a, &why), 0);
	CHECK_INT(a.status, 200);
	CHECK_STR(a.body, "{\"seq\": 1}\n");
	agent_http_answer_release(&a);
	server_done();
	free(why);
}

TEST(http_client_truncated_answer)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL;
	uint16_t port = serve_once(ANSWER("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"seq\""), 1, 0);

	CHECK_INT(post(port, 5000, &a, &why), -EPROTO);
	CHECK(why && strstr(why, "http://127.0.0.1:") && strstr(why, "ended after 6 of its 100"));
	server_done();
	free(why);
}

TEST(http_client_huge_answer)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL, chunk[65536];
	uint16_t port;

	/* No length, 64 KiB x 40 = 2.5 MiB streamed: cut at the bound. */
	memset(chunk, 'x', sizeof(chunk));
	memcpy(chunk, "HTTP/1.1 200 OK\r\n\r\n", 19);
	port = serve_once(chunk, sizeof(chunk), 40, 0);
	CHECK_INT(post(port, 10000, &a, &why), -E2BIG);
	CHECK(why && strstr(why, "larger than"));
	server_done();
}

TEST(http_client_bad_status_line)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL;
	uint16_t port = serve_once(ANSWER("HTTP/1.1 OK 200\r\nContent-Length: 0\r\n\r\n"), 1, 0);

	CHECK_INT(post(port, 5000, &a, &why), -EPROTO);
	CHECK(why && strstr(why, "http://127.0.0.1:") && strstr(why, "malformed status line"));
	server_done();
	free(why);
}

TEST(http_client_slow_server_times_out)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL;
	uint16_t port = serve_once(ANSWER("HTTP/1.1 200 OK\r\n"), 1, 10);
	uint64_t t0 = cv_now_ns(), ms;

	CHECK_INT(post(port, 700, &a, &why), -ETIMEDOUT);
	ms = (cv_now_ns() - t0) / 1000000u;
	CHECK(ms >= 650 && ms < 3000);
	CHECK(why && strstr(why, "timed out"));
	server_done();
	free(why);
}

TEST(http_client_refused_names_the_server)
{
	struct agent_http_answer a = { 0 };
	char *why = NULL;
	uint16_t port = serve_once(ANSWER(""), 0, 0);

	/* The server took one connection and is gone: the port is closed now. */
	server_done();
	CHECK(post(port, 2000, &a, &why) < 0);
	CHECK(why && strstr(why, "http://127.0.0.1:") && strstr(why, "cannot connect"));
	free(why);
}

TEST(http_error_text_is_the_servers_message)
{
	struct agent_http_answer a = { .status = 422 };
	char *t;

	a.body = cv_xstrdup("{\"error\": {\"code\": \"invalid\", \"message\": \"seq: not a positive integer\\u001b[31m\"}}");
	a.len = strlen(a.body);
	t = agent_http_error_text(&a);
	CHECK_STR(t, "HTTP 422: seq: not a positive integer?[31m");
	free(t);
	agent_http_answer_release(&a);
}

/* An answer with its Content-Length counted here. */
static char *json_answer(const char *status, const char *body)
{
	char *a = NULL;

	if (asprintf(&a, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", status,
		     strlen(body), body) < 0)
		abort();
	return a;
}

TEST(enroll_writes_the_state_and_follows_the_servers_seq)
{
	char *answer = json_answer("200 OK", "{\"machine\":\"m-00000000000000aa\",\"credential\":\"cv_abcdefgh\","
					     "\"customer\":\"c1\",\"interval\":30,\"seq\":41}");
	char *tok = path_of("token"), *dir = path_of("st"), *url = NULL, *why = NULL;
	struct agent_enrollment e = { 0 };
	struct agent_enroll_options o = { .token_file = tok, .state_dir = dir, .name = "n1" };
	struct agent_runstate st = { 0 };
	struct agent_config c = { 0 };
	uint16_t port;

	put(tap_tmpdir(), "token", "tok_x\n");
	port = serve_once(answer, strlen(answer), 1, 0);
	if (asprintf(&url, "http://127.0.0.1:%u", port) < 0)
		abort();
	o.server = url;
	CHECK_INT(agent_enroll(&o, &e, &why), 0);
	if (why)
		tap_fail(__FILE__, __LINE__, "%s", why);
	server_done();
	CHECK_STR(e.machine, "m-00000000000000aa");
	CHECK(!e.created); /* 200: enrolled again */
	CHECK_INT(agent_config_load(dir, &c, &why), 0);
	CHECK_STR(c.credential, "cv_abcdefgh");
	CHECK_INT(c.interval, 30);
	CHECK_STR(c.name, "n1");
	/* The server applied up to 41: the next report is 42. */
	CHECK_INT(agent_runstate_load(dir, &st, &why), 0);
	CHECK_INT(st.seq, 41);
	agent_runstate_release(&st);
	agent_config_release(&c);
	agent_enrollment_release(&e);
	free(answer);
	free(url);
	free(why);
	free(tok);
	free(dir);
}

TEST(enroll_refused_names_the_server)
{
	char *answer = json_answer("403 Forbidden", "{\"error\": {\"code\": \"forbidden\", \"message\": \"not an admin\"}}");
	char *tok = path_of("token"), *dir = path_of("st"), *url = NULL, *why = NULL;
	struct agent_enroll_options o = { .token_file = tok, .state_dir = dir };
	uint16_t port;

	put(tap_tmpdir(), "token", "tok_x");
	port = serve_once(answer, strlen(answer), 1, 0);
	if (asprintf(&url, "http://127.0.0.1:%u", port) < 0)
		abort();
	o.server = url;
	CHECK_INT(agent_enroll(&o, NULL, &why), -EACCES);
	server_done();
	CHECK(why && strstr(why, url) && strstr(why, "enrollment refused: HTTP 403: not an admin"));
	/* Nothing was written. */
	CHECK(access(dir, F_OK) != 0 || access(path_of("st/agent.json"), F_OK) != 0);
	free(answer);
	free(url);
	free(why);
	free(tok);
	free(dir);
}

TAP_MAIN(enroll_writes_the_state_and_follows_the_servers_seq, enroll_refused_names_the_server, spool_lists_oldest_first, spool_full_drops_oldest_heartbeat_first,
	 spool_drop_keeps_the_count_a_report_carried, spool_bounded_by_bytes,
	 state_loads_a_good_file, state_dir_others_may_write_is_refused, state_file_readable_by_others_is_refused,
	 state_tampered_or_malformed_is_refused, state_not_enrolled_is_named, runstate_round_trips, health_parsers,
	 health_from_a_fixture_root, url_parsing, http_parse_strictly, http_client_reads_a_good_answer,
	 http_client_truncated_answer, http_client_huge_answer, http_client_bad_status_line,
	 http_client_slow_server_times_out, http_client_refused_names_the_server, http_error_text_is_the_servers_message)
