/*
 * fleet.c - many descriptors against one index: reading a fleet (JSONL,
 * a directory of *.json, stdin), each machine's record, the verdict and
 * reason histograms, and the time each phase took (see covalid/check.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "check/check-internal.h"
#include "util/cv.h"

void check_fleet_init(struct check_fleet *f, const struct check_index *ix, enum check_fleet_flags flags,
		      const struct check_fleet_ops *ops)
{
	*f = (struct check_fleet){ .ix = ix, .flags = flags, .started_ns = cv_now_ns() };
	if (ops)
		f->ops = *ops;
}

void check_fleet_release(struct check_fleet *f)
{
	free(f->keys);
	f->keys = NULL;
	f->n_keys = f->alloc_keys = 0;
}

static void bad(struct check_fleet *f, const char *source, const char *why)
{
	f->bad++;
	if (f->ops.bad)
		f->ops.bad(f->ops.userdata, source, why);
}

static void count(struct check_fleet *f, const struct check_fast *m)
{
	f->verdicts[m->verdict]++;
	f->reasons[m->verdict][m->reason]++;
}

/*
 * One descriptor's text.  source names it for a record or a message; when
 * NULL it is "path:lineno", formatted only if someone reads it, since a
 * fleet of a million lines would otherwise spend more formatting names
 * than matching.  Matching never reads evidence, so evidence is validated
 * and skipped, not built (DESCRIPTOR_PARSE_NO_EVIDENCE); the descriptor a
 * record hands out has none.  Without records, only what becomes the key
 * is built (DESCRIPTOR_PARSE_MATCH_ONLY).
 */
static void add(struct check_fleet *f, const char *source, const char *path, size_t lineno, const char *text,
		size_t len, bool timed)
{
	struct descriptor *d = NULL;
	char *why = NULL, name[4096];
	uint64_t t0 = timed ? cv_now_ns() : 0, t1 = 0;
	struct check_key k;
	/* With records, the record's reader may want the machine's name and
	 * its differences; without, the descriptor only becomes a key. */
	unsigned flags = f->flags & CHECK_FLEET_RECORDS ? DESCRIPTOR_PARSE_NO_EVIDENCE : DESCRIPTOR_PARSE_MATCH_ONLY;
	int r = len > DESCRIPTOR_MAX_BYTES ? -E2BIG : descriptor_parse(text, len, flags, &d, &why);

	if (!source && (r < 0 || (f->flags & CHECK_FLEET_RECORDS))) {
		snprintf(name, sizeof(name), "%s:%zu", path, lineno);
		source = name;
	}
	if (r < 0) {
		bad(f, source, r == -E2BIG ? "line longer than 1 MiB" : why);
		free(why);
		return;
	}
	check_key_from_descriptor(f->ix, d, &k);
	if (timed) {
		t1 = cv_now_ns();
		f->parse_ns += t1 - t0;
	}
	f->machines++;
	if (f->flags & CHECK_FLEET_RECORDS) {
		struct check_fast m;
		struct check_fleet_record rec = { .source = source, .descriptor = d, .fast = &m };

		check_match_fast(f->ix, &k, &m);
		if (timed)
			f->match_ns += cv_now_ns() - t1;
		count(f, &m);
		if (f->ops.record)
			f->ops.record(f->ops.userdata, &rec);
	} else {
		if (f->n_keys == f->alloc_keys) {
			f->alloc_keys = f->alloc_keys ? f->alloc_keys * 2 : 4096;
			f->keys = cv_xreallocarray(f->keys, f->alloc_keys, sizeof(*f->keys));
		}
		f->keys[f->n_keys++] = k;
	}
	descriptor_free(d);
}

void check_fleet_add(struct check_fleet *f, const char *source, const char *text, size_t len)
{
	add(f, source, NULL, 0, text, len, true);
}

static void progress(struct check_fleet *f, uint64_t done, uint64_t total)
{
	if (f->ops.progress)
		f->ops.progress(f->ops.userdata, f->machines + f->bad, done, total);
}

/*
 * The lines of buf[0..n) that end within it (all of them when last): each
 * without its line end (LF, CR LF, and any CRs before it), blank ones
 * (spaces and tabs only) skipped.  Returns how many bytes were consumed.
 */
static size_t lines(struct check_fleet *f, const char *path, size_t *lineno, const char *buf, size_t n, bool last,
		    uint64_t *done, uint64_t total)
{
	/* Without records, a block's lines are timed together as the parse
	 * phase (finding the line ends included): two clock reads a
	 * descriptor cost about as much as matching it. */
	bool per_line = f->flags & CHECK_FLEET_RECORDS;
	uint64_t t0 = per_line ? 0 : cv_now_ns();
	size_t at = 0;

	while (at < n) {
		const char *s = buf + at, *nl = memchr(s, '\n', n - at);
		size_t len, end;

		if (!nl && !last)
			break;
		len = nl ? (size_t)(nl - s) : n - at;
		end = nl ? len + 1 : len;
		(*lineno)++;
		*done += end;
		at += end;
		while (len && (s[len - 1] == '\r' || s[len - 1] == '\n'))
			len--;
		/* A blank line is no input: no progress call for it (check.h). */
		for (size_t i = 0; i < len; i++)
			if (s[i] != ' ' && s[i] != '\t') {
				add(f, NULL, path, *lineno, s, len, per_line);
				progress(f, *done, total);
				break;
			}
	}
	if (!per_line)
		f->parse_ns += cv_now_ns() - t0;
	return at;
}

/*
 * A file, stdin or a pipe, read in blocks of READ_BLOCK into one buffer,
 * the lines handed over in place; only the unfinished last line of a block
 * moves to the front.  Not mapped: a mapped file's pages count in the
 * process's RSS as it is read (gigabytes for a big fleet), and mapping it a
 * 32 MiB window at a time (RSS bounded) cost more CPU in page faults than
 * the copy into this buffer saves: 0.97-1.0 s against 0.56-0.69 s per
 * 100,000 descriptors of 5.9 kB on this 2-core VM.  A line
 * that outgrows DESCRIPTOR_MAX_BYTES is not kept: its bytes are dropped up
 * to its end, then it counts as bad.  total: the file's size, 0 if unknown.
 */
/* Small enough that the buffer's busy part stays in the CPU's L2 cache
 * between the kernel's copy and the parse (dd here: 2.6 GB/s in 128 KiB
 * blocks, 0.75 GB/s in 1 MiB ones). */
#define READ_BLOCK (1u << 17)

static int read_stream(struct check_fleet *f, const char *path, int fd, uint64_t total)
{
	size_t cap = DESCRIPTOR_MAX_BYTES + 2 * READ_BLOCK, have = 0, lineno = 0;
	char *buf = cv_xmalloc(cap);
	uint64_t done = 0;
	bool dropping = false;
	int r = 0;

	for (;;) {
		ssize_t got = read(fd, buf + have, cap - have < READ_BLOCK ? cap - have : READ_BLOCK);
		size_t used;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		have += (size_t)got;
		if (dropping) {
			char *nl = memchr(buf, '\n', have);

			if (!nl) {
				done += have;
				have = 0;
				if (got == 0)
					break;
				continue;
			}
			done += (size_t)(nl + 1 - buf);
			lineno++;
			{
				char name[4096];

				snprintf(name, sizeof(name), "%s:%zu", path, lineno);
				bad(f, name, "line longer than 1 MiB");
			}
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			dropping = false;
		}
		used = lines(f, path, &lineno, buf, have, got == 0, &done, total);
		have -= used;
		memmove(buf, buf + used, have);
		if (got == 0)
			break;
		if (have > DESCRIPTOR_MAX_BYTES + 2) {
			/* No line end in more than a descriptor's worth: too long. */
			done += have;
			have = 0;
			dropping = true;
		}
	}
	if (dropping && r == 0) {
		char name[4096];

		snprintf(name, sizeof(name), "%s:%zu", path, ++lineno);
		bad(f, name, "line longer than 1 MiB");
	}
	free(buf);
	return r;
}

static int read_jsonl(struct check_fleet *f, const char *path)
{
	bool std = strcmp(path, "-") == 0;
	int fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC), r;
	struct stat st;

	if (fd < 0)
		return -errno;
	/* The size of a regular file tells how far the bytes read are. */
	r = read_stream(f, path, fd, fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
	if (!std)
		close(fd);
	return r;
}

static int read_dir(struct check_fleet *f, const char *path)
{
	struct cv_strv names;
	struct dirent *de;
	DIR *dir = opendir(path);

	if (!dir)
		return -errno;
	cv_strv_init(&names);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && cv_endswith(de->d_name, ".json"))
			cv_strv_push(&names, de->d_name);
	closedir(dir);
	cv_strv_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		char *file = cv_xasprintf("%s/%s", path, names.v[i]), *text;
		size_t len;
		int r = cv_read_file(file, DESCRIPTOR_MAX_BYTES, &text, &len);

		if (r < 0)
			bad(f, file, r == -E2BIG ? "larger than 1 MiB: not a descriptor" : strerror(-r));
		else {
			add(f, file, NULL, 0, text, len, true);
			free(text);
		}
		free(file);
		progress(f, i + 1, names.n);
	}
	cv_strv_release(&names);
	return 0;
}

int check_fleet_read(struct check_fleet *f, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return read_jsonl(f, path);
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? read_dir(f, path) : read_jsonl(f, path);
}

void check_fleet_finish(struct check_fleet *f)
{
	uint64_t t0;

	if (f->flags & CHECK_FLEET_RECORDS)
		return;
	/* The match phase alone, over keys already in memory. */
	t0 = cv_now_ns();
	for (size_t i = 0; i < f->n_keys; i++) {
		struct check_fast m;

		check_match_fast(f->ix, &f->keys[i], &m);
		count(f, &m);
	}
	f->match_ns = cv_now_ns() - t0;
}

json_t *check_fleet_record_to_json(const struct check_fleet *f, const struct check_fleet_record *r)
{
	const struct catalog *cat = f->ix->cat;
	const struct check_fast *m = r->fast;
	char *name = r->descriptor ? check_fleet_machine_name(r->descriptor) : NULL;
	json_t *o;

	o = json_pack("{s:s, s:o?, s:s, s:s}", "source", r->source, "machine", name ? json_string(name) : NULL,
		      "verdict", check_verdict_name(m->verdict), "reason", check_reason_name(m->reason));
	free(name);
	json_object_set_new(o, "match", m->match >= 0 ? json_string(cat->configs[m->match]->id) : json_null());
	if (m->nearest >= 0 && m->match < 0 && r->descriptor) {
		struct cv_strv diffs;
		json_t *a = json_array();

		cv_strv_init(&diffs);
		check_differences(cat->configs[m->nearest], r->descriptor, &diffs);
		for (size_t i = 0; i < diffs.n; i++)
			json_array_append_new(a, json_string(diffs.v[i]));
		cv_strv_release(&diffs);
		json_object_set_new(o, "nearest", json_pack("{s:s, s:o}", "id", cat->configs[m->nearest]->id,
							    "differences", a));
	} else
		json_object_set_new(o, "nearest", json_null());
	return o;
}

char *check_fleet_machine_name(const struct descriptor *d)
{
	const char *os = d->guest.os.pretty ? d->guest.os.pretty : d->guest.os.name ? d->guest.os.name : d->guest.os.id;
	const char *hv = d->hypervisor.product ? d->hypervisor.product : d->hypervisor.id;

	return cv_xasprintf("%s on %s", os ? os : "unknown OS", hv ? hv : "unknown hypervisor");
}

void check_fleet_stats(const struct check_fleet *f, struct check_fleet_stats *ret)
{
	struct rusage ru;
	uint64_t now = cv_now_ns();

	getrusage(RUSAGE_SELF, &ru);
	*ret = (struct check_fleet_stats){
		.configurations = check_index_size(f->ix),
		.machines = f->machines,
		.index_s = (double)f->index_ns / 1e9,
		.parse_s = (double)f->parse_ns / 1e9,
		.match_s = (double)f->match_ns / 1e9,
		.total_s = (double)(now - f->started_ns) / 1e9,
		.peak_rss_mib = ru.ru_maxrss / 1024,
	};
}
