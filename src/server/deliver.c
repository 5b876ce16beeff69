/*
 * deliver.c - the server's deliverer (docs/webhooks.md): one thread that
 * POSTs due webhook deliveries with libcurl and records each attempt, and
 * every SLA_SWEEP_S seconds records support's SLA breaches as events
 * (which then go out the same way).
 *
 * Events are recorded with their pending deliveries by whoever writes
 * them (store_event_add, in the writer's transaction); this thread only
 * reads what is due, sends it and writes the outcome, so a receiver that
 * is slow or down never holds a request or a transaction.  It wakes every
 * second (DELIVER_POLL_MS) or when poked, and at once again while a whole
 * batch was due.  Deliveries are sent one at a time: a receiver that hangs
 * delays the others by at most the 10 s timeout per attempt.
 *
 * Per attempt: 10 s in all, redirects not followed (a receiver that
 * redirects has moved: a 3xx is a failed attempt, as the design says
 * only 2xx is delivered), http and https only, at most 64 kB of the answer
 * read (its status is what counts).
 */
#include <curl/curl.h>
#include <pthread.h>

#include "covalid/covalid.h"
#include "covalid/monitor.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "server/http-internal.h"
#include "util/cv.h"

#define DELIVER_BATCH 32
#define DELIVER_POLL_MS 1000
#define DELIVER_TIMEOUT_S 10
#define DELIVER_ANSWER_MAX (64 * 1024)
/* How often support's SLA clocks are looked at for new breaches. */
#define SLA_SWEEP_S 30
/* The first retry's wait; $COVALID_WEBHOOK_BACKOFF_MS for tests. */
#define DEFAULT_BACKOFF_MS 1000

struct deliverer {
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, poked;
	int64_t backoff_ms;
	atomic_ulong outcomes[3]; /* enum monitor_delivery_outcome */
};

static size_t on_answer(char *data, size_t size, size_t n, void *userdata)
{
	size_t *got = userdata;

	(void)data;
	*got += size * n;
	/* Past the bound: stop reading (the transfer ends with a write
	 * error; the status line has been read by then). */
	return *got > DELIVER_ANSWER_MAX ? 0 : size * n;
}

/* libcurl's progress callback: a non-zero return aborts the transfer, so
 * that stopping the server does not wait for a slow receiver. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct deliverer *d = userdata;
	bool stop;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	pthread_mutex_lock(&d->lock);
	stop = d->stop;
	pthread_mutex_unlock(&d->lock);
	return stop;
}

/* One attempt: the HTTP status (0: no answer, *ret_error says why). */
static long post(struct deliverer *dl, CURL *h, const struct monitor_delivery *d, char *ret_error, size_t error_size)
{
	struct curl_slist *hdr = NULL;
	char line[160], errbuf[CURL_ERROR_SIZE] = "";
	size_t got = 0;
	long status = 0;
	CURLcode rc;

	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Covalid-Event: %s", d->kind);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof(line), "X-Covalid-Delivery: %lld", (long long)d->id);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof(line), "X-Covalid-Signature: %s", d->signature);
	hdr = curl_slist_append(hdr, line);
	/* No "Expect: 100-continue": receivers answer the whole POST. */
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, d->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)DELIVER_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)DELIVER_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "covalid/" COVALID_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(d->body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, dl);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status > 0)) {
		snprintf(ret_error, error_size, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return 0;
	}
	if (status >= 300 && status < 400)
		snprintf(ret_error, error_size, "HTTP %ld: redirects are not followed", status);
	return status;
}

/* One batch of due deliveries; how many there were. */
static size_t deliver_due(struct deliverer *dl, struct store *s, CURL *h)
{
	struct monitor_delivery *due = NULL;
	size_t n = 0;

	if (monitor_deliveries_due(s, (int64_t)time(NULL), DELIVER_BATCH, &due, &n) < 0)
		return 0; /* the store is busy or gone: the next wake tries again */
	for (size_t i = 0; i < n; i++) {
		enum monitor_delivery_outcome o;
		char error[CURL_ERROR_SIZE + 64] = "";
		long status = post(dl, h, &due[i], error, sizeof(error));

		if (monitor_delivery_record(s, &due[i], status ? status : -1, error[0] ? error : NULL,
					    (int64_t)(cv_now_ns() / 1000000), dl->backoff_ms, &o) == 0)
			atomic_fetch_add(&dl->outcomes[o], 1);
	}
	monitor_deliveries_free(due, n);
	return n;
}

static void *run(void *arg)
{
	struct deliverer *dl = arg;
	struct store *s = NULL;
	CURL *h = curl_easy_init();
	int64_t last_sla = 0;
	char *err = NULL;

	for (;;) {
		struct timespec until;
		size_t n = 0;

		pthread_mutex_lock(&dl->lock);
		if (dl->stop) {
			pthread_mutex_unlock(&dl->lock);
			break;
		}
		dl->poked = false;
		pthread_mutex_unlock(&dl->lock);
		if (!s) {
			s = server_thread_store(dl->srv, &err);
			free(err);
			err = NULL;
		}
		if (s && h) {
			if ((int64_t)time(NULL) - last_sla >= SLA_SWEEP_S) {
				last_sla = (int64_t)time(NULL);
				(void)!support_sla_events(s, support_now());
			}
			n = deliver_due(dl, s, h);
		}
		if (n == DELIVER_BATCH)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += DELIVER_POLL_MS / 1000;
		pthread_mutex_lock(&dl->lock);
		while (!dl->stop && !dl->poked && pthread_cond_timedwait(&dl->wake, &dl->lock, &until) == 0)
			;
		pthread_mutex_unlock(&dl->lock);
	}
	if (h)
		curl_easy_cleanup(h);
	/* The store is this thread's (server_thread_store): closed as it ends. */
	return NULL;
}

struct deliverer *deliverer_start(struct server *srv, char **ret_error)
{
	struct deliverer *dl = cv_xcalloc(1, sizeof(*dl));
	const char *env = getenv("COVALID_WEBHOOK_BACKOFF_MS");
	uint64_t v;

	dl->srv = srv;
	dl->backoff_ms = DEFAULT_BACKOFF_MS;
	if (env && *env) {
		if (cv_parse_u64(env, 10, &v) < 0 || v < 1 || v > 3600000) {
			*ret_error = cv_xasprintf("COVALID_WEBHOOK_BACKOFF_MS=%s: expected 1 to 3600000 (milliseconds)", env);
			free(dl);
			return NULL;
		}
		dl->backoff_ms = (int64_t)v;
	}
	pthread_mutex_init(&dl->lock, NULL);
	pthread_cond_init(&dl->wake, NULL);
	if (pthread_create(&dl->thread, NULL, run, dl) != 0) {
		*ret_error = cv_xstrdup("the webhook deliverer's thread did not start");
		pthread_mutex_destroy(&dl->lock);
		pthread_cond_destroy(&dl->wake);
		free(dl);
		return NULL;
	}
	return dl;
}

void deliverer_poke(struct deliverer *dl)
{
	if (!dl)
		return;
	pthread_mutex_lock(&dl->lock);
	dl->poked = true;
	pthread_cond_signal(&dl->wake);
	pthread_mutex_unlock(&dl->lock);
}

void deliverer_stop(struct deliverer *dl)
{
	if (!dl)
		return;
	pthread_mutex_lock(&dl->lock);
	dl->stop = true;
	pthread_cond_signal(&dl->wake);
	pthread_mutex_unlock(&dl->lock);
	pthread_join(dl->thread, NULL);
	pthread_mutex_destroy(&dl->lock);
	pthread_cond_destroy(&dl->wake);
	free(dl);
}

void deliverer_counts(struct deliverer *dl, unsigned long *ret_delivered, unsigned long *ret_retried,
		      unsigned long *ret_failed)
{
	*ret_delivered = dl ? atomic_load(&dl->outcomes[MONITOR_DELIVERED]) : 0;
	*ret_retried = dl ? atomic_load(&dl->outcomes[MONITOR_RETRY]) : 0;
	*ret_failed = dl ? atomic_load(&dl->outcomes[MONITOR_FAILED]) : 0;
}
