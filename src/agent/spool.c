/*
 * spool.c - reports waiting for the server: DIR/spool/SEQ-KIND.json, SEQ
 * twenty decimal digits (so names sort as numbers), KIND 'h' for a
 * heartbeat-only report and 'd' for one that carries a descriptor.
 *
 * Every report goes through the spool: it is written here (durably)
 * before the first attempt to send it, and removed only once the server
 * acknowledged it, so a crash or a server that is down loses nothing.
 * Bounded by count and bytes: when a new report would pass a bound the
 * oldest heartbeat-only reports go first (a heartbeat says "alive at T",
 * which the reports around it mostly say too); only a spool of
 * descriptor reports loses one of those, oldest first (and the server,
 * finding a digest it does not know, asks for the descriptor again).
 */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "agent/agent-internal.h"
#include "util/cv.h"

void agent_spool_init(struct agent_spool *s, const char *state_dir, size_t max_count, size_t max_bytes)
{
	s->dir = cv_xasprintf("%s/spool", state_dir);
	s->max_count = max_count ? max_count : AGENT_SPOOL_MAX_COUNT;
	s->max_bytes = max_bytes ? max_bytes : AGENT_SPOOL_MAX_BYTES;
}

void agent_spool_release(struct agent_spool *s)
{
	s->dir = cv_free(s->dir);
}

void agent_spool_entries_free(struct agent_spool_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct agent_spool_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "00000000000000000042-h.json" -> 42, heartbeat. */
static bool parse_name(const char *name, uint64_t *ret_seq, bool *ret_heartbeat)
{
	char digits[21];

	if (strlen(name) != 27 || strspn(name, "0123456789") != 20 || name[20] != '-' ||
	    (name[21] != 'h' && name[21] != 'd') || strcmp(name + 22, ".json") != 0)
		return false;
	memcpy(digits, name, 20);
	digits[20] = '\0';
	if (cv_parse_u64(digits, 10, ret_seq) < 0)
		return false;
	*ret_heartbeat = name[21] == 'h';
	return true;
}

int agent_spool_list(const struct agent_spool *s, struct agent_spool_entry **ret, size_t *ret_n)
{
	DIR *d = opendir(s->dir);
	struct agent_spool_entry *v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *e;

	if (!d) {
		if (errno != ENOENT)
			return -errno;
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	while ((e = readdir(d))) {
		struct agent_spool_entry x = { 0 };
		struct stat st;

		if (!parse_name(e->d_name, &x.seq, &x.heartbeat))
			continue;
		x.path = cv_xasprintf("%s/%s", s->dir, e->d_name);
		if (stat(x.path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(x.path);
			continue;
		}
		x.bytes = (size_t)st.st_size;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			v = cv_xreallocarray(v, alloc, sizeof(*v));
		}
		v[n++] = x;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The count of dropped reports a spooled report carries ("dropped"): it
 * goes back to the agent's count when that report is dropped in turn, so
 * a long outage loses no part of the count. */
static uint64_t carried(const struct agent_spool *s, const char *path)
{
	char *body = NULL;
	size_t len = 0;
	json_t *o, *v;
	uint64_t n = 0;

	if (cv_read_file(path, s->max_bytes, &body, &len) < 0)
		return 0;
	o = json_loadb(body, len, 0, NULL);
	v = json_object_get(o, "dropped");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		n = (uint64_t)json_integer_value(v);
	json_decref(o);
	free(body);
	return n;
}

int agent_spool_add(const struct agent_spool *s, uint64_t seq, bool heartbeat, const char *body, size_t len,
		    uint64_t *dropped)
{
	struct agent_spool_entry *v = NULL;
	size_t n = 0, count, bytes = 0;
	char *path = NULL;
	int r;

	if (len > s->max_bytes)
		return -E2BIG;
	r = cv_mkdir_p(s->dir, 0700);
	if (r < 0)
		return r;
	r = agent_spool_list(s, &v, &n);
	if (r < 0)
		return r;
	count = n;
	for (size_t i = 0; i < n; i++)
		bytes += v[i].bytes;
	/* Two passes: heartbeats oldest first, then anything oldest first. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n && (count + 1 > s->max_count || bytes + len > s->max_bytes); i++) {
			uint64_t was = 0;

			if (!v[i].path || (pass == 0 && !v[i].heartbeat))
				continue;
			if (dropped)
				was = carried(s, v[i].path);
			if (remove(v[i].path) < 0 && errno != ENOENT) {
				r = -errno;
				goto out;
			}
			count--;
			bytes -= v[i].bytes;
			v[i].path = cv_free(v[i].path);
			if (dropped)
				*dropped += 1 + was;
		}
	path = cv_xasprintf("%s/%020llu-%c.json", s->dir, (unsigned long long)seq, heartbeat ? 'h' : 'd');
	r = cv_write_file_atomic(path, body, len, 0600);
out:
	free(path);
	agent_spool_entries_free(v, n);
	return r;
}
