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
 * second (DELIVER_POLL_MS) or when poked; attempts run side by side
 * (run(), below).
 *
 * Per attempt: 10 s in all, redirects not followed (a receiver that
 * redirects has moved: a 3xx is a failed attempt, as the design says
 * only 2xx is delivered), http and https only, at most 64 kB of the answer
 * read (its status is what counts).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include "covalid/covalid.h"
#include "covalid/monitor.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "server/http-internal.h"
#include "util/cv.h"

/* Attempts in flight at once. */
#define DELIVER_BATCH 32
/* A delivery being attempted is not due again for this long (more than
 * an attempt can take). */
#define LEASE_S 60
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

/* One attempt in flight: its handle, headers, and what it read. */
struct attempt {
	CURL *h;
	struct curl_slist *hdr;
	size_t got;
	CURLcode rc;
	bool done;
	bool allow_private;
	char refused[160]; /* why the address was not connected to */
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * Whether an address is one a customer's webhook must not reach: the
 * server's own (loopback, unspecified), its network's (RFC 1918, RFC 6598
 * shared, RFC 4193 unique local), link-local (RFC 3927, RFC 4291: cloud
 * metadata services live at 169.254.169.254) or multicast.  The kind in
 * words, or NULL for a public address.
 */
static const char *address_kind_v4(uint32_t a)
{
	if ((a >> 24) == 127)
		return "loopback";
	if ((a >> 24) == 0)
		return "unspecified";
	if ((a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168))
		return "private (RFC 1918)";
	if ((a >> 22) == (100u << 2 | 1))
		return "shared (RFC 6598)";
	if ((a >> 16) == (169u << 8 | 254))
		return "link-local";
	if ((a >> 28) >= 14)
		return "multicast or reserved";
	return NULL;
}

static const char *address_kind(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return address_kind_v4(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		bool zero = true;

		/* IPv4-mapped (::ffff:0:0/96) and NAT64's well-known prefix
		 * (64:ff9b::/96, RFC 6052) reach an IPv4 address: judge that. */
		static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

		if (memcmp(b, mapped, sizeof(mapped)) == 0 || memcmp(b, nat64, sizeof(nat64)) == 0)
			return address_kind_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
		for (int i = 0; i < 15; i++)
			zero = zero && b[i] == 0;
		if (zero && (b[15] == 0 || b[15] == 1))
			return b[15] ? "loopback" : "unspecified";
		if ((b[0] & 0xfe) == 0xfc)
			return "unique local (RFC 4193)";
		if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
			return "link-local";
		if (b[0] == 0xff)
			return "multicast";
		return NULL;
	}
	return "not an IP address";
}

/* libcurl's socket opener: the one place every connection of an attempt
 * passes, after name resolution, so a name that resolves to a private
 * address (or is re-pointed at one later) is refused as the address
 * itself would be. */
static curl_socket_t open_socket(void *userdata, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct attempt *a = userdata;
	const char *kind = address_kind(&address->addr);
	char host[INET6_ADDRSTRLEN] = "?";

	(void)purpose;
	if (kind && !a->allow_private) {
		if (address->family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&address->addr)->sin_addr, host, sizeof(host));
		else if (address->family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&address->addr)->sin6_addr, host,
				  sizeof(host));
		snprintf(a->refused, sizeof(a->refused),
			 "refused to connect to %s: a %s address (covalid serve --webhook-allow-private allows it)", host,
			 kind);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

/* A delivery and its attempt. */
struct flight {
	struct monitor_delivery d;
	struct attempt a;
	bool busy;
};

/* Sets up the POST of delivery d (not yet sent); false if it cannot be. */
static bool attempt_init(struct deliverer *dl, struct attempt *a, const struct monitor_delivery *d)
{
	char line[160];

	memset(a, 0, sizeof(*a));
	a->h = curl_easy_init();
	if (!a->h)
		return false;
	a->hdr = curl_slist_append(a->hdr, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Covalid-Event: %s", d->kind);
	a->hdr = curl_slist_append(a->hdr, line);
	snprintf(line, sizeof(line), "X-Covalid-Delivery: %lld", (long long)d->id);
	a->hdr = curl_slist_append(a->hdr, line);
	snprintf(line, sizeof(line), "X-Covalid-Signature: %s", d->signature);
	a->hdr = curl_slist_append(a->hdr, line);
	/* No "Expect: 100-continue": receivers answer the whole POST. */
	a->hdr = curl_slist_append(a->hdr, "Expect:");
	curl_easy_setopt(a->h, CURLOPT_URL, d->url);
	curl_easy_setopt(a->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(a->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(a->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->h, CURLOPT_TIMEOUT, (long)DELIVER_TIMEOUT_S);
	curl_easy_setopt(a->h, CURLOPT_CONNECTTIMEOUT, (long)DELIVER_TIMEOUT_S);
	curl_easy_setopt(a->h, CURLOPT_USERAGENT, "covalid/" COVALID_VERSION);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdr);
	curl_easy_setopt(a->h, CURLOPT_POST, 1L);
	curl_easy_setopt(a->h, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(a->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(d->body));
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(a->h, CURLOPT_WRITEDATA, &a->got);
	curl_easy_setopt(a->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(a->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(a->h, CURLOPT_XFERINFODATA, dl);
	curl_easy_setopt(a->h, CURLOPT_ERRORBUFFER, a->errbuf);
	a->allow_private = dl->srv->opt->webhook_allow_private;
	curl_easy_setopt(a->h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(a->h, CURLOPT_OPENSOCKETDATA, a);
	/* No proxy from the environment (http_proxy, ALL_PROXY ...): the
	 * address judged above must be the receiver's own, not a proxy's
	 * that would then fetch any address it is asked for. */
	curl_easy_setopt(a->h, CURLOPT_PROXY, "");
	return true;
}

/* What the attempt came to: the HTTP status (0: no answer, *ret_error says why). */
static long attempt_result(struct attempt *a, char *ret_error, size_t error_size)
{
	long status = 0;

	curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &status);
	if (!a->done || (a->rc != CURLE_OK && !(a->rc == CURLE_WRITE_ERROR && status > 0))) {
		snprintf(ret_error, error_size, "%s",
			 a->refused[0] ? a->refused
			 : a->errbuf[0] ? a->errbuf
			 : a->done ? curl_easy_strerror(a->rc)
				   : "the transfer did not finish");
		return 0;
	}
	if (status >= 300 && status < 400)
		snprintf(ret_error, error_size, "HTTP %ld: redirects are not followed", status);
	return status;
}

/* An attempt ended: its outcome recorded, its slot freed. */
static void finish(struct deliverer *dl, struct store *s, CURLM *m, struct flight *f)
{
	enum monitor_delivery_outcome o;
	char error[CURL_ERROR_SIZE + 64] = "";
	long status = attempt_result(&f->a, error, sizeof(error));

	curl_multi_remove_handle(m, f->a.h);
	curl_easy_cleanup(f->a.h);
	curl_slist_free_all(f->a.hdr);
	if (s && monitor_delivery_record(s, &f->d, status ? status : -1, error[0] ? error : NULL,
					 (int64_t)(cv_now_ns() / 1000000), dl->backoff_ms, &o) == 0) {
		atomic_fetch_add(&dl->outcomes[o], 1);
		/* Given up: /metrics' failed deliveries count afresh. */
		if (o == MONITOR_FAILED)
			server_gauges_changed(dl->srv);
	}
	monitor_deliveries_free_contents(&f->d);
	f->busy = false;
}

/* Starts the due deliveries there are free slots for; how many were due. */
static size_t start_due(struct deliverer *dl, struct store *s, CURLM *m, struct flight *slots)
{
	struct monitor_delivery *due = NULL;
	size_t n = 0, free_slots = 0, k = 0;

	for (size_t i = 0; i < DELIVER_BATCH; i++)
		free_slots += !slots[i].busy;
	if (!free_slots || monitor_deliveries_due(s, (int64_t)time(NULL), free_slots, LEASE_S, &due, &n) < 0)
		return 0; /* none free, or the store is busy or gone: the next turn tries again */
	for (size_t i = 0; i < n; i++) {
		while (slots[k].busy)
			k++;
		slots[k].d = due[i]; /* the slot owns its strings now */
		if (!attempt_init(dl, &slots[k].a, &slots[k].d) || curl_multi_add_handle(m, slots[k].a.h) != CURLM_OK) {
			/* Not sent: its lease brings it back. */
			if (slots[k].a.h)
				curl_easy_cleanup(slots[k].a.h);
			curl_slist_free_all(slots[k].a.hdr);
			monitor_deliveries_free_contents(&slots[k].d);
			continue;
		}
		curl_easy_setopt(slots[k].a.h, CURLOPT_PRIVATE, &slots[k]);
		slots[k].busy = true;
	}
	free(due); /* the array only: its entries moved to the slots */
	return n;
}

/* Attempts that ended since the last look: recorded, their slots freed. */
static void reap(struct deliverer *dl, struct store *s, CURLM *m)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m, &left))) {
		struct flight *f = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		if (!f)
			continue;
		f->a.done = true;
		f->a.rc = msg->data.result;
		finish(dl, s, m, f);
	}
}

static bool stopping(struct deliverer *dl)
{
	bool stop;

	pthread_mutex_lock(&dl->lock);
	stop = dl->stop;
	dl->poked = false;
	pthread_mutex_unlock(&dl->lock);
	return stop;
}

/*
 * The loop: up to DELIVER_BATCH attempts in flight at once (libcurl's
 * multi interface, whose connection cache keeps connections to receivers
 * open between attempts).  Each turn starts what is due and there is room
 * for, and records what ended; a receiver that hangs holds one slot for
 * at most the 10 s timeout and delays no one else.  A delivery in flight
 * is claimed in the store (LEASE_S), so it is not picked twice, by this
 * server or another node on the same database (monitor_deliveries_due:
 * every node's deliverer runs, each delivery goes to one); a server
 * that stops mid-attempt leaves it due again when the lease ends.
 */
static void *run(void *arg)
{
	struct deliverer *dl = arg;
	struct flight *slots = cv_xcalloc(DELIVER_BATCH, sizeof(*slots));
	struct store *s = NULL;
	CURLM *m = curl_multi_init();
	int64_t last_sla = 0;
	char *err = NULL;

	while (m && !stopping(dl)) {
		int running = 0;
		size_t started = 0;

		if (!s) {
			s = server_thread_store(dl->srv, &err);
			free(err);
			err = NULL;
		}
		if (s) {
			/* Breaches are found by reading the cases and the
			 * breach events written so far, then writing the new
			 * ones: one node at a time, or two would write the
			 * same breach (store_try_lead; the others skip). */
			if ((int64_t)time(NULL) - last_sla >= SLA_SWEEP_S) {
				last_sla = (int64_t)time(NULL);
				if (store_try_lead(s, "sla") == 1)
					(void)!support_sla_events(s, support_now());
			}
			started = start_due(dl, s, m, slots);
		}
		curl_multi_perform(m, &running);
		reap(dl, s, m);
		if (running)
			/* Woken by any transfer's progress, or after a fifth of a
			 * second to start new ones and notice a stop. */
			curl_multi_poll(m, NULL, 0, 200, NULL);
		else if (!started) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += DELIVER_POLL_MS / 1000;
			pthread_mutex_lock(&dl->lock);
			while (!dl->stop && !dl->poked && pthread_cond_timedwait(&dl->wake, &dl->lock, &until) == 0)
				;
			pthread_mutex_unlock(&dl->lock);
		}
	}
	/* Stopping: attempts still in flight were cut short (on_progress);
	 * their leases bring them back after a restart. */
	for (size_t i = 0; m && i < DELIVER_BATCH; i++)
		if (slots[i].busy) {
			curl_multi_remove_handle(m, slots[i].a.h);
			curl_easy_cleanup(slots[i].a.h);
			curl_slist_free_all(slots[i].a.hdr);
			monitor_deliveries_free_contents(&slots[i].d);
		}
	if (m)
		curl_multi_cleanup(m);
	free(slots);
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
