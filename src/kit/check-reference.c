/*
 * check-reference.c - the guest's clock against another host's:
 * time.reference (offset and drift against `covalid kit peer`) and the
 * offset time.sync reports when a peer is given.
 *
 * time.rate_skew compares two clocks of the same guest, which a guest
 * whose whole timekeeping runs slow passes.  Only a clock outside the
 * guest can show that: the peer answers timestamp exchanges as an NTP
 * server does (RFC 5905 section 8; peer.c has the protocol).  For each
 * exchange, t1 and t4 are the guest's CLOCK_REALTIME when it asked and
 * when the answer arrived, t2 and t3 the peer's when the question arrived
 * and when it answered:
 *
 *     offset = ((t2 - t1) + (t3 - t4)) / 2     the peer's clock minus the guest's
 *     delay  = (t4 - t1) - (t3 - t2)           the round trip on the network
 *
 * The offset is exact when both legs take as long; otherwise it errs by at
 * most delay / 2.  As NTP's clock filter does, of a burst of exchanges
 * the one with the smallest delay is kept (of 16: a loaded machine
 * delays some).  A burst at each of several
 * points over the interval gives the offset over time; its slope (least
 * squares) is the guest's rate against the peer's: the drift.
 *
 * Portable: the sockets and clocks are the system's own (kit-internal.h),
 * so that Windows's kit measures exactly as Linux's.
 */
#include <math.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

#define BURST 16
#define LINE_MAX_BYTES 128

struct sample {
	int64_t local_ns; /* the guest's clock half-way through the exchange */
	int64_t offset_ns, delay_ns;
};

/* The guest's CLOCK_REALTIME, or a test's faulty one; -errno. */
static int guest_ns(const struct kit_faults *f, int64_t *ret)
{
	if (f && f->clock_ns) {
		*ret = f->clock_ns(CLOCK_REALTIME, f->userdata);
		return *ret == KIT_CLOCK_MISSING ? -EINVAL : 0;
	}
	return kit_realtime_ns(ret);
}

/* Timestamps are taken as valid between the epoch and 2^62 ns (the year
 * 2116): differences of two then never overflow. */
#define TS_MAX (INT64_C(1) << 62)

/* One decimal timestamp of the answer, up to the next space or the end. */
static int parse_ts(const char **p, int64_t *ret)
{
	char digits[24];
	size_t n = strcspn(*p, " ");
	int64_t v;

	if (n == 0 || n >= sizeof(digits) || strspn(*p, "0123456789") != n)
		return -EPROTO;
	memcpy(digits, *p, n);
	digits[n] = '\0';
	if (cv_parse_i64(digits, 10, &v) < 0 || v <= 0 || v >= TS_MAX)
		return -EPROTO;
	*p += n;
	*ret = v;
	return 0;
}

/* "T <t1> <t2> <t3>" with t1 echoed and t2 <= t3; 0 or -EPROTO.  The
 * peer is another host: its answer is checked, not trusted. */
static int parse_answer(const char *line, int64_t t1, int64_t *ret_t2, int64_t *ret_t3)
{
	const char *p = line;
	int64_t e, a, b;

	if (!cv_startswith(p, "T "))
		return -EPROTO;
	p += 2;
	if (parse_ts(&p, &e) < 0 || *p++ != ' ' || parse_ts(&p, &a) < 0 || *p++ != ' ' || parse_ts(&p, &b) < 0 ||
	    *p != '\0' || e != t1 || b < a)
		return -EPROTO;
	*ret_t2 = a;
	*ret_t3 = b;
	return 0;
}

/* One exchange; 0, -EPROTO (the answer is not one), -ERANGE (the guest's
 * clock reads before 1970 or after 2116) or -errno.  A peer's "ERR" line goes to err. */
static int exchange(const struct kit_faults *f, int fd, struct sample *ret, char *err, size_t errsize)
{
	char line[LINE_MAX_BYTES];
	int64_t t1, t2, t3, t4;
	int r;

	r = guest_ns(f, &t1);
	if (r < 0)
		return r;
	if (t1 <= 0 || t1 >= TS_MAX)
		return -ERANGE;
	snprintf(line, sizeof(line), "T %lld\n", (long long)t1);
	r = kit_peer_send_all(NULL, fd, line, strlen(line));
	if (r == 0)
		r = kit_peer_read_line(fd, line, sizeof(line));
	if (r == 0)
		r = guest_ns(f, &t4);
	if (r < 0)
		return r;
	if (t4 <= 0 || t4 >= TS_MAX)
		return -ERANGE;
	if (cv_startswith(line, "ERR ")) {
		char *clean = cv_str_sanitize(line + 4, strlen(line + 4), errsize);

		snprintf(err, errsize, "%s", clean);
		free(clean);
		return -EPROTO;
	}
	if (parse_answer(line, t1, &t2, &t3) < 0)
		return -EPROTO;
	ret->local_ns = t1 + (t4 - t1) / 2;
	ret->offset_ns = ((t2 - t1) + (t3 - t4)) / 2;
	ret->delay_ns = (t4 - t1) - (t3 - t2);
	return 0;
}

/* BURST exchanges; the one with the smallest delay. */
static int burst(const struct kit_faults *f, int fd, struct sample *ret, char *err, size_t errsize)
{
	struct sample best = { .delay_ns = INT64_MAX };

	for (int i = 0; i < BURST; i++) {
		struct sample s;
		int r = exchange(f, fd, &s, err, errsize);

		if (r < 0)
			return r;
		if (s.delay_ns < best.delay_ns)
			best = s;
	}
	*ret = best;
	return 0;
}

/* Connects and asks for TIME; the fd or -errno (-EINVAL: a bad --peer). */
static int time_connect(const char *peer, char *addr, size_t size)
{
	static const char header[] = "COVALID-PEER 2 TIME\n";
	int fd = kit_peer_connect(peer, addr, size), r;

	if (fd < 0)
		return fd;
	/* No Nagle delay on the guest's side of the exchange either. */
	kit_peer_nodelay(fd);
	r = kit_peer_send_all(NULL, fd, header, sizeof(header) - 1);
	if (r < 0) {
		kit_peer_close(fd);
		return r;
	}
	return fd;
}

/* Ends the exchanges politely; the peer's answer does not matter. */
static void time_end(int fd)
{
	char line[LINE_MAX_BYTES];
	int r = kit_peer_send_all(NULL, fd, "END\n", 4);

	if (r == 0)
		r = kit_peer_read_line(fd, line, sizeof(line));
	(void)r;
	kit_peer_close(fd);
}

static const char *exchange_error(int r, const char *err)
{
	if (r == -EPROTO && err[0])
		return err;
	if (r == -EPROTO)
		return "the peer's answer is not \"T <t1> <t2> <t3>\" (a version 1 peer? update it)";
	if (r == -ERANGE)
		return "the guest's clock reads before 1970 or after 2116";
	if (r == -ENODATA)
		return "the peer closed the connection";
	return strerror(-r);
}

/* ---- time.reference ---- */

/*
 * The drift is known to +-uncertainty (each offset to half its delay):
 * a fail must be beyond the bound however the error fell, a pass within
 * it likewise; in between the measurement cannot tell, and says so.
 */
void kit_decide_reference(double drift_ppm, double uncertainty_ppm, size_t points, double bound_ppm,
			  struct kit_verdict *v)
{
	if (points < 2 || !isfinite(drift_ppm) || !isfinite(uncertainty_ppm) || uncertainty_ppm < 0)
		kit_verdict_set(v, KIT_ERROR, "the drift could not be computed (%zu offset samples)", points);
	else if (fabs(drift_ppm) - uncertainty_ppm > bound_ppm)
		kit_verdict_set(v, KIT_FAIL,
				"the guest's clock runs %+.0f ppm against the peer's (bound +-%.0f ppm, the kernel's "
				"maximum frequency correction)",
				drift_ppm, bound_ppm);
	else if (fabs(drift_ppm) + uncertainty_ppm > bound_ppm)
		kit_verdict_set(v, KIT_ERROR,
				"the drift, %+.0f ppm, is known only to +-%.0f ppm: it may be on either side of the bound "
				"(+-%.0f ppm); the network delay is too large to tell (run the full kit, or use a peer "
				"nearer the guest)",
				drift_ppm, uncertainty_ppm, bound_ppm);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/*
 * Least squares slope of offset over the guest's time, as a rate: an
 * offset (peer minus guest) growing by s per second of the guest's clock
 * means the guest's clock advances 1 / (1 + s) as fast as the peer's.
 * The slope is sum(w_i * y_i) with w_i = (x_i - mean x) / Sxx; each y_i
 * is off by at most delay_i / 2, so the slope by at most
 * sum(|w_i| * delay_i / 2): *ret_uncertainty, in ppm.
 */
static double drift_ppm(const struct sample *s, size_t n, double *ret_uncertainty)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, mean, slope, d, err = 0;

	*ret_uncertainty = NAN;
	for (size_t i = 0; i < n; i++) {
		double x = (double)(s[i].local_ns - s[0].local_ns) / 1e9, y = (double)(s[i].offset_ns - s[0].offset_ns) / 1e9;

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	d = (double)n * sxx - sx * sx;
	if (n < 2 || !(d > 0))
		return NAN;
	slope = ((double)n * sxy - sx * sy) / d;
	mean = sx / (double)n;
	for (size_t i = 0; i < n; i++) {
		double x = (double)(s[i].local_ns - s[0].local_ns) / 1e9;

		err += fabs(x - mean) / (sxx - (double)n * mean * mean) * ((double)s[i].delay_ns / 1e9 / 2);
	}
	*ret_uncertainty = err * 1e6;
	return -slope / (1 + slope) * 1e6;
}

void kit_check_time_reference(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 1.0, 10.0), drift, uncertainty;
	size_t points = ctx->opt->quick ? 5 : 11, n = 0;
	struct sample *s = cv_xcalloc(points, sizeof(*s));
	char addr[KIT_ADDR_MAX] = "", err[200] = "";
	const char *peer = ctx->opt->peer;
	int64_t min_delay = INT64_MAX, max_delay = 0;
	double start;
	struct kit_verdict v;
	int fd = -1, r;

	json_object_set_new(out->measured, "peer", peer ? json_string(peer) : json_null());
	json_object_set_new(out->measured, "clock", json_string("CLOCK_REALTIME"));
	json_object_set_new(out->threshold, "max_abs_drift_ppm", json_real(KIT_REFERENCE_DRIFT_PPM));
	if (!peer) {
		kit_set(out, KIT_SKIP, "no --peer HOST:PORT given");
		goto out;
	}
	fd = time_connect(peer, addr, sizeof(addr));
	if (fd < 0) {
		kit_set(out, KIT_ERROR, fd == -EINVAL ? "--peer %s is not HOST:PORT (or [IPV6]:PORT)" : "cannot reach the peer at %s: %s",
			peer, strerror(-fd));
		goto out;
	}
	json_object_set_new(out->measured, "address", json_string(addr));
	if (kit_peer_is_local(ctx->faults, fd)) {
		kit_set(out, KIT_SKIP, KIT_LOCAL_PEER_REASON, peer, addr);
		goto out;
	}
	/* The points are spaced on the guest's monotonic clock, not on the
	 * judged one: a test's faulty clock must not stretch the run. */
	start = kit_now();
	for (n = 0; n < points; n++) {
		if (n)
			kit_sleep_until(start + interval * (double)n / (double)(points - 1));
		r = burst(ctx->faults, fd, &s[n], err, sizeof(err));
		if (r < 0) {
			kit_set(out, KIT_ERROR, "the timestamp exchange with %s failed: %s", peer, exchange_error(r, err));
			goto out;
		}
		if (s[n].delay_ns < min_delay)
			min_delay = s[n].delay_ns;
		if (s[n].delay_ns > max_delay)
			max_delay = s[n].delay_ns;
	}
	time_end(fd);
	fd = -1;
	drift = drift_ppm(s, n, &uncertainty);
	json_object_set_new(out->measured, "points", json_integer((json_int_t)n));
	json_object_set_new(out->measured, "exchanges", json_integer((json_int_t)(n * BURST)));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	json_object_set_new(out->measured, "first_offset_ns", json_integer(s[0].offset_ns));
	json_object_set_new(out->measured, "offset_ns", json_integer(s[n - 1].offset_ns));
	json_object_set_new(out->measured, "min_delay_ns", json_integer(min_delay));
	json_object_set_new(out->measured, "max_delay_ns", json_integer(max_delay));
	json_object_set_new(out->measured, "drift_ppm", isfinite(drift) ? json_real(kit_round(drift)) : json_null());
	json_object_set_new(out->measured, "drift_uncertainty_ppm",
			    isfinite(uncertainty) ? json_real(kit_round(uncertainty)) : json_null());
	kit_decide_reference(drift, uncertainty, n, KIT_REFERENCE_DRIFT_PPM, &v);
	kit_apply(out, &v);
	if (v.status == KIT_PASS)
		kit_set(out, KIT_PASS, "against %s: drift %+.1f ppm (+-%.1f), offset %+.3f ms, delay %.3f ms", addr, drift,
			uncertainty, (double)s[n - 1].offset_ns / 1e6, (double)min_delay / 1e6);
out:
	if (fd >= 0)
		kit_peer_close(fd);
	free(s);
}

/* ---- time.sync against the peer ---- */

void kit_decide_peer_offset(double offset_ms, double bound_ms, struct kit_verdict *v)
{
	if (!isfinite(offset_ms))
		kit_verdict_set(v, KIT_ERROR, "the offset to the peer could not be computed");
	else if (fabs(offset_ms) > bound_ms)
		kit_verdict_set(v, KIT_FAIL,
				"the peer's clock is %+.1f ms from the guest's (bound +-%.0f ms, NTP's step threshold)",
				offset_ms, bound_ms);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* v becomes the worse of v and w (error over fail over pass), reasons joined. */
static void combine(struct kit_verdict *v, const struct kit_verdict *w)
{
	static const int rank[KIT_STATUS__MAX] = { [KIT_PASS] = 0, [KIT_SKIP] = 1, [KIT_FAIL] = 2, [KIT_ERROR] = 3 };
	char joined[2 * sizeof(v->reason) + 4];

	if (w->status == KIT_PASS)
		return;
	if (v->status == KIT_PASS || v->status == KIT_SKIP || !v->reason[0])
		snprintf(joined, sizeof(joined), "%s", w->reason);
	else
		snprintf(joined, sizeof(joined), "%s; %s", v->reason, w->reason);
	if (rank[w->status] > rank[v->status] || v->status == KIT_SKIP)
		v->status = w->status;
	/* Cut to the reason's size: a long reason ends early, never overflows. */
	joined[sizeof(v->reason) - 1] = '\0';
	memcpy(v->reason, joined, strlen(joined) + 1);
}

void kit_time_sync_peer(const struct kit_ctx *ctx, struct kit_out *out, struct kit_verdict *v)
{
	char addr[KIT_ADDR_MAX] = "", err[200] = "";
	const char *peer = ctx->opt->peer;
	struct kit_verdict w;
	struct sample s;
	int fd, r;

	json_object_set_new(out->measured, "peer", peer ? json_string(peer) : json_null());
	if (!peer)
		return;
	json_object_set_new(out->threshold, "max_abs_peer_offset_ms", json_real(KIT_PEER_OFFSET_MAX_MS));
	fd = time_connect(peer, addr, sizeof(addr));
	if (fd < 0) {
		kit_verdict_set(&w, KIT_ERROR, fd == -EINVAL ? "--peer %s is not HOST:PORT (or [IPV6]:PORT)" : "cannot reach the peer at %s: %s",
				peer, strerror(-fd));
		combine(v, &w);
		return;
	}
	/* Against this very host's clock the offset is the measurement's own. */
	if (kit_peer_is_local(ctx->faults, fd)) {
		kit_peer_close(fd);
		json_object_set_new(out->measured, "peer_is_this_host", json_true());
		return;
	}
	r = burst(ctx->faults, fd, &s, err, sizeof(err));
	if (r < 0) {
		kit_peer_close(fd);
		kit_verdict_set(&w, KIT_ERROR, "the timestamp exchange with %s failed: %s", peer, exchange_error(r, err));
		combine(v, &w);
		return;
	}
	time_end(fd);
	json_object_set_new(out->measured, "peer_offset_ns", json_integer(s.offset_ns));
	json_object_set_new(out->measured, "peer_delay_ns", json_integer(s.delay_ns));
	kit_decide_peer_offset((double)s.offset_ns / 1e6, KIT_PEER_OFFSET_MAX_MS, &w);
	combine(v, &w);
}
