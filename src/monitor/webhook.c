/*
 * webhook.c - what a webhook is allowed to be and how its deliveries are
 * signed and spaced (docs/webhooks.md): URL and secret checks, the event
 * kinds, the HMAC-SHA256 signature, the retry schedule.  Pure functions:
 * webhook-api.c and the server's deliverer use them.
 */
#include <sodium.h>

#include "covalid/monitor.h"
#include "util/cv.h"

bool monitor_event_kind_known(const char *kind)
{
	return kind && *kind && !strchr(kind, ' ') && cv_word_in(MONITOR_EVENT_KINDS, kind);
}

/*
 * The authority of an http(s) URL (RFC 3986 §3.2): [userinfo@]host[:port].
 * A userinfo is refused, not stripped: a password in a URL ends up in
 * logs and in the delivery log's errors (and RFC 3986 §3.2.1 deprecates
 * "user:password" in it).
 */
static int check_authority(const char *a, size_t n, const char **ret_why)
{
	const char *port = NULL, *host_end = a + n;
	uint64_t p;
	char digits[8];

	if (memchr(a, '@', n)) {
		*ret_why = "url: no user or password in the URL (the secret signs the deliveries)";
		return -EINVAL;
	}
	if (n && a[0] == '[') { /* an IPv6 literal */
		const char *close = memchr(a, ']', n);

		if (!close || close == a + 1) {
			*ret_why = "url: an IPv6 host is [ADDRESS]";
			return -EINVAL;
		}
		if (close + 1 < a + n) {
			if (close[1] != ':') {
				*ret_why = "url: after [ADDRESS], only :PORT";
				return -EINVAL;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', n);

		if (colon) {
			port = colon + 1;
			host_end = colon;
		}
		if (host_end == a) {
			*ret_why = "url: no host (http://HOST[:PORT]/PATH)";
			return -EINVAL;
		}
	}
	if (port) {
		size_t pn = (size_t)(a + n - port);

		if (pn == 0 || pn >= sizeof(digits)) {
			*ret_why = "url: the port is 1 to 65535";
			return -EINVAL;
		}
		memcpy(digits, port, pn);
		digits[pn] = '\0';
		if (cv_parse_u64(digits, 10, &p) < 0 || p < 1 || p > 65535) {
			*ret_why = "url: the port is 1 to 65535";
			return -EINVAL;
		}
	}
	return 0;
}

int monitor_webhook_check_url(const char *url, const char **ret_why)
{
	size_t len, skip, n;
	const char *a;

	if (!url || !*url) {
		*ret_why = "url: required, http:// or https://";
		return -EINVAL;
	}
	len = strlen(url);
	if (len > MONITOR_WEBHOOK_URL_MAX) {
		*ret_why = "url: at most 2048 bytes";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
			*ret_why = "url: no spaces or control characters (percent-encode them)";
			return -EINVAL;
		}
	if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else {
		*ret_why = "url: http:// or https:// only";
		return -EINVAL;
	}
	a = url + skip;
	n = strcspn(a, "/?#");
	if (n == 0) {
		*ret_why = "url: no host (http://HOST[:PORT]/PATH)";
		return -EINVAL;
	}
	return check_authority(a, n, ret_why);
}

_Static_assert(MONITOR_WEBHOOK_URL_MAX == 2048, "the message above names it");

int monitor_webhook_check_secret(const char *secret, size_t len, const char **ret_why)
{
	if (!secret || len < MONITOR_WEBHOOK_SECRET_MIN) {
		*ret_why = "secret: at least 16 bytes (e.g. head -c 32 /dev/urandom | base64)";
		return -EINVAL;
	}
	if (len > MONITOR_WEBHOOK_SECRET_MAX) {
		*ret_why = "secret: at most 1024 bytes";
		return -EINVAL;
	}
	if (memchr(secret, '\0', len)) {
		*ret_why = "secret: no NUL bytes";
		return -EINVAL;
	}
	return 0;
}

_Static_assert(MONITOR_WEBHOOK_SECRET_MIN == 16 && MONITOR_WEBHOOK_SECRET_MAX == 1024, "the messages above name them");

void monitor_webhook_sign(const void *key, size_t key_len, const void *body, size_t len,
			  char ret_header[MONITOR_SIGNATURE_SIZE])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	/* HMAC (RFC 2104) takes a key of any length: one longer than the
	 * hash's block is hashed first, which libsodium's _init does. */
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(ret_header, "sha256=", 7);
	sodium_bin2hex(ret_header + 7, MONITOR_SIGNATURE_SIZE - 7, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

int64_t monitor_webhook_backoff_ms(int64_t attempts, int64_t base_ms, uint32_t jitter)
{
	int64_t d = base_ms > 0 ? base_ms : 1, spread;

	for (int64_t i = 1; i < attempts && d < MONITOR_WEBHOOK_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > MONITOR_WEBHOOK_BACKOFF_CAP_MS)
		d = MONITOR_WEBHOOK_BACKOFF_CAP_MS;
	/* Up to a tenth either way: d - d/10 + (0 .. d/5). */
	spread = d / 5;
	if (spread > 0)
		d = d - d / 10 + (int64_t)(jitter % (uint64_t)(spread + 1));
	return d < MONITOR_WEBHOOK_BACKOFF_CAP_MS ? d : MONITOR_WEBHOOK_BACKOFF_CAP_MS;
}
