/*
 * agent-internal.h - what the agent's files share.
 *
 * Portable files: http.c (URL, request, strict answer parsing), spool.c,
 * state.c, health.c (the report's health object), run.c (enroll, the
 * report cycle, the loop), key.c.  The system's own parts are behind the
 * agent_net_*, agent_sys_* and agent_health_sys() calls below: net-unix.c,
 * sys-unix.c, health-linux.c on Linux; win/net.c, win/sys.c, win/health.c
 * and win/service.c on Windows (libuv's src/unix and src/win).
 */
#ifndef COVALID_AGENT_INTERNAL_H
#define COVALID_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/agent.h"

struct descriptor;

/* ---- the network (net-unix.c, win/net.c) ---- */
struct agent_conn;
/* Connects to host:port within deadline (cv_now_ns() nanoseconds). */
int agent_net_connect(const char *host, uint16_t port, uint64_t deadline_ns, struct agent_conn **ret) CV_WUR;
int agent_net_send(struct agent_conn *c, const void *p, size_t n, uint64_t deadline_ns) CV_WUR;
/* Receives up to n bytes; *ret_n 0 is the peer's close.  -ETIMEDOUT past the deadline. */
int agent_net_recv(struct agent_conn *c, void *p, size_t n, uint64_t deadline_ns, size_t *ret_n) CV_WUR;
void agent_net_close(struct agent_conn *c);

/* ---- HTTP/1.1 (http.c) ---- */
#define AGENT_HTTP_ANSWER_MAX (1024 * 1024)
#define AGENT_HTTP_HEADERS_MAX (16 * 1024)
#define AGENT_HTTP_TIMEOUT_MS 15000

struct agent_url {
	char *host;    /* without brackets */
	uint16_t port;
	char *prefix;  /* "" or "/path" without a trailing '/' */
	char *text;    /* "http://host:port/prefix", for messages */
};

int agent_url_parse(const char *s, struct agent_url *ret, char **ret_why) CV_WUR;
void agent_url_release(struct agent_url *u);

struct agent_http_answer {
	int status;
	char *body; /* NUL-terminated */
	size_t len;
};

/*
 * POSTs body (JSON) to url's prefix + path with a Bearer token; waits at
 * most timeout_ms in all.  A status that is not 2xx is still an answer
 * (0 returned); errors are the transport's or an answer that is not
 * HTTP/1.1 as RFC 9112 writes it (-EPROTO), too large (-E2BIG) or too
 * slow (-ETIMEDOUT).  ret_why names the server.
 */
int agent_http_post(const struct agent_url *url, const char *path, const char *bearer, const char *body,
		    size_t len, int timeout_ms, struct agent_http_answer *ret, char **ret_why) CV_WUR;
void agent_http_answer_release(struct agent_http_answer *a);
/*
 * Parses a whole answer held in buf (what was read until the peer closed
 * or the answer was complete).  Returns 0 and the answer, -EAGAIN if more
 * bytes are needed (and eof is false), -EPROTO/-E2BIG with ret_why.
 */
int agent_http_parse(const char *buf, size_t len, bool eof, struct agent_http_answer *ret, char **ret_why) CV_WUR;
/* The server's {"error":{"message"}} or the status line's meaning, for messages. */
char *agent_http_error_text(const struct agent_http_answer *a);

/* ---- the spool (spool.c) ---- */
struct agent_spool {
	char *dir;        /* DIR/spool */
	size_t max_count;
	size_t max_bytes;
};

struct agent_spool_entry {
	uint64_t seq;
	bool heartbeat;   /* no descriptor: the first to go when the spool is full */
	char *path;
	size_t bytes;
};

void agent_spool_init(struct agent_spool *s, const char *state_dir, size_t max_count, size_t max_bytes);
void agent_spool_release(struct agent_spool *s);
/* The entries, oldest (lowest seq) first.  A missing spool is empty. */
int agent_spool_list(const struct agent_spool *s, struct agent_spool_entry **ret, size_t *ret_n) CV_WUR;
void agent_spool_entries_free(struct agent_spool_entry *v, size_t n);
/*
 * Adds a report; when that would pass a bound, first drops the oldest
 * heartbeat-only reports (then the oldest of any kind) and adds how many
 * it dropped to *dropped, with the "dropped" count each of them carried.
 */
int agent_spool_add(const struct agent_spool *s, uint64_t seq, bool heartbeat, const char *body, size_t len,
		    uint64_t *dropped) CV_WUR;

/* ---- the state (state.c) ---- */
struct agent_config {
	char *server;
	char *machine;
	char *credential;
	char *customer;
	char *name;
	char *machine_key;
	int interval;
};

struct agent_runstate {
	uint64_t seq;               /* the last seq made (0: none yet) */
	char *sent_digest;          /* the digest of the last descriptor put in a report */
	bool need_descriptor;       /* the server asked for it */
	uint64_t dropped;           /* reports dropped from the full spool, not yet in a report */
	bool have_cpu;
	uint64_t cpu_total, cpu_idle;
	bool have_kmsg;
	uint64_t kmsg_seq;          /* the last kernel log record read */
	char *kmsg_boot;            /* the boot (Linux's boot_id) kmsg_seq counts in */
	bool have_clock;
	int64_t clock_offset_ms;
	char *last_at;              /* the last attempt's time, result, seq */
	char *last_result;
	uint64_t last_acked_seq;
	char *last_acked_at;
	char *last_verdict;
};

/* Refuses a directory that is not a directory, or that others may write. */
int agent_state_check_dir(const char *dir, char **ret_why) CV_WUR;
int agent_config_load(const char *dir, struct agent_config *ret, char **ret_why) CV_WUR;
int agent_config_save(const char *dir, const struct agent_config *c, char **ret_why) CV_WUR;
void agent_config_release(struct agent_config *c);
int agent_runstate_load(const char *dir, struct agent_runstate *ret, char **ret_why) CV_WUR;
int agent_runstate_save(const char *dir, const struct agent_runstate *s, char **ret_why) CV_WUR;
void agent_runstate_release(struct agent_runstate *s);

/* ---- health (health.c; the system's part: health-linux.c, win/health.c) ---- */
struct agent_health_ctx {
	const char *root;             /* NULL: live */
	struct agent_runstate *state; /* CPU and kernel log positions, updated */
	const struct descriptor *d;   /* vCPUs and components */
};

/* The report's "health" object. */
json_t *agent_health(struct agent_health_ctx *ctx);
/* The system's measures into h: cpu_pct, mem_*, load, disks, errors. */
void agent_health_sys(struct agent_health_ctx *ctx, json_t *h);
/*
 * Parsers of the Linux sources, portable so that the unit tests run them
 * on fixtures: /proc/stat's first line, /proc/meminfo, /proc/loadavg, one
 * /dev/kmsg record.
 */
int agent_parse_proc_stat(const char *text, uint64_t *ret_total, uint64_t *ret_idle) CV_WUR;
int agent_parse_meminfo(const char *text, uint64_t *ret_total_kib, uint64_t *ret_avail_kib) CV_WUR;
int agent_parse_loadavg(const char *text, double ret[3]) CV_WUR;
/* "6,339,5140900,-;text": level (priority & 7), seq and the message. */
int agent_parse_kmsg(const char *rec, size_t len, int *ret_level, uint64_t *ret_seq, char **ret_msg) CV_WUR;

/* ---- the system (sys-unix.c, win/sys.c) ---- */
char *agent_sys_hostname(void);
const char *agent_sys_os(void); /* "linux" or "windows" */
/* The machine's identity sources, concatenated ("machine-id\nuuid"); -ENOENT if none. */
int agent_sys_identity(const char *root, char **ret, char **ret_why) CV_WUR;
/* Whether others than the owner (and the administrators) may write path. */
int agent_sys_check_private_dir(const char *dir, char **ret_why) CV_WUR;
/* Whether a file holding a secret is readable by others. */
int agent_sys_check_private_file(const char *path, char **ret_why) CV_WUR;
int64_t agent_sys_wall_ms(void);
/* Sleeps ms, or less if agent_stop() was called. */
void agent_sys_sleep_ms(int64_t ms);

/* run.c: the stop flag agent_stop() sets. */
bool agent_stopping(void);

/* key.c: hex BLAKE2b-256 of data. */
void agent_blake2b_hex(const void *data, size_t len, char ret[65]);

/* The why of an error, allocated: "what: text". */
int agent_fail(char **ret_why, int r, const char *fmt, ...) CV_PRINTF(3, 4);

#endif
