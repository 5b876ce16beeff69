/*
 * fleet.c - many descriptors against one index: reading a fleet (JSONL,
 * a directory of *.json, stdin), each machine's record, the verdict and
 * reason histograms, and the time each phase took (see covalid/check.h).
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

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

void check_fleet_add(struct check_fleet *f, const char *source, const char *text, size_t len)
{
	struct descriptor *d = NULL;
	char *why = NULL;
	uint64_t t0 = cv_now_ns(), t1;
	struct check_key k;

	if (descriptor_from_json(text, len, &d, &why) < 0) {
		bad(f, source, why);
		free(why);
		return;
	}
	check_key_from_descriptor(f->ix, d, &k);
	t1 = cv_now_ns();
	f->parse_ns += t1 - t0;
	f->machines++;
	if (f->flags & CHECK_FLEET_RECORDS) {
		struct check_fast m;
		struct check_fleet_record rec = { .source = source, .descriptor = d, .fast = &m };

		check_match_fast(f->ix, &k, &m);
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

static void progress(struct check_fleet *f, uint64_t done, uint64_t total)
{
	if (f->ops.progress)
		f->ops.progress(f->ops.userdata, f->machines + f->bad, done, total);
}

static int read_jsonl(struct check_fleet *f, const char *path)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL, source[4096];
	size_t cap = 0, lineno = 0;
	uint64_t total = 0, done = 0;
	struct stat st;
	ssize_t len;

	if (!in)
		return -errno;
	/* The size of a regular file tells how far the bytes read are. */
	if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode))
		total = (uint64_t)st.st_size;
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		done += (uint64_t)len;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue;
		snprintf(source, sizeof(source), "%s:%zu", path, lineno);
		if ((size_t)len > DESCRIPTOR_MAX_BYTES)
			bad(f, source, "line longer than 1 MiB");
		else
			check_fleet_add(f, source, line, (size_t)len);
		progress(f, done, total);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	return 0;
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
			check_fleet_add(f, file, text, len);
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
