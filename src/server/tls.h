/*
 * tls.h - the server's certificate and key for HTTPS (tls.c; docs/server.md,
 * "TLS").  A struct tls holds the PEM files' paths and the certificate in
 * service; tls_reload() reads the files again and swaps it in, keeping the
 * old one if the files are bad.  Thread-safety: tls_retrieve() runs on any
 * event thread at any time, tls_reload() on one thread (the main loop's).
 */
#ifndef COVALID_SERVER_TLS_H
#define COVALID_SERVER_TLS_H

#include <gnutls/abstract.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

struct MHD_Connection;
struct tls;

/* Reads and checks cert_path (a PEM certificate, then its chain) and
 * key_path (its unencrypted PEM private key).  Errors name the file. */
int tls_new(const char *cert_path, const char *key_path, struct tls **ret, char **ret_error) CV_WUR;
/* Reads the same files again: the new certificate serves the handshakes
 * from now on; on an error the one in service stays.  Errors name the file. */
int tls_reload(struct tls *t, char **ret_error) CV_WUR;
const char *tls_cert_path(const struct tls *t);
/* The certificate in service's expiry, "YYYY-MM-DDTHH:MM:SSZ" ("?" if
 * unreadable), and the same in seconds since the epoch (-1). */
const char *tls_not_after(struct tls *t);
int64_t tls_not_after_s(struct tls *t);
/* SIGHUP reloads so far, done and failed (the old certificate kept). */
void tls_reload_counts(struct tls *t, unsigned long *ret_done, unsigned long *ret_failed);
/* The one whose certificate tls_retrieve() hands out (NULL: none). */
void tls_activate(struct tls *t);
/* After the daemon has stopped; NULL does nothing. */
void tls_free(struct tls *t);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK: the active certificate, at each handshake. */
gnutls_certificate_retrieve_function2 tls_retrieve;

/*
 * Writes data to a TLS connection's session, waiting until until_ns at
 * the most (guard_send_direct); false if conn is not TLS, for the caller
 * to write to the socket fd itself.
 */
bool tls_send_direct(struct MHD_Connection *conn, int fd, const char *data, size_t len, uint64_t until_ns);

#endif
