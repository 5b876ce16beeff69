/*
 * descriptor-parse.c - how long reading one descriptor's JSON takes: the
 * jansson tree reader (descriptor_from_json_tree(): json_loadb, then the
 * struct from the tree) against the streaming reader (descriptor_parse()).
 *
 *   descriptor-parse FILE [ROUNDS]
 *
 * FILE is a descriptor (covalid probe --json).  Both readers are first
 * checked to give the same descriptor.  Then ROUNDS rounds (default 201)
 * each time a batch of 200 parses with every reader in turn (interleaved,
 * so that frequency changes and the other tenants of the machine weigh on
 * all alike) and the median round is printed, in microseconds per
 * descriptor.  Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not
 * the wall clock: the machine is shared, and a parse does no I/O.
 */
#include "covalid/descriptor.h"
#include "util/cv.h"
#include "bench.h"

#define BATCH 200

struct reader {
	const char *name;
	int tree;
	unsigned flags;
	double *us;
};

static int parse(const struct reader *r, const char *text, size_t len, struct descriptor **ret)
{
	char *err = NULL;
	int k = r->tree ? descriptor_from_json_tree(text, len, r->flags, ret, &err)
			: descriptor_parse(text, len, r->flags, ret, &err);

	if (k < 0) {
		fprintf(stderr, "descriptor-parse: %s: %s\n", r->name, err ? err : "failed");
		free(err);
	}
	return k;
}

int main(int argc, char **argv)
{
	struct reader readers[] = {
		{ "tree (jansson)", 1, 0, NULL },
		{ "stream", 0, 0, NULL },
		{ "tree, strict", 1, DESCRIPTOR_PARSE_STRICT, NULL },
		{ "stream, strict", 0, DESCRIPTOR_PARSE_STRICT, NULL },
		{ "stream, strict, no evidence", 0, DESCRIPTOR_PARSE_STRICT | DESCRIPTOR_PARSE_NO_EVIDENCE, NULL },
		{ "stream, strict, answer (/check)", 0, DESCRIPTOR_PARSE_STRICT | DESCRIPTOR_PARSE_ANSWER, NULL },
		{ "stream, match only (fleet)", 0, DESCRIPTOR_PARSE_MATCH_ONLY, NULL },
	};
	int rounds = 201;
	char *text, *first = NULL;
	size_t len;

	if (argc < 2 || argc > 3 || (argc == 3 && cv_parse_int(argv[2], &rounds) < 0) || rounds < 1) {
		fprintf(stderr, "usage: descriptor-parse FILE [ROUNDS]\n");
		return 2;
	}
	if (cv_read_file(argv[1], DESCRIPTOR_MAX_BYTES, &text, &len) < 0) {
		fprintf(stderr, "descriptor-parse: cannot read %s\n", argv[1]);
		return 1;
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(readers); i++) {
		struct descriptor *d = NULL;
		char *j;

		if (parse(&readers[i], text, len, &d) < 0)
			return 1;
		j = descriptor_to_json(d, false);
		descriptor_free(d);
		if (readers[i].flags & (DESCRIPTOR_PARSE_NO_EVIDENCE | DESCRIPTOR_PARSE_MATCH_ONLY | DESCRIPTOR_PARSE_ANSWER)) {
			free(j);
		} else if (!first) {
			first = j;
		} else if (strcmp(first, j) != 0) {
			fprintf(stderr, "descriptor-parse: %s reads a different descriptor\n", readers[i].name);
			return 1;
		} else {
			free(j);
		}
		readers[i].us = cv_xcalloc((size_t)rounds, sizeof(double));
	}
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < CV_ELEMENTSOF(readers); i++) {
			uint64_t t0 = bench_cpu_ns();

			for (int k = 0; k < BATCH; k++) {
				struct descriptor *d = NULL;

				if (parse(&readers[i], text, len, &d) < 0)
					return 1;
				descriptor_free(d);
			}
			readers[i].us[r] = (double)(bench_cpu_ns() - t0) / 1000.0 / BATCH;
		}
	}
	printf("%s: %zu bytes, median of %d rounds of %d parses, CPU time\n", argv[1], len, rounds, BATCH);
	for (size_t i = 0; i < CV_ELEMENTSOF(readers); i++) {
		qsort(readers[i].us, (size_t)rounds, sizeof(double), bench_cmp_double);
		printf("  %-30s %8.2f us/descriptor (p10 %.2f, p90 %.2f)\n", readers[i].name, readers[i].us[rounds / 2],
		       readers[i].us[rounds / 10], readers[i].us[rounds * 9 / 10]);
		free(readers[i].us);
	}
	free(first);
	free(text);
	return 0;
}
