/*
 * api-monitor.c - monitoring over HTTP (docs/monitor.md): agents enroll
 * and report; people list machines, their events and the fleet, and set
 * their thresholds.  The rules (who sees which machine, what a report may
 * hold, when an event is told) are all in src/monitor; these carry
 * requests and answers, and route every write through server_write()
 * (group commit).
 */
#include <jansson.h>
#include <time.h>

#include "covalid/descriptor.h"
#include "covalid/monitor.h"
#include "covalid/store.h"
#include "server/server-internal.h"
#include "util/cv.h"

/* A report holds at most a descriptor and its health: bounded apart from
 * the server's --max-body, which other routes need larger. */
#define REPORT_MAX_BYTES (DESCRIPTOR_MAX_BYTES + 64 * 1024)

/* ---- agents ---- */

struct enroll_job {
	const struct program_auth *who;
	json_t *body, *answer;
	bool created;
	struct program_error e;
};

static int enroll_write(struct store *s, void *arg)
{
	struct enroll_job *j = arg;

	return monitor_enroll(s, j->who, j->body, (int64_t)time(NULL), &j->answer, &j->created, &j->e);
}

void api_agent_enroll(struct req *r)
{
	struct enroll_job j = { .who = &r->auth };
	int rc;

	j.body = req_body_object(r, NULL, 0);
	if (!j.body)
		return;
	rc = server_write(r, enroll_write, &j);
	if (r->answered) /* the shared transaction was lost: server_write answered 503 */
		json_decref(j.answer);
	else if (rc < 0 && !j.e.http)
		reply_error(r, 503, "unavailable", "the enrollment could not be made durable; nothing was changed");
	else if (rc < 0)
		reply_program_error(r, &j.e);
	else {
		if (j.created) /* one more machine: /metrics counts afresh */
			server_gauges_changed(r->srv);
		r->location = cv_xasprintf("/api/v1/machines/%s", json_string_value(json_object_get(j.answer, "machine")));
		reply_json(r, j.created ? 201 : 200, j.answer);
	}
	json_decref(j.body);
}

struct report_job {
	const struct monitor_agent *agent;
	struct monitor_report *rep;
	json_t *answer;
	struct program_error e;
};

static int report_write(struct store *s, void *arg)
{
	struct report_job *j = arg;

	return monitor_report_apply(s, j->agent, j->rep, (int64_t)time(NULL), &j->answer, &j->e);
}

/* After the commit, on the writer's answering thread (server_write_async). */
static void report_written(struct req *r, int rc, void *arg)
{
	struct report_job *j = arg;

	if (r->answered) /* the shared transaction was lost: answered 503 */
		json_decref(j->answer);
	else if (rc < 0 && !j->e.http)
		reply_error(r, 503, "unavailable", "the report could not be made durable; send it again");
	else if (rc < 0)
		reply_program_error(r, &j->e);
	else {
		if (json_is_true(json_object_get(j->answer, "applied")))
			server_count_report(r->srv, monitor_report_has_descriptor(j->rep));
		reply_json(r, 200, j->answer);
	}
	monitor_report_free(j->rep);
	free(j);
}

/* Reports come by the thousand: parsed and checked here, on a worker,
 * then written without holding the worker (server_write_async). */
void api_agent_report(struct req *r)
{
	struct report_job *j;
	struct monitor_report *rep = NULL;
	struct program_error e = { 0 };
	struct snapshot *snap;
	int rc;

	rc = monitor_report_parse(r->body.data ? r->body.data : "", r->body.len, REPORT_MAX_BYTES, NULL, &rep, &e);
	if (rc < 0) {
		reply_program_error(r, &e);
		return;
	}
	/* A descriptor is checked here, on this request's thread, before the
	 * write; a heartbeat needs no catalog. */
	if (monitor_report_has_descriptor(rep)) {
		snap = snapshot_get(r);
		if (!snap) {
			monitor_report_free(rep);
			return;
		}
		rc = monitor_report_check(rep, snap->ix, &e);
		snapshot_put(r->srv, snap);
		if (rc < 0) {
			reply_program_error(r, &e);
			monitor_report_free(rep);
			return;
		}
	}
	j = cv_xcalloc(1, sizeof(*j));
	j->agent = r->agent; /* r's until it is answered: after report_written */
	j->rep = rep;
	server_write_async(r, report_write, report_written, j);
}

/* ---- machines and events ---- */

/* ?late=true|false; -1 when absent; false with a 400 answered. */
static bool late_arg(struct req *r, int *ret)
{
	const char *v = req_arg(r, "late");

	*ret = -1;
	if (!v)
		return true;
	if (cv_word_in("true 1 yes", v))
		*ret = 1;
	else if (cv_word_in("false 0 no", v))
		*ret = 0;
	else {
		reply_error(r, 400, "invalid_parameter", "late: true or false");
		return false;
	}
	return true;
}

void api_machines(struct req *r)
{
	struct monitor_machine_filter f = { .customer_id = req_arg(r, "customer"), .verdict = req_arg(r, "verdict") };
	struct program_error e = { 0 };
	json_t *out = NULL;

	if (!req_paging(r, &f.limit, &f.offset) || !late_arg(r, &f.late))
		return;
	if (monitor_machine_list(r->store, &r->auth, &f, &out, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, out);
}

void api_machine(struct req *r)
{
	struct program_error e = { 0 };
	struct snapshot *snap = snapshot_get(r);
	json_t *out = NULL;

	if (!snap)
		return;
	if (monitor_machine_get(r->store, &r->auth, r->params[0], snap->ix, &out, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, out);
	snapshot_put(r->srv, snap);
}

void api_machine_events(struct req *r)
{
	struct monitor_event_filter f = { .machine_id = r->params[0], .after = -1 };
	struct program_error e = { 0 };
	json_t *out = NULL;

	if (!req_paging(r, &f.limit, &f.offset))
		return;
	if (monitor_events_list(r->store, &r->auth, &f, &out, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, out);
}

void api_events(struct req *r)
{
	struct monitor_event_filter f = { .customer_id = req_arg(r, "customer"), .after = -1 };
	struct program_error e = { 0 };
	const char *after = req_arg(r, "after");
	json_t *out = NULL;

	if (!req_paging(r, &f.limit, &f.offset))
		return;
	if (after) {
		uint64_t v;

		if (cv_parse_u64(after, 10, &v) < 0 || v > INT64_MAX) {
			reply_error(r, 400, "invalid_parameter", "after: an event's seq (0 for the first)");
			return;
		}
		f.after = (int64_t)v;
	}
	if (monitor_events_list(r->store, &r->auth, &f, &out, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, out);
}

void api_fleet(struct req *r)
{
	struct program_error e = { 0 };
	const char *d = req_arg(r, "days");
	int64_t days = 7;
	json_t *out = NULL;

	if (d) {
		uint64_t v;

		if (cv_parse_u64(d, 10, &v) < 0 || v < 1 || v > 366) {
			reply_error(r, 400, "invalid_parameter", "days: 1 to 366");
			return;
		}
		days = (int64_t)v;
	}
	if (monitor_fleet(r->store, &r->auth, req_arg(r, "customer"), days, (int64_t)time(NULL), &out, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, out);
}

/* ---- settings ---- */

void api_monitor_settings_get(struct req *r)
{
	struct program_error e = { 0 };
	json_t *out = NULL;

	if (monitor_settings_get(r->store, &r->auth, req_arg(r, "customer"), &out, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, out);
}

struct settings_job {
	const struct program_auth *who;
	const char *customer;
	json_t *body, *answer;
	struct program_error e;
};

static int settings_write(struct store *s, void *arg)
{
	struct settings_job *j = arg;

	return monitor_settings_put(s, j->who, j->customer, j->body, &j->answer, &j->e);
}

void api_monitor_settings_put(struct req *r)
{
	struct settings_job j = { .who = &r->auth, .customer = req_arg(r, "customer") };
	int rc;

	j.body = req_body_object(r, NULL, 0);
	if (!j.body)
		return;
	rc = server_write(r, settings_write, &j);
	/* Committed or lost: the thresholds read meanwhile are stale either way. */
	monitor_settings_changed();
	if (r->answered) /* the shared transaction was lost: server_write answered 503 */
		json_decref(j.answer);
	else if (rc < 0 && !j.e.http)
		reply_error(r, 503, "unavailable", "the settings could not be made durable; nothing was changed");
	else if (rc < 0)
		reply_program_error(r, &j.e);
	else
		reply_json(r, 200, j.answer);
	json_decref(j.body);
}
