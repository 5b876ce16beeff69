/*
 * metrics.c - the server's counters and their Prometheus text (/metrics):
 * requests by route and status class, time to answer by route, requests
 * in flight, connections, the answer cache, answers written past MHD,
 * slow heads closed, submissions; monitoring's gauges come from gauges.c,
 * counted at most once a second.
 *
 * Counters are atomics, bumped by every thread without a lock; a scrape
 * reads each on its own, so its figures may be a request apart.
 */
#include "server/http-internal.h"
#include "server/tls.h"
#include "util/cv.h"

#define N_BUCKETS 12

static const double buckets[N_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5 };

struct route_stats {
	atomic_ulong by_class[6]; /* 1xx .. 5xx */
	atomic_ulong hist[N_BUCKETS + 1];
	atomic_ulong sum_us;
};

struct route_stats *metrics_stats_new(void)
{
	return cv_xcalloc(server_n_routes + 1, sizeof(struct route_stats));
}

static const char *status_class(unsigned status)
{
	static const char *const c[] = { "1xx", "1xx", "2xx", "3xx", "4xx", "5xx" };

	return status >= 100 && status < 600 ? c[status / 100] : "5xx";
}

void metrics_record(struct server *srv, struct req *r, double seconds)
{
	struct route_stats *st = &srv->stats[r->route_index >= 0 ? (size_t)r->route_index : server_n_routes];
	size_t b = 0;

	atomic_fetch_add(&st->by_class[r->status >= 100 && r->status < 600 ? r->status / 100 : 5], 1);
	while (b < N_BUCKETS && seconds > buckets[b])
		b++;
	atomic_fetch_add(&st->hist[b], 1);
	atomic_fetch_add(&st->sum_us, (unsigned long)(seconds * 1e6));
}

void server_count_submission(struct server *srv, bool accepted)
{
	atomic_fetch_add(&srv->submissions[accepted], 1);
}

void server_count_report(struct server *srv, bool with_descriptor)
{
	atomic_fetch_add(&srv->reports[with_descriptor], 1);
}

/* Counted at most once a second, whoever asks how often (gauges.c). */
void server_metrics_monitor(struct req *r, struct cv_buf *b)
{
	gauges_metrics(r->srv->gauges, r->store, cv_now_ns(), b);
}

void server_gauges_changed(struct server *srv)
{
	gauges_changed(srv->gauges);
}

#define M(...) (void)!cv_buf_printf(b, __VA_ARGS__)

void server_metrics(struct server *srv, struct cv_buf *b)
{
	M("# HELP covalid_http_requests_total HTTP requests answered, by route and status class.\n");
	M("# TYPE covalid_http_requests_total counter\n");
	for (size_t i = 0; i <= server_n_routes; i++)
		for (int c = 1; c < 6; c++) {
			unsigned long n = atomic_load(&srv->stats[i].by_class[c]);

			if (n)
				M("covalid_http_requests_total{method=\"%s\",route=\"%s\",code=\"%s\"} %lu\n",
				  i < server_n_routes ? server_routes[i].method : "*",
				  i < server_n_routes ? server_routes[i].pattern : "unmatched", status_class((unsigned)c * 100), n);
		}
	M("# HELP covalid_http_request_duration_seconds Time to answer, by route.\n");
	M("# TYPE covalid_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= server_n_routes; i++) {
		unsigned long cum = 0, total = 0;

		for (size_t k = 0; k <= N_BUCKETS; k++)
			total += atomic_load(&srv->stats[i].hist[k]);
		if (!total)
			continue;
		for (size_t k = 0; k < N_BUCKETS; k++) {
			cum += atomic_load(&srv->stats[i].hist[k]);
			M("covalid_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
			  i < server_n_routes ? server_routes[i].pattern : "unmatched", buckets[k], cum);
		}
		M("covalid_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
		  i < server_n_routes ? server_routes[i].pattern : "unmatched", total);
		M("covalid_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		  i < server_n_routes ? server_routes[i].pattern : "unmatched",
		  (double)atomic_load(&srv->stats[i].sum_us) / 1e6);
		M("covalid_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
		  i < server_n_routes ? server_routes[i].pattern : "unmatched", total);
	}
	M("# HELP covalid_http_in_flight Requests being answered now.\n# TYPE covalid_http_in_flight gauge\n");
	M("covalid_http_in_flight %ld\n", atomic_load(&srv->in_flight));
	M("# HELP covalid_http_connections_total Connections accepted.\n# TYPE covalid_http_connections_total counter\n");
	M("covalid_http_connections_total %lu\n", atomic_load(&srv->connections));
	{
		struct resp_cache_stats cs;

		resp_cache_stats(srv->cache, &cs);
		M("# HELP covalid_cache_lookups_total Answers of cacheable routes, from the cache (hit) or computed (miss).\n"
		  "# TYPE covalid_cache_lookups_total counter\n");
		M("covalid_cache_lookups_total{result=\"hit\"} %lu\ncovalid_cache_lookups_total{result=\"miss\"} %lu\n",
		  cs.hits, cs.misses);
		M("# HELP covalid_cache_revalidated_total Answers kept across a catalog write that did not touch them.\n"
		  "# TYPE covalid_cache_revalidated_total counter\n");
		M("covalid_cache_revalidated_total %lu\n", cs.revalidated);
		M("# HELP covalid_cache_evicted_total Answers dropped to make room for another (the cache is bounded in bytes).\n"
		  "# TYPE covalid_cache_evicted_total counter\n");
		M("covalid_cache_evicted_total %lu\n", cs.evicted);
		M("# HELP covalid_cache_declined_total POST answers not kept: the first sight of their request.\n"
		  "# TYPE covalid_cache_declined_total counter\n");
		M("covalid_cache_declined_total %lu\n", cs.declined);
		M("# HELP covalid_cache_waits_total Misses answered by another worker's computation of the same key.\n"
		  "# TYPE covalid_cache_waits_total counter\n");
		M("covalid_cache_waits_total %lu\n", cs.waited);
		M("# HELP covalid_cache_inline_total Lookups after a miss made on the event thread, not a worker (a /check's).\n"
		  "# TYPE covalid_cache_inline_total counter\n");
		M("covalid_cache_inline_total %lu\n", atomic_load(&srv->answered_inline));
		M("# HELP covalid_cache_bytes Bytes of the answers the cache holds.\n# TYPE covalid_cache_bytes gauge\n");
		M("covalid_cache_bytes %zu\n", cs.bytes);
		snapshot_metrics(srv, b);
	}
	M("# HELP covalid_http_answered_directly_total Answers written past MHD: refused request lines, and answers\n"
	  "# to clients that half-closed while a worker ran.\n# TYPE covalid_http_answered_directly_total counter\n");
	M("covalid_http_answered_directly_total %lu\n", atomic_load(&srv->answered_directly));
	M("# HELP covalid_http_slow_heads_closed_total Connections closed because a request head was not whole in time.\n"
	  "# TYPE covalid_http_slow_heads_closed_total counter\n");
	M("covalid_http_slow_heads_closed_total %lu\n", guard_reaped(srv->guard));
	if (srv->tls) {
		unsigned long done, failed;

		tls_reload_counts(srv->tls, &done, &failed);
		M("# HELP covalid_tls_certificate_expiry_seconds When the certificate in service expires (notAfter,\n"
		  "# seconds since the epoch): alert well before it.\n# TYPE covalid_tls_certificate_expiry_seconds gauge\n");
		M("covalid_tls_certificate_expiry_seconds %lld\n", (long long)tls_not_after_s(srv->tls));
		M("# HELP covalid_tls_reloads_total Certificate reloads on SIGHUP, by result (failed: the old one kept).\n"
		  "# TYPE covalid_tls_reloads_total counter\n");
		M("covalid_tls_reloads_total{result=\"ok\"} %lu\ncovalid_tls_reloads_total{result=\"failed\"} %lu\n", done,
		  failed);
	}
	M("# HELP covalid_token_use_writes_total Tokens' last uses written to the database (at most one a minute\n"
	  "# per token).\n# TYPE covalid_token_use_writes_total counter\n");
	M("covalid_token_use_writes_total %lu\n", token_uses_written(srv->token_uses));
	M("# HELP covalid_submissions_total Test logs submitted, by outcome.\n# TYPE covalid_submissions_total counter\n");
	M("covalid_submissions_total{status=\"accepted\"} %lu\n", atomic_load(&srv->submissions[1]));
	M("covalid_submissions_total{status=\"rejected\"} %lu\n", atomic_load(&srv->submissions[0]));
	M("# HELP covalid_reports_ingested_total Agents' reports applied (heartbeats and reports with a descriptor).\n"
	  "# TYPE covalid_reports_ingested_total counter\n");
	M("covalid_reports_ingested_total %lu\n", atomic_load(&srv->reports[0]) + atomic_load(&srv->reports[1]));
	M("# HELP covalid_heartbeats_total Agents' reports applied without a descriptor (the digest unchanged).\n"
	  "# TYPE covalid_heartbeats_total counter\n");
	M("covalid_heartbeats_total %lu\n", atomic_load(&srv->reports[0]));
	{
		unsigned long delivered, retried, failed;

		deliverer_counts(srv->deliverer, &delivered, &retried, &failed);
		M("# HELP covalid_webhook_attempts_total Webhook delivery attempts by this server, by what they left the\n"
		  "# delivery: delivered, pending a retry, failed for good.\n# TYPE covalid_webhook_attempts_total counter\n");
		M("covalid_webhook_attempts_total{outcome=\"delivered\"} %lu\n", delivered);
		M("covalid_webhook_attempts_total{outcome=\"retry\"} %lu\n", retried);
		M("covalid_webhook_attempts_total{outcome=\"failed\"} %lu\n", failed);
	}
	writer_metrics(srv, b);
	metrics_process(srv, b);
}
