/*
 * idempotency.c - a write request sent again is not carried out twice:
 * the Idempotency-Key request header (docs/server.md, "Retries"; the
 * IETF httpapi draft "The Idempotency-Key HTTP Header Field").
 *
 * Why: a write can be carried out and its answer lost.  A node killed
 * between its commit and its answer is the case t4010 met: haproxy,
 * whose keep-alive request to that node failed on a network error,
 * closes the client's connection without an answer so that the client
 * retries (its "abort_keep_alive"), and curl (as any HTTP client whose
 * reused connection dies before an answer) sends the POST again, to a
 * node that carries it out a second time.  Only the server can tell a
 * repeat from a new request, and only if the client names the request.
 *
 * How: a write request (any method but GET and HEAD) may carry
 * "Idempotency-Key: K" (1 to 255 visible ASCII characters, quoted or
 * not).  Keys are per principal (the token or agent credential that
 * sent it, or "public"), so one client cannot see another's answers.
 * Before the handler: the key's row, if there is one, decides --
 *   - a different request used it (method, target or body differ): 422;
 *   - its answer was kept: that answer again, byte for byte, with
 *     "Idempotent-Replayed: true";
 *   - it was carried out and not (yet) answered: 409, as the draft says
 *     for a request still in progress.  The write is there; read it.
 * Otherwise the handler runs, and the writer (writer.c) records the key
 * in the write's own savepoint, before the handler's work: the key is
 * kept exactly when the write is, and of two requests racing with one
 * key (two nodes, each finding no row) the second finds it and is
 * answered 409 without running.  Once answered, the answer is kept in
 * the key's row by a write of its own (idem_keep).  Keys are forgotten
 * a day after their first use.
 */
#include <ctype.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <time.h>

#include "covalid/monitor.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

#define IDEM_KEY_MAX 255
/* How long a key is remembered, and how often a node forgets old ones. */
#define IDEM_KEEP_S (24 * 3600)
#define IDEM_PRUNE_EVERY_S 60

struct idem {
	char key[IDEM_KEY_MAX + 1];
	char *principal;
	char fingerprint[2 * crypto_generichash_BYTES + 1];
	bool claimed;         /* its write committed with the key (writer.c) */
	char *replay_ctype;   /* a replayed answer's content type (r->content_type points here) */
};

static const char *const replayed_headers[] = { "Idempotent-Replayed", "true", NULL };

void idem_free(struct idem *ik)
{
	if (!ik)
		return;
	free(ik->principal);
	free(ik->replay_ctype);
	free(ik);
}

/* The key as sent: a token or an sf-string ("..."); false if it is neither. */
static bool key_parse(const char *h, char out[static IDEM_KEY_MAX + 1])
{
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		h++;
		n -= 2;
	}
	if (n == 0 || n > IDEM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (h[i] < 0x21 || h[i] > 0x7e || h[i] == '"' || h[i] == '\\')
			return false;
	memcpy(out, h, n);
	out[n] = '\0';
	return true;
}

/* Method, target and body: what "the same request" means. */
static void fingerprint(struct req *r, char out[static 2 * crypto_generichash_BYTES + 1])
{
	crypto_generichash_state st;
	unsigned char d[crypto_generichash_BYTES];

	crypto_generichash_init(&st, NULL, 0, sizeof(d));
	crypto_generichash_update(&st, (const unsigned char *)r->method, strlen(r->method) + 1);
	crypto_generichash_update(&st, (const unsigned char *)r->target, strlen(r->target) + 1);
	if (r->body.len)
		crypto_generichash_update(&st, (const unsigned char *)r->body.data, r->body.len);
	crypto_generichash_final(&st, d, sizeof(d));
	sodium_bin2hex(out, 2 * sizeof(d) + 1, d, sizeof(d));
}

static void replay(struct req *r, struct idem *ik, struct store_idem_row *row)
{
	const char *body = row->body ? row->body : "";

	ik->replay_ctype = row->content_type ? cv_xstrdup(row->content_type) : NULL;
	reply_bytes(r, (unsigned)row->status, ik->replay_ctype ? ik->replay_ctype : "application/json", body,
		    strlen(body));
	if (row->location) {
		free(r->location);
		r->location = cv_xstrdup(row->location);
	}
	r->headers = replayed_headers;
}

bool idem_begin(struct req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	struct store_idem_row *row = NULL;
	struct idem *ik;
	int rc;

	if (!h || strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
		return true;
	ik = cv_xcalloc(1, sizeof(*ik));
	if (!key_parse(h, ik->key)) {
		idem_free(ik);
		reply_error(r, 400, "invalid_idempotency_key",
			    "Idempotency-Key: 1 to %d visible ASCII characters, without quotes or backslashes inside",
			    IDEM_KEY_MAX);
		return false;
	}
	if (r->agent)
		ik->principal = cv_xasprintf("agent:%s", r->agent->machine_id);
	else if (r->auth.token_id)
		ik->principal = cv_xasprintf("token:%s", r->auth.token_id);
	else
		ik->principal = cv_xstrdup("public");
	fingerprint(r, ik->fingerprint);
	rc = store_idem_get(r->store, ik->principal, ik->key, &row);
	if (rc == -ENOENT) {
		r->idem = ik;
		return true;
	}
	r->idem = ik; /* freed with r: a replay's content type lives in it */
	if (rc < 0)
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
	else if (strcmp(row->fingerprint, ik->fingerprint) != 0)
		reply_error(r, 422, "idempotency_key_reused",
			    "this Idempotency-Key was used for another request (method, target or body differ)");
	else if (row->status > 0)
		replay(r, ik, row);
	else
		reply_error(r, 409, "idempotency_key_in_use",
			    "a request with this Idempotency-Key was carried out, and its answer is not kept "
			    "(it is still being answered, or the node answering it stopped): read what it wrote");
	store_idem_free(row);
	return false;
}

struct idem *idem_to_claim(struct req *r)
{
	return r->idem && !r->idem->claimed && !r->answered ? r->idem : NULL;
}

int idem_claim(struct store *s, struct idem *ik)
{
	static atomic_llong pruned_at;
	long long now = (long long)time(NULL), last = atomic_load(&pruned_at);
	int rc;

	/* Old keys go, at most once a minute per node: in the write's
	 * transaction, where a failure undoes only this write's work. */
	if (now - last >= IDEM_PRUNE_EVERY_S && atomic_compare_exchange_strong(&pruned_at, &last, now)) {
		rc = store_idem_prune(s, now - IDEM_KEEP_S);
		if (rc < 0)
			return rc;
	}
	return store_idem_claim(s, ik->principal, ik->key, ik->fingerprint, now);
}

void idem_claimed(struct idem *ik)
{
	ik->claimed = true;
}

/* ---- the answer, kept ---- */

struct keep {
	char *principal, *key, *content_type, *location, *body;
	int64_t status;
};

static int keep_write(struct store *s, void *arg)
{
	struct keep *k = arg;

	return store_idem_answer(s, k->principal, k->key, k->status, k->content_type, k->location, k->body);
}

static void keep_free(void *arg)
{
	struct keep *k = arg;

	free(k->principal);
	free(k->key);
	free(k->content_type);
	free(k->location);
	free(k->body);
	free(k);
}

void idem_keep(struct req *r)
{
	struct keep *k;

	if (!r->idem || !r->idem->claimed || !r->answered || r->status < 200)
		return;
	/* Answers are JSON text; one with a NUL in it is not kept (a repeat
	 * then gets the 409 of an answer lost). */
	if (r->resp_len && memchr(r->resp, '\0', r->resp_len))
		return;
	k = cv_xcalloc(1, sizeof(*k));
	k->principal = cv_xstrdup(r->idem->principal);
	k->key = cv_xstrdup(r->idem->key);
	k->content_type = r->content_type ? cv_xstrdup(r->content_type) : NULL;
	k->location = r->location ? cv_xstrdup(r->location) : NULL;
	k->body = cv_xstrndup(r->resp ? r->resp : "", r->resp_len);
	k->status = r->status;
	server_write_detached(r->srv, keep_write, keep_free, k);
}
