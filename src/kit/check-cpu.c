/*
 * check-cpu.c - the checks that run code on every vCPU:
 * cpu.all_vcpus_execute and cpu.feature_consistency.
 *
 * Both pin one thread to each online vCPU (kit_on_each_cpu) because what
 * they prove is per vCPU: a hypervisor may schedule one vCPU rarely, or
 * present a different CPUID to one vCPU than to the others (a migration
 * between hosts of different generations does exactly that).
 */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <unistd.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

/* ---- cpu.all_vcpus_execute ---- */

/*
 * rates[i] belongs to the i-th online CPU, named "cpu<i>": online CPUs are
 * numbered 0..n-1 on every guest where cpu.topology passes.
 */
/*
 * Steal ticks of each CPU of ctx from /proc/stat, where the line
 * "cpuN user nice system idle iowait irq softirq steal ..." gives them as
 * the 8th number.  ret_ticks[i] is UINT64_MAX for a CPU without a line.
 */
static int read_steal(const struct kit_ctx *ctx, uint64_t *ret_ticks)
{
	char *s = kit_read("/proc/stat"), *save = NULL;

	if (!s)
		return -ENOENT;
	for (size_t i = 0; i < ctx->n_cpus; i++)
		ret_ticks[i] = UINT64_MAX;
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long f[8];
		int cpu;

		/* "cpuN", not the "cpu" line of all CPUs together. */
		if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &f[0], &f[1], &f[2], &f[3], &f[4],
			   &f[5], &f[6], &f[7]) != 9)
			continue;
		for (size_t i = 0; i < ctx->n_cpus; i++)
			if (ctx->cpus[i] == cpu)
				ret_ticks[i] = f[7];
	}
	free(s);
	return 0;
}

static void put_steal(const struct kit_ctx *ctx, const uint64_t *before, const uint64_t *after, json_t *o)
{
	long hz = sysconf(_SC_CLK_TCK);
	char key[32];

	for (size_t i = 0; i < ctx->n_cpus; i++) {
		snprintf(key, sizeof(key), "cpu%d", ctx->cpus[i]);
		if (hz <= 0 || before[i] == UINT64_MAX || after[i] == UINT64_MAX || after[i] < before[i])
			json_object_set_new(o, key, json_null());
		else
			json_object_set_new(o, key, json_integer((json_int_t)((after[i] - before[i]) * 1000 / (uint64_t)hz)));
	}
}

void kit_check_cpu_all_vcpus_execute(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.3, 3.0);
	struct kit_spin *w = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*w));
	double *rates = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*rates));
	uint64_t *steal0 = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*steal0));
	uint64_t *steal1 = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*steal1));
	json_t *jr = json_object(), *js = json_object();
	bool steal_ok;
	struct kit_verdict v;
	char key[32];
	int r;

	for (size_t i = 0; i < ctx->n_cpus; i++)
		w[i].interval = interval;
	steal_ok = read_steal(ctx, steal0) == 0;
	r = kit_on_each_cpu(ctx, kit_spin_worker, w, sizeof(*w));
	steal_ok = steal_ok && read_steal(ctx, steal1) == 0;
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each vCPU: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		rates[i] = w[i].elapsed > 0 ? (double)w[i].iterations / w[i].elapsed : 0;
		snprintf(key, sizeof(key), "cpu%d", ctx->cpus[i]);
		json_object_set_new(jr, key, json_real(kit_round(rates[i])));
	}
	if (steal_ok)
		put_steal(ctx, steal0, steal1, js);
	json_object_set(out->measured, "rates", jr);
	json_object_set(out->measured, "steal_ms", steal_ok ? js : json_null());
	json_object_set_new(out->measured, "median", json_real(kit_round(kit_median(rates, ctx->n_cpus))));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	json_object_set_new(out->threshold, "min_fraction", json_real(KIT_EXECUTE_MIN_FRACTION));
	kit_decide_rates(rates, ctx->n_cpus, KIT_EXECUTE_MIN_FRACTION, &v);
	kit_apply(out, &v);
out:
	json_decref(jr);
	json_decref(js);
	free(w);
	free(rates);
	free(steal0);
	free(steal1);
}

/* ---- cpu.feature_consistency ---- */

void kit_decide_feature_consistency(size_t n_cpus, size_t n_differing, const char *first_difference,
				    struct kit_verdict *v)
{
	if (n_cpus < 2)
		kit_verdict_set(v, KIT_SKIP, "one vCPU: nothing to compare");
	else if (n_differing)
		kit_verdict_set(v, KIT_FAIL, "%zu of %zu vCPUs differ from the first: %s", n_differing, n_cpus,
				first_difference ? first_difference : "(difference not recorded)");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

#if defined(__x86_64__) || defined(__i386__)

/*
 * The leaves compared.  Leaves that carry per-CPU identifiers by design
 * are left out: 0xB and 0x1F (x2APIC topology) and 0x8000001E (AMD
 * node/core ids); in leaf 1, EBX bits 31..24 (initial APIC ID) are masked.
 */
static const struct leaf {
	uint32_t leaf, sub;
	uint32_t mask[4]; /* eax, ebx, ecx, edx: bits compared */
} leaves[] = {
	{ 0x0, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0x1, 0, { ~0u, 0x00ffffffu, ~0u, ~0u } },
	{ 0x7, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0xd, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0xd, 1, { ~0u, ~0u, ~0u, ~0u } },
	{ 0x80000001, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0x80000007, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0x80000008, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0x40000000, 0, { ~0u, ~0u, ~0u, ~0u } },
	{ 0x40000001, 0, { ~0u, ~0u, ~0u, ~0u } },
};

#define N_LEAVES CV_ELEMENTSOF(leaves)

struct cpu_leaves {
	bool read[N_LEAVES];
	uint32_t r[N_LEAVES][4];
};

/* Leaves beyond the CPU's maximum are not read: they would return the
 * highest basic leaf's data, not zeros, on Intel. */
static bool leaf_exists(uint32_t leaf, uint32_t max_basic, uint32_t max_ext, bool hypervisor)
{
	if (leaf >= 0x80000000u)
		return leaf <= max_ext;
	if (leaf >= 0x40000000u)
		return hypervisor;
	return leaf <= max_basic;
}

static void *cpuid_worker(void *p)
{
	struct cpu_leaves *c = p;
	unsigned a, b, cx, d, max_basic, max_ext;
	bool hypervisor;

	__cpuid_count(0, 0, max_basic, b, cx, d);
	__cpuid_count(0x80000000u, 0, max_ext, b, cx, d);
	__cpuid_count(1, 0, a, b, cx, d);
	hypervisor = cx & (1u << 31);
	for (size_t i = 0; i < N_LEAVES; i++) {
		if (!leaf_exists(leaves[i].leaf, max_basic, max_ext, hypervisor))
			continue;
		__cpuid_count(leaves[i].leaf, leaves[i].sub, a, b, cx, d);
		c->r[i][0] = a & leaves[i].mask[0];
		c->r[i][1] = b & leaves[i].mask[1];
		c->r[i][2] = cx & leaves[i].mask[2];
		c->r[i][3] = d & leaves[i].mask[3];
		c->read[i] = true;
	}
	return NULL;
}

/* The first difference between c and the first vCPU c0, in ret (size n);
 * false if they are the same. */
static bool leaves_differ(const struct cpu_leaves *c0, const struct cpu_leaves *c, int cpu0, int cpu, char *ret,
			  size_t n)
{
	static const char *const reg[4] = { "eax", "ebx", "ecx", "edx" };

	for (size_t i = 0; i < N_LEAVES; i++) {
		char name[32];

		if (leaves[i].sub)
			snprintf(name, sizeof(name), "0x%x/%u", leaves[i].leaf, leaves[i].sub);
		else
			snprintf(name, sizeof(name), "0x%x", leaves[i].leaf);
		if (c->read[i] != c0->read[i]) {
			snprintf(ret, n, "cpu%d %s leaf %s, cpu%d %s it", cpu, c->read[i] ? "has" : "lacks", name, cpu0,
				 c0->read[i] ? "has" : "lacks");
			return true;
		}
		for (int k = 0; k < 4; k++)
			if (c->r[i][k] != c0->r[i][k]) {
				snprintf(ret, n, "cpu%d leaf %s %s 0x%08x != cpu%d 0x%08x", cpu, name, reg[k], c->r[i][k],
					 cpu0, c0->r[i][k]);
				return true;
			}
	}
	return false;
}

static void put_signature(json_t *o, const char *key, const struct cpu_leaves *c, size_t i, const int order[3])
{
	char s[13];

	if (!c->read[i]) {
		json_object_set_new(o, key, json_null());
		return;
	}
	for (int k = 0; k < 3; k++)
		memcpy(s + 4 * k, &c->r[i][order[k]], 4);
	s[12] = '\0';
	json_object_set_new(o, key, json_string(cv_str_is_clean_utf8(s, strlen(s)) ? s : "?"));
}

void kit_check_cpu_feature_consistency(const struct kit_ctx *ctx, struct kit_out *out)
{
	static const int vendor_order[3] = { 1, 3, 2 }, hv_order[3] = { 1, 2, 3 };
	struct cpu_leaves *c = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*c));
	char first[160] = "";
	size_t differing = 0, compared = 0;
	struct kit_verdict v;
	int r;

	r = kit_on_each_cpu(ctx, cpuid_worker, c, sizeof(*c));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each vCPU: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < N_LEAVES; i++)
		compared += ctx->n_cpus && c[0].read[i];
	for (size_t i = 1; i < ctx->n_cpus; i++) {
		char diff[sizeof(first)];

		if (!leaves_differ(&c[0], &c[i], ctx->cpus[0], ctx->cpus[i], diff, sizeof(diff)))
			continue;
		if (!differing++)
			memcpy(first, diff, sizeof(first));
	}
	if (ctx->n_cpus) {
		put_signature(out->measured, "vendor", &c[0], 0, vendor_order);
		put_signature(out->measured, "hypervisor_signature", &c[0], 8, hv_order);
	}
	json_object_set_new(out->measured, "cpus", json_integer((json_int_t)ctx->n_cpus));
	json_object_set_new(out->measured, "leaves_compared", json_integer((json_int_t)compared));
	json_object_set_new(out->measured, "differing_cpus", json_integer((json_int_t)differing));
	json_object_set_new(out->measured, "first_difference", first[0] ? json_string(first) : json_null());
	json_object_set_new(out->threshold, "differing_cpus", json_integer(0));
	json_object_set_new(out->threshold, "masked", json_string("leaf 0x1 ebx[31:24] (initial APIC ID); "
								  "leaves 0xb, 0x1f, 0x8000001e not read"));
	kit_decide_feature_consistency(ctx->n_cpus, differing, first[0] ? first : NULL, &v);
	kit_apply(out, &v);
out:
	free(c);
}

#else

void kit_check_cpu_feature_consistency(const struct kit_ctx *ctx, struct kit_out *out)
{
	(void)ctx;
	kit_set(out, KIT_SKIP, "CPUID is x86 only: this architecture has no comparable feature leaves");
}

#endif
