/*
 * covalid/agent.h - the monitoring agent that runs in a guest: it enrolls
 * the machine with a covalid server, then reports what the machine is (its
 * descriptor, only when that changed) and how it is (health) over plain
 * HTTP/1.1 (the protocol: docs/monitor.md, "Agent protocol").
 *
 * State: everything the agent keeps lives in one state directory DIR:
 *   DIR/agent.json   the enrollment: server, machine id, credential, name,
 *                    machine key, customer (mode 0600: the credential)
 *   DIR/run.json     what the reports need between runs: the next seq, the
 *                    digest last sent, CPU counters, the kernel log's
 *                    sequence number, the clock offset, the last result
 *   DIR/spool/       reports not yet acknowledged, one file each, named by
 *                    seq: sent oldest first, removed only when the server
 *                    acknowledged them; bounded (count and bytes)
 * Every file is written atomically and durably (cv_write_file_atomic).
 * A state directory that others may write is refused: whoever can write
 * it can make the agent send what they like with the machine's
 * credential.
 *
 * Errors: functions return 0 or a negative errno and, where they take
 * ret_why, a one-line message naming the input (the file, the field or the
 * server) that the command prints as is.  Nothing here prints.
 * Not thread-safe: one agent per process.
 */
#ifndef COVALID_AGENT_H
#define COVALID_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

#define AGENT_INTERVAL_MIN 10
#define AGENT_INTERVAL_MAX 86400
#define AGENT_INTERVAL_DEFAULT 60
#define AGENT_NAME_MAX 128
/* Spool bounds: a day of reports at the default interval, and 64 MiB. */
#define AGENT_SPOOL_MAX_COUNT 1440
#define AGENT_SPOOL_MAX_BYTES (64u * 1024 * 1024)

struct agent_enroll_options {
	const char *server;     /* http://HOST[:PORT][/PREFIX] */
	const char *token_file; /* a customer administrator's (or the owner's) token */
	const char *state_dir;
	const char *name;       /* NULL: the host name */
	const char *customer;   /* only with the owner's token */
	int interval;           /* 0: the server's default */
};

struct agent_enrollment {
	char *machine;  /* "m-..." */
	char *customer;
	int interval;
	bool created;   /* 201: new; 200: the same machine enrolled again */
};

/* Enrolls this machine and writes DIR/agent.json.  ret may be NULL. */
int agent_enroll(const struct agent_enroll_options *opt, struct agent_enrollment *ret, char **ret_why) CV_WUR;
void agent_enrollment_release(struct agent_enrollment *e);

struct agent_run_options {
	const char *state_dir;
	const char *root;    /* NULL: this machine; else a captured one (probe --root) */
	int interval;        /* 0: agent.json's (the server's) */
	bool once;
	/* Tests: spool bounds other than the defaults (0: default). */
	size_t spool_max_count;
	size_t spool_max_bytes;
	/* Called after each attempt to deliver (NULL: none); for the command's output. */
	void (*on_result)(void *userdata, const char *line);
	void *userdata;
};

/*
 * Runs the agent: with once, sends the spool, then makes one report and
 * sends it; returns 0 if everything was delivered, -EAGAIN if reports
 * stay spooled (the server could not be reached or answered 5xx), another
 * negative errno on an error that retrying does not cure (a bad state
 * dir, a credential the server refuses: 401/403).  Without once it loops
 * until agent_stop() (every interval +-10 %; when the server is down the
 * spool is retried with an exponential backoff capped at the interval).
 */
int agent_run(const struct agent_run_options *opt, char **ret_why) CV_WUR;
/* Asks a running agent_run() to stop after its current step: async-signal-safe. */
void agent_stop(void);

/* What `covalid agent status` prints, as a JSON object (caller json_decref()s). */
int agent_status(const char *state_dir, json_t **ret, char **ret_why) CV_WUR;

/*
 * The machine key: hex BLAKE2b-256 of the machine's identity (Linux:
 * /etc/machine-id, and DMI's product_uuid when readable; Windows: the
 * MachineGuid and the SMBIOS UUID).  root as for agent_run_options.
 */
int agent_machine_key(const char *root, char ret[65], char **ret_why) CV_WUR;

/*
 * Windows service mode (Linux: -ENOSYS).  install registers the service
 * "covalid-agent" running `EXE agent run --service --state DIR`; the
 * service's main calls StartServiceCtrlDispatcher and runs agent_run()
 * until SERVICE_CONTROL_STOP.
 */
int agent_service_install(const char *state_dir, char **ret_why) CV_WUR;
int agent_service_uninstall(char **ret_why) CV_WUR;
int agent_service_main(const struct agent_run_options *opt, char **ret_why) CV_WUR;

#endif
