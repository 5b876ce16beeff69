/*
 * test-nodes.c - what lets several server nodes share one database
 * (issue 15): a background job led by one connection at a time
 * (store_try_lead), a webhook delivery claimed by one deliverer
 * (store_delivery_claim, monitor_deliveries_due), a machine's row locked
 * for its read-modify-write (store_machine_lock), one new machine
 * enrolled through two nodes at once (409, not 500).  Each "node" here is a
 * connection of its own to one database: one SQLite file, as several
 * processes on one file are, and a PostgreSQL this test starts
 * (pg-harness.h); tests/t/t4010-multi-node.sh runs three real nodes.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/monitor.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "pg-harness.h"
#include "tap.h"
#include "util/cv.h"

/* The PostgreSQL cluster's directory ("" when none was started) and why not. */
static char pg_dir[PGH_DIR_MAX];
static const char *pg_missing;

/* A location of database name: an SQLite file, or with pg a fresh
 * PostgreSQL database of that name (made on first call). */
static char *location(const char *name, bool pg)
{
	char *uri = NULL;

	if (!pg)
		return cv_xasprintf("%s/%s.db", tap_tmpdir(), name);
	if (!pg_dir[0]) {
		tap_fail(__FILE__, __LINE__, "no PostgreSQL: %s", pg_missing ? pg_missing : "?");
		return NULL;
	}
	if (pgh_createdb(pg_dir, name, &uri) < 0)
		tap_fail(__FILE__, __LINE__, "createdb %s failed", name);
	return uri;
}

static struct store *open_at(const char *loc)
{
	struct store *s = NULL;
	char *err = NULL;

	CHECK_INT(store_open(loc, &s, &err), 0);
	if (err)
		printf("# %s: %s\n", loc, err);
	free(err);
	return s;
}

/*
 * store_try_lead() until it leads, for at most ms: a closed leader's lock
 * goes when its session ends, at once on SQLite (the lock is the
 * connection's own), but on PostgreSQL only once the server's backend
 * has seen the socket close and exited, which PQfinish() does not wait
 * for (this failed under a loaded make check).  A node takes over at its
 * next pass all the same.
 */
static int lead_within(struct store *s, const char *job, int ms)
{
	int r;

	for (int waited = 0; (r = store_try_lead(s, job)) == 0 && waited < ms; waited += 10)
		usleep(10 * 1000);
	return r;
}

static void lead_checks(const char *loc)
{
	struct store *a = open_at(loc), *b = open_at(loc);

	CHECK_INT(store_try_lead(a, "sweep"), 1);
	CHECK_INT(store_try_lead(b, "sweep"), 0);
	/* The leader asks again before each pass: still its. */
	CHECK_INT(store_try_lead(a, "sweep"), 1);
	CHECK_INT(store_try_lead(b, "sweep"), 0);
	/* Jobs are led apart. */
	CHECK_INT(store_try_lead(b, "sla"), 1);
	CHECK_INT(store_try_lead(a, "sla"), 0);
	/* The leader gone (its connection closed, as a killed node's is):
	 * the other takes over. */
	store_close(a);
	CHECK_INT(lead_within(b, "sweep", 10000), 1);
	CHECK_INT(store_try_lead(b, "sla"), 1);
	/* Job names are words: nothing that could make a path of the lock's file. */
	CHECK_INT(store_try_lead(b, ""), -EINVAL);
	CHECK_INT(store_try_lead(b, "../x"), -EINVAL);
	CHECK_INT(store_try_lead(b, "Sweep"), -EINVAL);
	CHECK_INT(store_try_lead(b, NULL), -EINVAL);
	store_close(b);
}

TEST(a_job_is_led_by_one_connection_at_a_time)
{
	char *loc = location("lead", false);
	struct store *m = NULL;
	char *err = NULL;

	lead_checks(loc);
	free(loc);
	/* A database in memory is no one else's: its connection leads. */
	CHECK_INT(store_open(":memory:", &m, &err), 0);
	free(err);
	CHECK_INT(store_try_lead(m, "sweep"), 1);
	store_close(m);
}

TEST(a_job_is_led_by_one_connection_at_a_time_on_postgresql)
{
	char *loc = location("lead", true);

	if (loc)
		lead_checks(loc);
	free(loc);
}

static int64_t emit(struct store *s, const char *kind, const char *customer)
{
	int64_t seq = 0;

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_event_emit(s, &(struct program_event){ .kind = kind, .customer_id = customer, .summary = "x" },
				     &seq),
		  0);
	CHECK_INT(store_commit(s), 0);
	return seq;
}

static int collect_id(void *userdata, const struct store_delivery_row *row)
{
	int64_t *ids = userdata;

	for (size_t i = 0; i < 8; i++)
		if (!ids[i]) {
			ids[i] = row->id;
			break;
		}
	return 0;
}

static void claim_checks(const char *loc)
{
	struct program_auth acme = { .role = (char *)"customer", .customer_id = (char *)"acme", .token_id = (char *)"t1" };
	struct store *a = open_at(loc), *b = open_at(loc);
	struct program_error e = { 0 };
	struct monitor_delivery *due = NULL;
	json_t *body = json_loads("{\"url\": \"http://a/\", \"secret\": \"acme-secret-0123456\"}", 0, NULL), *w = NULL;
	int64_t ids_a[8] = { 0 }, ids_b[8] = { 0 }, now = (int64_t)time(NULL) + 5;
	size_t n = 0;

	CHECK(sodium_init() >= 0);
	CHECK_INT(store_customer_add(a, "acme", "Acme"), 0);
	CHECK_INT(monitor_webhook_add(a, &acme, body, 1700000000, &w, &e), 0);
	emit(a, "machine.late", "acme");
	emit(a, "machine.drifted", "acme");

	/* Both nodes read the same two deliveries due before either claims
	 * them: the race the claim decides. */
	CHECK_INT(store_delivery_due(a, now, 10, collect_id, ids_a), 0);
	CHECK_INT(store_delivery_due(b, now, 10, collect_id, ids_b), 0);
	CHECK(ids_a[0] && ids_a[1] && !ids_a[2]);
	CHECK(ids_b[0] == ids_a[0] && ids_b[1] == ids_a[1]);
	CHECK_INT(store_delivery_claim(a, ids_a[0], now, now + 60), 1);
	CHECK_INT(store_delivery_claim(b, ids_b[0], now, now + 60), 0);
	CHECK_INT(store_delivery_claim(b, ids_b[1], now, now + 60), 1);
	CHECK_INT(store_delivery_claim(a, ids_a[1], now, now + 60), 0);
	/* Claimed: due again only once the lease is over, then to one node. */
	CHECK_INT(monitor_deliveries_due(b, now + 59, 10, 60, &due, &n), 0);
	CHECK_INT(n, 0);
	monitor_deliveries_free(due, n);
	CHECK_INT(monitor_deliveries_due(a, now + 60, 10, 60, &due, &n), 0);
	CHECK_INT(n, 2);
	monitor_deliveries_free(due, n);
	CHECK_INT(monitor_deliveries_due(b, now + 60, 10, 60, &due, &n), 0);
	CHECK_INT(n, 0);
	monitor_deliveries_free(due, n);
	/* A delivery recorded (no longer pending) is not claimed. */
	CHECK_INT(store_delivery_result(a, ids_a[0], "delivered", 200, NULL, now, "2026-12-02T00:00:00Z"), 0);
	CHECK_INT(store_delivery_claim(b, ids_a[0], INT32_MAX, INT32_MAX), 0);
	json_decref(body);
	json_decref(w);
	store_close(a);
	store_close(b);
}

TEST(a_delivery_is_claimed_by_one_deliverer)
{
	char *loc = location("claim", false);

	claim_checks(loc);
	free(loc);
}

TEST(a_delivery_is_claimed_by_one_deliverer_on_postgresql)
{
	char *loc = location("claim", true);

	if (loc)
		claim_checks(loc);
	free(loc);
}

/* The second writer: reads the machine under its lock, and writes it back. */
struct second {
	struct store *s;
	int64_t seen; /* last_seen_s as it read it */
	int r;
	atomic_bool done;
};

static void *second_writer(void *arg)
{
	struct second *w = arg;
	struct store_machine_row *m = NULL;

	w->r = store_begin(w->s);
	if (w->r == 0)
		w->r = store_machine_lock(w->s, "m-1");
	if (w->r == 0)
		w->r = store_machine_get_state(w->s, "m-1", &m);
	if (w->r == 0) {
		w->seen = m->last_seen_s;
		m->reports++;
		w->r = store_machine_update(w->s, m);
	}
	if (w->r == 0)
		w->r = store_commit(w->s);
	else
		(void)!store_rollback(w->s);
	store_machine_free(m);
	atomic_store(&w->done, true);
	return NULL;
}

/*
 * Two writers read-modify-write one machine (a report on one node, the
 * sweep on another): the second, having locked the row, waits for the
 * first to commit and then reads what it wrote -- it never writes back
 * a row read before the first's commit (a lost update at READ COMMITTED).
 */
static void lock_checks(const char *loc)
{
	struct store *a = open_at(loc);
	struct second w = { .s = open_at(loc) };
	struct store_machine_row *m = NULL;
	pthread_t t;

	CHECK_INT(store_customer_add(a, "acme", "Acme"), 0);
	CHECK_INT(store_machine_add(a, &(struct store_machine_row){ .id = "m-1", .customer_id = "acme",
								  .machine_key = "k1", .name = "web01",
								  .credential_hash = "h1", .enrolled_at = "2026-12-02T00:00:00Z",
								  .last_seen_s = 1, .interval_s = 60 }),
		  0);
	CHECK_INT(store_begin(a), 0);
	CHECK_INT(store_machine_lock(a, "m-nosuch"), -ENOENT);
	CHECK_INT(store_machine_lock(a, "m-1"), 0);
	CHECK_INT(store_machine_get_state(a, "m-1", &m), 0);
	CHECK_INT(m->last_seen_s, 1);
	CHECK_INT(pthread_create(&t, NULL, second_writer, &w), 0);
	usleep(300 * 1000);
	CHECK(!atomic_load(&w.done)); /* waiting for the first's lock */
	m->last_seen_s = 100;
	CHECK_INT(store_machine_update(a, m), 0);
	CHECK_INT(store_commit(a), 0);
	pthread_join(t, NULL);
	CHECK_INT(w.r, 0);
	CHECK_INT(w.seen, 100); /* what the first wrote, not the row before it */
	store_machine_free(m);
	CHECK_INT(store_machine_get_state(a, "m-1", &m), 0);
	CHECK_INT(m->last_seen_s, 100);
	CHECK_INT(m->reports, 1); /* and the second's write kept it */
	store_machine_free(m);
	store_close(a);
	store_close(w.s);
}

TEST(a_machine_is_locked_for_its_read_and_write)
{
	char *loc = location("lock", false);

	lock_checks(loc);
	free(loc);
}

TEST(a_machine_is_locked_for_its_read_and_write_on_postgresql)
{
	char *loc = location("lock", true);

	if (loc)
		lock_checks(loc);
	free(loc);
}

/* ---- one new machine enrolled through two nodes at once ---- */

struct enroller {
	struct store *s;
	int r;
	struct program_error err;
	json_t *answer;
	atomic_bool done;
};

static const char enroll_key[] = "abababababababababababababababababababababababababababababababab";

static const char enroll_other[] = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";

static void *second_enroller(void *arg)
{
	struct enroller *e = arg;
	struct program_auth admin = { .admin = true };
	json_t *body = json_pack("{s:s, s:s}", "machine_key", enroll_key, "customer", "acme");

	e->r = monitor_enroll(e->s, &admin, body, 1000, &e->answer, NULL, &e->err);
	json_decref(body);
	atomic_store(&e->done, true);
	return NULL;
}

/*
 * Node A has inserted the machine, not yet committed, when node B
 * enrolls the same key.  On PostgreSQL B's insert waits on the unique
 * key and fails once A commits: B answers 409, asking for a new
 * enrollment, never 500.  On SQLite B waits for A's transaction before
 * it reads, then finds the machine and re-enrolls it (the same id).
 */
static void enroll_race_checks(const char *loc, bool pg)
{
	struct store *a = open_at(loc);
	struct enroller b = { .s = open_at(loc) };
	struct program_auth admin = { .admin = true };
	struct program_error err = { 0 };
	json_t *body = json_pack("{s:s, s:s}", "machine_key", enroll_key, "customer", "acme"), *first = NULL;
	pthread_t t;

	CHECK_INT(store_customer_add(a, "acme", "Acme"), 0);
	{
		/* Another machine first: the credentials' hashing key is made
		 * on first use, and B would otherwise wait on A's making it. */
		json_t *other = json_pack("{s:s, s:s}", "machine_key", enroll_other, "customer", "acme"), *ans = NULL;

		CHECK_INT(monitor_enroll(a, &admin, other, 1000, &ans, NULL, &err), 0);
		json_decref(ans);
		json_decref(other);
	}
	CHECK_INT(store_begin(a), 0);
	CHECK_INT(monitor_enroll(a, &admin, body, 1000, &first, NULL, &err), 0);
	CHECK_INT(pthread_create(&t, NULL, second_enroller, &b), 0);
	usleep(300 * 1000);
	CHECK(!atomic_load(&b.done)); /* waiting for A */
	CHECK_INT(store_commit(a), 0);
	pthread_join(t, NULL);
	if (pg) {
		CHECK_INT(b.r < 0, 1);
		CHECK_INT(b.err.http, 409);
		CHECK_STR(b.err.code, "enrolled_concurrently");
	} else {
		CHECK_INT(b.r, 0);
		CHECK_STR(json_string_value(json_object_get(b.answer, "machine")),
			  json_string_value(json_object_get(first, "machine")));
	}
	json_decref(first);
	json_decref(b.answer);
	json_decref(body);
	store_close(a);
	store_close(b.s);
}

TEST(a_machine_enrolled_through_two_nodes_at_once)
{
	char *loc = location("enroll", false);

	enroll_race_checks(loc, false);
	free(loc);
}

TEST(a_machine_enrolled_through_two_nodes_at_once_on_postgresql)
{
	char *loc = location("enroll", true);

	if (loc)
		enroll_race_checks(loc, true);
	free(loc);
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "a_job_is_led_by_one_connection_at_a_time", a_job_is_led_by_one_connection_at_a_time },
		{ "a_delivery_is_claimed_by_one_deliverer", a_delivery_is_claimed_by_one_deliverer },
		{ "a_machine_is_locked_for_its_read_and_write", a_machine_is_locked_for_its_read_and_write },
		{ "a_machine_enrolled_through_two_nodes_at_once", a_machine_enrolled_through_two_nodes_at_once },
		{ "a_job_is_led_by_one_connection_at_a_time_on_postgresql",
		  a_job_is_led_by_one_connection_at_a_time_on_postgresql },
		{ "a_delivery_is_claimed_by_one_deliverer_on_postgresql", a_delivery_is_claimed_by_one_deliverer_on_postgresql },
		{ "a_machine_is_locked_for_its_read_and_write_on_postgresql",
		  a_machine_is_locked_for_its_read_and_write_on_postgresql },
		{ "a_machine_enrolled_through_two_nodes_at_once_on_postgresql",
		  a_machine_enrolled_through_two_nodes_at_once_on_postgresql },
	};
	int r;

	/* One cluster for the run (pg-harness.h). */
	pg_missing = pgh_cluster_start(pg_dir, NULL);
	r = tap_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
	pgh_cluster_stop(pg_dir);
	return r;
}
