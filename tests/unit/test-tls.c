/*
 * test-tls.c - the server's certificate and key (tls.c; docs/server.md,
 * "TLS"): what is read from the PEM files, what the handshake callback
 * hands GnuTLS, and a reload that swaps the certificate, or keeps it when
 * the files are bad.  The certificates are made here with GnuTLS's own
 * calls (self-signed P-256, a fixed notAfter); t4008 does the same with
 * openssl against the running server.
 */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "server/tls.h"
#include "tap.h"
#include "util/cv.h"

/* `date -u -d @1893456000 +%FT%TZ` is 2030-01-01T00:00:00Z. */
#define NOT_AFTER_S 1893456000
#define NOT_AFTER "2030-01-01T00:00:00Z"

struct pem {
	char *cert, *key; /* PEM text, NUL-terminated */
	gnutls_datum_t der; /* the certificate, DER, to compare with what is served */
};

static void pem_release(struct pem *p)
{
	free(p->cert);
	free(p->key);
	gnutls_free(p->der.data);
	memset(p, 0, sizeof(*p));
}

static char *dup_datum(const gnutls_datum_t *d)
{
	return cv_xstrndup((const char *)d->data, d->size);
}

/* A self-signed certificate for cn with a new key, expiring at NOT_AFTER. */
static int make_cert(const char *cn, struct pem *ret)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = { 0 };
	unsigned char serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int r = -1;

	memset(ret, 0, sizeof(*ret));
	serial[7] = (unsigned char)cn[0];
	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 || gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, 1600000000) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, NOT_AFTER_S) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 || gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
		goto out;
	ret->cert = dup_datum(&d);
	gnutls_free(d.data);
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
		goto out;
	ret->key = dup_datum(&d);
	gnutls_free(d.data);
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &ret->der) < 0)
		goto out;
	r = 0;
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "GnuTLS could not make a certificate for the test");
	return r;
}

static char *put(const char *name, const char *text)
{
	char *path = cv_xasprintf("%s/%s", tap_tmpdir(), name);

	if (cv_write_file_atomic(path, text, strlen(text), 0600) < 0)
		tap_fail(__FILE__, __LINE__, "cannot write %s", path);
	return path;
}

/* What a handshake would be handed now. */
static int served(gnutls_pcert_st **ret_chain, unsigned *ret_n, gnutls_privkey_t *ret_key)
{
	return tls_retrieve(NULL, NULL, 0, NULL, 0, ret_chain, ret_n, ret_key);
}

static bool serves(const struct pem *p)
{
	gnutls_pcert_st *chain = NULL;
	gnutls_privkey_t key = NULL;
	unsigned n = 0;

	return served(&chain, &n, &key) == 0 && n >= 1 && key && chain[0].cert.size == p->der.size &&
	       memcmp(chain[0].cert.data, p->der.data, p->der.size) == 0;
}

TEST(a_certificate_and_its_key_are_read_and_handed_to_each_handshake)
{
	struct pem one;
	struct tls *t = NULL;
	char *err = NULL, *cert, *key;
	gnutls_pcert_st *chain = NULL;
	gnutls_privkey_t pk = NULL;
	unsigned n = 0;

	if (make_cert("one", &one) < 0)
		return;
	cert = put("one.pem", one.cert);
	key = put("one.key", one.key);
	CHECK_INT(tls_new(cert, key, &t, &err), 0);
	if (!t) {
		tap_fail(__FILE__, __LINE__, "%s", err);
		goto out;
	}
	CHECK_STR(tls_cert_path(t), cert);
	CHECK_STR(tls_not_after(t), NOT_AFTER);
	CHECK_INT(tls_not_after_s(t), NOT_AFTER_S);
	/* Not active: a handshake gets nothing (and fails). */
	CHECK(served(&chain, &n, &pk) < 0);
	tls_activate(t);
	CHECK(serves(&one));
	CHECK_INT(served(&chain, &n, &pk), 0);
	CHECK_INT(n, 1);
out:
	tls_free(t);
	CHECK(served(&chain, &n, &pk) < 0); /* freed: no longer active */
	free(cert);
	free(key);
	free(err);
	pem_release(&one);
}

TEST(a_chain_is_served_whole)
{
	struct pem one, two;
	struct tls *t = NULL;
	char *err = NULL, *both, *cert, *key;
	gnutls_pcert_st *chain = NULL;
	gnutls_privkey_t pk = NULL;
	unsigned n = 0;

	if (make_cert("one", &one) < 0 || make_cert("two", &two) < 0)
		return;
	/* The server's certificate first, then what vouches for it. */
	both = cv_xasprintf("%s%s", one.cert, two.cert);
	cert = put("chain.pem", both);
	key = put("one.key", one.key);
	CHECK_INT(tls_new(cert, key, &t, &err), 0);
	tls_activate(t);
	CHECK_INT(served(&chain, &n, &pk), 0);
	CHECK_INT(n, 2);
	CHECK(serves(&one));
	tls_free(t);
	free(both);
	free(cert);
	free(key);
	free(err);
	pem_release(&one);
	pem_release(&two);
}

/* tls_new fails with r, and its message names path and says why. */
static void refused(const char *cert, const char *key, int r, const char *path, const char *why)
{
	struct tls *t = NULL;
	char *err = NULL;

	CHECK_INT(tls_new(cert, key, &t, &err), r);
	CHECK(t == NULL);
	if (!err || strncmp(err, path, strlen(path)) != 0 || !strstr(err, why))
		tap_fail(__FILE__, __LINE__, "error '%s': expected one naming %s, saying '%s'", err ? err : "(none)",
			 path, why);
	tls_free(t);
	free(err);
}

TEST(bad_files_are_refused_naming_the_file)
{
	struct pem one, two;
	char *cert, *key, *key2, *junk, *none, *many, *big;
	struct cv_buf b;

	if (make_cert("one", &one) < 0 || make_cert("two", &two) < 0)
		return;
	cert = put("one.pem", one.cert);
	key = put("one.key", one.key);
	key2 = put("two.key", two.key);
	junk = put("junk.pem", "-----BEGIN NOTHING-----\nxx\n-----END NOTHING-----\n");
	none = cv_xasprintf("%s/none.pem", tap_tmpdir());
	refused(none, key, -ENOENT, none, "No such file");
	refused(cert, none, -ENOENT, none, "No such file");
	refused(junk, key, -EINVAL, junk, "not a PEM certificate");
	refused(cert, junk, -EINVAL, junk, "not an unencrypted PEM private key");
	refused(cert, cert, -EINVAL, cert, "not an unencrypted PEM private key");
	refused(cert, key2, -EINVAL, key2, "not the private key of the certificate in");
	/* At most 16 certificates in a chain. */
	cv_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 17; i++)
		(void)!cv_buf_append(&b, one.cert, strlen(one.cert));
	(void)!cv_buf_append(&b, "", 1);
	many = put("many.pem", b.data);
	refused(many, key, -EINVAL, many, "at most 16");
	cv_buf_release(&b);
	/* At most 1 MiB a file. */
	cv_buf_init(&b, SIZE_MAX);
	while (b.len < 1024 * 1024 + 1)
		(void)!cv_buf_append(&b, one.cert, strlen(one.cert));
	(void)!cv_buf_append(&b, "", 1);
	big = put("big.pem", b.data);
	refused(big, key, -E2BIG, big, "larger than 1 MiB");
	cv_buf_release(&b);
	free(cert);
	free(key);
	free(key2);
	free(junk);
	free(none);
	free(many);
	free(big);
	pem_release(&one);
	pem_release(&two);
}

TEST(a_reload_swaps_the_certificate_or_keeps_it_when_the_files_are_bad)
{
	struct pem one, two;
	struct tls *t = NULL;
	char *err = NULL, *cert, *key;
	unsigned long done = 9, failed = 9;

	if (make_cert("one", &one) < 0 || make_cert("two", &two) < 0)
		return;
	cert = put("cert.pem", one.cert);
	key = put("key.pem", one.key);
	CHECK_INT(tls_new(cert, key, &t, &err), 0);
	if (!t)
		goto out;
	tls_activate(t);
	CHECK(serves(&one));

	free(put("cert.pem", two.cert));
	free(put("key.pem", two.key));
	CHECK_INT(tls_reload(t, &err), 0);
	CHECK(serves(&two));
	CHECK(!serves(&one));

	/* Bad files: an error naming the file, and the certificate in service stays. */
	free(put("cert.pem", "junk\n"));
	CHECK_INT(tls_reload(t, &err), -EINVAL);
	CHECK(err && strncmp(err, cert, strlen(cert)) == 0);
	free(err);
	err = NULL;
	CHECK(serves(&two));
	free(put("cert.pem", one.cert)); /* key.pem is two's */
	CHECK_INT(tls_reload(t, &err), -EINVAL);
	CHECK(err && strncmp(err, key, strlen(key)) == 0 && strstr(err, "not the private key"));
	CHECK(serves(&two));
	tls_reload_counts(t, &done, &failed);
	CHECK_INT(done, 1);
	CHECK_INT(failed, 2);
out:
	tls_free(t);
	free(err);
	free(cert);
	free(key);
	pem_release(&one);
	pem_release(&two);
}

TAP_MAIN(a_certificate_and_its_key_are_read_and_handed_to_each_handshake, a_chain_is_served_whole,
	 bad_files_are_refused_naming_the_file, a_reload_swaps_the_certificate_or_keeps_it_when_the_files_are_bad)
