/*
 * cmd-probe.c - `covalid probe`: print this machine's descriptor.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "util/cv.h"

struct style {
	const char *bold, *warn, *dim, *off;
};

static const char *or_unknown(const char *s)
{
	return s ? s : "unknown";
}

static void print_list(const char *label, const struct cv_strv *v)
{
	printf("  %-13s", label);
	if (!v->n)
		printf(" -");
	for (size_t i = 0; i < v->n; i++)
		printf(" %s", v->v[i]);
	printf("\n");
}

static void print_evidence(const struct style *st, const struct evidence_list *l)
{
	size_t w = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].source && strlen(l->v[i].source) > w)
			w = strlen(l->v[i].source);
	if (w > 60)
		w = 60;
	for (size_t i = 0; i < l->n; i++) {
		const struct evidence *e = &l->v[i];

		printf("  %-*s  %s", (int)w, or_unknown(e->source), or_unknown(e->value));
		if (e->suggests)
			printf("  %s-> %s%s", st->bold, e->suggests, st->off);
		if (e->meaning)
			printf("  %s(%s)%s", st->dim, e->meaning, st->off);
		printf("\n");
	}
}

static void print_devices(const char *kind, const struct device_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		printf("  %-4s %-8s %s%s%s%s%s%s\n", kind, or_unknown(l->v[i].name), or_unknown(l->v[i].driver),
		       l->v[i].bus || l->v[i].model ? " (" : "", l->v[i].bus ? l->v[i].bus : "",
		       l->v[i].bus && l->v[i].model ? " " : "", l->v[i].model ? l->v[i].model : "",
		       l->v[i].bus || l->v[i].model ? ")" : "");
}

static void print_human(const struct descriptor *d)
{
	struct style st = { "", "", "", "" };

	if (cli_color(stdout))
		st = (struct style){ "\033[1m", "\033[1;31m", "\033[2m", "\033[0m" };

	printf("%shypervisor%s     %s", st.bold, st.off, or_unknown(d->hypervisor.id));
	if (d->hypervisor.product)
		printf(" (%s", d->hypervisor.product);
	if (d->hypervisor.version)
		printf(", version %s", d->hypervisor.version);
	if (d->hypervisor.build)
		printf(", build %s", d->hypervisor.build);
	if (d->hypervisor.product)
		printf(")");
	printf("\n");
	if (d->hypervisor.cloud)
		printf("  cloud         %s\n", d->hypervisor.cloud);
	if (d->hypervisor.nested)
		printf("  nested        yes\n");
	printf("%scontainer%s      %s\n", st.bold, st.off, or_unknown(d->container.id));
	printf("%sguest%s          %s", st.bold, st.off,
	       d->guest.os.pretty ? d->guest.os.pretty : or_unknown(d->guest.os.name));
	printf(" [id %s, version %s", or_unknown(d->guest.os.id), or_unknown(d->guest.os.version));
	/* Windows only: a release's service pack and edition. */
	if (d->guest.os.service_pack)
		printf(", service pack %s", d->guest.os.service_pack);
	if (d->guest.os.edition)
		printf(", edition %s", d->guest.os.edition);
	printf(", osinfo %s]\n", or_unknown(d->guest.os.osinfo));
	printf("  kernel        %s\n", or_unknown(d->guest.kernel));
	printf("  arch          %s\n", or_unknown(d->guest.arch));
	printf("%svm%s             ", st.bold, st.off);
	if (d->vm.vcpus >= 0)
		printf("%d vCPU%s", d->vm.vcpus, d->vm.vcpus == 1 ? "" : "s");
	else
		printf("unknown vCPUs");
	if (d->vm.vcpus_possible >= 0)
		printf(" (%d possible)", d->vm.vcpus_possible);
	if (d->vm.memory_mib)
		printf(", %llu MiB", (unsigned long long)d->vm.memory_mib);
	else
		printf(", unknown memory");
	printf(", firmware %s\n", or_unknown(d->vm.firmware));
	print_devices("disk", &d->vm.disks);
	print_devices("nic", &d->vm.nics);
	printf("%sintegration%s\n", st.bold, st.off);
	print_list("expected", &d->integration.expected);
	print_list("present", &d->integration.present);
	if (d->integration.missing.n) {
		printf("%s", st.warn);
		print_list("missing", &d->integration.missing);
		printf("%s", st.off);
	} else
		print_list("missing", &d->integration.missing);
	if (d->integration.unbound.n) {
		printf("%s", st.warn);
		print_list("unbound", &d->integration.unbound);
		printf("%s", st.off);
	}
	if (d->integration.recommended.n) {
		print_list("recommended", &d->integration.recommended);
		print_list("not installed", &d->integration.recommended_missing);
	}

	printf("\n%sevidence%s\n", st.bold, st.off);
	print_evidence(&st, &d->hypervisor.evidence);
	if (d->container.evidence.n) {
		printf("%scontainer evidence%s\n", st.bold, st.off);
		print_evidence(&st, &d->container.evidence);
	}
	if (d->integration.evidence.n) {
		printf("%sintegration evidence%s\n", st.bold, st.off);
		print_evidence(&st, &d->integration.evidence);
	}
	if (d->hypervisor.conflicts.n) {
		printf("\n%sconflicts%s\n", st.warn, st.off);
		for (size_t i = 0; i < d->hypervisor.conflicts.n; i++) {
			const struct conflict *c = &d->hypervisor.conflicts.v[i];

			printf("  %s!%s", st.warn, st.off);
			for (size_t k = 0; k < c->sources.n; k++)
				printf("%s %s (%s)", k ? " vs" : "", c->sources.v[k],
				       k < c->suggests.n ? c->suggests.v[k] : "?");
			printf("\n    followed %s: %s\n", or_unknown(c->followed), or_unknown(c->why));
		}
	}
	if (d->notes.n) {
		printf("\n%snotes%s\n", st.bold, st.off);
		for (size_t i = 0; i < d->notes.n; i++)
			printf("  - %s\n", d->notes.v[i]);
	}
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ "capture", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_options po = { 0 };
	struct descriptor *d = NULL;
	bool json = false;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'r':
			po.root = optarg;
			break;
		case 'c':
			po.capture = optarg;
			break;
		default:
			return cli_usage("probe", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("probe", "unexpected argument '%s'", argv[optind]);

	r = probe_run(&po, &d);
	if (r < 0) {
		if (r == -ENOENT || r == -ENOTDIR || r == -EACCES) {
			cli_error(po.root ? po.root : "/", "%s", r == -ENOTDIR ? "not a directory" : strerror(-r));
			return CLI_USAGE;
		}
		cli_error(po.capture ? po.capture : "probe", "%s", strerror(-r));
		return CLI_INTERNAL;
	}
	if (json) {
		char *s = descriptor_to_json(d, true);

		puts(s);
		free(s);
	} else
		print_human(d);
	descriptor_free(d);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("stdout", "%s", strerror(errno));
		return CLI_INTERNAL;
	}
	return CLI_OK;
}
