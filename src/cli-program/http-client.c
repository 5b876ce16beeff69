/* http-client.c - the API client (see http-client.h). */
#include <curl/curl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-program/http-client.h"
#include "cli/cli-config.h"
#include "cli/cli.h"
#include "util/cv.h"

#define ANSWER_MAX (64 * 1024 * 1024)
#define TOKEN_FILE_MAX 4096

int api_init(struct api *a, const char *server, const char *token_file, const char *cacert, bool need_token)
{
	memset(a, 0, sizeof(*a));
	if (!server)
		server = getenv("COVALID_SERVER");
	/* Then the configuration files (cli/cli-config.h), then the default. */
	if ((!server || !*server) && cli_config_get("server", &server, NULL))
		return CLI_USAGE;
	if (!server || !*server)
		server = "http://127.0.0.1:8080";
	if (!cv_startswith(server, "http://") && !cv_startswith(server, "https://")) {
		cli_error(server, "the server must be an http:// or https:// URL");
		return CLI_USAGE;
	}
	a->base = cv_xstrdup(server);
	while (cv_endswith(a->base, "/"))
		a->base[strlen(a->base) - 1] = '\0';
	if (!cacert)
		cacert = getenv("COVALID_CACERT");
	if (cacert && *cacert) {
		/* Checked now: curl's own error for a missing file ("problem
		 * with the SSL CA cert") would not name it. */
		if (access(cacert, R_OK) < 0) {
			cli_error(cacert, "%s", strerror(errno));
			api_release(a);
			return CLI_USAGE;
		}
		a->cacert = cv_xstrdup(cacert);
	}
	if (!token_file)
		token_file = getenv("COVALID_TOKEN_FILE");
	if ((!token_file || !*token_file) && cli_config_get("token-file", &token_file, NULL)) {
		api_release(a);
		return CLI_USAGE;
	}
	if (token_file && *token_file) {
		char *text = NULL;
		size_t n;
		int r = cv_read_file(token_file, TOKEN_FILE_MAX, &text, &n);

		if (r < 0) {
			/* Say which file it is: a bare path and "No such file"
			 * leaves a person guessing which option named it. */
			cli_error(token_file, "cannot read the token file: %s",
				  r == -E2BIG ? "too large to be a token file" : strerror(-r));
			api_release(a);
			return CLI_USAGE;
		}
		cv_strstrip(text);
		if (!cv_startswith(text, "cv_")) {
			cli_error(token_file, "does not hold a covalid token (cv_...)");
			free(text);
			api_release(a);
			return CLI_USAGE;
		}
		a->token = text;
	} else if (need_token) {
		cli_error("token", "this needs --token-file FILE (or $COVALID_TOKEN_FILE)");
		api_release(a);
		return CLI_USAGE;
	}
	return CLI_OK;
}

void api_release(struct api *a)
{
	free(a->base);
	free(a->cacert);
	if (a->token) {
		memset(a->token, 0, strlen(a->token));
		free(a->token);
	}
	memset(a, 0, sizeof(*a));
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct cv_buf *b = userdata;

	return cv_buf_append(b, p, size * n) < 0 ? 0 : size * n;
}

int api_call(const struct api *a, const char *method, const char *path, const char *body, size_t len,
	     long *ret_status, char **ret_body, char **ret_error)
{
	struct curl_slist *headers = NULL;
	char detail[CURL_ERROR_SIZE] = "";
	struct cv_buf b;
	char *url = cv_xasprintf("%s%s", a->base, path), *auth = NULL;
	CURLcode rc;
	CURL *c;
	int r = 0;

	*ret_status = 0;
	c = curl_easy_init();
	if (!c) {
		free(url);
		*ret_error = cv_xstrdup("libcurl did not initialise");
		return -EIO;
	}
	cv_buf_init(&b, ANSWER_MAX);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "covalid");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	/* Never the other schemes curl knows, even on a redirect. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (a->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, a->cacert);
	if (a->token) {
		auth = cv_xasprintf("Authorization: Bearer %s", a->token);
		headers = curl_slist_append(headers, auth);
	}
	if (body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		/* curl's detail says which certificate check failed, say. */
		*ret_error = cv_xasprintf("%s: %s", url, detail[0] ? detail : curl_easy_strerror(rc));
		r = rc == CURLE_WRITE_ERROR ? -E2BIG : -EHOSTUNREACH;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
		*ret_body = cv_buf_detach(&b, NULL);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	cv_buf_release(&b);
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(url);
	return r;
}

int api_request(const struct api *a, const char *what, const char *method, const char *path, const char *body,
		size_t len, void **ret_json)
{
	char *answer = NULL, *err = NULL;
	long status;
	json_t *j;
	int r;

	r = api_call(a, method, path, body, len, &status, &answer, &err);
	if (r < 0) {
		cli_error(what, "%s", err);
		free(err);
		return CLI_INTERNAL;
	}
	j = json_loads(answer, 0, NULL);
	if (status < 200 || status >= 300) {
		json_t *e = json_object_get(j, "error");

		/* The message may echo what was sent, or be anything at all. */
		api_sanitize(e, NULL);
		cli_error(what, "%s (HTTP %ld%s%s)",
			  json_is_string(json_object_get(e, "message")) ? json_string_value(json_object_get(e, "message"))
									  : "the server refused",
			  status, json_is_string(json_object_get(e, "code")) ? ", " : "",
			  json_is_string(json_object_get(e, "code")) ? json_string_value(json_object_get(e, "code")) : "");
		json_decref(j);
		free(answer);
		return status >= 500 ? CLI_INTERNAL : CLI_USAGE;
	}
	free(answer);
	if (!j) {
		cli_error(what, "the server's answer is not JSON");
		return CLI_INTERNAL;
	}
	*ret_json = j;
	return CLI_OK;
}

void api_sanitize(void *json, const char *indent)
{
	json_t *j = json, *v;
	const char *key;
	size_t i;

	if (json_is_string(j)) {
		char *clean = cv_str_sanitize_text(json_string_value(j), json_string_length(j), indent);

		(void)!json_string_set(j, clean);
		free(clean);
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, v)
			api_sanitize(v, indent);
	} else if (json_is_array(j))
		json_array_foreach(j, i, v)
			api_sanitize(v, indent);
}

void api_print_json(const void *json)
{
	char *s = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);

	if (!s)
		return;
	/* jansson escapes C0 always, and beyond ASCII when asked, but not DEL:
	 * outside a string JSON has no DEL, inside one \u007f means the same. */
	for (const char *p = s; *p; p++) {
		if (*p == 0x7f)
			fputs("\\u007f", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
	free(s);
}
