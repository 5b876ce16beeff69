/*
 * http-client.h - the API client of `covalid admin` and `covalid submit`
 * (libcurl).  Bounded: answers above 64 MiB are refused; every call has a
 * connect and a total timeout.  https:// verifies the server's certificate
 * and name, always (against --cacert's CA certificates, or the system's).
 */
#ifndef COVALID_HTTP_CLIENT_H
#define COVALID_HTTP_CLIENT_H

#include <stddef.h>

#include "covalid/util.h"

struct api {
	char *base;   /* "http://127.0.0.1:8080" */
	char *token;  /* bearer token, or NULL */
	char *cacert; /* PEM file of the CA certificates to trust for https://, or NULL: the system's */
};

/* Every command that calls the server takes --cacert FILE: its getopt entry. */
#define API_OPT_CACERT 0x100
#define API_CACERT_OPTION { "cacert", required_argument, NULL, API_OPT_CACERT }

/*
 * Reads --server (else $COVALID_SERVER, else http://127.0.0.1:8080),
 * --token-file (else $COVALID_TOKEN_FILE; required when need_token) and
 * --cacert (else $COVALID_CACERT; else the system's CA certificates, for
 * https:// only).  Reports errors itself; returns an exit code.
 */
int api_init(struct api *a, const char *server, const char *token_file, const char *cacert, bool need_token);
void api_release(struct api *a);

/*
 * One call.  *ret_status is the HTTP status (0 if no answer); *ret_body
 * the answer.  Returns 0, or a negative errno for a transport failure
 * with *ret_error saying what.
 */
int api_call(const struct api *a, const char *method, const char *path, const char *body, size_t len,
	     long *ret_status, char **ret_body, char **ret_error) CV_WUR;

/*
 * Calls and reports: on a 2xx returns CLI_OK with *ret_json parsed; on an
 * API error prints "covalid: <what>: <message> (HTTP n, code)" and returns
 * CLI_USAGE for 4xx, CLI_INTERNAL for 5xx or no answer.
 */
int api_request(const struct api *a, const char *what, const char *method, const char *path, const char *body,
		size_t len, void **ret_json);

/*
 * What the commands print of an answer is other parties' text: a case's
 * title, a note, a name, an error message echoing a request.  None of it
 * reaches the terminal raw (an ESC or CSI sequence could clear the
 * screen, retitle the window or fake output).
 *
 * api_sanitize() makes every string of an answer (json_t *) safe in
 * place: control characters (C0, DEL, C1) and invalid UTF-8 become '?',
 * a tab a space, a newline a newline followed by indent (NULL: a '?').
 * api_print_json() prints an answer as JSON for --json, exactly, but with
 * everything beyond printable ASCII escaped (\uXXXX), DEL included.
 */
void api_sanitize(void *json, const char *indent);
void api_print_json(const void *json);

#endif
