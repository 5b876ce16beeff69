/*
 * submit-cost.c - the CPU a durable submission costs before its write,
 * step by step, on one thread (issue 14: submissions must reach half the
 * raw SQLite insert rate; at wrk -c4 the rate is 4 / latency, so what
 * counts is this).  Steadier than a whole server under wrk on a shared
 * machine: each step is timed alone, N times, and its median of 5 runs
 * printed in microseconds.
 *
 *   submit-cost LOG [N]     LOG: a test log (`covalid kit run --out LOG`),
 *                           re-signed here with a key of its own
 *
 * The store is a fresh database in $TMPDIR with a vendor, its key and
 * bench/api.sh's policy (every log rejected), as the server has them.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "covalid/testlog.h"
#include "util/cv.h"
#include "bench.h"

#define RUNS 5

static const char policy[] = "{\"schema\":\"covalid.policy/1\",\"modes\":[\"quick\",\"full\"],\"rules\":[{\"name\":\"bench\","
			     "\"guest\":\"*\",\"hypervisor\":\"*\",\"required\":[\"bench.never-run\"]}]}";

struct ctx {
	struct store *s;
	struct sign_key pub;
	const char *log;
	size_t len;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void step_parse(struct ctx *c)
{
	json_t *doc = NULL;
	char *why = NULL;

	if (testlog_parse(c->log, c->len, &doc, &why) < 0)
		abort();
	json_decref(doc);
}

static void step_verify(struct ctx *c)
{
	json_t *doc = NULL;
	char *why = NULL;

	if (testlog_verify(c->log, c->len, &c->pub, &doc, &why) < 0)
		abort();
	json_decref(doc);
}

static void step_policy(struct ctx *c)
{
	struct program_policy *p = NULL;
	struct program_error e = { 0 };

	if (program_policy_load(c->s, &p, &e) < 0)
		abort();
	program_policy_free(p);
}

static void step_check(struct ctx *c)
{
	struct program_submit_checked *k = NULL;
	struct program_error e = { 0 };

	if (program_submit_check(c->s, "bench", c->log, c->len, &k, &e) < 0) {
		fprintf(stderr, "submit-cost: the check failed: %s\n", e.message);
		exit(1);
	}
	program_submit_checked_free(k);
}

static void timed(const char *name, void (*step)(struct ctx *), struct ctx *c, long n)
{
	double us[RUNS];

	for (int r = 0; r < RUNS; r++) {
		double t0 = now_us();

		for (long i = 0; i < n; i++)
			step(c);
		us[r] = (now_us() - t0) / (double)n;
	}
	qsort(us, RUNS, sizeof(us[0]), bench_cmp_double);
	printf("  %-44s %8.1f us  (min %.1f, max %.1f)\n", name, us[RUNS / 2], us[0], us[RUNS - 1]);
}

int main(int argc, char **argv)
{
	struct program_error e = { 0 };
	struct ctx c = { 0 };
	struct sign_key k;
	char dir[] = "/tmp/covalid-submit-cost.XXXXXX", *path, *text = NULL, *why = NULL, *id = NULL, *pk, *kid = NULL;
	size_t len;
	json_t *doc;
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: submit-cost LOG [N]\n");
		return 2;
	}
	if (sign_init() < 0 || !mkdtemp(dir))
		return 1;
	if (cv_read_file(argv[1], TESTLOG_MAX_BYTES, &text, &len) < 0 || testlog_parse(text, len, &doc, &why) < 0) {
		fprintf(stderr, "submit-cost: %s: not a test log%s%s\n", argv[1], why ? ": " : "", why ? why : "");
		return 1;
	}
	free(text);
	path = cv_xasprintf("%s/db", dir);
	if (store_open(path, &c.s, &why) < 0 || program_vendor_admit(c.s, "Bench Vendor", "bench", &id, &e) < 0 ||
	    sign_key_generate(&k) < 0 || testlog_sign(doc, &k) < 0) {
		fprintf(stderr, "submit-cost: cannot set up %s: %s\n", path, why ? why : e.message);
		return 1;
	}
	pk = sign_key_public_string(&k);
	if (program_key_register(c.s, "bench", pk, &kid, &e) < 0 || program_policy_set(c.s, policy, &e) < 0 ||
	    sign_key_parse_public(pk, &c.pub, &why) < 0) {
		fprintf(stderr, "submit-cost: cannot set up %s: %s\n", path, e.message);
		return 1;
	}
	c.log = testlog_canonical(doc, &c.len);
	printf("submit-cost: a %zu-byte signed log, %ld times a run, median of %d runs\n", c.len, n, RUNS);
	timed("testlog_parse (jansson, with free)", step_parse, &c, n);
	timed("testlog_verify (parse, canonical, signature)", step_verify, &c, n);
	timed("program_policy_load", step_policy, &c, n);
	timed("program_submit_check (all of it, with free)", step_check, &c, n);
	store_close(c.s);
	for (const char *const *f = (const char *const[]){ "db", "db-wal", "db-shm", NULL }; *f; f++) {
		char *x = cv_xasprintf("%s/%s", dir, *f);

		unlink(x);
		free(x);
	}
	rmdir(dir);
	free((char *)c.log);
	free(path);
	free(pk);
	free(kid);
	free(id);
	json_decref(doc);
	sign_key_release(&k);
	return 0;
}
