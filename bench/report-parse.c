/*
 * report-parse.c - what reading an agent's report costs: the tree reader
 * it replaced (fuzz/report-reference.h: json_loadb, checks on the tree)
 * against the pull reader (monitor_report_parse(), report-read.c), and
 * what the single writer thread does with a report's health: before, a
 * json_dumps() of the tree and its flags walked on the tree; now only the
 * flags, from the struct (the text was made while reading).
 *
 *   report-parse FILE... [-r ROUNDS]
 *
 * Each FILE is a report body (bench/report-heartbeat.json and
 * bench/report-descriptor.json are what bench/agentsim.c sends).  Both
 * readers are first checked to accept it with the same health text.  Then
 * ROUNDS rounds (default 101), each a batch of 200 of every step in turn
 * (interleaved, so that the machine's other tenants weigh on all alike);
 * the median round is printed in microseconds per report, and the ratio
 * old / new.  Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 */
#include "../fuzz/report-reference.h"
#include "bench.h"

#define BATCH 200

static const struct monitor_thresholds defaults = { 300, 2000, 1, 90, 90, 90, 4.0 };

enum { OLD_PARSE, NEW_PARSE, OLD_WRITER, NEW_WRITER, STEPS };
static const char *const step_names[] = { "parse, tree (before)", "parse, pull (now)",
					  "writer: dumps + flags (before)", "writer: flags (now)" };

static void step(int which, const char *text, size_t len, const json_t *tree, const struct monitor_health *h)
{
	struct program_error e = { 0 };
	struct cv_strv f = { 0 };

	switch (which) {
	case OLD_PARSE: {
		struct ref_report *a = NULL;

		if (ref_report_parse(text, len, 0, NULL, &a, &e) < 0)
			abort();
		ref_report_free(a);
		break;
	}
	case NEW_PARSE: {
		struct monitor_report *b = NULL;

		if (monitor_report_parse(text, len, 0, NULL, &b, &e) < 0)
			abort();
		monitor_report_free(b);
		break;
	}
	case OLD_WRITER: {
		json_t *details = json_object();
		char *t = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);

		ref_health_flags(tree, &defaults, 2, &f, details);
		free(t);
		json_decref(details);
		break;
	}
	case NEW_WRITER: {
		json_t *details = NULL;

		monitor_health_flags(h, &defaults, 2, &f, &details);
		json_decref(details);
		break;
	}
	}
	cv_strv_release(&f);
}

static int bench(const char *path, int rounds)
{
	struct ref_report *a = NULL;
	struct monitor_report_body rb;
	struct program_error e = { 0 };
	double *us[STEPS], med[STEPS];
	char *text, *dump;
	size_t len;

	if (cv_read_file(path, 2 * 1024 * 1024, &text, &len) < 0) {
		fprintf(stderr, "report-parse: cannot read %s\n", path);
		return 1;
	}
	if (ref_report_parse(text, len, 0, NULL, &a, &e) < 0 || !a->health || monitor_report_read(text, len, &rb, &e) < 0) {
		fprintf(stderr, "report-parse: %s: %s (a report with health is needed)\n", path, e.message);
		return 1;
	}
	dump = json_dumps(a->health, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (strcmp(dump, rb.health.text) != 0) {
		fprintf(stderr, "report-parse: %s: the readers' health texts differ\n", path);
		return 1;
	}
	free(dump);
	for (int s = 0; s < STEPS; s++)
		us[s] = cv_xcalloc((size_t)rounds, sizeof(double));
	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < STEPS; s++) {
			uint64_t t0 = bench_cpu_ns();

			for (int k = 0; k < BATCH; k++)
				step(s, text, len, a->health, &rb.health);
			us[s][r] = (double)(bench_cpu_ns() - t0) / 1000.0 / BATCH;
		}
	printf("%s: %zu bytes, median of %d rounds of %d, CPU time\n", path, len, rounds, BATCH);
	for (int s = 0; s < STEPS; s++) {
		qsort(us[s], (size_t)rounds, sizeof(double), bench_cmp_double);
		med[s] = us[s][rounds / 2];
		printf("  %-32s %8.2f us/report (p10 %.2f, p90 %.2f)\n", step_names[s], med[s], us[s][rounds / 10],
		       us[s][rounds * 9 / 10]);
		free(us[s]);
	}
	printf("  parse: before / now = %.2f; writer's health work: before / now = %.1f\n", med[OLD_PARSE] / med[NEW_PARSE],
	       med[OLD_WRITER] / med[NEW_WRITER]);
	ref_report_free(a);
	monitor_health_release(&rb.health);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = 101, files = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			if (cv_parse_int(argv[++i], &rounds) < 0 || rounds < 1) {
				fprintf(stderr, "usage: report-parse FILE... [-r ROUNDS]\n");
				return 2;
			}
		}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-r") == 0) {
			i++;
			continue;
		}
		files++;
		if (bench(argv[i], rounds) != 0)
			return 1;
	}
	if (!files) {
		fprintf(stderr, "usage: report-parse FILE... [-r ROUNDS]\n");
		return 2;
	}
	return 0;
}
