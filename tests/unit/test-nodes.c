/*
 * test-nodes.c - what lets several server nodes share one database
 * (issue 15): a background job led by one connection at a time
 * (store_try_lead), a webhook delivery claimed by one deliverer
 * (store_delivery_claim, monitor_deliveries_due), a machine's row locked
 * for its read-modify-write (store_machine_lock).  Each "node" here is a
 * connection of its own to one SQLite file, as several processes on one
 * file are; tests/t/t4010-multi-node.sh runs the same on PostgreSQL with
 * three real nodes.
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/monitor.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "tap.h"
#include "util/cv.h"

static struct store *open_at(const char *name)
{
	struct store *s = NULL;
	char *path = cv_xasprintf("%s/%s", tap_tmpdir(), name), *err = NULL;

	CHECK_INT(store_open(path, &s, &err), 0);
	free(path);
	free(err);
	return s;
}

TEST(a_job_is_led_by_one_connection_at_a_time)
{
	struct store *a = open_at("lead.db"), *b = open_at("lead.db"), *m = NULL;
	char *err = NULL;

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
	CHECK_INT(store_try_lead(b, "sweep"), 1);
	CHECK_INT(store_try_lead(b, "sla"), 1);
	/* Job names are words: nothing that could make a path of the lock's file. */
	CHECK_INT(store_try_lead(b, ""), -EINVAL);
	CHECK_INT(store_try_lead(b, "../x"), -EINVAL);
	CHECK_INT(store_try_lead(b, "Sweep"), -EINVAL);
	CHECK_INT(store_try_lead(b, NULL), -EINVAL);
	store_close(b);
	/* A database in memory is no one else's: its connection leads. */
	CHECK_INT(store_open(":memory:", &m, &err), 0);
	free(err);
	CHECK_INT(store_try_lead(m, "sweep"), 1);
	store_close(m);
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

TEST(a_delivery_is_claimed_by_one_deliverer)
{
	struct program_auth acme = { .role = (char *)"customer", .customer_id = (char *)"acme", .token_id = (char *)"t1" };
	struct store *a = open_at("claim.db"), *b = open_at("claim.db");
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

TEST(a_machine_is_locked_for_its_read_and_write)
{
	struct store *s = open_at("lock.db");

	CHECK_INT(store_customer_add(s, "acme", "Acme"), 0);
	CHECK_INT(store_machine_add(s, &(struct store_machine_row){ .id = "m-1", .customer_id = "acme",
								  .machine_key = "k1", .name = "web01",
								  .credential_hash = "h1", .enrolled_at = "2026-12-02T00:00:00Z",
								  .last_seen_s = 1, .interval_s = 60 }),
		  0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_machine_lock(s, "m-1"), 0);
	CHECK_INT(store_machine_lock(s, "m-nosuch"), -ENOENT);
	CHECK_INT(store_commit(s), 0);
	store_close(s);
}

TAP_MAIN(a_job_is_led_by_one_connection_at_a_time, a_delivery_is_claimed_by_one_deliverer,
	 a_machine_is_locked_for_its_read_and_write)
