/*
 * check-irq.c - irq.timer_delivery: timer interrupts reach every vCPU.
 *
 * A vCPU that gets no timer interrupt never preempts its tasks and never
 * runs its timers: the guest hangs in ways that are hard to trace back to
 * the hypervisor.  /proc/interrupts counts them per CPU; the check reads it
 * before and after keeping every vCPU busy, because an idle tickless vCPU
 * legitimately takes no timer interrupt at all.
 */
#include <unistd.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

/* /proc/interrupts of a 4096-CPU machine is a few MiB. */
#define INTERRUPTS_MAX (16 * 1024 * 1024)
#define CPUS_MAX 8192

/*
 * The lines that count timer interrupts, in order of preference.  A guest
 * may have several (a Hyper-V x86 guest has LOC:, unused once the synthetic
 * timer takes over, and HVS:), so the line chosen is the one whose count
 * rose on the most CPUs, the earlier one on a tie.
 */
static const struct timer_line {
	const char *label;    /* the first field, exactly */
	const char *contains; /* anywhere in the line */
	const char *name;     /* the last field, exactly */
	const char *what;
} timers[] = {
	{ "LOC:", NULL, NULL, "local APIC timer (x86)" },
	{ "HVS:", NULL, NULL, "Hyper-V synthetic timer" },
	{ NULL, "arch_timer", NULL, "architected timer (arm64)" },
	{ NULL, NULL, "timer", "legacy timer interrupt" },
};

#define N_TIMERS CV_ELEMENTSOF(timers)

struct irq_snapshot {
	int *cpus; /* the CPU of each column, from the header */
	size_t n;
	bool found[N_TIMERS];
	char label[N_TIMERS][32];
	uint64_t *counts[N_TIMERS];
};

static void snapshot_release(struct irq_snapshot *s)
{
	free(s->cpus);
	for (size_t i = 0; i < N_TIMERS; i++)
		free(s->counts[i]);
	memset(s, 0, sizeof(*s));
}

/* The kernel's per-CPU counters are unsigned int: they wrap at 2^32. */
static uint64_t timer_delta(uint64_t before, uint64_t after)
{
	if (after >= before)
		return after - before;
	return before <= UINT32_MAX ? after + ((uint64_t)1 << 32) - before : 0;
}

/*
 * before[i] and after[i] belong to the i-th column of /proc/interrupts,
 * named "cpu<i>": the columns are the online CPUs, 0..n-1 on every guest
 * where cpu.topology passes.
 */
void kit_decide_timer_delivery(const uint64_t *before, const uint64_t *after, size_t n_cpus, struct kit_verdict *v)
{
	struct cv_buf names;
	size_t silent = 0;

	if (!n_cpus) {
		kit_verdict_set(v, KIT_ERROR, "no CPU to compare counts for");
		return;
	}
	cv_buf_init(&names, 400);
	for (size_t i = 0; i < n_cpus; i++) {
		if (timer_delta(before[i], after[i]))
			continue;
		/* A long list is cut: the count in the reason stays right. */
		if (names.len < 340) {
			if (cv_buf_printf(&names, "%scpu%zu", silent ? ", " : "", i) < 0)
				break;
		} else if (!cv_endswith(names.data, "...") && cv_buf_puts(&names, ", ...") < 0)
			break;
		silent++;
	}
	if (silent)
		kit_verdict_set(v, KIT_FAIL, "no timer interrupt during the busy interval on %zu of %zu vCPUs: %s", silent,
				n_cpus, names.data ? names.data : "");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
	cv_buf_release(&names);
}

/* The header "           CPU0       CPU1 ..." gives the columns. */
static int parse_header(const char *line, struct irq_snapshot *s)
{
	const char *p = line;

	s->cpus = cv_xcalloc(CPUS_MAX, sizeof(*s->cpus));
	while (*p && s->n < CPUS_MAX) {
		char *end;
		long cpu;

		p += strspn(p, " \t");
		if (strncmp(p, "CPU", 3) != 0)
			break;
		cpu = strtol(p + 3, &end, 10);
		if (end == p + 3 || cpu < 0 || cpu > INT32_MAX)
			break;
		s->cpus[s->n++] = (int)cpu;
		p = end;
	}
	return s->n ? 0 : -EPROTO;
}

static bool matches(const struct timer_line *t, const char *line)
{
	size_t len = strcspn(line + strspn(line, " "), " "), end = strlen(line);
	const char *first = line + strspn(line, " ");

	while (end && line[end - 1] == ' ')
		end--;
	if (t->label)
		return len == strlen(t->label) && strncmp(first, t->label, len) == 0;
	if (t->contains)
		return strstr(line, t->contains) != NULL;
	for (size_t i = end; i > 0; i--)
		if (line[i - 1] == ' ')
			return end - i == strlen(t->name) && strncmp(line + i, t->name, end - i) == 0;
	return false;
}

/* The label and one count per column; false if the line has fewer. */
static bool parse_counts(const char *line, size_t n, char *label, size_t label_size, uint64_t *ret)
{
	const char *p = line + strspn(line, " ");
	size_t len = strcspn(p, " ");
	size_t keep = len && p[len - 1] == ':' ? len - 1 : len;

	if (keep >= label_size)
		keep = label_size - 1;
	memcpy(label, p, keep);
	label[keep] = '\0';
	p += len;
	for (size_t i = 0; i < n; i++) {
		char *end;

		p += strspn(p, " ");
		if (*p < '0' || *p > '9')
			return false;
		ret[i] = strtoull(p, &end, 10);
		p = end;
	}
	return true;
}

static void match_line(const char *line, struct irq_snapshot *s)
{
	for (size_t t = 0; t < N_TIMERS; t++) {
		if (s->found[t] || !matches(&timers[t], line))
			continue;
		if (!s->counts[t])
			s->counts[t] = cv_xcalloc(s->n, sizeof(*s->counts[t]));
		s->found[t] = parse_counts(line, s->n, s->label[t], sizeof(s->label[t]), s->counts[t]);
	}
}

/* The text of /proc/interrupts (modified in place); -EPROTO without a header. */
static int parse_interrupts(char *text, struct irq_snapshot *ret)
{
	char *save = NULL, *line;
	int r;

	memset(ret, 0, sizeof(*ret));
	line = strtok_r(text, "\n", &save);
	r = line ? parse_header(line, ret) : -EPROTO;
	if (r < 0) {
		snapshot_release(ret);
		return r;
	}
	while ((line = strtok_r(NULL, "\n", &save)))
		match_line(line, ret);
	return 0;
}

/* -errno if /proc/interrupts is unreadable, -EPROTO if it has no header. */
static int read_interrupts(struct irq_snapshot *ret)
{
	char *text = NULL;
	size_t len;
	int r;

	r = cv_read_file("/proc/interrupts", INTERRUPTS_MAX, &text, &len);
	if (r < 0)
		return r;
	r = parse_interrupts(text, ret);
	free(text);
	return r;
}

struct busy {
	double interval;
	uint64_t spins;
};

static void *busy_worker(void *p)
{
	struct busy *b = p;
	double end = kit_now() + b->interval;
	/* A clock read costs over 10 ns: the cap stops a stopped clock. */
	uint64_t cap = (uint64_t)(b->interval * 1e8);

	while (b->spins < cap && kit_now() < end)
		b->spins++;
	return NULL;
}

/* The timer line whose count rose on the most CPUs; -1 if none is in both. */
static int choose_line(const struct irq_snapshot *b, const struct irq_snapshot *a)
{
	size_t best_rising = 0;
	int best = -1;

	for (size_t t = 0; t < N_TIMERS; t++) {
		size_t rising = 0;

		if (!b->found[t] || !a->found[t])
			continue;
		for (size_t i = 0; i < b->n; i++)
			rising += timer_delta(b->counts[t][i], a->counts[t][i]) > 0;
		if (best < 0 || rising > best_rising) {
			best = (int)t;
			best_rising = rising;
		}
	}
	return best;
}

static void put_counts(const struct irq_snapshot *b, const struct irq_snapshot *a, int t, json_t *o)
{
	json_t *before = json_object(), *deltas = json_object(), *lines = json_array();
	char key[32];

	for (size_t i = 0; i < b->n; i++) {
		snprintf(key, sizeof(key), "cpu%d", b->cpus[i]);
		json_object_set_new(before, key, json_integer((json_int_t)b->counts[t][i]));
		json_object_set_new(deltas, key, json_integer((json_int_t)timer_delta(b->counts[t][i], a->counts[t][i])));
	}
	for (size_t k = 0; k < N_TIMERS; k++)
		if (b->found[k])
			json_array_append_new(lines, json_string(b->label[k]));
	json_object_set_new(o, "line", json_string(b->label[t]));
	json_object_set_new(o, "timer", json_string(timers[t].what));
	json_object_set_new(o, "timer_lines_found", lines);
	json_object_set_new(o, "before", before);
	json_object_set_new(o, "deltas", deltas);
}

static bool same_columns(const struct irq_snapshot *b, const struct irq_snapshot *a)
{
	return b->n == a->n && memcmp(b->cpus, a->cpus, b->n * sizeof(*b->cpus)) == 0;
}

void kit_check_irq_timer_delivery(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.3, 1.0);
	struct busy *w = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*w));
	struct irq_snapshot b = { 0 }, a = { 0 };
	struct kit_verdict v;
	int r, t;

	json_object_set_new(out->threshold, "min_delta_per_cpu", json_integer(1));
	r = read_interrupts(&b);
	if (r < 0) {
		kit_set(out, KIT_SKIP, "/proc/interrupts is not readable: %s",
			r == -EPROTO ? "no CPU header line" : strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < ctx->n_cpus; i++)
		w[i].interval = interval;
	r = kit_on_each_cpu(ctx, busy_worker, w, sizeof(*w));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each vCPU: %s", strerror(-r));
		goto out;
	}
	r = read_interrupts(&a);
	if (r < 0 || !same_columns(&b, &a)) {
		kit_set(out, KIT_ERROR, "/proc/interrupts %s during the check",
			r < 0 ? "became unreadable" : "changed its CPU columns");
		goto out;
	}
	t = choose_line(&b, &a);
	if (t < 0) {
		kit_set(out, KIT_SKIP, "/proc/interrupts has no timer line (LOC, HVS, arch_timer or timer)");
		goto out;
	}
	put_counts(&b, &a, t, out->measured);
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	kit_decide_timer_delivery(b.counts[t], a.counts[t], b.n, &v);
	kit_apply(out, &v);
out:
	snapshot_release(&b);
	snapshot_release(&a);
	free(w);
}
