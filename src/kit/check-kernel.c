/*
 * check-kernel.c - kernel.health: the taint flags and the kernel log.
 *
 * A guest that runs properly on its hypervisor leaves no trace of trouble
 * in its kernel: no taint (a warning, an oops, a machine check, a soft
 * lockup all set one) and no oops, lockup, RCU stall or hung-task report
 * in the log.  These are the signatures LISA and Red Hat's certification
 * suite scan for after each test.
 *
 * The log is read from /dev/kmsg, which hands out one record per read()
 * and, opened O_NONBLOCK, ends with EAGAIN instead of waiting for the
 * next message.  Where /dev/kmsg is refused (containers, dmesg_restrict
 * without CAP_SYSLOG) klogctl() is tried; where both are refused only the
 * taint flags are checked and the result says so.
 */
#include <fcntl.h>
#include <sys/klog.h>
#include <unistd.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

/* Never more of the log than this, whatever the ring buffer's size. */
#define LOG_MAX (16u * 1024 * 1024)
/* A /dev/kmsg record is at most CONSOLE_EXT_LOG_MAX (8 KiB) with its
 * dictionary; a smaller buffer makes read() fail with EINVAL. */
#define RECORD_MAX 16384
/* How much of a matching line the result quotes. */
#define QUOTE_MAX 200

/* klogctl() commands (syslog(2)); glibc's header does not name them. */
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

/*
 * The taint flags in bit order, as the kernel prints them (kernel/panic.c
 * taint_flags[]; Documentation/admin-guide/tainted-kernels.rst).
 */
static const struct {
	char letter;
	const char *meaning;
} taint_flags[] = {
	{ 'P', "proprietary module loaded" },
	{ 'F', "module force-loaded" },
	{ 'S', "CPU out of specification" },
	{ 'R', "module force-unloaded" },
	{ 'M', "machine check exception" },
	{ 'B', "bad page referenced" },
	{ 'U', "tainted on user request" },
	{ 'D', "the kernel died (oops or BUG)" },
	{ 'A', "ACPI table overridden" },
	{ 'W', "a warning was issued" },
	{ 'C', "staging driver loaded" },
	{ 'I', "firmware bug worked around" },
	{ 'O', "out-of-tree module loaded" },
	{ 'E', "unsigned module loaded" },
	{ 'L', "soft lockup occurred" },
	{ 'K', "kernel live-patched" },
	{ 'X', "auxiliary taint" },
	{ 'T', "built with struct randomization" },
	{ 'N', "in-kernel test run" },
	{ 'J', "firmware control used" },
};

/*
 * What trouble looks like in the log.  A line matches an entry when it
 * contains needle and, if given, also.  Several entries may share a key
 * (the RCU stall has three spellings across kernel versions); a line is
 * counted once per key.
 */
static const struct {
	const char *key;
	const char *needle;
	const char *also;
} signatures[] = {
	{ "call_trace", "Call Trace:", NULL },
	{ "soft_lockup", "soft lockup", NULL },
	{ "hard_lockup", "hard LOCKUP", NULL },
	{ "rcu_stall", "rcu_sched detected stall", NULL },
	{ "rcu_stall", "rcu: INFO:", "detected stall" },
	{ "rcu_stall", "detected stalls", NULL },
	{ "null_pointer", "NULL pointer dereference", NULL },
	{ "general_protection", "general protection fault", NULL },
	{ "kernel_panic", "Kernel panic", NULL },
	{ "hung_task", "blocked for more than", NULL },
	{ "bug", "BUG: ", NULL },
};

/* The decoded flags, "W (a warning was issued), ...": a new string. */
static char *taint_describe(uint64_t tainted)
{
	struct cv_buf b;

	cv_buf_init(&b, 4096);
	for (unsigned bit = 0; bit < 64; bit++) {
		int r;

		if (!(tainted & (UINT64_C(1) << bit)))
			continue;
		if (bit < CV_ELEMENTSOF(taint_flags))
			r = cv_buf_printf(&b, "%s%c (%s)", b.len ? ", " : "", taint_flags[bit].letter,
					  taint_flags[bit].meaning);
		else
			r = cv_buf_printf(&b, "%sbit %u (unknown to covalid)", b.len ? ", " : "", bit);
		if (r < 0)
			break;
	}
	return cv_buf_detach(&b, NULL);
}

void kit_decide_health(uint64_t tainted, size_t n_signatures, const char *first_signature, bool log_readable,
		       struct kit_verdict *v)
{
	char trouble[300] = "", *flags;
	const char *q = first_signature ? first_signature : "";
	size_t qn;

	/* Quote the first signature trimmed, and bounded so that a long
	 * line cannot push the taint flags out of the reason. */
	while (*q == ' ' || *q == '\t')
		q++;
	qn = strcspn(q, "\r\n");
	while (qn && (q[qn - 1] == ' ' || q[qn - 1] == '\t'))
		qn--;
	if (qn > QUOTE_MAX)
		qn = QUOTE_MAX;
	if (n_signatures)
		snprintf(trouble, sizeof(trouble), "the kernel log shows %zu sign%s of trouble, the first: \"%.*s\"",
			 n_signatures, n_signatures > 1 ? "s" : "", (int)qn, q);

	if (tainted) {
		flags = taint_describe(tainted);
		kit_verdict_set(v, KIT_FAIL, "the kernel is tainted (0x%llx): %s%s%s", (unsigned long long)tainted, flags,
				n_signatures ? "; and " : "", trouble);
		free(flags);
	} else if (n_signatures)
		kit_verdict_set(v, KIT_FAIL, "%s", trouble);
	else if (!log_readable)
		kit_verdict_set(v, KIT_PASS, "the kernel log is not readable here; only the taint flags were checked");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* What the scan of the log found. */
struct scan {
	size_t counts[CV_ELEMENTSOF(signatures)]; /* by the first entry of each key */
	size_t matching;                         /* lines matching any signature */
	char *first;                             /* the first matching line, sanitized */
	uint64_t bytes, records;
};

/* The index of the first entry with signatures[i]'s key. */
static size_t key_index(size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(signatures[k].key, signatures[i].key) == 0)
			return k;
	return i;
}

static void scan_line(struct scan *s, const char *line, size_t len)
{
	bool hit[CV_ELEMENTSOF(signatures)] = { false };
	bool any = false;
	char *copy;

	/* memmem() rather than strstr(): the line is not NUL-terminated. */
	for (size_t i = 0; i < CV_ELEMENTSOF(signatures); i++) {
		size_t k = key_index(i);

		if (hit[k] || !memmem(line, len, signatures[i].needle, strlen(signatures[i].needle)))
			continue;
		if (signatures[i].also && !memmem(line, len, signatures[i].also, strlen(signatures[i].also)))
			continue;
		hit[k] = true;
		s->counts[k]++;
		any = true;
	}
	if (!any)
		return;
	s->matching++;
	if (!s->first) {
		copy = cv_str_sanitize(line, len, 4 * QUOTE_MAX);
		s->first = cv_xstrdup(cv_strstrip(copy));
		free(copy);
	}
}

/* /dev/kmsg: "prio,seq,ts,flags;message\n" then optional " KEY=value"
 * dictionary lines, one record per read().  0, or -errno if unreadable. */
static int scan_kmsg(struct scan *s)
{
	char *rec = cv_xmalloc(RECORD_MAX);
	int fd, r;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	while (s->bytes < LOG_MAX) {
		ssize_t n = read(fd, rec, RECORD_MAX);
		const char *msg, *end;

		if (n < 0) {
			/* EPIPE: the record was overwritten while we read; the
			 * next read() goes on with the oldest one left. */
			if (errno == EINTR || errno == EPIPE)
				continue;
			if (errno == EAGAIN)
				break;
			r = -errno;
			/* Refused before anything was read: not readable. */
			if (s->records == 0)
				goto out;
			break;
		}
		if (n == 0)
			break;
		s->bytes += (uint64_t)n;
		s->records++;
		msg = memchr(rec, ';', (size_t)n);
		msg = msg ? msg + 1 : rec;
		end = memchr(msg, '\n', (size_t)(rec + n - msg));
		if (!end)
			end = rec + n;
		scan_line(s, msg, (size_t)(end - msg));
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(rec);
	return r;
}

/* klogctl(): the whole ring buffer as "<prio>[ts] message\n" lines. */
static int scan_klogctl(struct scan *s)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf = NULL;
	int n, r;

	if (size <= 0) {
		r = size < 0 ? -errno : -ENODATA;
		goto out;
	}
	if ((unsigned)size > LOG_MAX)
		size = LOG_MAX;
	buf = cv_xmalloc((size_t)size);
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	for (const char *p = buf, *end = buf + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;

		/* Drop the "<prio>" prefix so the quote starts at the text. */
		if (*p == '<') {
			const char *gt = memchr(p, '>', (size_t)(line_end - p));

			if (gt && gt - p <= 4)
				p = gt + 1;
		}
		scan_line(s, p, (size_t)(line_end - p));
		s->records++;
		p = nl ? nl + 1 : end;
	}
	s->bytes = (uint64_t)n;
	r = 0;
out:
	free(buf);
	return r;
}

void kit_check_kernel_health(const struct kit_ctx *ctx, struct kit_out *out)
{
	struct scan s = { 0 };
	char *text = kit_read("/proc/sys/kernel/tainted");
	const char *source = NULL;
	uint64_t tainted = 0;
	struct kit_verdict v;
	json_t *counts, *letters;
	char letter[2] = "";

	(void)ctx;
	if (!text || cv_parse_u64(text, 10, &tainted) < 0) {
		kit_set(out, KIT_ERROR, "/proc/sys/kernel/tainted is %s", text ? "not a number" : "not readable");
		goto out;
	}
	if (scan_kmsg(&s) == 0)
		source = "/dev/kmsg";
	else if (scan_klogctl(&s) == 0)
		source = "klogctl";

	letters = json_array();
	for (unsigned bit = 0; bit < CV_ELEMENTSOF(taint_flags); bit++)
		if (tainted & (UINT64_C(1) << bit)) {
			letter[0] = taint_flags[bit].letter;
			json_array_append_new(letters, json_string(letter));
		}
	json_object_set_new(out->measured, "tainted", json_integer((json_int_t)(tainted & INT64_MAX)));
	json_object_set_new(out->measured, "taint_flags", letters);
	json_object_set_new(out->measured, "log_source", source ? json_string(source) : json_null());
	if (source) {
		counts = json_object();
		for (size_t i = 0; i < CV_ELEMENTSOF(signatures); i++)
			if (key_index(i) == i)
				json_object_set_new(counts, signatures[i].key, json_integer((json_int_t)s.counts[i]));
		json_object_set_new(out->measured, "log_bytes", json_integer((json_int_t)s.bytes));
		json_object_set_new(out->measured, "log_records", json_integer((json_int_t)s.records));
		json_object_set_new(out->measured, "signatures", counts);
		json_object_set_new(out->measured, "first_signature", s.first ? json_string(s.first) : json_null());
	}
	json_object_set_new(out->threshold, "tainted", json_integer(0));
	json_object_set_new(out->threshold, "signatures", json_integer(0));
	kit_decide_health(tainted, s.matching, s.first, source != NULL, &v);
	kit_apply(out, &v);
out:
	free(s.first);
	free(text);
}
