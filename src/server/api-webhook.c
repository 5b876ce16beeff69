/*
 * api-webhook.c - webhooks over HTTP (docs/webhooks.md): add, list,
 * remove, and a webhook's delivery log.  The rules (who may, which
 * webhooks are whose, what a webhook may be) are src/monitor's; these only
 * carry requests and answers.  Writes go through server_write().
 */
#include <jansson.h>

#include "covalid/monitor.h"
#include "server/server-internal.h"
#include "util/cv.h"

struct add_job {
	struct req *r;
	json_t *body, *ret;
	struct program_error e;
};

static int add_fn(struct store *s, void *arg)
{
	struct add_job *j = arg;

	return monitor_webhook_add(s, &j->r->auth, j->body, (int64_t)time(NULL), &j->ret, &j->e);
}

void api_webhook_add(struct req *r)
{
	struct add_job j = { .r = r };
	int rc;

	/* Keys are checked by monitor_webhook_add, which names the field. */
	j.body = req_body_object(r, NULL, 0);
	if (!j.body)
		return;
	rc = server_write(r, add_fn, &j);
	if (rc == SERVER_WRITE_LOST) /* answered 503 already; nothing was kept */
		json_decref(j.ret);
	else if (rc < 0 && !j.e.http)
		reply_error(r, 503, "unavailable", "the webhook could not be recorded; nothing was changed");
	else if (rc < 0)
		reply_program_error(r, &j.e);
	else {
		r->location = cv_xasprintf("/api/v1/webhooks/%s", json_string_value(json_object_get(j.ret, "id")));
		reply_json(r, 201, j.ret);
	}
	program_error_release(&j.e);
	json_decref(j.body);
}

void api_webhooks(struct req *r)
{
	struct program_error e = { 0 };
	json_t *ret = NULL;

	if (monitor_webhook_list(r->store, &r->auth, req_arg(r, "customer"), &ret, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, ret);
}

struct remove_job {
	struct req *r;
	struct program_error e;
};

static int remove_fn(struct store *s, void *arg)
{
	struct remove_job *j = arg;

	return monitor_webhook_remove(s, &j->r->auth, j->r->params[0], (int64_t)time(NULL), &j->e);
}

void api_webhook_remove(struct req *r)
{
	struct remove_job j = { .r = r };
	int rc = server_write(r, remove_fn, &j);

	if (rc == SERVER_WRITE_LOST)
		; /* answered 503 already; nothing was kept */
	else if (rc < 0 && !j.e.http)
		reply_error(r, 503, "unavailable", "the webhook could not be removed; nothing was changed");
	else if (rc < 0)
		reply_program_error(r, &j.e);
	else
		reply_json(r, 200, json_pack("{s:s, s:s}", "id", r->params[0], "status", "removed"));
}

void api_webhook_deliveries(struct req *r)
{
	struct program_error e = { 0 };
	int64_t limit, offset;
	json_t *ret = NULL;

	if (!req_paging(r, &limit, &offset))
		return;
	if (monitor_webhook_deliveries(r->store, &r->auth, r->params[0], limit, offset, &ret, &e) < 0)
		reply_program_error(r, &e);
	else
		reply_json(r, 200, ret);
}
