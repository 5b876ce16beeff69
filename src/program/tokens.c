/*
 * tokens.c - API tokens: random, shown once, stored as a keyed BLAKE2b
 * hash (see covalid/program.h).
 *
 * A token is 32 random bytes, base64url, prefixed "cv_" so that secret
 * scanners recognise it.  What the database keeps is BLAKE2b-256 of the
 * token keyed with a per-database random key: a leaked table of hashes
 * cannot be used to log in, and with 256-bit tokens a slow password hash
 * (argon2id) would buy nothing.  Lookup is by hash, so the comparison is
 * the database's equality on a value the attacker cannot choose.
 */
#include <sodium.h>
#include <time.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "program/program-internal.h"
#include "util/cv.h"

#define TOKEN_BYTES 32
#define TOKEN_KEY_SETTING "token_hash_key"

void program_token_new(char **ret_token, char **ret_id)
{
	uint8_t raw[TOKEN_BYTES], idraw[6];
	char b64[sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char hex[2 * sizeof(idraw) + 1];

	randombytes_buf(raw, sizeof(raw));
	randombytes_buf(idraw, sizeof(idraw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2hex(hex, sizeof(hex), idraw, sizeof(idraw));
	*ret_token = cv_xasprintf("cv_%s", b64);
	*ret_id = cv_xasprintf("tok_%s", hex);
	sodium_memzero(raw, sizeof(raw));
}

/* The database's hashing key, made on first use. */
static int token_key(struct store *s, uint8_t key[crypto_generichash_KEYBYTES])
{
	char *hex = NULL;
	size_t n = 0;
	int r;

	/* Read on every request: kept per connection (it never changes). */
	r = store_setting_get_fixed(s, TOKEN_KEY_SETTING, &hex);
	if (r == -ENOENT) {
		char buf[2 * crypto_generichash_KEYBYTES + 1];

		randombytes_buf(key, crypto_generichash_KEYBYTES);
		sodium_bin2hex(buf, sizeof(buf), key, crypto_generichash_KEYBYTES);
		return store_setting_put(s, TOKEN_KEY_SETTING, buf);
	}
	if (r < 0)
		return r;
	if (sodium_hex2bin(key, crypto_generichash_KEYBYTES, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != crypto_generichash_KEYBYTES)
		r = -EBADMSG;
	sodium_memzero(hex, strlen(hex));
	free(hex);
	return r;
}

int program_token_hash(struct store *s, const char *token, char **ret_hash)
{
	uint8_t key[crypto_generichash_KEYBYTES], h[32];
	char hex[2 * sizeof(h) + 1];
	int r;

	r = token_key(s, key);
	if (r < 0)
		return r;
	crypto_generichash(h, sizeof(h), (const uint8_t *)token, strlen(token), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	*ret_hash = cv_xstrdup(hex);
	return 0;
}

int program_authenticate(struct store *s, const char *bearer, struct program_auth *ret, struct program_error *err)
{
	struct store_token_row *t = NULL;
	char *hash = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!bearer || !cv_startswith(bearer, "cv_") || strlen(bearer) > 128) {
		program_error_set(err, 401, "unauthorized", "a valid bearer token is required");
		return -EACCES;
	}
	r = program_token_hash(s, bearer, &hash);
	if (r < 0) {
		program_error_set(err, 500, "internal", "cannot check the token: %s", store_errmsg(s));
		return r;
	}
	r = store_token_find(s, hash, &t);
	free(hash);
	if (r == -ENOENT) {
		program_error_set(err, 401, "unauthorized", "unknown or revoked token");
		return -EACCES;
	}
	if (r < 0) {
		program_error_set(err, 500, "internal", "cannot check the token: %s", store_errmsg(s));
		return r;
	}
	if (t->expires_at) {
		char now[21];

		/* Both "YYYY-MM-DDTHH:MM:SSZ": string order is time order.
		 * Expired at the second it names, as a revoked token is. */
		cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
		if (strcmp(now, t->expires_at) >= 0) {
			program_error_set(err, 401, "unauthorized", "the token expired at %s", t->expires_at);
			store_token_free(t);
			return -EACCES;
		}
	}
	ret->admin = strcmp(t->role, "admin") == 0;
	ret->role = cv_xstrdup(t->role);
	ret->vendor_id = t->vendor_id ? cv_xstrdup(t->vendor_id) : NULL;
	ret->customer_id = t->customer_id ? cv_xstrdup(t->customer_id) : NULL;
	ret->name = t->name ? cv_xstrdup(t->name) : NULL;
	ret->token_id = cv_xstrdup(t->id);
	store_token_free(t);
	return 0;
}

void program_auth_release(struct program_auth *a)
{
	free(a->role);
	free(a->vendor_id);
	free(a->customer_id);
	free(a->name);
	free(a->token_id);
	memset(a, 0, sizeof(*a));
}

static const struct {
	const char *stored, *name;
} roles[] = {
	{ "admin", "owner" },
	{ "vendor", "vendor-engineer" },
	{ "vendor-manager", "vendor-manager" },
	{ "customer", "customer-admin" },
};

const char *program_role_name(const char *role)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(roles); i++)
		if (cv_streq(role, roles[i].stored))
			return roles[i].name;
	return role;
}

static const char *stored_role(const char *role)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(roles); i++)
		if (cv_streq(role, roles[i].stored) || cv_streq(role, roles[i].name))
			return roles[i].stored;
	return NULL;
}

static int issue(struct store *s, const struct store_token_row *row, char **ret_token, char **ret_id,
		 struct program_error *err)
{
	struct store_token_row t = *row;
	char *token = NULL, *id = NULL, *hash = NULL;
	int r;

	program_token_new(&token, &id);
	t.id = id;
	/* One transaction: the first token also creates the hashing key. */
	r = program_txn_begin(s, err);
	if (r == 0) {
		r = program_token_hash(s, token, &hash);
		if (r == 0)
			r = store_token_add(s, hash, &t);
		if (r < 0)
			program_error_set(err, 500, "internal", "cannot store the token: %s", store_errmsg(s));
		r = program_txn_end(s, r, err);
	}
	free(hash);
	if (r < 0) {
		sodium_memzero(token, strlen(token));
		free(token);
		free(id);
		return r;
	}
	*ret_token = token;
	*ret_id = id;
	return 0;
}

int program_token_expiry(const char *text, int64_t now, char ret[static 21], struct program_error *err)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	const int64_t max = (int64_t)PROGRAM_TOKEN_MAX_DAYS * 86400;
	int64_t at = 0, n = 0;
	size_t len = text ? strlen(text) : 0;

	if (len >= 2 && len <= 12 && strspn(text, "0123456789") == len - 1) {
		for (size_t i = 0; i < CV_ELEMENTSOF(units); i++)
			if (text[len - 1] == units[i].unit) {
				char digits[16];

				memcpy(digits, text, len - 1);
				digits[len - 1] = '\0';
				if (cv_parse_i64(digits, 10, &n) == 0 && n > 0 && n <= max / units[i].seconds)
					at = now + n * units[i].seconds;
				else
					n = -1;
			}
		if (at == 0) {
			program_error_set(err, 400, "invalid_field",
					  "expires: a duration is 1 to %d days, in s, m, h or d (\"90d\")",
					  PROGRAM_TOKEN_MAX_DAYS);
			return -EINVAL;
		}
	} else if (cv_time_parse(text, &at) < 0) {
		program_error_set(err, 400, "invalid_field",
				  "expires: YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD, or a duration such as 90d");
		return -EINVAL;
	} else if (at <= now) {
		program_error_set(err, 400, "invalid_field", "expires: %s is not in the future", text);
		return -EINVAL;
	} else if (at - now > max) {
		program_error_set(err, 400, "invalid_field", "expires: %s is more than %d days ahead", text,
				  PROGRAM_TOKEN_MAX_DAYS);
		return -EINVAL;
	}
	cv_time_iso8601(at, ret, 21);
	return 0;
}

int program_token_issue(struct store *s, const char *vendor_id, const char *description, char **ret_token,
			char **ret_id, struct program_error *err)
{
	return program_token_issue_until(s, vendor_id, description, NULL, ret_token, ret_id, err);
}

int program_token_issue_until(struct store *s, const char *vendor_id, const char *description,
			      const char *expires_at, char **ret_token, char **ret_id, struct program_error *err)
{
	struct store_token_row t = { .role = vendor_id ? "vendor" : "admin", .vendor_id = vendor_id,
				     .name = description, .description = description, .expires_at = expires_at };

	if (vendor_id && store_vendor_get(s, vendor_id, NULL) == -ENOENT) {
		program_error_set(err, 404, "unknown_vendor", "no vendor '%s'", vendor_id);
		return -ENOENT;
	}
	return issue(s, &t, ret_token, ret_id, err);
}

int program_user_add(struct store *s, const char *name, const char *role, const char *org_id, char **ret_token,
		     char **ret_id, struct program_error *err)
{
	return program_user_add_until(s, name, role, org_id, NULL, ret_token, ret_id, err);
}

int program_user_add_until(struct store *s, const char *name, const char *role, const char *org_id,
			   const char *expires_at, char **ret_token, char **ret_id, struct program_error *err)
{
	const char *r = stored_role(role);
	struct store_token_row t = { .role = r, .name = name, .description = name, .expires_at = expires_at };

	if (!name || !*name || strlen(name) > 128 || !cv_str_is_clean_utf8(name, strlen(name))) {
		program_error_set(err, 400, "invalid_field", "name: 1 to 128 printable characters");
		return -EINVAL;
	}
	if (!r) {
		program_error_set(err, 400, "invalid_field",
				  "role: one of owner, vendor-engineer, vendor-manager, customer-admin");
		return -EINVAL;
	}
	if (strcmp(r, "admin") == 0) {
		if (org_id) {
			program_error_set(err, 400, "invalid_field", "the owner belongs to no vendor or customer");
			return -EINVAL;
		}
	} else if (!org_id) {
		program_error_set(err, 400, "invalid_field", "role %s needs its %s", role,
				  strcmp(r, "customer") == 0 ? "customer" : "vendor");
		return -EINVAL;
	} else if (strcmp(r, "customer") == 0) {
		if (store_customer_get(s, org_id, NULL) == -ENOENT) {
			program_error_set(err, 404, "unknown_customer", "no customer '%s'", org_id);
			return -ENOENT;
		}
		t.customer_id = org_id;
	} else {
		if (store_vendor_get(s, org_id, NULL) == -ENOENT) {
			program_error_set(err, 404, "unknown_vendor", "no vendor '%s'", org_id);
			return -ENOENT;
		}
		t.vendor_id = org_id;
	}
	return issue(s, &t, ret_token, ret_id, err);
}

int program_token_revoke(struct store *s, const char *id, struct program_error *err)
{
	int r = program_txn_begin(s, err);

	if (r < 0)
		return r;
	r = store_token_revoke(s, id);
	if (r == -ENOENT)
		program_error_set(err, 404, "not_found", "no such token, or it is revoked already");
	else if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	return program_txn_end(s, r, err);
}
