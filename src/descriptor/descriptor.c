/* descriptor.c - lifecycle of struct descriptor (see covalid/descriptor.h). */
#include "covalid/descriptor.h"
#include "util/cv.h"

struct descriptor *descriptor_new(void)
{
	struct descriptor *d = cv_xcalloc(1, sizeof(*d));

	d->vm.vcpus = -1;
	d->vm.vcpus_possible = -1;
	cv_strv_init(&d->hypervisor.features);
	cv_strv_init(&d->integration.expected);
	cv_strv_init(&d->integration.present);
	cv_strv_init(&d->integration.missing);
	cv_strv_init(&d->integration.recommended);
	cv_strv_init(&d->integration.recommended_missing);
	cv_strv_init(&d->integration.unbound);
	cv_strv_init(&d->notes);
	return d;
}

void descriptor_set(char **field, const char *value)
{
	free(*field);
	*field = value ? cv_xstrdup(value) : NULL;
}

void descriptor_state_host_version(struct descriptor *d, const char *version)
{
	descriptor_set(&d->hypervisor.version, version);
	descriptor_set(&d->hypervisor.version_source, version ? "stated" : NULL);
}

static char *dup_or_null(const char *s)
{
	return s ? cv_xstrdup(s) : NULL;
}

#define LIST_GROW(l)                                                             \
	do {                                                                     \
		if ((l)->n == (l)->alloc) {                                      \
			(l)->alloc = (l)->alloc ? (l)->alloc * 2 : 8;            \
			(l)->v = cv_xreallocarray((l)->v, (l)->alloc, sizeof(*(l)->v)); \
		}                                                                \
	} while (0)

struct evidence *evidence_add(struct evidence_list *l, const char *source, const char *value,
			      const char *meaning, const char *suggests)
{
	struct evidence *e;

	LIST_GROW(l);
	e = &l->v[l->n++];
	e->source = dup_or_null(source);
	e->value = dup_or_null(value);
	e->meaning = dup_or_null(meaning);
	e->suggests = dup_or_null(suggests);
	return e;
}

void evidence_list_release(struct evidence_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].source);
		free(l->v[i].value);
		free(l->v[i].meaning);
		free(l->v[i].suggests);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct conflict *conflict_add(struct conflict_list *l)
{
	struct conflict *c;

	LIST_GROW(l);
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	cv_strv_init(&c->sources);
	cv_strv_init(&c->suggests);
	return c;
}

void conflict_list_release(struct conflict_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		cv_strv_release(&l->v[i].sources);
		cv_strv_release(&l->v[i].suggests);
		free(l->v[i].followed);
		free(l->v[i].why);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct device *device_add(struct device_list *l, const char *name, const char *driver,
			  const char *bus, const char *model)
{
	struct device *d;

	LIST_GROW(l);
	d = &l->v[l->n++];
	d->name = dup_or_null(name);
	d->driver = dup_or_null(driver);
	d->bus = dup_or_null(bus);
	d->model = dup_or_null(model);
	return d;
}

void device_list_release(struct device_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].driver);
		free(l->v[i].bus);
		free(l->v[i].model);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct descriptor *descriptor_free(struct descriptor *d)
{
	if (!d)
		return NULL;
	free(d->hypervisor.id);
	free(d->hypervisor.product);
	free(d->hypervisor.version);
	free(d->hypervisor.version_source);
	free(d->hypervisor.build);
	free(d->hypervisor.cloud);
	evidence_list_release(&d->hypervisor.evidence);
	conflict_list_release(&d->hypervisor.conflicts);
	cv_strv_release(&d->hypervisor.features);
	free(d->container.id);
	evidence_list_release(&d->container.evidence);
	free(d->guest.os.id);
	free(d->guest.os.version);
	free(d->guest.os.name);
	free(d->guest.os.pretty);
	free(d->guest.os.osinfo);
	free(d->guest.os.source);
	free(d->guest.os.service_pack);
	free(d->guest.os.edition);
	free(d->guest.kernel);
	free(d->guest.arch);
	free(d->vm.firmware);
	device_list_release(&d->vm.disks);
	device_list_release(&d->vm.nics);
	cv_strv_release(&d->integration.expected);
	cv_strv_release(&d->integration.present);
	cv_strv_release(&d->integration.missing);
	cv_strv_release(&d->integration.recommended);
	cv_strv_release(&d->integration.recommended_missing);
	cv_strv_release(&d->integration.unbound);
	evidence_list_release(&d->integration.evidence);
	cv_strv_release(&d->notes);
	free(d->probed_at);
	free(d->probe_root);
	free(d);
	return NULL;
}
