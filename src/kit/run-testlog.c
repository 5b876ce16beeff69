/*
 * run-testlog.c - a kit run as its test log document (docs/testlog.md;
 * the format itself, canonical form and signing: src/testlog/).
 */
#include "covalid/covalid.h"
#include "covalid/descriptor.h"
#include "covalid/testlog.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

json_t *kit_run_to_json(const struct kit_run *r)
{
	const struct descriptor *d = r->descriptor;
	const struct kit_options *o = &r->options;
	json_t *results = json_array(), *doc;

	for (size_t i = 0; i < r->n_results; i++) {
		const struct kit_result *x = &r->results[i];

		json_array_append_new(results, json_pack("{s:s, s:s, s:o, s:O, s:O, s:f}", "id", x->id, "status",
							 kit_status_name(x->status), "reason", kit_json_str(x->reason),
							 "measured", x->measured, "threshold", x->threshold,
							 "duration_s", x->duration_s));
	}
	/* kit.thresholds: the version of the numbers the checks judged by,
	 * so that the program judges the log by the same (docs/testlog.md). */
	doc = json_pack("{s:s, s:{s:s, s:i, s:s, s:o}, s:s, s:s, s:s, s:f}", "schema", TESTLOG_SCHEMA, "kit", "version",
			COVALID_VERSION, "thresholds", TESTLOG_THRESHOLDS_VERSION, "mode", o->quick ? "quick" : "full", "options",
			json_pack("{s:o, s:o, s:o, s:o, s:o}", "expect_vcpus",
				  o->expect_vcpus ? json_integer(o->expect_vcpus) : json_null(), "expect_memory_mib",
				  o->expect_memory_mib ? json_integer((json_int_t)o->expect_memory_mib) : json_null(),
				  "peer", kit_json_str(o->peer), "only", kit_json_strv(&o->only), "skip", kit_json_strv(&o->skip)),
			"host", r->host, "started_at", r->started_at, "finished_at", r->finished_at, "duration_s",
			r->duration_s);
	json_object_set_new(doc, "descriptor", descriptor_to_jansson(d));
	/* What the log claims: the configuration this guest was validated in. */
	json_object_set_new(doc, "claim",
			    json_pack("{s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o}}",
				      "guest", "os_id", kit_json_str(d->guest.os.id), "version", kit_json_str(d->guest.os.version),
				      "osinfo", kit_json_str(d->guest.os.osinfo), "arch", kit_json_str(d->guest.arch),
				      "hypervisor", "id", kit_json_str(d->hypervisor.id), "product", kit_json_str(d->hypervisor.product),
				      "version", kit_json_str(d->hypervisor.version), "build", kit_json_str(d->hypervisor.build),
				      "vm", "vcpus",
				      o->expect_vcpus ? json_integer(o->expect_vcpus)
						      : d->vm.vcpus >= 0 ? json_integer(d->vm.vcpus) : json_null(),
				      "memory_mib",
				      o->expect_memory_mib ? json_integer((json_int_t)o->expect_memory_mib)
							   : d->vm.memory_mib ? json_integer((json_int_t)d->vm.memory_mib)
									      : json_null()));
	json_object_set_new(doc, "results", results);
	json_object_set_new(doc, "summary",
			    json_pack("{s:I, s:I, s:I, s:I}", "pass", (json_int_t)r->counts[KIT_PASS], "fail",
				      (json_int_t)r->counts[KIT_FAIL], "skip", (json_int_t)r->counts[KIT_SKIP], "error",
				      (json_int_t)r->counts[KIT_ERROR]));
	return doc;
}
