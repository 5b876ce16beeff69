/*
 * fuzz-report.c - libFuzzer differential target: an agent's report body
 * through the pull reader (monitor_report_parse(), report-read.c) and
 * through the tree reader it replaced (fuzz/report-reference.h).
 *
 * Input: the body.  Checked on every input, else abort():
 *  - whenever jansson (json_loadb, JSON_REJECT_DUPLICATES) refuses the
 *    body, the pull reader refuses it too;
 *  - both accept, or both refuse with the same status, code and message
 *    (for JSON that is not valid both say malformed_json; the words of
 *    the fault are the tokenizer's or jansson's);
 *  - accepted: the same members, the health's text equal to json_dumps()
 *    of the tree's health, the same flags (and details) under the default
 *    thresholds and under thresholds every value crosses, the same
 *    "measured" answers; the text read again gives itself;
 *  - any text jansson accepts: monitor_json_compact() equal to its dump.
 * The reference is given the body with each NUL byte replaced by 0x01:
 * jansson 2.14 skips one NUL after a number or a literal, which the pull
 * tokenizer deliberately refuses (util/json-pull.h), and refuses 0x01
 * wherever the NUL stood.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void differ(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz-report: %s\n  tree: %s\n  pull: %s\n", what, a ? a : "(none)", b ? b : "(none)");
	abort();
}

static char *flags_of(const struct cv_strv *f, json_t *details)
{
	char *words = cv_strv_join(f, " "), *d = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *s = cv_xasprintf("%s %s", words ? words : "", d ? d : "{}");

	free(words);
	free(d);
	return s;
}

static void same_flags(const json_t *tree, const struct monitor_health *h, const struct monitor_thresholds *t, int vcpus)
{
	static const char *const names[] = { "cpu", "mem", "disk", "load", "clock", "errors", "components", "late" };
	struct cv_strv fa = { 0 }, fb = { 0 };
	json_t *da = json_object(), *db = NULL;
	char *a, *b;

	ref_health_flags(tree, t, vcpus, &fa, da);
	monitor_health_flags(h, t, vcpus, &fb, &db);
	if (json_object_size(da) == 0)
		da = (json_decref(da), NULL);
	a = flags_of(&fa, da);
	b = flags_of(&fb, db);
	if (strcmp(a, b) != 0)
		differ("different flags", a, b);
	for (size_t i = 0; i < CV_ELEMENTSOF(names); i++)
		if (ref_health_measures(tree, names[i]) != monitor_health_measures(h, names[i]))
			differ("measured differently", names[i], names[i]);
	free(a);
	free(b);
	cv_strv_release(&fa);
	cv_strv_release(&fb);
	json_decref(da);
	json_decref(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct monitor_thresholds defaults = { 300, 2000, 1, 90, 90, 90, 4.0 };
	static const struct monitor_thresholds low = { 1, 0, 1, 0, 0, 0, 0 };
	const char *body = (const char *)data;
	struct program_error ea = { 0 }, eb = { 0 };
	struct ref_report *a = NULL;
	struct monitor_report *b = NULL;
	struct monitor_report_body rb;
	json_t *whole;
	char *ref = malloc(size + 1);
	bool has_nul = false;
	int ra, rbr;

	if (!ref)
		abort();
	memcpy(ref, body, size);
	for (size_t i = 0; i < size; i++)
		if (ref[i] == '\0') {
			ref[i] = '\x01';
			has_nul = true;
		}
	ref[size] = '\0';

	/* Any JSON: the compact text is jansson's. */
	whole = json_loadb(ref, size, JSON_REJECT_DUPLICATES, NULL);
	if (whole && !has_nul) {
		char *ja = json_dumps(whole, JSON_COMPACT | JSON_PRESERVE_ORDER), *jb = monitor_json_compact(body, size, NULL);

		if (!ja || !jb || strcmp(ja, jb) != 0)
			differ("different compact text", ja, jb);
		free(ja);
		free(jb);
	}

	ra = ref_report_parse(ref, size, 0, NULL, &a, &ea);
	rbr = monitor_report_parse(body, size, 0, NULL, &b, &eb);
	if (!whole && rbr == 0)
		differ("jansson refuses, the pull reader accepts", "refused", "accepted");
	if ((ra == 0) != (rbr == 0))
		differ("one accepts, the other refuses", ra ? ea.message : "accepted", rbr ? eb.message : "accepted");
	if (ra < 0) {
		if (strcmp(ea.code, "malformed_json") == 0 ? strcmp(eb.code, "malformed_json") != 0
							     : (ea.http != eb.http || strcmp(ea.code, eb.code) != 0 ||
								strcmp(ea.message, eb.message) != 0))
			differ("different refusals", cv_xasprintf("%d %s %s", ea.http, ea.code, ea.message),
			       cv_xasprintf("%d %s %s", eb.http, eb.code, eb.message));
		goto out;
	}
	if (monitor_report_read(body, size, &rb, &eb) < 0)
		differ("parse accepts what read refuses", "", eb.message);
	if (strcmp(a->machine, rb.machine) != 0 || strcmp(a->digest, rb.digest) != 0 || a->seq != rb.seq ||
	    a->interval != rb.interval || a->observed_at != rb.observed_at || a->dropped != rb.dropped)
		differ("different members", a->machine, rb.machine);
	if (!a->health != !rb.has_health)
		differ("health read differently", a->health ? "health" : "none", rb.has_health ? "health" : "none");
	if (a->health) {
		char *ta = json_dumps(a->health, JSON_COMPACT | JSON_PRESERVE_ORDER);
		struct monitor_health again;

		if (!ta || strcmp(ta, rb.health.text) != 0)
			differ("different health text", ta, rb.health.text);
		for (int vcpus = -1; vcpus <= 2; vcpus += 3) {
			same_flags(a->health, &rb.health, &defaults, vcpus);
			same_flags(a->health, &rb.health, &low, vcpus);
		}
		if (monitor_health_parse(rb.health.text, rb.health.text_len, &again, &eb) < 0 ||
		    strcmp(again.text, rb.health.text) != 0)
			differ("the health text does not read again as itself", rb.health.text, again.text);
		monitor_health_release(&again);
		free(ta);
	}
	monitor_health_release(&rb.health);
out:
	json_decref(whole);
	ref_report_free(a);
	monitor_report_free(b);
	free(ref);
	return 0;
}
