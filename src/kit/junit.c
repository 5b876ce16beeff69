/*
 * junit.c - a test log as JUnit XML, one testcase per check, for CI
 * systems (the format Jenkins and GitLab read: testsuite/testcase with
 * failure, error and skipped children).
 */
#include "kit/kit-internal.h"
#include "util/cv.h"

static void escape(struct cv_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		int r;

		switch (c) {
		case '&': r = cv_buf_puts(b, "&amp;"); break;
		case '<': r = cv_buf_puts(b, "&lt;"); break;
		case '>': r = cv_buf_puts(b, "&gt;"); break;
		case '"': r = cv_buf_puts(b, "&quot;"); break;
		case '\'': r = cv_buf_puts(b, "&apos;"); break;
		default:
			/* XML 1.0 has no place for other control characters. */
			r = c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? cv_buf_puts(b, "?") : cv_buf_append(b, s, 1);
		}
		if (r < 0)
			return;
	}
}

#define P(...) (void)!cv_buf_printf(&b, __VA_ARGS__)

char *kit_junit(const json_t *log_doc)
{
	const json_t *doc = log_doc;
	json_t *results = json_object_get(doc, "results"), *x, *summary;
	struct cv_buf b;
	size_t i;
	double total = json_number_value(json_object_get(doc, "duration_s"));

	summary = json_object_get(doc, "summary");
	cv_buf_init(&b, 64 * 1024 * 1024);
	P("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	P("<testsuites>\n<testsuite name=\"covalid-kit\" tests=\"%zu\" failures=\"%lld\" errors=\"%lld\" "
	  "skipped=\"%lld\" time=\"%.3f\" timestamp=\"",
	  json_array_size(results), (long long)json_integer_value(json_object_get(summary, "fail")),
	  (long long)json_integer_value(json_object_get(summary, "error")),
	  (long long)json_integer_value(json_object_get(summary, "skip")), total);
	escape(&b, json_string_value(json_object_get(doc, "started_at")));
	P("\" hostname=\"");
	escape(&b, json_string_value(json_object_get(doc, "host")));
	P("\">\n");
	json_array_foreach(results, i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));
		const char *st = json_string_value(json_object_get(x, "status"));
		const char *reason = json_string_value(json_object_get(x, "reason"));
		const char *dot = id ? strchr(id, '.') : NULL;
		char *measured = json_dumps(json_object_get(x, "measured"), JSON_COMPACT | JSON_SORT_KEYS);

		P("  <testcase classname=\"covalid.kit.");
		if (dot) {
			char *fam = cv_xstrndup(id, (size_t)(dot - id));

			escape(&b, fam);
			free(fam);
		}
		P("\" name=\"");
		escape(&b, id);
		P("\" time=\"%.3f\">\n", json_number_value(json_object_get(x, "duration_s")));
		if (st && strcmp(st, "fail") == 0) {
			P("    <failure message=\"");
			escape(&b, reason);
			P("\"/>\n");
		} else if (st && strcmp(st, "error") == 0) {
			P("    <error message=\"");
			escape(&b, reason);
			P("\"/>\n");
		} else if (st && strcmp(st, "skip") == 0) {
			P("    <skipped message=\"");
			escape(&b, reason);
			P("\"/>\n");
		}
		if (measured) {
			P("    <system-out>");
			escape(&b, measured);
			P("</system-out>\n");
			free(measured);
		}
		P("  </testcase>\n");
	}
	P("</testsuite>\n</testsuites>\n");
	return cv_buf_detach(&b, NULL);
}
