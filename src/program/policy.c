/*
 * policy.c - the validation policy: which checks a test log must pass for
 * which guest and hypervisor families, which of them may be skipped, and
 * which kit modes count (docs/policy.md).
 *
 * The first rule whose guest and hypervisor match the log's claim
 * applies; "*" matches anything.  A required check must pass, or be
 * skipped where the rule allows it; checks the rule does not require are
 * recorded in the log but do not decide.
 */
#include <jansson.h>
#include <pthread.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "program/program-internal.h"
#include "util/cv.h"

#define POLICY_MAX_RULES 256
#define POLICY_MAX_BYTES (1024 * 1024)

struct rule {
	char *name, *guest, *hypervisor;
	struct cv_strv required, may_skip;
};

struct program_policy {
	struct cv_strv modes;
	struct rule *rules;
	size_t n_rules;
	json_t *thresholds; /* the threshold sets (verdicts.c) */
};

/* The checks every guest must pass unless a rule says otherwise. */
static const char default_policy[] =
	"{\"schema\":\"covalid.policy/1\",\"modes\":[\"full\"],\"rules\":[{\"name\":\"default\",\"guest\":\"*\","
	"\"hypervisor\":\"*\",\"required\":[\"env.fingerprint\",\"cpu.topology\",\"cpu.all_vcpus_execute\","
	"\"cpu.feature_consistency\",\"time.monotonic\",\"time.cross_cpu_warp\",\"time.clocksource\",\"time.vdso\","
	"\"time.rate_skew\",\"time.timer_latency\",\"irq.timer_delivery\",\"kernel.health\",\"kernel.pv_drivers\","
	"\"mem.size\",\"mem.pattern\",\"storage.io_integrity\",\"net.loopback_integrity\",\"platform.security\"],"
	"\"may_skip\":[\"cpu.feature_consistency\",\"time.cross_cpu_warp\",\"mem.size\"]}]}";

/* With the built-in threshold sets, which the kit's checks judge by;
 * made once, on first use, by whichever thread comes first. */
static char *default_text;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void make_default(void)
{
	default_text = program_policy_add_thresholds(default_policy);
}

const char *program_policy_default(void)
{
	pthread_once(&default_once, make_default);
	return default_text;
}

const json_t *program_policy_thresholds(const struct program_policy *p)
{
	return p->thresholds;
}

struct program_policy *program_policy_free(struct program_policy *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].guest);
		free(p->rules[i].hypervisor);
		cv_strv_release(&p->rules[i].required);
		cv_strv_release(&p->rules[i].may_skip);
	}
	free(p->rules);
	cv_strv_release(&p->modes);
	json_decref(p->thresholds);
	free(p);
	return NULL;
}

static bool strings(json_t *a, struct cv_strv *out)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) > 1024)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return false;
		cv_strv_push(out, json_string_value(v));
	}
	return true;
}

int program_policy_parse(const char *text, struct program_policy **ret, struct program_error *err)
{
	static const char *const top[] = { "schema", "modes", "rules", "notes", "thresholds" };
	static const char *const rk[] = { "name", "guest", "hypervisor", "required", "may_skip", "notes" };
	struct program_policy *p = cv_xcalloc(1, sizeof(*p));
	json_error_t jerr;
	json_t *doc, *rules, *r;
	char where[32];
	size_t i;

	cv_strv_init(&p->modes);
	doc = strlen(text) > POLICY_MAX_BYTES ? NULL : json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		program_error_set(err, 400, "malformed_json", "the policy is not valid JSON: %s", jerr.text);
		goto fail;
	}
	if (!json_is_object(doc) || !cv_streq(json_string_value(json_object_get(doc, "schema")), "covalid.policy/1")) {
		program_error_set(err, 400, "invalid_policy", "schema: expected \"covalid.policy/1\"");
		goto fail;
	}
	if (!program_check_keys(doc, top, CV_ELEMENTSOF(top), NULL, err))
		goto fail;
	if (!strings(json_object_get(doc, "modes"), &p->modes) || p->modes.n == 0) {
		program_error_set(err, 400, "invalid_policy", "modes: expected a non-empty array of \"full\", \"quick\"");
		goto fail;
	}
	for (i = 0; i < p->modes.n; i++)
		if (strcmp(p->modes.v[i], "full") != 0 && strcmp(p->modes.v[i], "quick") != 0) {
			program_error_set(err, 400, "invalid_policy", "modes: unknown mode '%s'", p->modes.v[i]);
			goto fail;
		}
	rules = json_object_get(doc, "rules");
	if (!json_is_array(rules) || json_array_size(rules) == 0 || json_array_size(rules) > POLICY_MAX_RULES) {
		program_error_set(err, 400, "invalid_policy", "rules: expected 1 to 256 rules");
		goto fail;
	}
	p->rules = cv_xcalloc(json_array_size(rules), sizeof(*p->rules));
	json_array_foreach(rules, i, r) {
		struct rule *x = &p->rules[p->n_rules++];

		cv_strv_init(&x->required);
		cv_strv_init(&x->may_skip);
		snprintf(where, sizeof(where), "rules[%zu]", i);
		if (!program_check_keys(r, rk, CV_ELEMENTSOF(rk), where, err))
			goto fail;
		if (!json_is_string(json_object_get(r, "name")) || !json_is_string(json_object_get(r, "guest")) ||
		    !json_is_string(json_object_get(r, "hypervisor"))) {
			program_error_set(err, 400, "invalid_policy", "rules[%zu]: name, guest and hypervisor are required strings", i);
			goto fail;
		}
		x->name = cv_xstrdup(json_string_value(json_object_get(r, "name")));
		x->guest = cv_xstrdup(json_string_value(json_object_get(r, "guest")));
		x->hypervisor = cv_xstrdup(json_string_value(json_object_get(r, "hypervisor")));
		if (!strings(json_object_get(r, "required"), &x->required) ||
		    (json_object_get(r, "may_skip") && !strings(json_object_get(r, "may_skip"), &x->may_skip))) {
			program_error_set(err, 400, "invalid_policy", "rules[%zu]: required and may_skip are arrays of check ids", i);
			goto fail;
		}
	}
	if (program_thresholds_parse(json_object_get(doc, "thresholds"), &p->thresholds, err) < 0)
		goto fail;
	json_decref(doc);
	*ret = p;
	return 0;
fail:
	json_decref(doc);
	program_policy_free(p);
	return -EINVAL;
}

int program_policy_load(struct store *s, struct program_policy **ret, struct program_error *err)
{
	char *doc = NULL;
	int r = store_policy_get(s, &doc);

	if (r == -ENOENT)
		return program_policy_parse(program_policy_default(), ret, err);
	if (r < 0) {
		program_error_set(err, 500, "internal", "cannot read the policy: %s", store_errmsg(s));
		return r;
	}
	r = program_policy_parse(doc, ret, err);
	free(doc);
	return r;
}

int program_policy_set(struct store *s, const char *text, struct program_error *err)
{
	struct program_policy *p = NULL;
	int r = program_policy_parse(text, &p, err);

	program_policy_free(p);
	if (r < 0)
		return r;
	r = program_txn_begin(s, err);
	if (r < 0)
		return r;
	r = store_policy_put(s, text);
	if (r < 0)
		program_error_set(err, 500, "internal", "cannot store the policy: %s", store_errmsg(s));
	return program_txn_end(s, r, err);
}

static bool matches(const char *pattern, const char *value)
{
	return strcmp(pattern, "*") == 0 || cv_streq(pattern, value);
}

const char *program_policy_evaluate(const struct program_policy *p, const json_t *log, struct cv_strv *reasons)
{
	const json_t *doc = log;
	json_t *claim = json_object_get(doc, "claim"), *results = json_object_get(doc, "results");
	const char *guest = json_string_value(json_object_get(json_object_get(claim, "guest"), "os_id"));
	const char *hv = json_string_value(json_object_get(json_object_get(claim, "hypervisor"), "id"));
	const char *mode = json_string_value(json_object_get(json_object_get(doc, "kit"), "mode"));
	const struct rule *rule = NULL;

	if (!guest)
		cv_strv_push(reasons, "the log claims no guest OS");
	if (!hv || strcmp(hv, "none") == 0 || strcmp(hv, "unknown") == 0)
		cv_strv_push_take(reasons, cv_xasprintf("the log claims no hypervisor (%s)", hv ? hv : "none given"));
	if (!mode || !cv_strv_contains(&p->modes, mode)) {
		char *modes = cv_strv_join(&p->modes, ", ");

		cv_strv_push_take(reasons, cv_xasprintf("kit mode %s is not accepted (the policy accepts: %s)",
							 mode ? mode : "(none)", modes));
		free(modes);
	}
	for (size_t i = 0; i < p->n_rules && !rule; i++)
		if (matches(p->rules[i].guest, guest) && matches(p->rules[i].hypervisor, hv))
			rule = &p->rules[i];
	if (!rule) {
		cv_strv_push_take(reasons, cv_xasprintf("no policy rule covers guest %s on hypervisor %s",
							 guest ? guest : "?", hv ? hv : "?"));
		return NULL;
	}
	for (size_t k = 0; k < rule->required.n; k++) {
		const char *id = rule->required.v[k], *status = NULL, *why = NULL;
		size_t i;
		json_t *x;

		json_array_foreach(results, i, x)
			if (cv_streq(json_string_value(json_object_get(x, "id")), id)) {
				status = json_string_value(json_object_get(x, "status"));
				why = json_string_value(json_object_get(x, "reason"));
			}
		if (!status)
			cv_strv_push_take(reasons, cv_xasprintf("required check %s was not run", id));
		else if (strcmp(status, "pass") == 0)
			continue;
		else if (strcmp(status, "skip") == 0 && cv_strv_contains(&rule->may_skip, id))
			continue;
		else if (strcmp(status, "skip") == 0)
			cv_strv_push_take(reasons, cv_xasprintf("required check %s was skipped (%s); the policy does not allow skipping it",
								 id, why ? why : "no reason given"));
		else
			cv_strv_push_take(reasons, cv_xasprintf("required check %s: %s (%s)", id, status, why ? why : "no reason given"));
	}
	return rule->name;
}
