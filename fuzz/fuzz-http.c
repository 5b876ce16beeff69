/*
 * fuzz-http.c - libFuzzer target: the program server's request path, from
 * what libmicrohttpd hands over (method, path, query, headers, body)
 * through framing checks, routing, authentication, the cache and the
 * worker pool to every handler and the store, in-process
 * (fuzz/harness-http.h).
 *
 * Input: one byte choosing who asks (0 nobody, 1 the owner, 2 Contoso's
 * administrator, 3 a Microsoft engineer, 4 Microsoft's manager, 5 a Red
 * Hat engineer, 6 Red Hat's manager, 7 Fabrikam's administrator; others:
 * only what the headers say), then a request as text:
 *
 *   METHOD TARGET\n
 *   Name: value\n        (up to 32 headers)
 *   \n
 *   body
 *
 * "$CASE" and "$COLLAB" in the target or body are the seeded case's and
 * collaboration's ids.  A Content-Length shorter than what follows cuts
 * the body, as libmicrohttpd would.
 */
#include "harness-http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const char *headers[2 * MAX_HEADERS + 3];
	char *text, *p, *nl, *sp, *method, *target, *body, *auth = NULL;
	size_t n_h = 0, text_len, body_len;
	struct h_answer a = { 0 };
	struct h_request q;
	unsigned who;

	if (!ready) {
		harness_init();
		ready = true;
	}
	if (size < 2)
		return 0;
	who = data[0];
	text = harness_expand((const char *)data + 1, size - 1, &text_len);
	nl = memchr(text, '\n', text_len);
	if (!nl)
		goto out;
	*nl = '\0';
	sp = strchr(text, ' ');
	if (!sp || sp == text)
		goto out;
	*sp = '\0';
	method = text;
	target = sp + 1;
	if (!*target || strlen(method) != (size_t)(sp - text))
		goto out;
	p = nl + 1;
	while (p < text + text_len && *p != '\n') {
		char *colon, *v;

		nl = memchr(p, '\n', (size_t)(text + text_len - p));
		if (!nl)
			break;
		*nl = '\0';
		colon = strchr(p, ':');
		if (colon && colon != p && n_h < MAX_HEADERS) {
			*colon = '\0';
			for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
				;
			headers[2 * n_h] = p;
			headers[2 * n_h + 1] = v;
			n_h++;
		}
		p = nl + 1;
	}
	if (p < text + text_len && *p == '\n')
		p++;
	body = p;
	body_len = (size_t)(text + text_len - p);
	for (size_t i = 0; i < n_h; i++) {
		uint64_t cl;

		if (strcasecmp(headers[2 * i], "Content-Length") == 0 && cv_parse_u64(headers[2 * i + 1], 10, &cl) == 0 &&
		    cl < body_len)
			body_len = (size_t)cl;
	}
	if (who > H_NOBODY && who < H_N_ACTORS && n_h < MAX_HEADERS) {
		auth = cv_xasprintf("Bearer %s", h_tokens[who]);
		headers[2 * n_h] = "Authorization";
		headers[2 * n_h + 1] = auth;
		n_h++;
	}
	headers[2 * n_h] = NULL;
	q = (struct h_request){ method, target, headers, body, body_len };
	harness_request(&q, &a);
	harness_check_answer(&a, method);
	h_answer_release(&a);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		harness_restore();
out:
	free(auth);
	free(text);
	return 0;
}
