/* fuzz-catalog.c - libFuzzer target: a catalog file (JSON Lines).
 *
 * The input goes whole through catalog_import() (line splitting, limits,
 * duplicate ids, the all-or-nothing write) into an in-memory store opened
 * once: a fresh store per run would cost most of the run.  Then each line
 * that is a record is parsed on its own, and whatever parses must survive
 * a round trip: its document dumped (as the store keeps it) and parsed
 * again.  The fast configuration reader (src/catalog/catalog-internal.h:
 * import's compact lines, catalog_load()) must take exactly the lines the
 * tree reader takes, with the same fields. */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog-internal.h"
#include "covalid/catalog.h"
#include "covalid/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_strv(const struct cv_strv *a, const struct cv_strv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* The fields both readers fill (catalog.h), the document aside. */
static int same_config(const struct catalog_config *a, const struct catalog_config *b)
{
	return same_str(a->id, b->id) && a->status == b->status && same_str(a->guest.vendor, b->guest.vendor) &&
	       same_str(a->guest.product, b->guest.product) && same_str(a->guest.os_id, b->guest.os_id) &&
	       same_str(a->guest.version, b->guest.version) && same_str(a->guest.osinfo, b->guest.osinfo) &&
	       same_str(a->guest.product_id, b->guest.product_id) &&
	       same_str(a->guest.service_pack, b->guest.service_pack) && same_strv(&a->guest.arch, &b->guest.arch) &&
	       memcmp(&a->guest.spec, &b->guest.spec, sizeof(a->guest.spec)) == 0 &&
	       same_str(a->hypervisor.vendor, b->hypervisor.vendor) &&
	       same_str(a->hypervisor.product, b->hypervisor.product) &&
	       same_str(a->hypervisor.version, b->hypervisor.version) &&
	       same_str(a->hypervisor.host_version, b->hypervisor.host_version) &&
	       same_str(a->hypervisor.product_id, b->hypervisor.product_id) &&
	       same_strv(&a->hypervisor.ids, &b->hypervisor.ids) &&
	       same_strv(&a->hypervisor.builds, &b->hypervisor.builds) &&
	       memcmp(&a->hypervisor.spec, &b->hypervisor.spec, sizeof(a->hypervisor.spec)) == 0 &&
	       a->hypervisor.have_host_spec == b->hypervisor.have_host_spec &&
	       (!a->hypervisor.have_host_spec ||
		memcmp(&a->hypervisor.host_spec, &b->hypervisor.host_spec, sizeof(a->hypervisor.host_spec)) == 0) &&
	       a->limits.max_vcpus == b->limits.max_vcpus && a->limits.max_vcpus_gen1 == b->limits.max_vcpus_gen1 &&
	       a->limits.n_allowed_vcpus == b->limits.n_allowed_vcpus &&
	       (a->limits.n_allowed_vcpus == 0 ||
		memcmp(a->limits.allowed_vcpus, b->limits.allowed_vcpus, a->limits.n_allowed_vcpus * sizeof(int)) == 0) &&
	       a->limits.max_memory_mib == b->limits.max_memory_mib &&
	       same_strv(&a->required_components, &b->required_components) &&
	       same_strv(&a->validated_by, &b->validated_by) && same_strv(&a->evidence, &b->evidence) &&
	       same_str(a->valid_from, b->valid_from) && same_str(a->valid_until, b->valid_until);
}

/* Both configuration readers on one line (json_loads needs no NUL inside). */
static void readers_agree(const char *line, size_t len)
{
	struct catalog_config *t = NULL, *f = NULL;
	char *text, *why = NULL;
	int rt, rf;

	if (memchr(line, '\0', len))
		return;
	text = strndup(line, len);
	if (!text)
		return;
	rt = catalog_config_from_text(text, &t, &why);
	rf = catalog_config_from_text_fast(text, len, &f);
	if ((rt == 0) != (rf == 0) || (rf < 0 && rf != -EAGAIN) || (rt == 0 && !same_config(t, f)))
		abort();
	catalog_config_free(t);
	catalog_config_free(f);
	free(why);
	free(text);
}

static void round_trip(const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	char *why = NULL, *text;

	if (type && strcmp(type, "product") == 0) {
		struct catalog_product *p = NULL, *q = NULL;

		if (catalog_product_from_json(j, &p, &why) == 0) {
			text = catalog_doc_dump(p->doc);
			if (catalog_product_from_text(text, &q, &why) < 0)
				abort();
			catalog_product_free(q);
			catalog_product_free(p);
			free(text);
		}
	} else if (type && strcmp(type, "configuration") == 0) {
		struct catalog_config *c = NULL, *d = NULL;

		if (catalog_config_from_json(j, &c, &why) == 0) {
			text = catalog_doc_dump(c->doc);
			if (catalog_config_from_text(text, &d, &why) < 0)
				abort();
			catalog_config_free(d);
			catalog_config_free(c);
			free(text);
		}
	}
	free(why);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *s;
	struct catalog_import_stats st;
	const char *p = (const char *)data, *end = p + size;
	char *err = NULL;
	FILE *f;

	if (!s && store_open(":memory:", &s, NULL) < 0)
		abort();
	if (size == 0)
		return 0;
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	(void)catalog_import(s, f, &st, &err);
	free(err);
	fclose(f);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		round_trip(p, len);
		readers_agree(p, len);
		p += len + 1;
	}
	return 0;
}
