/*
 * api-web.c - the web UI's files, from --web DIR: "/" is index.html,
 * "/static/NAME" a file of the directory (names only: no path, no dot
 * files, so nothing outside DIR can be asked for), each with the
 * security headers below.
 */
#include <ctype.h>

#include "server/server-internal.h"
#include "util/cv.h"

#define WEB_FILE_MAX (8 * 1024 * 1024)

/*
 * Every answer from here, the 404s included, carries a strict policy: the
 * UI is plain files of this directory (no inline script or style, no other
 * origin), so a value that slipped into the page as markup could still not
 * run; it may not be framed (clickjacking); and it sends no Referer, so
 * following a link out of a configuration's sources does not tell that
 * site the address of this (often internal) server.  data: images are
 * allowed for the empty favicon the page declares, so that the browser
 * asks for no /favicon.ico.
 */
static const char *const web_headers[] = {
	"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
	"Referrer-Policy", "no-referrer",
	NULL,
};

static const char *mime(const char *name)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" }, { ".json", "application/json" },
		{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".ico", "image/x-icon" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(t); i++)
		if (cv_endswith(name, t[i].ext))
			return t[i].type;
	return "application/octet-stream";
}

static bool safe_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 128)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

void api_web(struct req *r)
{
	const char *dir = server_web_dir(r->srv);
	const char *name = r->n_params ? r->params[0] : "index.html";
	char *path, *text = NULL;
	size_t len;

	r->headers = web_headers;
	if (!dir) {
		reply_error(r, 404, "not_found", "this server has no web UI (--web DIR)");
		return;
	}
	if (!safe_name(name)) {
		reply_error(r, 404, "not_found", "no such file");
		return;
	}
	path = cv_xasprintf("%s/%s", dir, name);
	if (cv_read_file(path, WEB_FILE_MAX, &text, &len) < 0)
		reply_error(r, 404, "not_found", "no such file");
	else
		reply_bytes(r, 200, mime(name), text, len);
	free(text);
	free(path);
}
