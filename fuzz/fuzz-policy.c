/* fuzz-policy.c - libFuzzer target: validation policy documents, and a
 * fixed test log evaluated against whatever parsed. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "covalid/program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char log[] = "{\"schema\":\"covalid.testlog/1\",\"kit\":{\"mode\":\"full\"},\"claim\":{\"guest\":"
				  "{\"os_id\":\"rhel\"},\"hypervisor\":{\"id\":\"kvm\"}},\"results\":[{\"id\":\"cpu.topology\","
				  "\"status\":\"pass\"},{\"id\":\"mem.size\",\"status\":\"skip\"}],"
				  /* For required_when: the facts it reads, odd members included. */
				  "\"descriptor\":{\"integration\":{\"present\":[\"virtio_net\",7,null],\"expected\":\"netvsc\"},"
				  "\"vm\":{\"nics\":[{\"name\":\"eth0\",\"driver\":\"hv_netvsc\"},\"eth1\",{\"driver\":1}]}}}";
	struct program_policy *p = NULL;
	struct program_error e = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (program_policy_parse(text, &p, &e) == 0) {
		json_t *doc = json_loads(log, 0, NULL);
		struct cv_strv why;

		cv_strv_init(&why);
		(void)program_policy_evaluate(p, doc, &why);
		cv_strv_release(&why);
		json_decref(doc);
		program_policy_free(p);
	}
	free(text);
	return 0;
}
