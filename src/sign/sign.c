/*
 * sign.c - Ed25519 keys and detached signatures with libsodium (see
 * covalid/sign.h).
 */
#include <sodium.h>

#include "covalid/sign.h"
#include "util/cv.h"

#define SECRET_HEADER "covalid-ed25519-secret-key\n"
#define PUBLIC_PREFIX "ed25519:"
#define KEY_FILE_MAX 4096

int sign_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

static void key_id(struct sign_key *k)
{
	uint8_t h[32];
	static const char hex[] = "0123456789abcdef";

	crypto_generichash(h, sizeof(h), k->pk, sizeof(k->pk), NULL, 0);
	for (int i = 0; i < SIGN_KEY_ID_CHARS / 2; i++) {
		k->id[2 * i] = hex[h[i] >> 4];
		k->id[2 * i + 1] = hex[h[i] & 15];
	}
	k->id[SIGN_KEY_ID_CHARS] = '\0';
}

int sign_key_generate(struct sign_key *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (crypto_sign_keypair(ret->pk, ret->sk) != 0)
		return -EIO;
	ret->have_secret = true;
	key_id(ret);
	return 0;
}

void sign_key_release(struct sign_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

char *sign_base64_encode(const void *data, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = cv_xmalloc(n);

	sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

int sign_base64_decode(const char *text, void *out, size_t len)
{
	size_t got = 0;
	const char *end = NULL;

	if (!text || sodium_base642bin(out, len, text, strlen(text), NULL, &got, &end,
				       sodium_base64_VARIANT_ORIGINAL) != 0 || got != len || (end && *end))
		return -EINVAL;
	return 0;
}

char *sign_key_public_string(const struct sign_key *k)
{
	char *b = sign_base64_encode(k->pk, sizeof(k->pk));
	char *s = cv_xasprintf(PUBLIC_PREFIX "%s", b);

	free(b);
	return s;
}

int sign_key_save(const struct sign_key *k, const char *path)
{
	uint8_t seed[SIGN_SEED_BYTES];
	char *b, *text, *pub, *pubpath;
	int r;

	if (!k->have_secret)
		return -EINVAL;
	crypto_sign_ed25519_sk_to_seed(seed, k->sk);
	b = sign_base64_encode(seed, sizeof(seed));
	text = cv_xasprintf(SECRET_HEADER "%s\n", b);
	r = cv_write_file_atomic(path, text, strlen(text), 0600);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b, strlen(b));
	sodium_memzero(text, strlen(text));
	free(b);
	free(text);
	if (r < 0)
		return r;
	pub = sign_key_public_string(k);
	text = cv_xasprintf("%s\n", pub);
	pubpath = cv_xasprintf("%s.pub", path);
	r = cv_write_file_atomic(pubpath, text, strlen(text), 0644);
	free(pub);
	free(text);
	free(pubpath);
	return r;
}

int sign_key_load_secret(const char *path, struct sign_key *ret, char **ret_why)
{
	uint8_t seed[SIGN_SEED_BYTES];
	char *text = NULL;
	size_t len;
	int r;

	r = cv_read_file(path, KEY_FILE_MAX, &text, &len);
	if (r < 0) {
		*ret_why = cv_xstrdup(r == -E2BIG ? "too large to be a key file" : strerror(-r));
		return r;
	}
	if (!cv_startswith(text, SECRET_HEADER)) {
		*ret_why = cv_xstrdup("not a covalid secret key (covalid key generate makes one)");
		r = -EINVAL;
		goto out;
	}
	cv_strstrip(text + strlen(SECRET_HEADER));
	if (sign_base64_decode(text + strlen(SECRET_HEADER), seed, sizeof(seed)) < 0) {
		*ret_why = cv_xstrdup("the key is not 32 bytes of base64");
		r = -EINVAL;
		goto out;
	}
	memset(ret, 0, sizeof(*ret));
	if (crypto_sign_seed_keypair(ret->pk, ret->sk, seed) != 0) {
		r = -EIO;
		*ret_why = cv_xstrdup("libsodium refused the seed");
		goto out;
	}
	ret->have_secret = true;
	key_id(ret);
	r = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(text, len);
	free(text);
	return r;
}

int sign_key_parse_public(const char *text, struct sign_key *ret, char **ret_why)
{
	char *copy = cv_strstrip(cv_xstrdup(text));
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!cv_startswith(copy, PUBLIC_PREFIX)) {
		*ret_why = cv_xstrdup("not a public key (expected ed25519:BASE64)");
		r = -EINVAL;
	} else if (sign_base64_decode(copy + strlen(PUBLIC_PREFIX), ret->pk, sizeof(ret->pk)) < 0) {
		*ret_why = cv_xstrdup("the public key is not 32 bytes of base64");
		r = -EINVAL;
	} else if (sodium_is_zero(ret->pk, sizeof(ret->pk)) || !crypto_core_ed25519_is_valid_point(ret->pk)) {
		/*
		 * All zeros, a point of small order or a non-canonical
		 * encoding: no key pair makes one, and signatures "by" it
		 * prove nothing (libsodium's verify refuses them anyway).
		 * Registering one would be a mistake or a probe; say so at
		 * once rather than at the first submission.
		 */
		*ret_why = cv_xstrdup("not a valid Ed25519 public key (all zeros, a small-order point or a "
				      "non-canonical encoding)");
		memset(ret, 0, sizeof(*ret));
		r = -EINVAL;
	} else
		key_id(ret);
	free(copy);
	return r;
}

int sign_key_load_public(const char *path_or_key, struct sign_key *ret, char **ret_why)
{
	char *text = NULL;
	size_t len;
	int r;

	if (cv_startswith(path_or_key, PUBLIC_PREFIX))
		return sign_key_parse_public(path_or_key, ret, ret_why);
	r = cv_read_file(path_or_key, KEY_FILE_MAX, &text, &len);
	if (r < 0) {
		*ret_why = cv_xstrdup(r == -E2BIG ? "too large to be a key file" : strerror(-r));
		return r;
	}
	r = sign_key_parse_public(text, ret, ret_why);
	free(text);
	return r;
}

int sign_detached(const struct sign_key *k, const void *msg, size_t len, uint8_t sig[SIGN_BYTES])
{
	if (!k->have_secret)
		return -EINVAL;
	return crypto_sign_detached(sig, NULL, msg, len, k->sk) == 0 ? 0 : -EIO;
}

bool sign_verify_detached(const uint8_t pk[SIGN_PUBLIC_BYTES], const void *msg, size_t len,
			  const uint8_t sig[SIGN_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}
