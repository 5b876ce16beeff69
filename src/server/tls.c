/*
 * tls.c - the server's certificate and key for HTTPS (docs/server.md,
 * "TLS"): loaded from PEM files, checked, handed to GnuTLS at each
 * handshake, and reloaded on SIGHUP without touching the listening socket.
 *
 * Why a certificate callback and not MHD_OPTION_HTTPS_MEM_CERT/KEY:
 * libmicrohttpd copies those into its credentials once, at start; the only
 * ways to change them are a new daemon or a callback.  A new daemon on the
 * same listening socket (MHD_quiesce_daemon, then start another) would
 * have to stop the old one, and MHD_stop_daemon closes every connection it
 * holds -- kept-alive clients, and requests suspended on a worker.  With
 * MHD_OPTION_HTTPS_CERT_CALLBACK GnuTLS asks us for the certificate at each
 * handshake, so a reload is one pointer swap: handshakes from then on get
 * the new certificate, connections already set up keep theirs.
 *
 * Lifetime: GnuTLS keeps using what the callback returned for the whole
 * handshake (and the session may refer to it later), and the callback
 * (gnutls_certificate_retrieve_function2) leaves them ours to free.  No
 * generation is therefore freed while the server runs: each reload adds
 * one (a few kilobytes; certificates are renewed every few weeks at the
 * most), and tls_free() frees them all once the daemon has stopped.
 *
 * The callback has no user pointer, so the certificate in service is one
 * per process (tls_activate); a server runs once per process.
 */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "server/server-internal.h"
#include "server/tls.h"
#include "util/cv.h"

/* A PEM file is a few kilobytes; a chain of a dozen certificates, tens. */
#define TLS_FILE_MAX (1024 * 1024)
#define TLS_MAX_CHAIN 16

struct tls_creds {
	struct tls_creds *older;
	gnutls_pcert_st chain[TLS_MAX_CHAIN];
	unsigned n_chain;
	gnutls_privkey_t key;
	char *not_after; /* "YYYY-MM-DDTHH:MM:SSZ", the first certificate's */
	int64_t not_after_s; /* the same, seconds since the epoch (-1: unknown) */
};

struct tls {
	char *cert_path, *key_path;
	/* The generation in service; older ones hang off it (see above). */
	_Atomic(struct tls_creds *) current;
	pthread_mutex_t reload_lock;
	atomic_ulong reloads[2]; /* failed, done */
};

static _Atomic(struct tls *) active;

static void creds_free(struct tls_creds *c)
{
	while (c) {
		struct tls_creds *older = c->older;

		for (unsigned i = 0; i < c->n_chain; i++)
			gnutls_pcert_deinit(&c->chain[i]);
		if (c->key)
			gnutls_privkey_deinit(c->key);
		free(c->not_after);
		free(c);
		c = older;
	}
}

/* The public key of a certificate or of a private key, DER, to compare. */
static int same_public_key(gnutls_pubkey_t cert_pub, gnutls_privkey_t key)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t a = { 0 }, b = { 0 };
	int r = -EINVAL;

	if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) < 0 ||
	    gnutls_pubkey_export2(cert_pub, GNUTLS_X509_FMT_DER, &b) < 0)
		goto out;
	r = a.size == b.size && memcmp(a.data, b.data, a.size) == 0 ? 0 : -EINVAL;
out:
	gnutls_free(a.data);
	gnutls_free(b.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	return r;
}

/* The certificate's notAfter, seconds since the epoch, or -1. */
static int64_t not_after_of(const gnutls_pcert_st *pc)
{
	gnutls_x509_crt_t crt;
	time_t t = (time_t)-1;

	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &pc->cert, GNUTLS_X509_FMT_DER) >= 0)
		t = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return t == (time_t)-1 ? -1 : (int64_t)t;
}

/* Reads and checks one generation; every error names the file. */
static int creds_load(const char *cert_path, const char *key_path, struct tls_creds **ret, char **ret_error)
{
	struct tls_creds *c = cv_xcalloc(1, sizeof(*c));
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	gnutls_datum_t d;
	int r, g;

	r = cv_read_file(cert_path, TLS_FILE_MAX, &cert, &cert_len);
	if (r < 0) {
		*ret_error = cv_xasprintf("%s: %s", cert_path, r == -E2BIG ? "larger than 1 MiB" : strerror(-r));
		goto out;
	}
	r = cv_read_file(key_path, TLS_FILE_MAX, &key, &key_len);
	if (r < 0) {
		*ret_error = cv_xasprintf("%s: %s", key_path, r == -E2BIG ? "larger than 1 MiB" : strerror(-r));
		goto out;
	}
	c->n_chain = TLS_MAX_CHAIN;
	d = (gnutls_datum_t){ (unsigned char *)cert, (unsigned)cert_len };
	/* More than fit is an error, not a chain cut short in silence. */
	g = gnutls_pcert_list_import_x509_raw(c->chain, &c->n_chain, &d, GNUTLS_X509_FMT_PEM,
					      GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED);
	if (g < 0 || c->n_chain == 0) {
		c->n_chain = 0;
		*ret_error = cv_xasprintf("%s: not a PEM certificate (or a chain of at most %d): %s", cert_path,
					  TLS_MAX_CHAIN, g < 0 ? gnutls_strerror(g) : "none in it");
		r = -EINVAL;
		goto out;
	}
	d = (gnutls_datum_t){ (unsigned char *)key, (unsigned)key_len };
	if (gnutls_privkey_init(&c->key) < 0) {
		c->key = NULL;
		*ret_error = cv_xstrdup("GnuTLS could not allocate a key");
		r = -ENOMEM;
		goto out;
	}
	g = gnutls_privkey_import_x509_raw(c->key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		*ret_error = cv_xasprintf("%s: not an unencrypted PEM private key: %s", key_path, gnutls_strerror(g));
		r = -EINVAL;
		goto out;
	}
	if (same_public_key(c->chain[0].pubkey, c->key) < 0) {
		*ret_error = cv_xasprintf("%s: not the private key of the certificate in %s", key_path, cert_path);
		r = -EINVAL;
		goto out;
	}
	c->not_after_s = not_after_of(&c->chain[0]);
	if (c->not_after_s >= 0) {
		char buf[21];

		cv_time_iso8601(c->not_after_s, buf, sizeof(buf));
		c->not_after = cv_xstrdup(buf);
	} else
		c->not_after = cv_xstrdup("?");
	*ret = c;
	c = NULL;
	r = 0;
out:
	if (key)
		explicit_bzero(key, key_len);
	free(key);
	free(cert);
	creds_free(c);
	return r;
}

int tls_new(const char *cert_path, const char *key_path, struct tls **ret, char **ret_error)
{
	struct tls_creds *c = NULL;
	struct tls *t;
	int r;

	r = creds_load(cert_path, key_path, &c, ret_error);
	if (r < 0)
		return r;
	t = cv_xcalloc(1, sizeof(*t));
	t->cert_path = cv_xstrdup(cert_path);
	t->key_path = cv_xstrdup(key_path);
	atomic_init(&t->current, c);
	pthread_mutex_init(&t->reload_lock, NULL);
	*ret = t;
	return 0;
}

int tls_reload(struct tls *t, char **ret_error)
{
	struct tls_creds *c = NULL;
	int r;

	r = creds_load(t->cert_path, t->key_path, &c, ret_error);
	atomic_fetch_add(&t->reloads[r == 0], 1);
	if (r < 0)
		return r; /* the generation in service stays */
	pthread_mutex_lock(&t->reload_lock);
	c->older = atomic_load(&t->current);
	atomic_store(&t->current, c);
	pthread_mutex_unlock(&t->reload_lock);
	return 0;
}

const char *tls_cert_path(const struct tls *t)
{
	return t->cert_path;
}

const char *tls_not_after(struct tls *t)
{
	return atomic_load(&t->current)->not_after;
}

int64_t tls_not_after_s(struct tls *t)
{
	return atomic_load(&t->current)->not_after_s;
}

void tls_reload_counts(struct tls *t, unsigned long *ret_done, unsigned long *ret_failed)
{
	*ret_done = atomic_load(&t->reloads[1]);
	*ret_failed = atomic_load(&t->reloads[0]);
}

void tls_activate(struct tls *t)
{
	atomic_store(&active, t);
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	if (atomic_load(&active) == t)
		atomic_store(&active, NULL);
	creds_free(atomic_load(&t->current));
	pthread_mutex_destroy(&t->reload_lock);
	free(t->cert_path);
	free(t->key_path);
	free(t);
}

/* GnuTLS's gnutls_certificate_retrieve_function2, at each handshake. */
int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
		 const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **ret_chain,
		 unsigned int *ret_n, gnutls_privkey_t *ret_key)
{
	struct tls *t = atomic_load(&active);
	struct tls_creds *c = t ? atomic_load(&t->current) : NULL;

	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!c)
		return -1; /* the handshake fails: no certificate in service */
	*ret_chain = c->chain;
	*ret_n = c->n_chain;
	*ret_key = c->key;
	return 0;
}

bool tls_send_direct(struct MHD_Connection *conn, int fd, const char *data, size_t len, uint64_t until_ns)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = ci ? ci->tls_session : NULL;
	size_t off = 0;

	if (!session)
		return false; /* not TLS: the caller writes to the socket */
	/* The session is MHD's, driven by this event thread; a record
	 * written between MHD's own calls is what MHD would have written.
	 * The socket is non-blocking: wait for room, but not for long. */
	while (off < len && cv_now_ns() < until_ns) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = gnutls_record_send(session, data + off, len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
			break;
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			break;
	}
	return true;
}
