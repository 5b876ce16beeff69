/* test-util.c - bounded buffers, string vectors, strict parsing, paths, durable writes. */
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/util.h"
#include "util/suggest.h"
#include "tap.h"

TEST(buf_respects_its_limit)
{
	struct cv_buf b;

	cv_buf_init(&b, 8);
	CHECK_INT(cv_buf_puts(&b, "12345"), 0);
	CHECK_INT(cv_buf_puts(&b, "678"), 0);
	CHECK_INT(cv_buf_puts(&b, "9"), -E2BIG);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "12345678");
	CHECK_INT(cv_buf_printf(&b, "%d", 1), -E2BIG);
	cv_buf_release(&b);
}

/* A reservation allocates once, never past the limit, and changes no content. */
TEST(buf_reserve_allocates_once)
{
	struct cv_buf b;
	char *before;

	cv_buf_init(&b, 100);
	CHECK_INT(cv_buf_puts(&b, "ab"), 0);
	cv_buf_reserve(&b, 50);
	CHECK(b.alloc >= 51);
	CHECK_STR(b.data, "ab");
	before = b.data;
	for (int i = 0; i < 48; i++)
		CHECK_INT(cv_buf_append(&b, "x", 1), 0);
	CHECK(b.data == before); /* no reallocation within what was reserved */
	CHECK_INT(b.len, 50);
	cv_buf_reserve(&b, 1000); /* past max: up to max only */
	CHECK(b.alloc <= 128);
	CHECK_INT(cv_buf_append(&b, "y", 1), 0);
	cv_buf_release(&b);
}

TEST(buf_printf_appends)
{
	struct cv_buf b;
	char *s;
	size_t n;

	cv_buf_init(&b, 1024);
	CHECK_INT(cv_buf_printf(&b, "%s=%d", "a", 42), 0);
	CHECK_INT(cv_buf_printf(&b, ";%s", "b"), 0);
	s = cv_buf_detach(&b, &n);
	CHECK_STR(s, "a=42;b");
	CHECK_INT(n, 6);
	CHECK(b.data == NULL);
	free(s);
}

/* printf into the room a buffer has, at each length around its edge:
 * what fits is written once, what does not grows the buffer and is
 * written whole, and what passes the limit leaves the content as it was. */
TEST(buf_printf_at_the_edge_of_its_room)
{
	for (size_t pre = 0; pre < 70; pre++)
		for (size_t n = 0; n < 70; n++) {
			struct cv_buf b;
			char want[200];

			cv_buf_init(&b, 150);
			memset(want, 'p', pre);
			memset(want + pre, 'x', n);
			want[pre + n] = '\0';
			if (pre)
				CHECK_INT(cv_buf_append(&b, want, pre), 0);
			CHECK_INT(cv_buf_printf(&b, "%.*s", (int)n, want + pre), 0);
			CHECK_INT(b.len, pre + n);
			CHECK(b.data && strcmp(b.data, want) == 0);
			/* Past the limit: refused, the content unchanged. */
			CHECK_INT(cv_buf_printf(&b, "%0*d", (int)(151 - b.len), 7), -E2BIG);
			CHECK_INT(b.len, pre + n);
			CHECK(strcmp(b.data, want) == 0);
			cv_buf_release(&b);
		}
}

/* XML 1.0 §2.4 (& and < must be escaped in character data) and §2.2
 * (Char: no C0 controls but tab, newline and carriage return). */
TEST(buf_xml_text_escapes)
{
	struct cv_buf b;
	char *s;

	cv_buf_init(&b, 1024);
	CHECK_INT(cv_buf_xml_text(&b, "<a href=\"x\">T&amp;C</a>\x01\x1b[2J\tok\n"), 0);
	s = cv_buf_detach(&b, NULL);
	CHECK_STR(s, "&lt;a href=&quot;x&quot;&gt;T&amp;amp;C&lt;/a&gt;[2J\tok\n");
	free(s);
	cv_buf_init(&b, 8);
	CHECK(cv_buf_xml_text(&b, "&&&") < 0); /* past the buffer's limit: an error, not a cut */
	cv_buf_release(&b);
}

TEST(strv_unique_sort_join)
{
	struct cv_strv v;
	char *j;

	cv_strv_init(&v);
	CHECK(cv_strv_add_unique(&v, "b"));
	CHECK(cv_strv_add_unique(&v, "a"));
	CHECK(!cv_strv_add_unique(&v, "b"));
	cv_strv_sort(&v);
	j = cv_strv_join(&v, ",");
	CHECK_STR(j, "a,b");
	CHECK(v.v[v.n] == NULL);
	free(j);
	cv_strv_release(&v);
}

TEST(parse_u64_is_strict)
{
	uint64_t v = 7;

	CHECK_INT(cv_parse_u64("42", 10, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(cv_parse_u64(" 0x1af4\n", 16, &v), 0);
	CHECK_INT(v, 0x1af4);
	v = 7;
	CHECK_INT(cv_parse_u64("-1", 10, &v), -EINVAL);
	CHECK_INT(cv_parse_u64("12abc", 10, &v), -EINVAL);
	CHECK_INT(cv_parse_u64("", 10, &v), -EINVAL);
	CHECK_INT(cv_parse_u64("99999999999999999999999", 10, &v), -ERANGE);
	CHECK_INT(v, 7);
}

TEST(parse_int_range)
{
	int v = 0;

	CHECK_INT(cv_parse_int("-5", &v), 0);
	CHECK_INT(v, -5);
	CHECK_INT(cv_parse_int("4294967296", &v), -ERANGE);
	CHECK_INT(cv_parse_int("1.5", &v), -EINVAL);
}

/* Good: the host (brackets removed) and the port. */
static void check_host_port(const char *s, const char *host, unsigned port)
{
	char *h = NULL;
	uint16_t p = 1;

	CHECK_INT(cv_parse_host_port(s, &h, &p), 0);
	CHECK_STR(h, host);
	CHECK_INT(p, port);
	free(h);
}

TEST(parse_host_port)
{
	static const char *const bad[] = {
		"",		 "nonsense",	  "127.0.0.1",	   "127.0.0.1:",    "127.0.0.1:99999",
		"127.0.0.1:65536", ":8x80",	  "host:8x80",	   "host:+80",	    "host:-1",
		"host: 80",	 "host:80 ",	  "host:0x50",	   "host:123456",   "host:000080",
		"[::1]",	 "[::1]8080",	  "[::1:8080",	   "::1]:8080",	    "[::1]:",
		"[::1]:99999",	 "[a]b:80",	  "a[b:80",	   "[::1]:80:90",   "host:80:",
	};
	char *h = (char *)"unset";
	uint16_t p = 7;

	check_host_port("127.0.0.1:8080", "127.0.0.1", 8080);
	check_host_port("localhost:0", "localhost", 0);
	check_host_port("host:65535", "host", 65535);
	check_host_port("host:00080", "host", 80);
	check_host_port(":8080", "", 8080);
	check_host_port("*:8080", "*", 8080);
	check_host_port("[::1]:8080", "::1", 8080);
	check_host_port("[]:8080", "", 8080);
	check_host_port("[fe80::1%eth0]:1", "fe80::1%eth0", 1);
	/* Unbracketed IPv6: the last colon splits, as every caller did. */
	check_host_port("::1:8080", "::1", 8080);
	for (size_t i = 0; i < CV_ELEMENTSOF(bad); i++) {
		if (cv_parse_host_port(bad[i], &h, &p) != -EINVAL)
			tap_fail(__FILE__, __LINE__, "'%s' was not refused", bad[i]);
	}
	/* Nothing written on failure. */
	CHECK_STR(h, "unset");
	CHECK_INT(p, 7);
	CHECK_INT(cv_parse_host_port(NULL, &h, &p), -EINVAL);
}

TEST(path_resolve_stays_inside)
{
	char *p;

	p = cv_path_resolve("sys/block", "../devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
	CHECK_STR(p, "sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
	free(p);
	p = cv_path_resolve("sys/class/net", "/sys/devices/virtual/net/lo");
	CHECK_STR(p, "sys/devices/virtual/net/lo");
	free(p);
	p = cv_path_resolve("a", "../../../../etc/passwd");
	CHECK_STR(p, "etc/passwd");
	free(p);
}

TEST(utf8_clean_and_sanitize)
{
	char *s;

	CHECK(cv_str_is_clean_utf8("Red Hat \xc3\xa9", 10));
	CHECK(!cv_str_is_clean_utf8("a\x01" "b", 3));
	CHECK(!cv_str_is_clean_utf8("\xc0\xaf", 2)); /* overlong */
	CHECK(!cv_str_is_clean_utf8("\xed\xa0\x80", 3)); /* surrogate */
	s = cv_str_sanitize("ok\xff\x02z", 5, 100);
	CHECK_STR(s, "ok??z");
	free(s);
	s = cv_str_sanitize("abcdef", 6, 3);
	CHECK_STR(s, "abc");
	free(s);
}

/* Issue 9, D8: C1 controls are controls to a terminal (U+009B is CSI). */
TEST(sanitize_c1_and_text)
{
	char *s;

	CHECK(!cv_str_is_clean_utf8("a\xc2\x9b" "2J", 5));
	CHECK(!cv_str_is_clean_utf8("a\xc2\x80", 3));
	CHECK(cv_str_is_clean_utf8("a\xc2\xa0" "b", 4)); /* NBSP is text */
	s = cv_str_sanitize("a\xc2\x9b" "2J\x1b]0;t\x07\x7f", 12, 100);
	CHECK_STR(s, "a?2J?]0;t??");
	free(s);
	s = cv_str_sanitize_text("one\ntwo\tx\r\xc2\x9dy", 13, "  ");
	CHECK_STR(s, "one\n  two x??y");
	free(s);
	s = cv_str_sanitize_text("one\ntwo", 7, NULL);
	CHECK_STR(s, "one?two");
	free(s);
	s = cv_str_sanitize_text("caf\xc3\xa9 \xff", 7, NULL);
	CHECK_STR(s, "caf\xc3\xa9 ?");
	free(s);
}

TEST(atomic_write_replaces_whole_file)
{
	char *path = cv_xasprintf("%s/f", tap_tmpdir());
	char *tmp = cv_xasprintf("%s.tmp", path);
	char *data;
	size_t n;
	struct stat st;

	CHECK_INT(cv_write_file_atomic(path, "one", 3, 0600), 0);
	CHECK_INT(cv_write_file_atomic(path, "second", 6, 0600), 0);
	CHECK_INT(cv_read_file(path, 100, &data, &n), 0);
	CHECK_STR(data, "second");
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK(access(tmp, F_OK) < 0);
	free(data);
	free(path);
	free(tmp);
}

TEST(mkdir_p_makes_each_level_and_refuses_nothing)
{
	char *deep = cv_xasprintf("%s/a/b/c", tap_tmpdir());
	struct stat st;

	CHECK_INT(cv_mkdir_p(deep, 0755), 0);
	CHECK_INT(stat(deep, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(cv_mkdir_p(deep, 0755), 0); /* there already */
	/* An empty path is no directory (mkdir("") says ENOENT); it was read
	 * past its end before. */
	CHECK_INT(cv_mkdir_p("", 0755), -ENOENT);
	free(deep);
}

TEST(read_file_limits)
{
	char *path = cv_xasprintf("%s/big", tap_tmpdir());
	char *data = NULL;
	size_t n;

	CHECK_INT(cv_write_file_atomic(path, "0123456789", 10, 0644), 0);
	CHECK_INT(cv_read_file(path, 9, &data, &n), -E2BIG);
	CHECK(data == NULL);
	CHECK_INT(cv_read_file(path, 10, &data, &n), 0);
	CHECK_INT(n, 10);
	free(data);
	CHECK_INT(cv_read_file("/nonexistent/x", 10, &data, &n), -ENOENT);
	free(path);
}

TEST(time_roundtrip)
{
	char buf[32];
	int64_t t = 0;

	cv_time_iso8601(1234567890, buf, sizeof(buf));
	CHECK_STR(buf, "2009-02-13T23:31:30Z");
	CHECK_INT(cv_time_parse(buf, &t), 0);
	CHECK_INT(t, 1234567890);
	CHECK_INT(cv_time_parse("2009-02-15", &t), 0);
	CHECK_INT(t, 1234656000);
	CHECK_INT(cv_time_parse("yesterday", &t), -EINVAL);
}

/* Issue 9, D14: strptime took "2009-02-30" and timegm made it 2 March. */
TEST(time_parse_rejects_impossible_dates)
{
	static const char *const bad[] = {
		"2009-02-30", "2009-02-29", "1900-02-29", "2009-13-01", "2009-00-10", "2009-01-00", "2009-04-31",
		"2009-01-32", "2009-1-5", "09-01-05", " 2009-01-05", "2009-01-05 ", "+2009-01-05", "2009-01-05T24:00:00Z",
		"2009-01-05T12:60:00Z", "2009-01-05T12:00:60Z", "2009-01-05T12:00:00", "2009-02-30T00:00:00Z",
		"20090105", "2009-01-05T", "", "2009-01-0x",
	};
	int64_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(cv_time_parse(bad[i], &t), -EINVAL);
		CHECK_INT(t, 42);
	}
	CHECK_INT(cv_time_parse(NULL, &t), -EINVAL);
	CHECK_INT(cv_time_parse("2008-02-29", &t), 0);
	CHECK_INT(t, 1204243200);
	CHECK_INT(cv_time_parse("2000-02-29", &t), 0);
	CHECK_INT(t, 951782400);
	CHECK_INT(cv_time_parse("2009-12-31T23:59:59Z", &t), 0);
	CHECK_INT(t, 1262303999);
	CHECK_INT(cv_time_parse("1970-01-01", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(cv_time_parse("1969-12-31", &t), 0);
	CHECK_INT(t, -86400);
	CHECK_INT(cv_time_parse("9999-12-31", &t), 0);
	CHECK_INT(t, 253402214400);
}

TEST(word_in_list)
{
	CHECK(cv_word_in("new in-progress engaged", "new"));
	CHECK(cv_word_in("new in-progress engaged", "engaged"));
	CHECK(cv_word_in("new in-progress engaged", "in-progress"));
	CHECK(!cv_word_in("new in-progress engaged", "progress"));
	CHECK(!cv_word_in("new in-progress engaged", "in"));
	CHECK(!cv_word_in("limit offset", "set"));
	CHECK(!cv_word_in("limit offset", ""));
	CHECK(!cv_word_in("limit offset", NULL));
	CHECK(!cv_word_in(NULL, "limit"));
	CHECK(cv_word_in("limit limits", "limits"));
}

/* Distances worked by hand: one edit of each kind, two, none. */
TEST(edit_distance_and_suggestion)
{
	static const char *const cmds[] = { "probe", "catalog", "check", "kit", "key", "agent", "case", "help" };

	CHECK_INT(cv_edit_distance("check", "check"), 0);
	CHECK_INT(cv_edit_distance("chek", "check"), 1);    /* an insertion */
	CHECK_INT(cv_edit_distance("checkk", "check"), 1);  /* a deletion */
	CHECK_INT(cv_edit_distance("chack", "check"), 1);   /* a substitution */
	CHECK_INT(cv_edit_distance("chekc", "check"), 1);   /* neighbours swapped */
	CHECK_INT(cv_edit_distance("CHECK", "check"), 0);
	CHECK_INT(cv_edit_distance("", "kit"), 3);
	CHECK_INT(cv_edit_distance("catalgo", "catalog"), 1);
	CHECK_INT(cv_edit_distance("kitten", "sitting"), 3);
	CHECK_STR(cv_suggest("chek", cmds, CV_ELEMENTSOF(cmds)), "check");
	CHECK_STR(cv_suggest("catlog", cmds, CV_ELEMENTSOF(cmds)), "catalog");
	CHECK_STR(cv_suggest("prbe", cmds, CV_ELEMENTSOF(cmds)), "probe");
	CHECK(!cv_suggest("frobnicate", cmds, CV_ELEMENTSOF(cmds)));
	CHECK(!cv_suggest("x", cmds, CV_ELEMENTSOF(cmds))); /* one letter: nothing is near enough */
	CHECK(!cv_suggest("", cmds, CV_ELEMENTSOF(cmds)));
}

TAP_MAIN(edit_distance_and_suggestion, word_in_list, buf_respects_its_limit, buf_reserve_allocates_once, buf_printf_appends, buf_printf_at_the_edge_of_its_room, buf_xml_text_escapes, strv_unique_sort_join, parse_u64_is_strict,
	 parse_int_range, parse_host_port, path_resolve_stays_inside, utf8_clean_and_sanitize,
	 atomic_write_replaces_whole_file, mkdir_p_makes_each_level_and_refuses_nothing, read_file_limits, time_roundtrip, time_parse_rejects_impossible_dates,
	 sanitize_c1_and_text)
