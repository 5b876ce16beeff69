/*
 * agentsim.c - N simulated monitoring agents against a real covalid server
 * (issue 14, "Scale"; bench/agents.sh drives it).  One process, one epoll
 * loop, non-blocking sockets, HTTP/1.1 keep-alive, one request in flight
 * per connection (no pipelining, as a real agent).
 *
 *   agentsim enroll --url URL --token-file F --state FILE --machines N
 *                   --descriptor FILE... [--connections C] [--key-seed S]
 *        enrolls N distinct machines (POST /api/v1/agent/enroll with the
 *        customer administrator's token, a unique machine_key each), then
 *        sends each its first report (the full descriptor), as an agent
 *        does right after enrolling; keeps every machine's id, credential,
 *        seq and descriptor state in FILE for the runs.
 *   agentsim run --url URL --state FILE --descriptor FILE...
 *                [--heartbeat-rate R] [--descriptor-rate R] [--duration S]
 *                [--connections C] [--max] [--label L] [--dry-run K]
 *                [--request-timeout S]
 *        open loop (default): heartbeats (digest unchanged, health only) at
 *        R/s and changed-descriptor reports (a machine drifts: its vCPUs or
 *        memory change, or it returns to its baseline; the full descriptor
 *        goes with it) at R/s, on a fixed schedule whatever the server does;
 *        latency is counted from the scheduled time, so a slow server is
 *        not hidden by a waiting client (no coordinated omission).
 *        --max: closed loop, every connection always busy, the same mix.
 *        --dry-run K: prints the first K requests instead (no server).
 *   agentsim verify --url URL --token-file F --state FILE
 *        GET /api/v1/machines/{id} for every machine: the server's seq must
 *        be at least the last acknowledged one, and its report count at
 *        least the acknowledged applied ones: no acknowledged report lost.
 *
 * Machines are pinned to connections (machine i to connection i mod C), so
 * a machine's reports reach the server in seq order, as from one agent.
 * Descriptors are real ones (covalid probe --json --root on fixtures), one
 * template per machine (i mod T), each machine with its own vCPUs and
 * memory.  Each prints one JSON line of results on stdout and a human
 * summary on stderr.
 *
 * A run's "errors" says what went wrong, not only how often: "by_kind"
 * counts each kind -- "http STATUS CODE" (the answer's error code),
 * "connect: ERRNO", "send: ERRNO" / "recv: ERRNO" (ECONNRESET...),
 * "closed: the server closed before answering" / "... mid-answer (short
 * read)", "timeout: no answer within S s" (--request-timeout, 60),
 * "bad answer: ..." -- and "samples" keeps the first few with the
 * connection, its answers before and the seconds into the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TEMPLATES 64
#define MAX_CONNS 4096
#define IN_MAX (64u << 20)     /* a response larger than this is an error */
#define QUEUE_MAX (1u << 20)   /* open loop: jobs waiting per connection */
#define JOB_TRIES 3            /* enroll, first report, verify: attempts per machine */

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("agentsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

/* xorshift64*: cheap and good enough for workload shapes. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + more + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_reserve(b, 256);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("formatting failed");
	if ((size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- descriptors: templates, and each machine's own ---- */

/*
 * A template is one fixture's descriptor in canonical form (compact,
 * sorted keys: what covalid digests and signs, testlog.c), cut around the
 * values of vm.memory_mib and vm.vcpus, so a machine's descriptor is three
 * copies and two numbers, and its digest one BLAKE2b pass.  Memory is
 * what the guest's kernel reports (MemTotal): it differs from machine to
 * machine and moves with a balloon, so most memory changes make a
 * descriptor the server has never seen; vCPU counts come from a few sizes
 * and repeat.
 */
struct tmpl {
	char *part[3]; /* …"memory_mib": | …"vcpus": | … */
	size_t part_len[3];
	int vcpus;     /* the fixture's own */
	int memory;
	char *components; /* the health's "components" object */
	bool windows;
};

static struct tmpl templates[MAX_TEMPLATES];
static size_t n_templates;
static const int vcpu_sizes[] = { 1, 2, 4, 8 };
static const int memory_sizes[] = { 1024, 2048, 4096, 8192, 16384 };

static char *dump_array(json_t *obj, const char *key)
{
	json_t *a = obj ? json_object_get(obj, key) : NULL;

	return a && json_is_array(a) ? json_dumps(a, JSON_COMPACT) : xstrdup("[]");
}

/* Cuts the canonical text at the one occurrence of a sentinel number. */
static const char *cut(const char *path, const char *from, const char *sentinel, char **ret_part, size_t *ret_len)
{
	const char *at = strstr(from, sentinel);

	if (!at || strstr(at + 1, sentinel))
		die("%s: cannot place vm.vcpus and vm.memory_mib in it", path);
	*ret_len = (size_t)(at - from);
	*ret_part = xrealloc(NULL, *ret_len + 1);
	memcpy(*ret_part, from, *ret_len);
	(*ret_part)[*ret_len] = '\0';
	return at + strlen(sentinel);
}

static void load_templates(char **paths, size_t n)
{
	if (n == 0)
		die("no --descriptor given");
	n_templates = n;
	for (size_t t = 0; t < n; t++) {
		struct tmpl *tp = &templates[t];
		json_error_t err;
		json_t *d = json_load_file(paths[t], JSON_REJECT_DUPLICATES, &err);
		json_t *vm, *os, *in;
		char *e, *p, *mi, *canon;
		const char *rest;
		struct buf comp = { 0 };

		if (!d || !json_is_object(d))
			die("%s: not a descriptor (%s)", paths[t], d ? "not an object" : err.text);
		vm = json_object_get(d, "vm");
		if (!json_is_object(vm))
			die("%s: no \"vm\" object: not a descriptor", paths[t]);
		tp->vcpus = json_is_integer(json_object_get(vm, "vcpus")) ? (int)json_integer_value(json_object_get(vm, "vcpus")) : 1;
		tp->memory = json_is_integer(json_object_get(vm, "memory_mib"))
				     ? (int)json_integer_value(json_object_get(vm, "memory_mib"))
				     : 2048;
		os = json_object_get(json_object_get(d, "guest"), "os");
		tp->windows = json_is_string(json_object_get(os, "id")) &&
			      strcmp(json_string_value(json_object_get(os, "id")), "windows") == 0;
		in = json_object_get(d, "integration");
		e = dump_array(in, "expected");
		p = dump_array(in, "present");
		mi = dump_array(in, "missing");
		buf_printf(&comp, "{\"expected\":%s,\"present\":%s,\"missing\":%s}", e, p, mi);
		free(e);
		free(p);
		free(mi);
		tp->components = comp.p;
		json_object_set_new(vm, "memory_mib", json_integer(918273645));
		json_object_set_new(vm, "vcpus", json_integer(546372819));
		canon = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
		if (!canon)
			die("out of memory");
		rest = cut(paths[t], canon, "918273645", &tp->part[0], &tp->part_len[0]);
		rest = cut(paths[t], rest, "546372819", &tp->part[1], &tp->part_len[1]);
		tp->part[2] = xstrdup(rest);
		tp->part_len[2] = strlen(rest);
		free(canon);
		json_decref(d);
	}
}

/* ---- machines and their state file ---- */

struct machine {
	char *id;   /* "m-…", NULL until enrolled */
	char *cred; /* "cv_…" */
	uint64_t seq;     /* the last acknowledged */
	uint64_t applied; /* acknowledged and applied, over every run */
	uint16_t tmpl;
	uint16_t base_vcpus, vcpus;
	uint32_t base_memory, memory;
	unsigned char digest[32]; /* of the descriptor now */
	bool desc_acked;          /* the server acknowledged a report carrying it */
	bool need_desc;           /* the server asked for it */
	uint8_t tries;
	bool verified;
	int32_t clock_offset_ms;
	bool clock_known;
};

static struct machine *machines;
static size_t n_machines;

/* The machine's descriptor, canonical, into b (replacing its content). */
static void machine_descriptor(const struct machine *m, struct buf *b)
{
	const struct tmpl *t = &templates[m->tmpl];

	b->len = 0;
	buf_add(b, t->part[0], t->part_len[0]);
	buf_printf(b, "%u", (unsigned)m->memory);
	buf_add(b, t->part[1], t->part_len[1]);
	buf_printf(b, "%u", (unsigned)m->vcpus);
	buf_add(b, t->part[2], t->part_len[2]);
}

static void machine_digest(struct machine *m)
{
	static struct buf d;

	machine_descriptor(m, &d);
	crypto_generichash(m->digest, sizeof(m->digest), (const unsigned char *)d.p, d.len, NULL, 0);
}

#define STATE_MAGIC "covalid-agentsim/2"

static void state_save(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "%s %zu %zu\n", STATE_MAGIC, n_machines, n_templates);
	for (size_t i = 0; i < n_machines; i++) {
		const struct machine *m = &machines[i];

		fprintf(f, "%s %s %llu %llu %u %u %u %u %u %d\n", m->id ? m->id : "-", m->cred ? m->cred : "-",
			(unsigned long long)m->seq, (unsigned long long)m->applied, m->tmpl, m->base_vcpus,
			m->base_memory, m->vcpus, m->memory, m->desc_acked && !m->need_desc);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
		die("%s: %s", tmp, strerror(errno));
	if (rename(tmp, path) != 0)
		die("%s: %s", path, strerror(errno));
}

static void state_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char magic[32], id[256], cred[512];
	size_t n, t;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fscanf(f, "%31s %zu %zu", magic, &n, &t) != 3 || strcmp(magic, STATE_MAGIC) != 0)
		die("%s: not an agentsim state file", path);
	if (t != n_templates)
		die("%s: made with %zu descriptors, %zu given now", path, t, n_templates);
	n_machines = n;
	machines = xrealloc(NULL, sizeof(*machines) * n);
	memset(machines, 0, sizeof(*machines) * n);
	for (size_t i = 0; i < n; i++) {
		struct machine *m = &machines[i];
		unsigned long long seq, applied;
		unsigned tm, bv, bm, cv, cm;
		int acked;

		if (fscanf(f, "%255s %511s %llu %llu %u %u %u %u %u %d", id, cred, &seq, &applied, &tm, &bv, &bm, &cv,
			   &cm, &acked) != 10 || tm >= n_templates || bv > 4096 || cv > 4096)
			die("%s: line %zu is damaged", path, i + 2);
		m->id = strcmp(id, "-") ? xstrdup(id) : NULL;
		m->cred = strcmp(cred, "-") ? xstrdup(cred) : NULL;
		m->seq = seq;
		m->applied = applied;
		m->tmpl = (uint16_t)tm;
		m->base_vcpus = (uint16_t)bv;
		m->base_memory = bm;
		m->vcpus = (uint16_t)cv;
		m->memory = cm;
		m->desc_acked = acked == 1;
		machine_digest(m);
	}
	fclose(f);
}

/* What the kernel keeps for itself of a memory size: MemTotal's shortfall. */
static uint32_t mem_total(int size_mib)
{
	return (uint32_t)(size_mib - 40 - (int)(rng_next() % 200));
}

/*
 * A fleet's shape: most machines as the fixture was, the others with one
 * of the usual sizes; each machine's MemTotal its own.
 */
static void machines_new(size_t n)
{
	n_machines = n;
	machines = xrealloc(NULL, sizeof(*machines) * n);
	memset(machines, 0, sizeof(*machines) * n);
	for (size_t i = 0; i < n; i++) {
		struct machine *m = &machines[i];
		const struct tmpl *t;

		m->tmpl = (uint16_t)(i % n_templates);
		t = &templates[m->tmpl];
		m->base_vcpus = (uint16_t)(rng_unit() < 0.7 ? t->vcpus : vcpu_sizes[rng_next() % 4]);
		m->base_memory = rng_unit() < 0.5 ? (uint32_t)t->memory : mem_total(memory_sizes[rng_next() % 5]);
		m->vcpus = m->base_vcpus;
		m->memory = m->base_memory;
		machine_digest(m);
	}
}

/*
 * Drift: a machine at its baseline leaves it (a vCPU added or removed,
 * more often than its memory changed); a drifted one returns half the
 * time, else drifts further.  Every call changes the descriptor.
 */
static void machine_drift(struct machine *m)
{
	bool at_base = m->vcpus == m->base_vcpus && m->memory == m->base_memory;

	if (!at_base && rng_unit() < 0.5) {
		m->vcpus = m->base_vcpus;
		m->memory = m->base_memory;
	} else if (rng_unit() < 0.7) {
		uint16_t v;

		do
			v = (uint16_t)vcpu_sizes[rng_next() % 4];
		while (v == m->vcpus);
		m->vcpus = v;
	} else {
		uint32_t mem;

		do
			mem = mem_total(memory_sizes[rng_next() % 5]);
		while (mem == m->memory);
		m->memory = mem;
	}
	machine_digest(m);
	m->desc_acked = false;
}

/* ---- configuration ---- */

static struct {
	const char *url, *token_file, *state;
	char host[256], port[16];
	char *descriptors[MAX_TEMPLATES];
	size_t n_descriptors;
	size_t machines, connections;
	double hb_rate, desc_rate, duration, drain, request_timeout;
	bool max;
	long dry_run;
	const char *label;
	uint64_t key_seed;
	unsigned interval;
	char *token;
} cfg = {
	.machines = 20000, .connections = 64, .hb_rate = 5000, .desc_rate = 1000, .duration = 60,
	.drain = 30, .request_timeout = 60, .dry_run = -1, .label = "", .interval = 60,
};

static void parse_url(const char *url)
{
	const char *p, *colon, *slash;

	if (strncmp(url, "http://", 7) != 0)
		die("--url %s: only http:// URLs", url);
	p = url + 7;
	slash = strchr(p, '/');
	colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
	if (!colon || (size_t)(colon - p) >= sizeof(cfg.host))
		die("--url %s: give http://HOST:PORT", url);
	memcpy(cfg.host, p, (size_t)(colon - p));
	cfg.host[colon - p] = '\0';
	{
		size_t n = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);

		if (n == 0 || n >= sizeof(cfg.port))
			die("--url %s: give http://HOST:PORT", url);
		memcpy(cfg.port, colon + 1, n);
		cfg.port[n] = '\0';
	}
}

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t n;

	if (!f)
		die("--token-file %s: %s", path, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		die("--token-file %s: empty", path);
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0)
		die("--token-file %s: empty", path);
	return xstrdup(line);
}

/* ---- HTTP responses ---- */

struct resp {
	unsigned status;
	const char *body;
	size_t body_len;
	size_t consumed; /* bytes of the buffer this response took */
	bool close;
};

static bool head_has(const char *line, size_t len, const char *name, const char *value)
{
	size_t n = strlen(name);

	if (len < n || strncasecmp(line, name, n) != 0)
		return false;
	if (!value)
		return true;
	for (size_t i = n; i + strlen(value) <= len; i++)
		if (strncasecmp(line + i, value, strlen(value)) == 0)
			return true;
	return false;
}

/*
 * Parses one response at the start of buf: 1 complete (*r filled; a
 * chunked body is decoded in place), 0 more bytes needed, -1 malformed.
 */
static int resp_parse(char *buf, size_t len, struct resp *r)
{
	char *end = memmem(buf, len, "\r\n\r\n", 4);
	char *line, *eol;
	size_t head, clen = 0;
	bool have_clen = false, chunked = false;

	memset(r, 0, sizeof(*r));
	if (!end)
		return len > 65536 ? -1 : 0;
	head = (size_t)(end - buf) + 4;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	r->status = (unsigned)strtoul(buf + 9, NULL, 10);
	if (r->status < 100 || r->status > 599)
		return -1;
	for (line = (char *)memchr(buf, '\n', head) + 1; line < end; line = eol + 2) {
		eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		if (!eol)
			break;
		if (head_has(line, (size_t)(eol - line), "content-length:", NULL)) {
			clen = strtoull(line + 15, NULL, 10);
			have_clen = true;
		} else if (head_has(line, (size_t)(eol - line), "transfer-encoding:", "chunked")) {
			chunked = true;
		} else if (head_has(line, (size_t)(eol - line), "connection:", "close")) {
			r->close = true;
		}
	}
	if (chunked) {
		size_t in = head, out = head;

		for (;;) {
			char *crlf = memmem(buf + in, len - in, "\r\n", 2);
			size_t n;

			if (!crlf)
				return 0;
			n = strtoull(buf + in, NULL, 16);
			in = (size_t)(crlf - buf) + 2;
			if (n == 0) {
				if (len - in < 2)
					return 0;
				/* No trailers from covalid's server. */
				r->consumed = in + 2;
				break;
			}
			if (len - in < n + 2)
				return 0;
			memmove(buf + out, buf + in, n);
			out += n;
			in += n + 2;
		}
		r->body = buf + head;
		r->body_len = out - head;
		return 1;
	}
	if (!have_clen)
		clen = 0; /* covalid always sends a length; a 204/304 has none */
	if (len - head < clen)
		return 0;
	r->body = buf + head;
	r->body_len = clen;
	r->consumed = head + clen;
	return 1;
}

/* ---- statistics ---- */

struct lat {
	uint32_t *v; /* microseconds */
	size_t n, cap;
};

static void lat_add(struct lat *l, uint64_t ns)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 65536;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double lat_q(const struct lat *l, double q)
{
	size_t i;

	if (l->n == 0)
		return 0;
	i = (size_t)ceil(q * (double)l->n);
	i = i ? i - 1 : 0;
	return l->v[i < l->n ? i : l->n - 1] / 1000.0;
}

enum { K_HB, K_DESC, K_N };

static struct {
	uint64_t sent[K_N], acked[K_N], applied, duplicates, need_desc, body_bytes[K_N];
	uint64_t status[600], conn_errors, dropped, unfinished, bad_answers, connect_failures, idle_closes;
	struct lat all, kind[K_N], service;
	/* enroll and verify */
	uint64_t created, reenrolled, failed, verified, lost_seq, lost_reports, missing, exact, no_fields;
	uint64_t server_reports, server_seq_sum, acked_seq_sum;
} st;

/*
 * Errors by kind: what a run's summary names ("http 503 unavailable",
 * "recv: ECONNRESET", "closed: the server closed before answering"), so a
 * rare one is not a bare count.  The first few of all keep where and when they happened: the
 * connection, its answers before, the seconds into the run.
 */
#define ERR_KINDS 64
#define ERR_SAMPLES 8

static struct {
	char kind[ERR_KINDS][96];
	uint64_t count[ERR_KINDS];
	size_t n;
	uint64_t other; /* kinds past ERR_KINDS */
	struct err_sample {
		char kind[96], detail[160];
		double t_s;
		unsigned conn;
		uint64_t conn_answers;
		double conn_age_s;
	} sample[ERR_SAMPLES];
	size_t n_samples;
} errs;
static uint64_t errs_t0_ns; /* the run's start: samples' times */

/* ---- jobs, connections ---- */

enum phase { PH_ENROLL, PH_PRIME, PH_RUN, PH_VERIFY_LIST, PH_VERIFY };

/* Verify reads the machines list in pages of this many (the API's most). */
#define LIST_PAGE 500

struct job {
	uint32_t machine;
	bool drift;    /* a scheduled descriptor change */
	bool has_desc; /* the report carried the descriptor */
	uint64_t seq;
	uint64_t sched_ns, sent_ns;
	int64_t sent_wall_ms;
};

struct conn {
	int fd;
	uint64_t retry_at_ns; /* fd < 0: connect again at this time */
	bool connecting, busy, want_out;
	struct job job;
	struct buf out;
	size_t out_off;
	struct buf in;
	/* open loop: jobs waiting; closed loop: the next pinned machine */
	struct job *q;
	size_t q_head, q_n, q_cap;
	size_t cursor;
	unsigned idx;
	uint64_t answers;   /* on this socket: how long it lived */
	uint64_t opened_ns;
};

static struct conn *conns;
static size_t n_conns;
static int ep = -1;
static struct addrinfo *addr;
static enum phase phase;
static size_t cursor;        /* enroll, prime, verify: the next machine (or list page) */
static size_t cursor_end;
static uint32_t *retry;      /* their failed machines, to try again */
static size_t n_retry, cap_retry;
static size_t busy_conns;
static uint64_t run_end_ns;
static bool open_loop;
static uint64_t connect_failures_in_a_row;
static struct buf body; /* scratch for request bodies */

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "unknown errno";
}

/* One error of this kind; c (or NULL) is where it happened. */
static void err_note(const struct conn *c, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void err_note(const struct conn *c, const char *detail, const char *fmt, ...)
{
	char kind[96];
	uint64_t now = now_ns();
	size_t k;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kind, sizeof(kind), fmt, ap);
	va_end(ap);
	for (k = 0; k < errs.n && strcmp(errs.kind[k], kind) != 0; k++)
		;
	if (k == errs.n && errs.n < ERR_KINDS)
		snprintf(errs.kind[errs.n++], sizeof(errs.kind[0]), "%s", kind);
	if (k < errs.n)
		errs.count[k]++;
	else
		errs.other++;
	if (errs.n_samples < ERR_SAMPLES) {
		struct err_sample *sm = &errs.sample[errs.n_samples++];

		snprintf(sm->kind, sizeof(sm->kind), "%s", kind);
		snprintf(sm->detail, sizeof(sm->detail), "%s", detail ? detail : "");
		sm->t_s = errs_t0_ns && now > errs_t0_ns ? (double)(now - errs_t0_ns) / 1e9 : 0.0;
		sm->conn = c ? c->idx : 0;
		sm->conn_answers = c ? c->answers : 0;
		sm->conn_age_s = c && c->opened_ns ? (double)(now - c->opened_ns) / 1e9 : 0.0;
	}
}

static void ep_set(struct conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out == out)
		return;
	c->want_out = out;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void conn_open(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	int one = 1;

	c->fd = socket(addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, addr->ai_addr, addr->ai_addrlen) != 0 && errno != EINPROGRESS) {
		st.connect_failures++;
		err_note(c, NULL, "connect: %s", errno_name(errno));
		if (++connect_failures_in_a_row > 100 && phase != PH_RUN)
			die("cannot connect to %s: %s", cfg.url, strerror(errno));
		close(c->fd);
		c->fd = -1;
		c->retry_at_ns = now_ns() + 100000000u;
		return;
	}
	c->connecting = true;
	c->want_out = true;
	c->in.len = 0;
	c->answers = 0;
	c->opened_ns = now_ns();
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->connecting = false;
}

static void retry_push(uint32_t m)
{
	if (++machines[m].tries >= JOB_TRIES) {
		st.failed++;
		return;
	}
	if (n_retry == cap_retry) {
		cap_retry = cap_retry ? cap_retry * 2 : 1024;
		retry = xrealloc(retry, cap_retry * sizeof(*retry));
	}
	retry[n_retry++] = m;
}

/* The next machine for a closed-loop phase, or false: none left. */
static bool next_machine(uint32_t *ret)
{
	while (cursor < cursor_end) {
		uint32_t m = (uint32_t)cursor++;

		if (phase == PH_VERIFY_LIST) {
			*ret = m; /* a page */
			return true;
		}
		if (phase == PH_VERIFY && machines[m].verified)
			continue;
		/* Prime and verify only the enrolled; enroll only the others. */
		if ((phase == PH_ENROLL) == (machines[m].id == NULL)) {
			*ret = m;
			return true;
		}
	}
	if (n_retry) {
		*ret = retry[--n_retry];
		return true;
	}
	return false;
}

static bool next_job(struct conn *c, struct job *j)
{
	memset(j, 0, sizeof(*j));
	if (phase != PH_RUN)
		return next_machine(&j->machine);
	if (open_loop) {
		if (!c->q_n)
			return false;
		*j = c->q[c->q_head];
		c->q_head = (c->q_head + 1) % c->q_cap;
		c->q_n--;
		return true;
	}
	/* Closed loop: this connection's machines in turn, the configured mix. */
	if (now_ns() >= run_end_ns)
		return false;
	j->machine = (uint32_t)c->cursor;
	c->cursor += n_conns;
	if (c->cursor >= n_machines)
		c->cursor = c->idx;
	j->drift = rng_unit() * (cfg.hb_rate + cfg.desc_rate) < cfg.desc_rate;
	j->sched_ns = now_ns();
	return true;
}

static void queue_push(struct conn *c, const struct job *j)
{
	if (c->q_n == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 256;
		struct job *q;

		if (cap > QUEUE_MAX) {
			st.dropped++;
			return;
		}
		q = xrealloc(NULL, cap * sizeof(*q));
		for (size_t i = 0; i < c->q_n; i++)
			q[i] = c->q[(c->q_head + i) % c->q_cap];
		free(c->q);
		c->q = q;
		c->q_head = 0;
		c->q_cap = cap;
	}
	c->q[(c->q_head + c->q_n) % c->q_cap] = *j;
	c->q_n++;
}

static const char *observed_at(void)
{
	static time_t last = -1;
	static char s[32];
	time_t t = time(NULL);
	struct tm tm;

	if (t != last) {
		gmtime_r(&t, &tm);
		strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = t;
	}
	return s;
}

static void put_request(struct buf *out, const char *method, const char *path, const char *token,
			const char *payload, size_t len)
{
	out->len = 0;
	buf_printf(out, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: covalid-agentsim/1\r\n", method, path, cfg.host,
		   cfg.port);
	if (token)
		buf_printf(out, "Authorization: Bearer %s\r\n", token);
	if (payload)
		buf_printf(out, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", len);
	else
		buf_add(out, "\r\n", 2);
	if (payload)
		buf_add(out, payload, len);
}

static const char *const name_roles[] = { "web", "db", "app", "cache", "mq", "build", "file", "dc" };

static void build_enroll(struct buf *out, uint32_t i)
{
	unsigned char key[32], seed[24];
	char key_hex[65];
	const struct tmpl *t = &templates[machines[i].tmpl];

	/* machine_key: BLAKE2b-256 of an identity, as an agent makes it. */
	memcpy(seed, "agentsim", 8);
	memcpy(seed + 8, &cfg.key_seed, 8);
	memcpy(seed + 16, &(uint64_t){ i }, 8);
	crypto_generichash(key, sizeof(key), seed, sizeof(seed), NULL, 0);
	hex(key, sizeof(key), key_hex);
	body.len = 0;
	buf_printf(&body,
		   "{\"machine_key\":\"%s\",\"name\":\"%s%05u.corp.example\",\"interval\":%u,"
		   "\"agent\":{\"version\":\"agentsim/1\",\"os\":\"%s\"}}",
		   key_hex, name_roles[i % 8], i / 8, cfg.interval, t->windows ? "windows" : "linux");
	put_request(out, "POST", "/api/v1/agent/enroll", cfg.token, body.p, body.len);
}

/* A report: the descriptor when the server has not acknowledged this one
 * (or asked for it), else a heartbeat; health always. */
static void build_report(struct buf *out, struct job *j)
{
	static struct buf desc;
	struct machine *m = &machines[j->machine];
	const struct tmpl *t = &templates[m->tmpl];
	char digest[65];
	double cpu = rng_unit() < 0.001 ? 95.0 + rng_unit() * 5 : 2.0 + rng_unit() * 50;
	double load = cpu / 100.0 * m->vcpus;

	if (j->drift)
		machine_drift(m);
	hex(m->digest, sizeof(m->digest), digest);
	j->has_desc = !m->desc_acked || m->need_desc;
	j->seq = m->seq + 1;
	body.len = 0;
	buf_printf(&body,
		   "{\"schema\":\"covalid.report/1\",\"machine\":\"%s\",\"seq\":%llu,\"observed_at\":\"%s\","
		   "\"interval\":%u,\"descriptor_digest\":\"%s\"",
		   m->id, (unsigned long long)j->seq, observed_at(), cfg.interval, digest);
	if (j->has_desc) {
		machine_descriptor(m, &desc);
		buf_add(&body, ",\"descriptor\":", 14);
		buf_add(&body, desc.p, desc.len);
	}
	buf_printf(&body,
		   ",\"health\":{\"cpu_pct\":%.1f,\"mem_pct\":%.1f,\"mem_total_mib\":%u,\"load\":[%.2f,%.2f,%.2f],"
		   "\"vcpus\":%u,\"disks\":[{\"path\":\"%s\",\"used_pct\":%.1f,\"free_mib\":%u}],",
		   cpu, 20.0 + rng_unit() * 60, (unsigned)m->memory, load, load * 0.9, load * 0.8, (unsigned)m->vcpus,
		   t->windows ? "C:\\\\" : "/", 30.0 + rng_unit() * 50, (unsigned)(1024 + rng_next() % 40960));
	if (m->clock_known)
		buf_printf(&body, "\"clock_offset_ms\":%d,", (int)m->clock_offset_ms);
	else
		buf_add(&body, "\"clock_offset_ms\":null,", 23);
	buf_printf(&body, "\"components\":%s,\"errors\":{\"count\":0,\"recent\":[]}}}", t->components);
	put_request(out, "POST", "/api/v1/agent/report", m->cred, body.p, body.len);
}

static void build_verify(struct buf *out, uint32_t i)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/machines/%s", machines[i].id);
	put_request(out, "GET", path, cfg.token, NULL, 0);
}

static void build_job(struct conn *c)
{
	switch (phase) {
	case PH_ENROLL:
		build_enroll(&c->out, c->job.machine);
		break;
	case PH_PRIME:
	case PH_RUN:
		build_report(&c->out, &c->job);
		break;
	case PH_VERIFY_LIST: {
		char path[96];

		snprintf(path, sizeof(path), "/api/v1/machines?limit=%d&offset=%zu", LIST_PAGE,
			 (size_t)c->job.machine * LIST_PAGE);
		put_request(&c->out, "GET", path, cfg.token, NULL, 0);
		break;
	}
	case PH_VERIFY:
		build_verify(&c->out, c->job.machine);
		break;
	}
}

static void conn_fail(struct conn *c, const char *what, int err);

static void conn_flush(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ep_set(c, true);
				return;
			}
			if (errno == EINTR)
				continue;
			conn_fail(c, "send", errno);
			return;
		}
		c->out_off += (size_t)n;
	}
	ep_set(c, false);
}

static void conn_dispatch(struct conn *c)
{
	if (c->busy || c->fd < 0 || c->connecting)
		return;
	if (!next_job(c, &c->job))
		return;
	build_job(c);
	if (phase == PH_RUN || phase == PH_PRIME)
		st.sent[c->job.has_desc ? K_DESC : K_HB]++, st.body_bytes[c->job.has_desc ? K_DESC : K_HB] += body.len;
	c->busy = true;
	busy_conns++;
	c->out_off = 0;
	c->job.sent_ns = now_ns();
	c->job.sent_wall_ms = wall_ms();
	if (!c->job.sched_ns)
		c->job.sched_ns = c->job.sent_ns;
	conn_flush(c);
}

/* The request in flight got no answer: counted, the machine tried again
 * later where the phase retries. */
static void job_failed(struct conn *c)
{
	st.conn_errors++;
	if (phase != PH_RUN)
		retry_push(c->job.machine);
}

/* The request in flight is given up, counted by the caller. */
static void job_drop(struct conn *c)
{
	if (!c->busy)
		return;
	if (phase != PH_RUN)
		retry_push(c->job.machine);
	c->busy = false;
	busy_conns--;
}

/*
 * The socket failed (what: "send", "recv", "closed"; err: its errno, 0
 * for an end of input).  With a request in flight that is an error of
 * its kind; an idle kept-alive socket the server ended is not.
 */
static void conn_fail(struct conn *c, const char *what, int err)
{
	if (c->busy) {
		char detail[160];

		snprintf(detail, sizeof(detail), "machine %u, %zu of %zu request bytes sent, %zu answer bytes read",
			 (unsigned)c->job.machine, c->out_off, c->out.len, c->in.len);
		/* A new connection shut before its first answer is what a
		 * server over its connections per client does (MHD closes
		 * the excess as it accepts them). */
		const char *fresh = c->answers ? "" : " on a new connection";

		if (err)
			err_note(c, detail, "%s: %s%s", what, errno_name(err), fresh);
		else if (c->in.len)
			err_note(c, detail, "%s: the server closed mid-answer (short read)%s", what, fresh);
		else
			err_note(c, detail, "%s: the server closed before answering%s", what, fresh);
		job_failed(c);
		c->busy = false;
		busy_conns--;
	} else {
		st.idle_closes++;
	}
	conn_close(c);
	conn_open(c);
}

static int64_t json_int(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static void handle_report(struct conn *c, const struct resp *r, json_t *doc)
{
	struct machine *m = &machines[c->job.machine];
	unsigned k = c->job.has_desc ? K_DESC : K_HB;
	uint64_t t = now_ns();
	int64_t server_ms;
	json_t *applied;

	if (r->status != 200)
		return;
	applied = json_object_get(doc, "applied");
	if (!doc || !json_is_boolean(applied) || json_int(doc, "seq", -1) != (int64_t)c->job.seq) {
		char detail[160];

		snprintf(detail, sizeof(detail), "machine %u: seq %lld for the %llu sent", (unsigned)c->job.machine,
			 (long long)json_int(doc, "seq", -1), (unsigned long long)c->job.seq);
		st.bad_answers++;
		err_note(c, detail, "bad answer: %s", !doc ? "not JSON" : !json_is_boolean(applied) ? "no \"applied\"" : "another seq");
		return;
	}
	st.acked[k]++;
	m->seq = c->job.seq;
	if (json_is_true(applied)) {
		m->applied++;
		st.applied++;
	} else {
		st.duplicates++;
	}
	/* One report in flight per machine: nothing drifted since it was built. */
	if (c->job.has_desc)
		m->desc_acked = true;
	m->need_desc = json_is_true(json_object_get(doc, "need_descriptor"));
	st.need_desc += m->need_desc;
	server_ms = json_int(doc, "server_time_ms", INT64_MIN);
	if (server_ms != INT64_MIN) {
		m->clock_offset_ms = (int32_t)(server_ms - (c->job.sent_wall_ms + wall_ms()) / 2);
		m->clock_known = true;
	}
	if (phase == PH_RUN) {
		lat_add(&st.all, t - c->job.sched_ns);
		lat_add(&st.kind[k], t - c->job.sched_ns);
		lat_add(&st.service, t - c->job.sent_ns);
	}
}

static void handle_enroll(struct conn *c, const struct resp *r, json_t *doc)
{
	struct machine *m = &machines[c->job.machine];
	json_t *id = json_object_get(doc, "machine"), *cred = json_object_get(doc, "credential");

	if ((r->status != 200 && r->status != 201) || !json_is_string(id) || !json_is_string(cred)) {
		if (r->status == 200 || r->status == 201) {
			st.bad_answers++;
			err_note(c, NULL, "bad answer: no machine or credential");
		}
		retry_push(c->job.machine);
		return;
	}
	if (r->status == 201)
		st.created++;
	else
		st.reenrolled++;
	m->id = xstrdup(json_string_value(id));
	m->cred = xstrdup(json_string_value(cred));
	if (strlen(m->id) > 100 || strlen(m->cred) > 500 || strpbrk(m->id, " \n") || strpbrk(m->cred, " \n"))
		die("the server's machine id or credential is not a token: %s", m->id);
}

/* Machine ids to indexes, for the list's items: open addressing. */
static uint32_t *id_table;
static size_t id_table_size;

static uint64_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void id_table_build(void)
{
	id_table_size = 1024;
	while (id_table_size < 2 * n_machines)
		id_table_size *= 2;
	id_table = xrealloc(NULL, id_table_size * sizeof(*id_table));
	memset(id_table, 0xff, id_table_size * sizeof(*id_table));
	for (size_t i = 0; i < n_machines; i++) {
		size_t k;

		if (!machines[i].id)
			continue;
		for (k = id_hash(machines[i].id) & (id_table_size - 1); id_table[k] != UINT32_MAX;
		     k = (k + 1) & (id_table_size - 1))
			;
		id_table[k] = (uint32_t)i;
	}
}

static int64_t id_find(const char *id)
{
	for (size_t k = id_hash(id) & (id_table_size - 1); id_table[k] != UINT32_MAX; k = (k + 1) & (id_table_size - 1))
		if (strcmp(machines[id_table[k]].id, id) == 0)
			return id_table[k];
	return -1;
}

static void verify_one(struct machine *m, json_t *item)
{
	int64_t seq, reports;

	m->verified = true;
	st.verified++;
	seq = json_int(item, "seq", -1);
	reports = json_int(item, "reports", -1);
	if (seq < 0 || reports < 0) {
		st.no_fields++;
		return;
	}
	st.server_reports += (uint64_t)reports;
	st.server_seq_sum += (uint64_t)seq;
	st.acked_seq_sum += m->seq;
	if ((uint64_t)seq < m->seq)
		st.lost_seq++;
	if ((uint64_t)reports < m->applied)
		st.lost_reports++;
	if ((uint64_t)seq == m->seq && (uint64_t)reports == m->applied)
		st.exact++;
}

static void handle_verify(struct conn *c, const struct resp *r, json_t *doc)
{
	if (r->status == 404) {
		st.missing++;
		return;
	}
	if (r->status != 200 || !doc) {
		retry_push(c->job.machine);
		return;
	}
	if (!machines[c->job.machine].verified)
		verify_one(&machines[c->job.machine], doc);
}

/* A page of the list: its machines checked; any it missed (the order can
 * move under paging: a machine turning late) are read one by one after. */
static void handle_verify_list(const struct resp *r, json_t *doc)
{
	json_t *items = json_object_get(doc, "items"), *item;
	size_t i;

	if (r->status != 200 || !json_is_array(items))
		return;
	json_array_foreach(items, i, item) {
		json_t *id = json_object_get(item, "id");
		int64_t k = json_is_string(id) ? id_find(json_string_value(id)) : -1;

		if (k >= 0 && !machines[k].verified)
			verify_one(&machines[k], item);
	}
}

static void conn_on_response(struct conn *c, const struct resp *r)
{
	json_t *doc = NULL;

	st.status[r->status]++;
	if (r->status < 200 || r->status > 299) {
		/* The answer's {"error":{"code","message"}} names it. */
		json_t *e = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
		json_t *err = json_object_get(e, "error");
		const char *code = json_string_value(json_object_get(err, "code"));
		const char *msg = json_string_value(json_object_get(err, "message"));

		err_note(c, msg, "http %u %s", r->status, code ? code : "(no error code)");
		json_decref(e);
	}
	if (r->body_len && (r->status == 200 || r->status == 201))
		doc = json_loadb(r->body, r->body_len, 0, NULL);
	switch (phase) {
	case PH_ENROLL:
		handle_enroll(c, r, doc);
		break;
	case PH_PRIME:
	case PH_RUN:
		handle_report(c, r, doc);
		break;
	case PH_VERIFY_LIST:
		handle_verify_list(r, doc);
		break;
	case PH_VERIFY:
		handle_verify(c, r, doc);
		break;
	}
	json_decref(doc);
}

static void conn_readable(struct conn *c)
{
	for (;;) {
		ssize_t n;

		buf_reserve(&c->in, 16384);
		n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			conn_fail(c, "recv", errno);
			return;
		}
		if (n == 0) {
			/* The server closed: between requests that is keep-alive's end. */
			conn_fail(c, "closed", 0);
			return;
		}
		c->in.len += (size_t)n;
		if (c->in.len > IN_MAX) {
			st.bad_answers++;
			err_note(c, NULL, "bad answer: larger than %u bytes", IN_MAX);
			job_drop(c);
			conn_close(c);
			conn_open(c);
			return;
		}
	}
	while (c->in.len) {
		struct resp r;
		int k = resp_parse(c->in.p, c->in.len, &r);

		if (k == 0)
			return;
		if (k < 0 || !c->busy) {
			st.bad_answers++;
			err_note(c, NULL, "bad answer: %s", k < 0 ? "not an HTTP response" : "an answer with no request");
			job_drop(c);
			conn_close(c);
			conn_open(c);
			return;
		}
		c->answers++;
		conn_on_response(c, &r);
		c->busy = false;
		busy_conns--;
		memmove(c->in.p, c->in.p + r.consumed, c->in.len - r.consumed);
		c->in.len -= r.consumed;
		if (r.close) {
			conn_close(c);
			conn_open(c);
			return;
		}
	}
	conn_dispatch(c);
}

static void conn_event(struct conn *c, uint32_t events)
{
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			/* A run goes on (a server down is what it measures then);
			 * enrolling or verifying cannot. */
			st.connect_failures++;
			err_note(c, NULL, "connect: %s", errno_name(err));
			if (++connect_failures_in_a_row > 100 && phase != PH_RUN)
				die("cannot connect to %s: %s", cfg.url, strerror(err));
			conn_close(c);
			c->retry_at_ns = now_ns() + 100000000u;
			return;
		}
		connect_failures_in_a_row = 0;
		c->connecting = false;
		ep_set(c, false);
		conn_dispatch(c);
		return;
	}
	if (events & EPOLLOUT) {
		conn_flush(c);
		if (c->connecting)
			return; /* it failed and is connecting again */
	}
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_readable(c);
}

/* No answer within --request-timeout: an error of its own kind; the
 * connection is given up (the answer could still come, out of turn). */
static void conn_timeout(struct conn *c)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "machine %u, %zu of %zu request bytes sent, %zu answer bytes read",
		 (unsigned)c->job.machine, c->out_off, c->out.len, c->in.len);
	err_note(c, detail, "timeout: no answer within %g s", cfg.request_timeout);
	job_failed(c);
	c->busy = false;
	busy_conns--;
	conn_close(c);
	conn_open(c);
}

static void conns_start(size_t n)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	int r;

	if (n == 0 || n > MAX_CONNS)
		die("--connections %zu: give 1..%d", n, MAX_CONNS);
	if (!addr && (r = getaddrinfo(cfg.host, cfg.port, &hints, &addr)) != 0)
		die("--url %s: %s", cfg.url, gai_strerror(r));
	if (ep < 0 && (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	n_conns = n;
	conns = xrealloc(NULL, n * sizeof(*conns));
	memset(conns, 0, n * sizeof(*conns));
	for (size_t i = 0; i < n; i++) {
		conns[i].idx = (unsigned)i;
		conns[i].cursor = i;
		conns[i].fd = -1;
		conn_open(&conns[i]);
	}
}

static void conns_stop(void)
{
	for (size_t i = 0; i < n_conns; i++) {
		conn_close(&conns[i]);
		free(conns[i].out.p);
		free(conns[i].in.p);
		free(conns[i].q);
	}
	free(conns);
	conns = NULL;
	n_conns = 0;
	busy_conns = 0;
}

static void poll_once(int timeout_ms)
{
	struct epoll_event evs[256];
	int n;
	uint64_t now = now_ns();

	for (size_t i = 0; i < n_conns; i++) {
		struct conn *c = &conns[i];

		if (c->fd < 0 && c->retry_at_ns <= now)
			conn_open(c);
		else if (c->busy && now - c->job.sent_ns > (uint64_t)(cfg.request_timeout * 1e9))
			conn_timeout(c);
	}
	n = epoll_wait(ep, evs, 256, timeout_ms);

	if (n < 0 && errno != EINTR)
		die("epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		conn_event(evs[i].data.ptr, evs[i].events);
}

/* A closed-loop pass over the machines (enroll, first reports, verify). */
static double run_closed(enum phase ph, size_t connections)
{
	uint64_t t0 = now_ns();
	size_t want;

	phase = ph;
	cursor = 0;
	cursor_end = ph == PH_VERIFY_LIST ? (n_machines + LIST_PAGE - 1) / LIST_PAGE : n_machines;
	n_retry = 0;
	for (size_t i = 0; i < n_machines; i++)
		machines[i].tries = 0;
	want = connections < n_machines ? connections : (n_machines ? n_machines : 1);
	/* The connections of the phase before are kept: closing 64 and
	 * opening 64 at once overruns the server's connections per client
	 * (--max-client-connections) until it has seen the closes, and it
	 * shuts the excess as they arrive (errors of kind "closed: ... on a
	 * new connection"). */
	if (n_conns != want) {
		conns_stop();
		conns_start(want);
	}
	for (;;) {
		poll_once(100);
		for (size_t i = 0; i < n_conns; i++)
			conn_dispatch(&conns[i]);
		if (busy_conns == 0 && cursor >= cursor_end && n_retry == 0)
			break;
	}
	return (double)(now_ns() - t0) / 1e9;
}

/* ---- /metrics, once, blocking ---- */

static bool metrics_get(double *ret_reports, double *ret_heartbeats)
{
	int fd = socket(addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct buf out = { 0 }, in = { 0 };
	struct resp r;
	bool ok = false;
	int k = 0;
	struct timeval tv = { .tv_sec = 5 };

	*ret_reports = *ret_heartbeats = -1;
	/* A server that does not answer /metrics must not hold the run up. */
	if (fd >= 0) {
		(void)!setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)!setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, addr->ai_addr, addr->ai_addrlen) != 0)
		goto out;
	put_request(&out, "GET", "/metrics", NULL, NULL, 0);
	if (send(fd, out.p, out.len, MSG_NOSIGNAL) != (ssize_t)out.len)
		goto out;
	while (k == 0) {
		ssize_t n;

		buf_reserve(&in, 65536);
		n = recv(fd, in.p + in.len, in.cap - in.len - 1, 0);
		if (n <= 0)
			goto out;
		in.len += (size_t)n;
		k = resp_parse(in.p, in.len, &r);
	}
	if (k < 0 || r.status != 200)
		goto out;
	ok = true;
	for (const char *p = r.body, *end = r.body + r.body_len; p && p < end;) {
		if (strncmp(p, "covalid_reports_ingested_total ", 31) == 0)
			*ret_reports = strtod(p + 31, NULL);
		else if (strncmp(p, "covalid_heartbeats_total ", 25) == 0)
			*ret_heartbeats = strtod(p + 25, NULL);
		p = memchr(p, '\n', (size_t)(end - p));
		p = p ? p + 1 : NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(out.p);
	free(in.p);
	return ok;
}

/* ---- output ---- */

/* The simulator's own CPU time: it shares the cores with the server. */
static double client_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static void json_lat(FILE *f, const char *name, struct lat *l)
{
	qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	fprintf(f, "\"%s\":{\"n\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}", name, l->n,
		lat_q(l, 0.5), lat_q(l, 0.9), lat_q(l, 0.99), lat_q(l, 0.999), l->n ? l->v[l->n - 1] / 1000.0 : 0.0);
}

static void json_statuses(FILE *f, const char *name)
{
	bool first = true;

	fprintf(f, "\"%s\":{", name);
	for (unsigned s = 0; s < 600; s++) {
		if (!st.status[s])
			continue;
		fprintf(f, "%s\"%u\":%llu", first ? "" : ",", s, (unsigned long long)st.status[s]);
		first = false;
	}
	fputs("}", f);
}

/* "by_kind":{kind:count,…},"samples":[{kind,detail,t_s,conn,…}] (the first few) */
static void json_errors(FILE *f)
{
	json_t *by = json_object(), *samples = json_array();
	char *a, *b;

	for (size_t k = 0; k < errs.n; k++)
		json_object_set_new(by, errs.kind[k], json_integer((json_int_t)errs.count[k]));
	if (errs.other)
		json_object_set_new(by, "(other kinds)", json_integer((json_int_t)errs.other));
	for (size_t i = 0; i < errs.n_samples; i++) {
		const struct err_sample *sm = &errs.sample[i];

		json_array_append_new(samples, json_pack("{s:s, s:s, s:f, s:i, s:I, s:f}", "kind", sm->kind, "detail",
							 sm->detail, "t_s", round(sm->t_s * 1000) / 1000, "connection",
							 (int)sm->conn, "connection_answers_before", (json_int_t)sm->conn_answers,
							 "connection_age_s", round(sm->conn_age_s * 1000) / 1000));
	}
	a = json_dumps(by, JSON_COMPACT);
	b = json_dumps(samples, JSON_COMPACT);
	if (!a || !b)
		die("out of memory");
	fprintf(f, "\"by_kind\":%s,\"samples\":%s", a, b);
	free(a);
	free(b);
	json_decref(by);
	json_decref(samples);
}

/* The human summary's: "3 (2 http 503 unavailable, 1 recv: ECONNRESET)". */
static void text_errors(FILE *f, uint64_t total)
{
	fprintf(f, "%llu", (unsigned long long)total);
	for (size_t k = 0; k < errs.n; k++)
		fprintf(f, "%s%llu %s", k ? ", " : " (", (unsigned long long)errs.count[k], errs.kind[k]);
	if (errs.n)
		fputc(')', f);
}

static uint64_t non_2xx(void)
{
	uint64_t n = 0;

	for (unsigned s = 0; s < 600; s++)
		if (s < 200 || s > 299)
			n += st.status[s];
	return n;
}

/* ---- commands ---- */

static void usage(void)
{
	fputs("usage: agentsim enroll --url URL --token-file F --state FILE --machines N --descriptor FILE...\n"
	      "                       [--connections C] [--key-seed S]\n"
	      "       agentsim run --url URL --state FILE --descriptor FILE... [--heartbeat-rate R]\n"
	      "                    [--descriptor-rate R] [--duration S] [--connections C] [--max]\n"
	      "                    [--label L] [--request-timeout S] [--dry-run K [--machines N]]\n"
	      "       agentsim verify --url URL --token-file F --state FILE --descriptor FILE...\n",
	      stderr);
	exit(2);
}

static double num_arg(const char *opt, const char *v, double lo, double hi)
{
	char *end;
	double d = strtod(v, &end);

	if (*v == '\0' || *end != '\0' || !(d >= lo && d <= hi))
		die("%s %s: give a number in %g..%g", opt, v, lo, hi);
	return d;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--max") == 0) {
			cfg.max = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(o, "--url") == 0)
			cfg.url = v;
		else if (strcmp(o, "--token-file") == 0)
			cfg.token_file = v;
		else if (strcmp(o, "--state") == 0)
			cfg.state = v;
		else if (strcmp(o, "--descriptor") == 0) {
			if (cfg.n_descriptors == MAX_TEMPLATES)
				die("--descriptor: at most %d", MAX_TEMPLATES);
			cfg.descriptors[cfg.n_descriptors++] = (char *)v;
		} else if (strcmp(o, "--machines") == 0)
			cfg.machines = (size_t)num_arg(o, v, 1, 10000000);
		else if (strcmp(o, "--connections") == 0)
			cfg.connections = (size_t)num_arg(o, v, 1, MAX_CONNS);
		else if (strcmp(o, "--heartbeat-rate") == 0)
			cfg.hb_rate = num_arg(o, v, 0, 1e7);
		else if (strcmp(o, "--descriptor-rate") == 0)
			cfg.desc_rate = num_arg(o, v, 0, 1e7);
		else if (strcmp(o, "--duration") == 0)
			cfg.duration = num_arg(o, v, 0.1, 86400);
		else if (strcmp(o, "--drain") == 0)
			cfg.drain = num_arg(o, v, 0, 3600);
		else if (strcmp(o, "--request-timeout") == 0)
			cfg.request_timeout = num_arg(o, v, 0.1, 3600);
		else if (strcmp(o, "--label") == 0)
			cfg.label = v;
		else if (strcmp(o, "--dry-run") == 0)
			cfg.dry_run = (long)num_arg(o, v, 0, 1e6);
		else if (strcmp(o, "--key-seed") == 0)
			cfg.key_seed = (uint64_t)num_arg(o, v, 0, 1e18);
		else
			usage();
	}
	if (cfg.dry_run < 0 && !cfg.url)
		die("--url is required");
	if (cfg.url)
		parse_url(cfg.url);
	if (cfg.dry_run < 0 && !cfg.state)
		die("--state is required");
}

static int cmd_enroll(void)
{
	double t_enroll, t_first;

	if (!cfg.token_file)
		die("enroll: --token-file is required");
	cfg.token = read_token(cfg.token_file);
	if (!cfg.key_seed)
		cfg.key_seed = (uint64_t)wall_ms() ^ (uint64_t)getpid();
	machines_new(cfg.machines);
	t_enroll = run_closed(PH_ENROLL, cfg.connections);
	if (st.failed)
		die("%llu machines could not be enrolled (answers: 201 %llu, 200 %llu, 401 %llu, 403 %llu, 5xx %llu)",
		    (unsigned long long)st.failed, (unsigned long long)st.status[201], (unsigned long long)st.status[200],
		    (unsigned long long)st.status[401], (unsigned long long)st.status[403],
		    (unsigned long long)(st.status[500] + st.status[503]));
	uint64_t created = st.created, reenrolled = st.reenrolled, enroll_status[600];

	/* First reports: every machine's full descriptor, as after enrolling. */
	memcpy(enroll_status, st.status, sizeof(enroll_status));
	memset(&st.status, 0, sizeof(st.status));
	t_first = run_closed(PH_PRIME, cfg.connections);
	conns_stop();
	state_save(cfg.state);
	printf("{\"schema\":\"covalid.bench.agents/1\",\"mode\":\"enroll\",\"machines\":%zu,\"connections\":%zu,"
	       "\"created\":%llu,\"reenrolled\":%llu,\"enroll_s\":%.3f,\"enroll_per_s\":%.1f,"
	       "\"first_reports\":%llu,\"first_reports_s\":%.3f,\"first_reports_per_s\":%.1f,\"failed\":%llu,",
	       n_machines, cfg.connections, (unsigned long long)created, (unsigned long long)reenrolled, t_enroll,
	       (double)n_machines / t_enroll, (unsigned long long)st.acked[K_DESC], t_first,
	       (double)st.acked[K_DESC] / t_first, (unsigned long long)st.failed);
	json_statuses(stdout, "status");
	memcpy(st.status, enroll_status, sizeof(enroll_status));
	fputc(',', stdout);
	json_statuses(stdout, "enroll_status");
	fputs(",\"errors\":{", stdout);
	json_errors(stdout);
	printf("},\"client_cpu_s\":%.3f}\n", client_cpu_s());
	fprintf(stderr,
		"agentsim: enrolled %zu machines in %.1f s (%.0f/s, %llu new, %llu again); first reports (full "
		"descriptors) in %.1f s (%.0f/s)\n",
		n_machines, t_enroll, (double)n_machines / t_enroll, (unsigned long long)created,
		(unsigned long long)reenrolled, t_first, (double)st.acked[K_DESC] / t_first);
	return st.failed ? 1 : 0;
}

/* Prints the first K requests a run would send, with made-up machines. */
static int cmd_dry_run(void)
{
	struct buf out = { 0 };

	if (!cfg.state || access(cfg.state, R_OK) != 0) {
		machines_new(cfg.machines);
		for (size_t i = 0; i < n_machines; i++) {
			char id[32], cred[48];

			snprintf(id, sizeof(id), "m-%016zx", i);
			snprintf(cred, sizeof(cred), "cv_dry%010zu", i);
			machines[i].id = xstrdup(id);
			machines[i].cred = xstrdup(cred);
		}
	} else {
		state_load(cfg.state);
	}
	cfg.token = xstrdup("tok_dry");
	for (long k = 0; k < cfg.dry_run; k++) {
		struct job j = { .machine = (uint32_t)((size_t)k % n_machines) };

		if (k % 3 == 2) {
			phase = PH_ENROLL;
			build_enroll(&out, j.machine);
		} else {
			j.drift = k % 3 == 1;
			phase = PH_RUN;
			build_report(&out, &j);
			machines[j.machine].seq = j.seq;
			machines[j.machine].desc_acked = true;
		}
		fwrite(out.p, 1, out.len, stdout);
		fputs("\n", stdout);
	}
	free(out.p);
	return 0;
}

static void schedule_due(uint64_t t0, uint64_t now, uint64_t *k_hb, uint64_t *k_desc, size_t *c_hb, size_t *c_desc)
{
	double rates[2] = { cfg.hb_rate, cfg.desc_rate };
	uint64_t *ks[2] = { k_hb, k_desc };
	size_t *cs[2] = { c_hb, c_desc };

	for (int kind = 0; kind < 2; kind++) {
		if (rates[kind] <= 0)
			continue;
		for (;;) {
			uint64_t at = t0 + (uint64_t)((double)*ks[kind] * 1e9 / rates[kind]);
			struct job j = { .drift = kind == 1, .sched_ns = at };

			if (at > now || at >= run_end_ns)
				break;
			j.machine = (uint32_t)(*cs[kind] % n_machines);
			*cs[kind] += 1;
			(*ks[kind])++;
			queue_push(&conns[j.machine % n_conns], &j);
		}
	}
}

static uint64_t next_due(uint64_t t0, uint64_t k_hb, uint64_t k_desc)
{
	uint64_t a = cfg.hb_rate > 0 ? t0 + (uint64_t)((double)k_hb * 1e9 / cfg.hb_rate) : UINT64_MAX;
	uint64_t b = cfg.desc_rate > 0 ? t0 + (uint64_t)((double)k_desc * 1e9 / cfg.desc_rate) : UINT64_MAX;

	return a < b ? a : b;
}

static int cmd_run(void)
{
	double m0_reports, m0_hb, m1_reports, m1_hb, elapsed, cpu0;
	uint64_t t0, k_hb = 0, k_desc = 0, t_done;
	size_t c_hb = 0, c_desc = n_machines / 2;
	size_t queued = 0;

	state_load(cfg.state);
	for (size_t i = 0; i < n_machines; i++)
		if (!machines[i].id)
			die("%s: machine %zu is not enrolled", cfg.state, i);
	phase = PH_RUN;
	open_loop = !cfg.max;
	conns_start(cfg.connections < n_machines ? cfg.connections : n_machines);
	/* Connect everything first: the run measures reports, not handshakes. */
	for (uint64_t deadline = now_ns() + 5000000000u; now_ns() < deadline;) {
		size_t up = 0;

		for (size_t i = 0; i < n_conns; i++)
			up += conns[i].fd >= 0 && !conns[i].connecting;
		if (up == n_conns)
			break;
		poll_once(10);
	}
	metrics_get(&m0_reports, &m0_hb);
	cpu0 = client_cpu_s();
	t0 = now_ns();
	errs_t0_ns = t0;
	run_end_ns = t0 + (uint64_t)(cfg.duration * 1e9);
	for (;;) {
		uint64_t now = now_ns();
		int timeout = 100;

		if (open_loop) {
			schedule_due(t0, now, &k_hb, &k_desc, &c_hb, &c_desc);
			if (now < run_end_ns) {
				uint64_t due = next_due(t0, k_hb, k_desc);

				timeout = due <= now ? 0 : (int)((due - now + 999999) / 1000000);
				if (timeout > 100)
					timeout = 100;
			}
		}
		for (size_t i = 0; i < n_conns; i++)
			conn_dispatch(&conns[i]);
		if (now >= run_end_ns) {
			queued = 0;
			for (size_t i = 0; i < n_conns; i++)
				queued += conns[i].q_n;
			if (busy_conns == 0 && queued == 0)
				break;
			if (now >= run_end_ns + (uint64_t)(cfg.drain * 1e9)) {
				st.unfinished = queued + busy_conns;
				break;
			}
		}
		poll_once(timeout);
	}
	t_done = now_ns();
	elapsed = (double)(t_done - t0) / 1e9;
	metrics_get(&m1_reports, &m1_hb);
	conns_stop();
	state_save(cfg.state);

	uint64_t acked = st.acked[K_HB] + st.acked[K_DESC];
	/* The open loop's rates are over its schedule (duration_s): it offers
	 * exactly rate x duration reports, so a server that keeps up shows the
	 * offered rate, not a rate lowered by the last report's own latency
	 * (elapsed_s ends at the last answer).  One that falls behind shows
	 * what it answered: what it did not answer in the drain counts as not
	 * sent, and what it answered late shows in the latencies.  The closed
	 * loop has no schedule: its rates are over elapsed_s. */
	double span = open_loop ? cfg.duration : elapsed;
	/* Errors: answered wrongly or not at all.  Not sent: the open loop
	 * scheduled them, the server was too slow to take them in time. */
	uint64_t errors = non_2xx() + st.conn_errors + st.bad_answers + st.connect_failures;
	uint64_t not_sent = st.dropped + st.unfinished;

	printf("{\"schema\":\"covalid.bench.agents/1\",\"mode\":\"%s\",\"label\":\"%s\",\"machines\":%zu,"
	       "\"connections\":%zu,\"duration_s\":%.1f,\"elapsed_s\":%.3f,",
	       open_loop ? "open" : "max", cfg.label, n_machines, n_conns ? n_conns : cfg.connections, cfg.duration,
	       elapsed);
	if (open_loop)
		printf("\"target\":{\"heartbeats_per_s\":%.1f,\"descriptors_per_s\":%.1f},", cfg.hb_rate, cfg.desc_rate);
	else
		printf("\"mix\":{\"descriptor_fraction\":%.4f},", cfg.desc_rate / (cfg.hb_rate + cfg.desc_rate));
	printf("\"sent\":{\"heartbeats\":%llu,\"descriptors\":%llu},\"acked\":{\"heartbeats\":%llu,\"descriptors\":%llu},"
	       "\"rates\":{\"heartbeats_per_s\":%.1f,\"descriptors_per_s\":%.1f,\"total_per_s\":%.1f},"
	       "\"applied\":%llu,\"duplicates\":%llu,\"need_descriptor\":%llu,"
	       "\"body_bytes_mean\":{\"heartbeat\":%.0f,\"descriptor\":%.0f},",
	       (unsigned long long)st.sent[K_HB], (unsigned long long)st.sent[K_DESC], (unsigned long long)st.acked[K_HB],
	       (unsigned long long)st.acked[K_DESC], (double)st.acked[K_HB] / span, (double)st.acked[K_DESC] / span,
	       (double)acked / span, (unsigned long long)st.applied, (unsigned long long)st.duplicates,
	       (unsigned long long)st.need_desc,
	       st.sent[K_HB] ? (double)st.body_bytes[K_HB] / (double)st.sent[K_HB] : 0.0,
	       st.sent[K_DESC] ? (double)st.body_bytes[K_DESC] / (double)st.sent[K_DESC] : 0.0);
	printf("\"latency_ms\":{");
	json_lat(stdout, "all", &st.all);
	putchar(',');
	json_lat(stdout, "heartbeat", &st.kind[K_HB]);
	putchar(',');
	json_lat(stdout, "descriptor", &st.kind[K_DESC]);
	putchar(',');
	json_lat(stdout, "service", &st.service);
	printf("},\"errors\":{\"total\":%llu,", (unsigned long long)errors);
	json_statuses(stdout, "status");
	putchar(',');
	json_errors(stdout);
	printf(",\"connection\":%llu,\"connect_failures\":%llu,\"bad_answers\":%llu,\"idle_closes\":%llu},"
	       "\"not_sent\":{\"total\":%llu,\"backlog_dropped\":%llu,\"unfinished\":%llu},",
	       (unsigned long long)st.conn_errors, (unsigned long long)st.connect_failures,
	       (unsigned long long)st.bad_answers, (unsigned long long)st.idle_closes, (unsigned long long)not_sent, (unsigned long long)st.dropped,
	       (unsigned long long)st.unfinished);
	printf("\"client_cpu_s\":%.3f,", client_cpu_s() - cpu0);
	if (m0_reports >= 0 && m1_reports >= 0)
		printf("\"metrics\":{\"reports_ingested_delta\":%.0f,\"heartbeats_delta\":%.0f}}\n", m1_reports - m0_reports,
		       m0_hb >= 0 && m1_hb >= 0 ? m1_hb - m0_hb : -1.0);
	else
		printf("\"metrics\":null}\n");
	fprintf(stderr,
		"agentsim %s%s%s: %zu machines, %zu connections, %.1f s: %.0f heartbeats/s + %.0f descriptor "
		"reports/s acknowledged (%.0f/s); latency p50 %.2f ms, p99 %.2f ms, max %.2f ms%s; errors ",
		open_loop ? "open loop" : "max throughput", *cfg.label ? " " : "", cfg.label, n_machines, n_conns ? n_conns : cfg.connections,
		elapsed, (double)st.acked[K_HB] / elapsed, (double)st.acked[K_DESC] / elapsed, (double)acked / elapsed,
		lat_q(&st.all, 0.5), lat_q(&st.all, 0.99), st.all.n ? st.all.v[st.all.n - 1] / 1000.0 : 0.0,
		open_loop ? " (from the scheduled time)" : "");
	text_errors(stderr, errors);
	fprintf(stderr, "; scheduled, not answered within the run and %.0f s more: %llu\n", cfg.drain,
		(unsigned long long)not_sent);
	return 0;
}

static int cmd_verify(void)
{
	double t;

	if (!cfg.token_file)
		die("verify: --token-file is required");
	cfg.token = read_token(cfg.token_file);
	state_load(cfg.state);
	id_table_build();
	/* The list first (a page a request), then whatever it did not show. */
	t = run_closed(PH_VERIFY_LIST, cfg.connections < 4 ? cfg.connections : 4);
	t += run_closed(PH_VERIFY, cfg.connections);
	conns_stop();
	uint64_t acked_applied = 0, acked_seq = 0;

	for (size_t i = 0; i < n_machines; i++) {
		acked_applied += machines[i].applied;
		acked_seq += machines[i].seq;
	}
	printf("{\"schema\":\"covalid.bench.agents/1\",\"mode\":\"verify\",\"machines\":%zu,\"verified\":%llu,"
	       "\"missing\":%llu,\"failed\":%llu,\"no_fields\":%llu,\"lost_seq\":%llu,\"lost_reports\":%llu,"
	       "\"exact\":%llu,\"acked_applied\":%llu,\"server_reports\":%llu,\"acked_seq_sum\":%llu,"
	       "\"server_seq_sum\":%llu,\"seconds\":%.3f}\n",
	       n_machines, (unsigned long long)st.verified, (unsigned long long)st.missing,
	       (unsigned long long)st.failed, (unsigned long long)st.no_fields, (unsigned long long)st.lost_seq,
	       (unsigned long long)st.lost_reports, (unsigned long long)st.exact, (unsigned long long)acked_applied,
	       (unsigned long long)st.server_reports, (unsigned long long)acked_seq,
	       (unsigned long long)st.server_seq_sum, t);
	fprintf(stderr,
		"agentsim verify: %llu of %zu machines read back in %.1f s; %llu with a seq behind the acknowledged, "
		"%llu with fewer reports than acknowledged, %llu missing, %llu exactly as acknowledged\n",
		(unsigned long long)st.verified, n_machines, t, (unsigned long long)st.lost_seq,
		(unsigned long long)st.lost_reports, (unsigned long long)st.missing, (unsigned long long)st.exact);
	return st.lost_seq || st.lost_reports || st.missing || st.failed || st.no_fields ? 1 : 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		die("libsodium does not start");
	parse_args(argc, argv);
	rng_state ^= cfg.key_seed * 0x9e3779b97f4a7c15u + 1;
	load_templates(cfg.descriptors, cfg.n_descriptors);
	if (strcmp(argv[1], "enroll") == 0)
		r = cfg.dry_run >= 0 ? cmd_dry_run() : cmd_enroll();
	else if (strcmp(argv[1], "run") == 0)
		r = cfg.dry_run >= 0 ? cmd_dry_run() : cmd_run();
	else if (strcmp(argv[1], "verify") == 0)
		r = cmd_verify();
	else
		usage();
	fflush(stdout);
	return r;
}
