/*
 * health.c - the report's "health" object (docs/monitor.md, "Agent
 * protocol"): what every system reports the same way (vCPUs and the
 * integration components, from the descriptor; the clock offset the last
 * answer gave) around what the system measures itself
 * (agent_health_sys(): health-linux.c, win/health.c), and the parsers of
 * Linux's /proc sources, kept portable so that tests run them anywhere.
 */
#include <jansson.h>

#include "agent/agent-internal.h"
#include "covalid/descriptor.h"
#include "util/cv.h"

static json_t *strv_json(const struct cv_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

json_t *agent_health(struct agent_health_ctx *ctx)
{
	json_t *h = json_object();

	/* The order of the protocol's example; unknown values are null. */
	json_object_set_new(h, "cpu_pct", json_null());
	json_object_set_new(h, "mem_pct", json_null());
	json_object_set_new(h, "mem_total_mib", json_null());
	json_object_set_new(h, "load", json_null());
	json_object_set_new(h, "vcpus", ctx->d && ctx->d->vm.vcpus > 0 ? json_integer(ctx->d->vm.vcpus) : json_null());
	json_object_set_new(h, "disks", json_array());
	json_object_set_new(h, "clock_offset_ms",
			    ctx->state->have_clock ? json_integer(ctx->state->clock_offset_ms) : json_null());
	if (ctx->d)
		json_object_set_new(h, "components",
				    json_pack("{s:o, s:o, s:o}", "expected", strv_json(&ctx->d->integration.expected),
					      "present", strv_json(&ctx->d->integration.present), "missing",
					      strv_json(&ctx->d->integration.missing)));
	agent_health_sys(ctx, h);
	/* What could not be measured is left out (the server reads an absent
	 * member as unknown; null is only for the clock offset). */
	{
		static const char *const maybe[] = { "cpu_pct", "mem_pct", "mem_total_mib", "load", "vcpus" };

		for (size_t i = 0; i < CV_ELEMENTSOF(maybe); i++)
			if (json_is_null(json_object_get(h, maybe[i])))
				json_object_del(h, maybe[i]);
	}
	return h;
}

int agent_parse_proc_stat(const char *text, uint64_t *ret_total, uint64_t *ret_idle)
{
	/* "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
	 * (proc(5)); 2.6.18 has the first eight.  guest and guest_nice are
	 * already counted in user and nice, so they are not added again. */
	unsigned long long v[8] = { 0 };
	int n;

	if (!cv_startswith(text, "cpu "))
		return -EINVAL;
	n = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6], &v[7]);
	if (n < 4)
		return -EINVAL;
	*ret_total = 0;
	for (int i = 0; i < n; i++)
		*ret_total += v[i];
	*ret_idle = v[3] + (n > 4 ? v[4] : 0); /* idle + iowait */
	return 0;
}

static bool meminfo_field(const char *text, const char *name, uint64_t *ret)
{
	size_t nl = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		unsigned long long v;
		char unit[8] = "";

		if (strncmp(p, name, nl) == 0 && p[nl] == ':' && sscanf(p + nl + 1, "%llu %7s", &v, unit) >= 1) {
			if (unit[0] && strcmp(unit, "kB") != 0)
				return false;
			*ret = v;
			return true;
		}
	}
	return false;
}

int agent_parse_meminfo(const char *text, uint64_t *ret_total_kib, uint64_t *ret_avail_kib)
{
	uint64_t total, avail, free_, buffers = 0, cached = 0;

	if (!meminfo_field(text, "MemTotal", &total) || total == 0)
		return -EINVAL;
	/* MemAvailable came with Linux 3.14; before it, the estimate the
	 * kernel's commit 34e431b0 replaced: free + buffers + page cache. */
	if (!meminfo_field(text, "MemAvailable", &avail)) {
		if (!meminfo_field(text, "MemFree", &free_))
			return -EINVAL;
		(void)meminfo_field(text, "Buffers", &buffers);
		(void)meminfo_field(text, "Cached", &cached);
		avail = free_ + buffers + cached;
	}
	if (avail > total)
		avail = total;
	*ret_total_kib = total;
	*ret_avail_kib = avail;
	return 0;
}

int agent_parse_loadavg(const char *text, double ret[3])
{
	double v[3];
	char c;

	/* "0.20 0.18 0.12 1/80 11206" (proc(5)). */
	if (sscanf(text, "%lf %lf %lf%c", &v[0], &v[1], &v[2], &c) != 4 || c != ' ')
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (!(v[i] >= 0 && v[i] < 1e9))
			return -EINVAL;
		ret[i] = v[i];
	}
	return 0;
}

int agent_parse_kmsg(const char *rec, size_t len, int *ret_level, uint64_t *ret_seq, char **ret_msg)
{
	/* Documentation/ABI/testing/dev-kmsg: "prio,seq,usec,flags[,...];message"
	 * where prio is (facility << 3) | level. */
	const char *semi = memchr(rec, ';', len), *p = rec;
	unsigned long long prio = 0, seq = 0;
	size_t mlen;

	if (!semi)
		return -EINVAL;
	for (int field = 0; field < 2; field++) {
		unsigned long long v = 0;
		const char *start = p;

		while (p < semi && *p >= '0' && *p <= '9') {
			if (v > UINT64_MAX / 10 - 10)
				return -EINVAL;
			v = v * 10 + (unsigned long long)(*p - '0');
			p++;
		}
		if (p == start || p >= semi || *p != ',')
			return -EINVAL;
		p++;
		if (field == 0)
			prio = v;
		else
			seq = v;
	}
	mlen = len - (size_t)(semi + 1 - rec);
	while (mlen > 0 && (semi[mlen] == '\n' || semi[mlen] == '\r'))
		mlen--;
	*ret_level = (int)(prio & 7);
	*ret_seq = seq;
	*ret_msg = cv_str_sanitize(semi + 1, mlen, 256);
	return 0;
}
