/*
 * request.c - the request and reply API handlers use (server-internal.h):
 * exactly one reply per request, the query, headers and JSON body,
 * paging, and the transaction that wraps a write.
 *
 * A reply is only recorded in struct req here; http.c hands it to
 * libmicrohttpd (or writes it to the socket) once the handler returns.
 */
#include <microhttpd.h>

#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

/* ---- replies ---- */

void req_reset_reply(struct req *r)
{
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
}

void reply_bytes(struct req *r, unsigned status, const char *content_type, const char *data, size_t len)
{
	req_reset_reply(r);
	r->status = status;
	r->content_type = content_type;
	r->resp = cv_xmalloc(len + 1);
	memcpy(r->resp, data, len);
	r->resp[len] = '\0';
	r->resp_len = len;
	r->answered = true;
}

void reply_take(struct req *r, unsigned status, const char *content_type, char *data, size_t len)
{
	req_reset_reply(r);
	r->status = status;
	r->content_type = content_type;
	r->resp = data;
	r->resp_len = len;
	r->answered = true;
}

void reply_json(struct req *r, unsigned status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(body);
	if (!s) {
		/* A body that could not be built (json_pack refuses strings
		 * that are not UTF-8): a fault of the handler, never a reason
		 * to take the server down. */
		static const char fault[] = "{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be written\"}}";

		reply_bytes(r, 500, "application/json", fault, sizeof(fault) - 1);
		return;
	}
	req_reset_reply(r);
	r->status = status;
	r->content_type = "application/json";
	r->resp_len = strlen(s);
	r->resp = s;
	r->answered = true;
}

void reply_error(struct req *r, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[512], *safe;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Whatever failed, it failed for the database server being out of
	 * reach: a client should try again, as after any 503. */
	if (status == 500 && store_unavailable(r->store)) {
		status = 503;
		code = "unavailable";
	}
	if (status == 401 && !r->www_authenticate)
		r->www_authenticate = cv_xstrdup("Bearer realm=\"covalid\"");
	/* Messages echo what the client sent (a method, an id): bytes that
	 * are not UTF-8, or controls, become '?', so the JSON can be built. */
	safe = cv_str_sanitize(msg, strlen(msg), sizeof(msg));
	reply_json(r, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", safe));
	free(safe);
}

void reply_program_error(struct req *r, const struct program_error *e)
{
	json_t *body;

	if (!e->reasons) {
		reply_error(r, (unsigned)(e->http ? e->http : 500), e->code[0] ? e->code : "internal", "%s", e->message);
		return;
	}
	/* Every reason, whole, beside the one-line message. */
	body = json_pack("{s:{s:s, s:s, s:O}}", "error", "code", e->code[0] ? e->code : "internal", "message", e->message,
			 "reasons", e->reasons);
	reply_json(r, (unsigned)(e->http ? e->http : 500), body);
}


/* ---- request helpers ---- */

const char *req_arg(struct req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

struct arg_values {
	const char *name;
	const char **v;
	size_t n, max;
};

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_values *a = cls;

	(void)kind;
	if (!cv_streq(key, a->name) || !value || !*value)
		return MHD_YES;
	if (a->n == a->max)
		return MHD_NO;
	a->v[a->n++] = value;
	return MHD_YES;
}

size_t req_arg_all(struct req *r, const char *name, const char **ret_values, size_t max)
{
	struct arg_values a = { name, ret_values, 0, max };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, take_arg, &a);
	return a.n;
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

bool req_paging(struct req *r, int64_t *ret_limit, int64_t *ret_offset)
{
	const char *l = req_arg(r, "limit"), *o = req_arg(r, "offset");
	uint64_t v;

	*ret_limit = 50;
	*ret_offset = 0;
	if (l) {
		if (cv_parse_u64(l, 10, &v) < 0 || v < 1 || v > 500) {
			reply_error(r, 400, "invalid_parameter", "limit: expected 1 to 500");
			return false;
		}
		*ret_limit = (int64_t)v;
	}
	if (o) {
		if (cv_parse_u64(o, 10, &v) < 0 || v > INT32_MAX) {
			reply_error(r, 400, "invalid_parameter", "offset: expected a count");
			return false;
		}
		*ret_offset = (int64_t)v;
	}
	return true;
}

json_t *req_body_object(struct req *r, const char *const *keys, size_t n_keys)
{
	struct program_error e = { 0 };
	json_error_t err;
	json_t *j;

	j = r->body.len ? json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &err) : NULL;
	if (!j) {
		reply_error(r, 400, "malformed_json", "the body is not valid JSON%s%s", r->body.len ? ": " : " (empty)",
			    r->body.len ? err.text : "");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reply_error(r, 400, "malformed_json", "the body must be a JSON object");
		return NULL;
	}
	if (keys && !program_check_keys(j, keys, n_keys, NULL, &e)) {
		reply_program_error(r, &e);
		json_decref(j);
		return NULL;
	}
	return j;
}

