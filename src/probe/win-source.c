/*
 * win-source.c - reading a Windows machine's sources (see win-source.h).
 */
#include "probe/probe-read.h"
#include "probe/win-collect.h"
#include "probe/win-source.h"
#include "util/cv.h"

bool probe_win_root(struct cv_root *root)
{
#ifdef _WIN32
	if (cv_root_is_live(root))
		return true;
#endif
	return !cv_root_is_live(root) && cv_root_exists(root, "windows/os.json");
}

static int read_source(struct probe_ctx *ctx, const char *name, const char *path, size_t max, char **ret,
		       size_t *ret_len)
{
#ifdef _WIN32
	/* This machine: ask the API, and record what it said. */
	if (cv_root_is_live(ctx->root)) {
		int r = probe_win_collect(name, ret, ret_len);

		if (r == 0 && *ret_len > max) {
			free(*ret);
			return -E2BIG;
		}
		if (r == 0)
			cv_root_capture_extra(ctx->root, path, *ret, *ret_len);
		return r;
	}
#else
	(void)name;
#endif
	return cv_root_read(ctx->root, path, max, ret, ret_len);
}

int probe_win_read(struct probe_ctx *ctx, const char *name, size_t max, char **ret, size_t *ret_len)
{
	char *path, *data = NULL;
	size_t len = 0, i;
	int r;

	for (i = 0; i < ctx->n_win_files; i++)
		if (strcmp(ctx->win_files[i].name, name) == 0)
			goto cached;
	path = cv_xasprintf("windows/%s", name);
	r = read_source(ctx, name, path, max, &data, &len);
	if (r == -ENOTDIR)
		r = -ENOENT;
	if (r < 0) {
		data = NULL;
		if (r != -ENOENT)
			probe_note(ctx, "%s: %s", path, r == -E2BIG ? "too large; not read" : strerror(-r));
	}
	free(path);
	if (ctx->n_win_files == CV_ELEMENTSOF(ctx->win_files)) {
		/* More names than the cache holds: only callers reading
		 * unknown names get here; hand the data over uncached. */
		*ret = data;
		if (ret_len)
			*ret_len = len;
		return r;
	}
	ctx->win_files[i = ctx->n_win_files++] = (struct probe_win_file){ name, data, len, r };
cached:
	if (ctx->win_files[i].r < 0) {
		*ret = NULL;
		return ctx->win_files[i].r;
	}
	/* A copy with a NUL after it, as cv_root_read() gives. */
	*ret = cv_xmalloc(ctx->win_files[i].len + 1);
	memcpy(*ret, ctx->win_files[i].data, ctx->win_files[i].len);
	(*ret)[ctx->win_files[i].len] = '\0';
	if (ret_len)
		*ret_len = ctx->win_files[i].len;
	return 0;
}

void probe_win_release(struct probe_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_win_files; i++)
		free(ctx->win_files[i].data);
	ctx->n_win_files = 0;
	free(ctx->win_devices);
	ctx->win_devices = NULL;
	json_decref(ctx->win_devices_json);
	ctx->win_devices_json = NULL;
	ctx->n_win_devices = 0;
	ctx->win_devices_read = false;
}

json_t *probe_win_json(struct probe_ctx *ctx, const char *name, json_type type)
{
	json_error_t err;
	json_t *j;
	char *text;
	size_t len;

	if (probe_win_read(ctx, name, PROBE_BIG_MAX, &text, &len) < 0)
		return NULL;
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	free(text);
	if (!j) {
		char *why = cv_str_sanitize(err.text, strlen(err.text), 120);

		probe_note(ctx, "windows/%s: not JSON (line %d: %s); not used", name, err.line, why);
		free(why);
		return NULL;
	}
	if (json_typeof(j) != type) {
		probe_note(ctx, "windows/%s: not a JSON %s; not used", name, type == JSON_OBJECT ? "object" : "array");
		json_decref(j);
		return NULL;
	}
	return j;
}

static void type_note(struct probe_ctx *ctx, const char *file, const char *what, const char *key, const char *type)
{
	probe_note(ctx, "windows/%s: %s%s%s is not %s; ignored", file, what ? what : "", what ? "." : "", key, type);
}

const char *probe_win_str(struct probe_ctx *ctx, const char *file, const char *what, const json_t *obj,
			  const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		type_note(ctx, file, what, key, "a string");
		return NULL;
	}
	s = json_string_value(v);
	/* The probe's strings are text: a NUL inside (jansson allows \u0000)
	 * or an absurd length is a bad file. */
	if (strlen(s) != json_string_length(v) || strlen(s) > 4096) {
		type_note(ctx, file, what, key, "a string of text under 4 KiB");
		return NULL;
	}
	return s;
}

bool probe_win_int(struct probe_ctx *ctx, const char *file, const char *what, const json_t *obj, const char *key,
		   int64_t *ret)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return false;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		type_note(ctx, file, what, key, "a whole number");
		return false;
	}
	*ret = (int64_t)json_integer_value(v);
	return true;
}

bool probe_win_bool(struct probe_ctx *ctx, const char *file, const char *what, const json_t *obj, const char *key,
		    bool *ret)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return false;
	if (!json_is_boolean(v)) {
		type_note(ctx, file, what, key, "true or false");
		return false;
	}
	*ret = json_is_true(v);
	return true;
}
