/*
 * policy.c - the support policy (docs/support.md): entitlement rules per
 * vendor, SLA targets by agreement level and severity, collaboration
 * response targets, the reopen window.  Kept as the parsed JSON, checked
 * field by field on the way in.
 */
#include <jansson.h>

#include "covalid/store.h"
#include "covalid/support.h"
#include "support/support-internal.h"
#include "util/cv.h"

#define SUPPORT_POLICY_SETTING "support_policy"
#define SUPPORT_POLICY_MAX_BYTES (256 * 1024)

static const char default_policy[] =
	"{\"schema\":\"covalid.support-policy/1\",\"entitlement\":{\"microsoft\":[{\"name\":\"support agreement coverin"
	"g the guest or the host\",\"kind\":\"support-agreement\",\"covers\":[\"guest\",\"hypervisor\"]},{\"name\":\"pe"
	"r-call support\",\"kind\":\"per-call\",\"covers\":\"any\",\"charge\":true}],\"red-hat\":[{\"name\":\"subscript"
	"ion covering the guest or the host\",\"kind\":\"subscription\",\"covers\":[\"guest\",\"hypervisor\"]}],\"*\":["
	"{\"name\":\"support agreement\",\"kind\":\"support-agreement\",\"covers\":\"any\"},{\"name\":\"subscription\","
	"\"kind\":\"subscription\",\"covers\":\"any\"}]},\"sla\":{\"standard\":{\"1\":{\"first_response_s\":7200,\"next"
	"_update_s\":14400},\"2\":{\"first_response_s\":14400,\"next_update_s\":86400},\"3\":{\"first_response_s\":8640"
	"0,\"next_update_s\":259200},\"4\":{\"first_response_s\":172800,\"next_update_s\":604800}},\"premium\":{\"1\":{"
	"\"first_response_s\":3600,\"next_update_s\":7200},\"2\":{\"first_response_s\":7200,\"next_update_s\":28800},\""
	"3\":{\"first_response_s\":28800,\"next_update_s\":86400},\"4\":{\"first_response_s\":86400,\"next_update_s\":2"
	"59200}}},\"collaboration_response_s\":{\"1\":7200,\"2\":14400,\"3\":86400,\"4\":172800},\"reopen_window_s\":12"
	"09600}";

const char *support_policy_default(void)
{
	return default_policy;
}

struct support_policy *support_policy_free(struct support_policy *p)
{
	if (p) {
		json_decref(p->doc);
		free(p);
	}
	return NULL;
}

static bool positive(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= INT64_C(31536000) * 10;
}

/* {"1": {first_response_s, next_update_s}, ... "4": ...} */
static bool severities(json_t *o, bool pair, char *where, size_t size)
{
	for (int sev = 1; sev <= 4; sev++) {
		char k[2] = { (char)('0' + sev), 0 };
		json_t *v = json_object_get(o, k);

		if (pair ? !json_is_object(v) || !positive(json_object_get(v, "first_response_s")) ||
				   !positive(json_object_get(v, "next_update_s")) || json_object_size(v) != 2
			 : !positive(v)) {
			snprintf(where, size, "%s", k);
			return false;
		}
	}
	return json_object_size(o) == 4;
}

int support_policy_parse(const char *text, struct support_policy **ret, struct program_error *err)
{
	static const char *const top[] = { "schema", "notes", "entitlement", "sla", "collaboration_response_s",
					   "reopen_window_s" };
	static const char *const rk[] = { "name", "kind", "covers", "charge" };
	json_error_t jerr;
	json_t *doc = NULL, *ent, *sla, *rules, *r, *lv;
	const char *vendor, *level;
	char where[96];
	size_t i;

	if (strlen(text) > SUPPORT_POLICY_MAX_BYTES || !(doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr))) {
		program_error_set(err, 400, "malformed_json", "the support policy is not valid JSON%s%s",
				  doc ? "" : ": ", doc ? "" : jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(doc) || !cv_streq(json_string_value(json_object_get(doc, "schema")), "covalid.support-policy/1")) {
		program_error_set(err, 400, "invalid_policy", "schema: expected \"covalid.support-policy/1\"");
		goto fail;
	}
	if (!program_check_keys(doc, top, CV_ELEMENTSOF(top), NULL, err))
		goto fail;
	ent = json_object_get(doc, "entitlement");
	if (!json_is_object(ent) || json_object_size(ent) == 0) {
		program_error_set(err, 400, "invalid_policy", "entitlement: expected rules by vendor id");
		goto fail;
	}
	json_object_foreach(ent, vendor, rules) {
		if (!json_is_array(rules) || json_array_size(rules) == 0) {
			program_error_set(err, 400, "invalid_policy", "entitlement.%s: expected a list of rules", vendor);
			goto fail;
		}
		json_array_foreach(rules, i, r) {
			const char *kind = json_string_value(json_object_get(r, "kind"));

			snprintf(where, sizeof(where), "entitlement.%.32s[%zu]", vendor, i);
			if (!program_check_keys(r, rk, CV_ELEMENTSOF(rk), where, err))
				goto fail;
			if (!json_is_string(json_object_get(r, "name")) || !support_agreement_kind_ok(kind) ||
			    !support_rule_covers(json_object_get(r, "covers")) ||
			    (json_object_get(r, "charge") && !json_is_boolean(json_object_get(r, "charge")))) {
				program_error_set(err, 400, "invalid_policy",
						  "entitlement.%s[%zu]: name, kind (support-agreement, subscription, "
						  "per-call) and covers (guest, hypervisor or any, or a list of them: "
						  "[\"guest\", \"hypervisor\"]) are required",
						  vendor, i);
				goto fail;
			}
		}
	}
	sla = json_object_get(doc, "sla");
	if (!json_is_object(sla) || !json_object_get(sla, "standard")) {
		program_error_set(err, 400, "invalid_policy", "sla: expected targets by level, \"standard\" among them");
		goto fail;
	}
	json_object_foreach(sla, level, lv)
		if (!json_is_object(lv) || !severities(lv, true, where, sizeof(where))) {
			program_error_set(err, 400, "invalid_policy",
					  "sla.%s: expected severities 1 to 4, each {first_response_s, next_update_s} "
					  "(seconds; wrong at %s)",
					  level, where);
			goto fail;
		}
	if (!json_is_object(json_object_get(doc, "collaboration_response_s")) ||
	    !severities(json_object_get(doc, "collaboration_response_s"), false, where, sizeof(where))) {
		program_error_set(err, 400, "invalid_policy", "collaboration_response_s: expected seconds for severities 1 to 4");
		goto fail;
	}
	if (!positive(json_object_get(doc, "reopen_window_s"))) {
		program_error_set(err, 400, "invalid_policy", "reopen_window_s: expected seconds");
		goto fail;
	}
	*ret = cv_xcalloc(1, sizeof(**ret));
	(*ret)->doc = doc;
	return 0;
fail:
	json_decref(doc);
	return -EINVAL;
}

int support_policy_load(struct store *s, struct support_policy **ret, struct program_error *err)
{
	char *text = NULL;
	int r = store_setting_get(s, SUPPORT_POLICY_SETTING, &text);

	if (r == -ENOENT)
		return support_policy_parse(default_policy, ret, err);
	if (r < 0) {
		program_error_set(err, 500, "internal", "cannot read the support policy: %s", store_errmsg(s));
		return r;
	}
	r = support_policy_parse(text, ret, err);
	free(text);
	return r;
}

json_t *support_policy_document(const struct support_policy *p)
{
	return p->doc;
}

int support_policy_store(struct store *s, const char *text, struct program_error *err)
{
	struct support_policy *p = NULL;
	int r = support_policy_parse(text, &p, err);

	if (r < 0)
		return r;
	support_policy_free(p);
	r = store_setting_put(s, SUPPORT_POLICY_SETTING, text);
	if (r < 0)
		program_error_set(err, 500, "internal", "%s", store_errmsg(s));
	return r;
}

int64_t support_policy_seconds(const struct support_policy *p, const char *what, const char *level, int severity)
{
	char k[2] = { (char)('0' + (severity >= 1 && severity <= 4 ? severity : 4)), 0 };
	json_t *sla = json_object_get(p->doc, "sla");

	if (strcmp(what, "collaboration") == 0)
		return json_integer_value(json_object_get(json_object_get(p->doc, "collaboration_response_s"), k));
	if (strcmp(what, "reopen") == 0)
		return json_integer_value(json_object_get(p->doc, "reopen_window_s"));
	if (!level || !json_object_get(sla, level))
		level = "standard";
	return json_integer_value(json_object_get(json_object_get(json_object_get(sla, level), k), what));
}
