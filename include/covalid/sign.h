/*
 * covalid/sign.h - Ed25519 keys and signatures (libsodium).
 *
 * Key files are text:
 *   secret  "covalid-ed25519-secret-key\n<base64 of the 32-byte seed>\n", mode 0600
 *   public  "ed25519:<base64 of the 32-byte public key>\n"
 * A key id is the first 16 hex digits of BLAKE2b-256 of the public key:
 * short enough to read aloud, long enough not to collide in a program.
 *
 * sign_init() must be called once before anything else (it calls
 * sodium_init(), which is thread-safe and idempotent).  Functions are
 * thread-safe.  Secret keys are wiped when released.
 */
#ifndef COVALID_SIGN_H
#define COVALID_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covalid/util.h"

#define SIGN_PUBLIC_BYTES 32
#define SIGN_SECRET_BYTES 64
#define SIGN_SEED_BYTES 32
#define SIGN_BYTES 64
#define SIGN_KEY_ID_CHARS 16

struct sign_key {
	uint8_t pk[SIGN_PUBLIC_BYTES];
	uint8_t sk[SIGN_SECRET_BYTES];
	bool have_secret;
	char id[SIGN_KEY_ID_CHARS + 1];
};

int sign_init(void) CV_WUR;

int sign_key_generate(struct sign_key *ret) CV_WUR;
/* Wipes the secret part. */
void sign_key_release(struct sign_key *k);

/* Writes path (secret, 0600) and path.pub (public), durably. */
int sign_key_save(const struct sign_key *k, const char *path) CV_WUR;
/* Loads a secret key file; *ret_why says what is wrong with a bad one. */
int sign_key_load_secret(const char *path, struct sign_key *ret, char **ret_why) CV_WUR;
/* Parses "ed25519:BASE64" (a line of a .pub file, or the string itself). */
int sign_key_parse_public(const char *text, struct sign_key *ret, char **ret_why) CV_WUR;
/* Loads a public key from a file, or takes the argument as the key itself. */
int sign_key_load_public(const char *path_or_key, struct sign_key *ret, char **ret_why) CV_WUR;
/* "ed25519:BASE64" */
char *sign_key_public_string(const struct sign_key *k);

/* Detached signatures over msg. */
int sign_detached(const struct sign_key *k, const void *msg, size_t len, uint8_t sig[SIGN_BYTES]) CV_WUR;
bool sign_verify_detached(const uint8_t pk[SIGN_PUBLIC_BYTES], const void *msg, size_t len,
			  const uint8_t sig[SIGN_BYTES]);

/* Standard base64 with padding. */
char *sign_base64_encode(const void *data, size_t len);
/* -EINVAL if text is not base64 of exactly len bytes. */
int sign_base64_decode(const char *text, void *out, size_t len) CV_WUR;

#endif
