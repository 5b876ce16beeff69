/*
 * fleet.c - the fleet at a glance (docs/monitor.md, "The fleet"): machines
 * by verdict now, and the same over time from the samples the sweeper
 * writes every sample interval (a chart reads a few hundred points, not
 * every report).
 */
#include <jansson.h>

#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

#define FLEET_DAYS_MAX 366

static int count_into(void *userdata, const char *key, int64_t count)
{
	json_object_set_new(userdata, key, json_integer(count));
	return 0;
}

struct series {
	json_t *items;
	json_t *last; /* the point being filled */
};

static int sample_into(void *userdata, const char *at, const char *verdict, int64_t count)
{
	struct series *se = userdata;

	if (!se->last || !cv_streq(json_string_value(json_object_get(se->last, "at")), at)) {
		se->last = json_pack("{s:s, s:{}}", "at", at, "counts");
		json_array_append_new(se->items, se->last);
	}
	json_object_set_new(json_object_get(se->last, "counts"), verdict, json_integer(count));
	return 0;
}

int monitor_fleet(struct store *s, const struct program_auth *who, const char *customer_id, int64_t days, int64_t now,
		  json_t **ret, struct program_error *err)
{
	struct series se = { json_array(), NULL };
	json_t *counts = json_object();
	char since[32];
	int r;

	if (who->customer_id) {
		if (customer_id && strcmp(customer_id, who->customer_id) != 0) {
			program_error_set(err, 403, "forbidden", "customer: a customer's administrator sees its own fleet");
			r = -EPERM;
			goto fail;
		}
		customer_id = who->customer_id;
	} else if (!who->admin) {
		program_error_set(err, 403, "forbidden", "the fleet is its customer's and the owner's");
		r = -EPERM;
		goto fail;
	}
	if (days < 1 || days > FLEET_DAYS_MAX) {
		program_error_set(err, 400, "invalid_parameter", "days: 1 to %d", FLEET_DAYS_MAX);
		r = -EINVAL;
		goto fail;
	}
	monitor_iso(now - days * 86400, since);
	r = store_machine_counts(s, customer_id, count_into, counts);
	if (r == 0)
		r = store_fleet_samples(s, customer_id, since, sample_into, &se);
	if (r < 0) {
		monitor_store_error(s, r, "reading the fleet", err);
		goto fail;
	}
	*ret = json_pack("{s:s?, s:I, s:o, s:o}", "customer", customer_id, "days", (json_int_t)days, "now", counts,
			 "series", se.items);
	return 0;
fail:
	json_decref(counts);
	json_decref(se.items);
	return r;
}

struct sample_ctx {
	struct store *s;
	const char *customer_id, *at;
	int r;
};

static int sample_one(void *userdata, const char *key, int64_t count)
{
	struct sample_ctx *c = userdata;
	int r;

	if (count == 0)
		return 0;
	r = store_fleet_sample_add(c->s, c->customer_id, c->at, key, count);
	/* Two sweeps in one second (a restart): the first sample stands. */
	if (r < 0 && r != -EEXIST)
		c->r = r;
	return 0;
}

static int collect_customer(void *userdata, const char *id, const char *name, const char *created_at)
{
	(void)name;
	(void)created_at;
	cv_strv_push(userdata, id);
	return 0;
}

int monitor_sweep_sample(struct store *s, int64_t now)
{
	struct cv_strv customers = { 0 };
	char at[32];
	int r = store_customer_list(s, collect_customer, &customers);

	monitor_iso(now, at);
	for (size_t i = 0; r >= 0 && i < customers.n; i++) {
		struct sample_ctx c = { s, customers.v[i], at, 0 };

		r = program_txn_begin(s, NULL);
		if (r < 0)
			break;
		r = store_machine_counts(s, customers.v[i], sample_one, &c);
		r = program_txn_end(s, r == 0 ? c.r : r, NULL);
	}
	cv_strv_release(&customers);
	return r < 0 ? r : 0;
}

struct count_fn {
	void (*cb)(void *userdata, const char *key, int64_t count);
	void *userdata;
};

static int count_fn(void *userdata, const char *key, int64_t count)
{
	struct count_fn *f = userdata;

	f->cb(f->userdata, key, count);
	return 0;
}

int monitor_counts(struct store *s, void (*cb)(void *userdata, const char *key, int64_t count), void *userdata)
{
	struct count_fn f = { cb, userdata };

	return store_machine_counts(s, NULL, count_fn, &f);
}
