/*
 * covalid/server.h - `covalid serve`: the program's HTTP server (catalog
 * API, signed submissions, publication, the web UI).  docs/server.md.
 */
#ifndef COVALID_SERVER_H
#define COVALID_SERVER_H

#include <stdbool.h>
#include <stdio.h>

#include "covalid/util.h"

struct server_options {
	const char *listen;       /* "HOST:PORT"; port 0 picks one */
	const char *db;           /* store location */
	const char *web;          /* directory of the web UI, or NULL for none */
	FILE *access_log;         /* JSON lines; NULL for none */
	size_t max_body;          /* bytes; 0 for the default (4 MiB) */
	unsigned timeout_s;       /* idle connection timeout; 0 for 30 */
	unsigned max_connections; /* 0 for 1024 */
	unsigned max_client_connections; /* from one client address; 0 for 128 */
	unsigned header_timeout_s; /* a request head must arrive whole within it; 0 for 10 */
	unsigned sweep_interval_s;  /* monitoring: late machines, catalog re-checks; 0 for 10 */
	unsigned sample_interval_s; /* monitoring: fleet samples; 0 for 300 */
	/* Webhooks may be delivered to loopback, private and link-local
	 * addresses (refused by default: a customer's URL must not reach
	 * into the server's own network). */
	bool webhook_allow_private;
	bool create;              /* create the database if it does not exist */
	/* HTTPS: a PEM certificate (its chain after it) and its private key,
	 * both or neither; read again on SIGHUP (docs/server.md, "TLS"). */
	const char *tls_cert, *tls_key;
	/* Called once listening, with the bound port. */
	void (*ready)(void *userdata, const char *host, int port);
	void *userdata;
};

/*
 * Serves until SIGTERM or SIGINT: then stops accepting, lets requests in
 * flight finish (up to 10 s), and returns 0.  SIGHUP reads the TLS
 * certificate and key again (a bad file: the old ones stay, and stderr
 * says why).  Errors before serving (bad address, port taken, database
 * unusable, a bad certificate or key file) return a negative errno with
 * *ret_error saying why.
 */
int server_run(const struct server_options *o, char **ret_error) CV_WUR;

#endif
