/*
 * check-answer.c - how long writing one /check answer takes: the jansson
 * tree (check_result_to_json() then json_dumps() with reply_json()'s
 * flags, as the server answered before) against check_result_write()
 * (the bytes without a tree, as it answers now).
 *
 *   check-answer DESCRIPTOR NEAREST ROUNDS CATALOG.jsonl...
 *
 * The catalog files hold configurations and products, one JSON record a
 * line (data/validated-configs.jsonl, data/products.jsonl, bench/lib/
 * catalogs.sh's synthetic ones).  The descriptor is checked once
 * (check_explain(), not timed) and both writers are first checked to give
 * the same bytes.  Then ROUNDS rounds, each a batch of 200 answers with
 * every writer in turn (interleaved, so that frequency changes and the
 * other tenants of the machine weigh on all alike); the median round is
 * printed in microseconds per answer, and the ratio tree / writer.  Time
 * is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 *
 * Each writer does what api_check() does with its text: the tree's string
 * is handed over (reply_json() keeps it) and freed; the writer's buffer
 * starts empty, grows, is copied (reply_bytes()) and both are freed.
 * A third line, "writer, no copy", writes into one buffer kept from answer
 * to answer: the writing alone.
 */
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "util/cv.h"
#include "bench.h"

#define BATCH 200
#define FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static char *tree(const struct check_result *r, const struct descriptor *d, size_t *ret_len)
{
	json_t *j = check_result_to_json(r, d);
	char *s = j ? json_dumps(j, FLAGS) : NULL;

	json_decref(j);
	*ret_len = s ? strlen(s) : 0;
	return s;
}

static char *written(const struct check_result *r, const struct descriptor *d, size_t *ret_len)
{
	struct cv_buf b;
	char *s = NULL;

	cv_buf_init(&b, 64 << 20);
	if (check_result_write(&b, r, d) == 0) {
		s = cv_xmalloc(b.len + 1);
		memcpy(s, b.data, b.len + 1);
		*ret_len = b.len;
	}
	cv_buf_release(&b);
	return s;
}

/* The writer alone: one buffer, kept from answer to answer. */
static struct cv_buf reused;

static char *written_reused(const struct check_result *r, const struct descriptor *d, size_t *ret_len)
{
	cv_buf_reset(&reused);
	if (check_result_write(&reused, r, d) < 0)
		return NULL;
	*ret_len = reused.len;
	return NULL;
}

static int load(struct catalog *cat, const char *path)
{
	char *text = NULL;
	size_t len;
	int r;

	r = cv_read_file(path, (size_t)4 << 30, &text, &len);
	if (r < 0) {
		fprintf(stderr, "check-answer: %s: %s\n", path, strerror(-r));
		return r;
	}
	for (char *l = text, *e; l < text + len; l = e + 1) {
		struct catalog_config *c = NULL;
		struct catalog_product *p = NULL;
		char *why = NULL;

		e = memchr(l, '\n', (size_t)(text + len - l));
		if (!e)
			e = text + len;
		*e = '\0';
		if (strstr(l, "\"type\":\"product\"") && catalog_product_from_text(l, &p, &why) == 0) {
			cat->products = cv_xreallocarray(cat->products, cat->n_products + 1, sizeof(*cat->products));
			cat->products[cat->n_products++] = p;
		} else if (strstr(l, "\"type\":\"configuration\"") && catalog_config_from_text(l, &c, &why) == 0) {
			cat->configs = cv_xreallocarray(cat->configs, cat->n_configs + 1, sizeof(*cat->configs));
			cat->configs[cat->n_configs++] = c;
		}
		free(why);
	}
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	struct {
		const char *name;
		char *(*fn)(const struct check_result *, const struct descriptor *, size_t *);
		double *us;
	} writers[] = { { "tree (jansson)", tree, NULL }, { "writer", written, NULL },
			{ "writer, no copy", written_reused, NULL } };
	struct catalog *cat = cv_xcalloc(1, sizeof(*cat));
	struct check_index *ix = NULL;
	struct descriptor *d = NULL;
	struct check_result *res = NULL;
	char *text = NULL, *a, *b;
	size_t len, alen = 0, blen = 0;
	uint64_t nearest, rounds;

	if (argc < 5 || cv_parse_u64(argv[2], 10, &nearest) < 0 || cv_parse_u64(argv[3], 10, &rounds) < 0 ||
	    rounds == 0 || rounds > 100000) {
		fprintf(stderr, "usage: check-answer DESCRIPTOR NEAREST ROUNDS CATALOG.jsonl...\n");
		return 2;
	}
	cv_buf_init(&reused, 64 << 20);
	for (int i = 4; i < argc; i++)
		if (load(cat, argv[i]) < 0)
			return 1;
	if (cv_read_file(argv[1], DESCRIPTOR_MAX_BYTES, &text, &len) < 0 ||
	    descriptor_parse(text, len, 0, &d, NULL) < 0) {
		fprintf(stderr, "check-answer: %s: not a descriptor\n", argv[1]);
		return 1;
	}
	if (check_index_build(cat, &ix) < 0 || check_explain(ix, d, (size_t)nearest, &res) < 0) {
		fprintf(stderr, "check-answer: the check failed\n");
		return 1;
	}
	a = tree(res, d, &alen);
	b = written(res, d, &blen);
	if (!a || !b || alen != blen || memcmp(a, b, alen) != 0) {
		fprintf(stderr, "check-answer: the writers differ\n");
		return 1;
	}
	printf("%zu configurations, %zu products; verdict %s, %zu matches, %zu nearest; answer %zu bytes\n",
	       cat->n_configs, cat->n_products, check_verdict_name(res->verdict), res->n_matches, res->n_nearest, alen);
	free(a);
	free(b);

	for (size_t w = 0; w < CV_ELEMENTSOF(writers); w++)
		writers[w].us = cv_xcalloc(rounds, sizeof(double));
	for (uint64_t r = 0; r < rounds; r++)
		for (size_t w = 0; w < CV_ELEMENTSOF(writers); w++) {
			uint64_t t0 = bench_cpu_ns();

			for (int k = 0; k < BATCH; k++)
				free(writers[w].fn(res, d, &len));
			writers[w].us[r] = (double)(bench_cpu_ns() - t0) / 1e3 / BATCH;
		}
	for (size_t w = 0; w < CV_ELEMENTSOF(writers); w++) {
		qsort(writers[w].us, rounds, sizeof(double), bench_cmp_double);
		printf("%-16s %8.2f us per answer (median of %llu rounds of %d)\n", writers[w].name,
		       writers[w].us[rounds / 2], (unsigned long long)rounds, BATCH);
	}
	printf("ratio tree / writer: %.2f\n", writers[0].us[rounds / 2] / writers[1].us[rounds / 2]);
	for (size_t w = 0; w < CV_ELEMENTSOF(writers); w++)
		free(writers[w].us);
	cv_buf_release(&reused);
	check_result_free(res);
	check_index_free(ix);
	descriptor_free(d);
	catalog_free(cat);
	free(text);
	return 0;
}
