/*
 * cmd-check.c - `covalid check`: is this machine, a descriptor, or a
 * fleet of them in a validated configuration?
 */
#include <getopt.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "covalid/store.h"
#include "util/cv.h"

struct check_opts {
	const char *db, *descriptor, *root, *fleet, *host_version;
	bool json, stats;
	size_t nearest;
};

int cli_read_descriptor(const char *path, struct descriptor **ret)
{
	char *text = NULL, *why = NULL;
	size_t len;
	int r;

	if (strcmp(path, "-") == 0)
		r = cv_read_stream(stdin, DESCRIPTOR_MAX_BYTES, &text, &len);
	else
		r = cv_read_file(path, DESCRIPTOR_MAX_BYTES, &text, &len);
	if (r < 0) {
		cli_error(strcmp(path, "-") == 0 ? "stdin" : path, "%s",
			  r == -E2BIG ? "larger than 1 MiB: not a descriptor" : strerror(-r));
		return cli_exit_for_input_error(r);
	}
	r = descriptor_parse(text, len, 0, ret, &why);
	free(text);
	if (r < 0) {
		cli_error(strcmp(path, "-") == 0 ? "stdin" : path, "%s", why);
		free(why);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int load_index(const char *db, struct catalog **ret_cat, struct check_index **ret_ix)
{
	struct store *s = NULL;
	char *why = NULL;
	int r;

	r = cli_open_store(db, &s);
	if (r)
		return r;
	r = catalog_load(s, CATALOG_LOAD_NO_DOCS, ret_cat, &why);
	store_close(s);
	if (r < 0) {
		cli_error("catalog", "%s", why ? why : strerror(-r));
		free(why);
		return CLI_INTERNAL;
	}
	if ((*ret_cat)->n_configs == 0) {
		cli_error("catalog", "no configurations in the database; import some first "
				     "(covalid catalog import data/validated-configs.jsonl)");
		*ret_cat = catalog_free(*ret_cat);
		return CLI_USAGE;
	}
	r = check_index_build(*ret_cat, ret_ix);
	if (r < 0) {
		cli_error("catalog", "cannot index: %s", strerror(-r));
		*ret_cat = catalog_free(*ret_cat);
		return CLI_INTERNAL;
	}
	return CLI_OK;
}

static int exit_for(enum check_verdict v)
{
	return v == CHECK_VALIDATED || v == CHECK_SUPPORTED ? CLI_OK : CLI_NO;
}

static void print_machine(const struct descriptor *d)
{
	printf("machine        %s %s (%s, %s) on %s", d->guest.os.name ? d->guest.os.name : d->guest.os.id ? d->guest.os.id : "unknown OS",
	       d->guest.os.version ? d->guest.os.version : "", d->guest.os.osinfo ? d->guest.os.osinfo : "no osinfo id",
	       d->guest.arch ? d->guest.arch : "unknown arch", d->hypervisor.id ? d->hypervisor.id : "unknown");
	if (d->hypervisor.product)
		printf(" (%s%s%s%s%s)", d->hypervisor.product, d->hypervisor.version ? " " : "",
		       d->hypervisor.version ? d->hypervisor.version : "", d->hypervisor.build ? ", build " : "",
		       d->hypervisor.build ? d->hypervisor.build : "");
	if (d->vm.vcpus >= 0)
		printf(", %d vCPU%s", d->vm.vcpus, d->vm.vcpus == 1 ? "" : "s");
	if (d->vm.memory_mib)
		printf(", %llu MiB", (unsigned long long)d->vm.memory_mib);
	printf("\n");
}

static void print_candidate(size_t i, const struct check_candidate *c)
{
	char *arch = cv_strv_join(&c->config->guest.arch, ",");
	char *g = check_product_version(c->config->guest.product, c->config->guest.version);
	char *h = check_product_version(c->config->hypervisor.product, c->config->hypervisor.version);

	printf("  %zu. %s  [%s]\n     %s (%s) on %s\n", i + 1, c->config->id, catalog_status_name(c->config->status), g,
	       arch, h);
	free(g);
	free(h);
	for (size_t k = 0; k < c->differences.n; k++)
		printf("     - %s\n", c->differences.v[k]);
	if (c->lifecycle.note)
		printf("     not current: %s\n", c->lifecycle.note);
	free(arch);
}

static void print_human(const struct check_result *r, const struct descriptor *d)
{
	bool color = cli_color(stdout);
	const char *on = color ? (r->verdict == CHECK_VALIDATED || r->verdict == CHECK_SUPPORTED ? "\033[1;32m" : "\033[1;31m") : "";
	const char *off = color ? "\033[0m" : "";

	printf("verdict        %s%s%s\n", on, r->summary, off);
	print_machine(d);
	if (r->n_matches) {
		printf("matches\n");
		for (size_t i = 0; i < r->n_matches; i++) {
			char *by = cv_strv_join(&r->matches[i].config->validated_by, ", ");

			print_candidate(i, &r->matches[i]);
			printf("     validated by: %s\n", by);
			free(by);
		}
	}
	if (r->support_vendors.n) {
		char *v = cv_strv_join(&r->support_vendors, ", ");

		printf("support        %s: %s\n", r->cooperative ? "cooperative" : "by its statement", v);
		free(v);
	}
	if (r->n_nearest) {
		printf(r->verdict == CHECK_SUPPORTED ? "nearest validated configurations (for cooperative support)\n"
						    : "nearest validated or supported configurations\n");
		for (size_t i = 0; i < r->n_nearest; i++)
			print_candidate(i, &r->nearest[i]);
	}
}

static int check_one(const struct check_opts *o)
{
	struct descriptor *d = NULL;
	struct catalog *cat = NULL;
	struct check_index *ix = NULL;
	struct check_result *res = NULL;
	int r;

	if (o->descriptor) {
		r = cli_read_descriptor(o->descriptor, &d);
		if (r)
			return r;
	} else {
		struct probe_options po = { .root = o->root };

		r = probe_run(&po, &d);
		if (r < 0) {
			cli_error(o->root ? o->root : "/", "%s", strerror(-r));
			return cli_exit_for_input_error(r);
		}
	}
	if (o->host_version)
		descriptor_state_host_version(d, o->host_version);
	r = load_index(o->db, &cat, &ix);
	if (r)
		goto out;
	r = check_explain(ix, d, o->nearest, &res);
	if (r < 0) {
		cli_error("check", "%s", strerror(-r));
		r = CLI_INTERNAL;
		goto out;
	}
	if (o->json) {
		json_t *j = check_result_to_json(res, d);
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(s);
		free(s);
		json_decref(j);
	} else
		print_human(res, d);
	r = exit_for(res->verdict);
out:
	check_result_free(res);
	check_index_free(ix);
	catalog_free(cat);
	descriptor_free(d);
	return r;
}

/* ---- fleet: the library reads and counts (src/check/fleet.c); this prints ---- */

struct fleet_run {
	struct check_fleet fleet;
	struct cli_progress progress;
};

static void print_record(void *userdata, const struct check_fleet_record *rec)
{
	struct fleet_run *run = userdata;
	json_t *o = check_fleet_record_to_json(&run->fleet, rec);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	puts(s);
	free(s);
	json_decref(o);
}

static void print_bad(void *userdata, const char *source, const char *why)
{
	struct fleet_run *run = userdata;

	/* The message starts on a line of its own, not after the progress. */
	cli_progress_clear(&run->progress);
	fprintf(stderr, "covalid: %s: %s\n", source, why);
}

static void show_progress(void *userdata, size_t descriptors, uint64_t done, uint64_t total)
{
	struct fleet_run *run = userdata;

	cli_progress_update(&run->progress, descriptors, done, total);
}

static void print_summary(const struct check_fleet *f, FILE *out)
{
	static const enum check_verdict order[] = { CHECK_VALIDATED, CHECK_SUPPORTED, CHECK_NOT_SUPPORTED,
						    CHECK_NOT_VALIDATED, CHECK_UNKNOWN };

	fprintf(out, "%-34s %10zu\n", "machines checked", f->machines);
	for (size_t i = 0; i < CV_ELEMENTSOF(order); i++) {
		enum check_verdict v = order[i];

		fprintf(out, "%-34s %10zu\n", check_verdict_name(v), f->verdicts[v]);
		if (v == CHECK_VALIDATED || v == CHECK_SUPPORTED)
			continue;
		for (int k = 1; k < CHECK_REASON__MAX; k++)
			if (f->reasons[v][k])
				fprintf(out, "  %-32s %10zu  (%s)\n", check_reason_name((enum check_reason)k), f->reasons[v][k],
					check_reason_phrase((enum check_reason)k));
	}
	fprintf(out, "%-34s %10zu\n", "bad input (not checked)", f->bad);
}

/* The process's CPU time: on a machine shared with other work, what the
 * fleet cost apart from the time it waited for a core. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* end_s: reading, parsing and matching the fleet, from its first byte to its
 * last verdict (everything but loading the catalog and building the index);
 * end_cpu_s the CPU time it took. */
static void print_stats(const struct check_fleet *f, double end_s, double end_cpu_s)
{
	struct check_fleet_stats st;

	check_fleet_stats(f, &st);
	fprintf(stderr,
		"stats: configurations %zu, index %.3f s; descriptors %zu; parse %.3f s (%.0f/s); "
		"match %.3f s (%.0f/s); read+parse+match %.3f s (%.0f/s), CPU %.3f s (%.0f/s); total %.3f s (%.0f/s); peak RSS %ld MiB\n",
		st.configurations, st.index_s, st.machines, st.parse_s,
		st.parse_s > 0 ? (double)st.machines / st.parse_s : 0.0, st.match_s,
		st.match_s > 0 ? (double)st.machines / st.match_s : 0.0, end_s,
		end_s > 0 ? (double)st.machines / end_s : 0.0, end_cpu_s,
		end_cpu_s > 0 ? (double)st.machines / end_cpu_s : 0.0, st.total_s,
		st.total_s > 0 ? (double)st.machines / st.total_s : 0.0, st.peak_rss_mib);
}

static int check_fleet(const struct check_opts *o)
{
	struct catalog *cat = NULL;
	struct check_index *ix = NULL;
	struct fleet_run run;
	struct check_fleet_ops ops = { .record = print_record, .bad = print_bad, .progress = show_progress,
				       .userdata = &run };
	struct check_fleet *fp = &run.fleet;
	uint64_t t_start = cv_now_ns(), t_read, c_read;
	int r;

	r = load_index(o->db, &cat, &ix);
	if (r)
		return r;
	check_fleet_init(fp, ix, o->json ? CHECK_FLEET_RECORDS : 0, &ops);
	fp->index_ns = fp->started_ns - t_start;
	fp->started_ns = t_start;
	cli_progress_init(&run.progress, "machines");
	t_read = cv_now_ns();
	c_read = cpu_ns();
	r = check_fleet_read(fp, o->fleet);
	cli_progress_end(&run.progress);
	if (r < 0) {
		cli_error(o->fleet, "%s", strerror(-r));
		r = CLI_USAGE;
		goto out;
	}
	check_fleet_finish(fp);
	t_read = cv_now_ns() - t_read;
	c_read = cpu_ns() - c_read;
	print_summary(fp, o->json ? stderr : stdout);
	if (o->stats)
		print_stats(fp, (double)t_read / 1e9, (double)c_read / 1e9);
	if (fp->bad)
		r = CLI_USAGE;
	else
		r = fp->verdicts[CHECK_VALIDATED] + fp->verdicts[CHECK_SUPPORTED] == fp->machines ? CLI_OK : CLI_NO;
out:
	check_fleet_release(fp);
	check_index_free(ix);
	catalog_free(cat);
	return r;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "descriptor", required_argument, NULL, 'D' },
		{ "root", required_argument, NULL, 'r' },
		{ "fleet", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "nearest", required_argument, NULL, 'n' },
		{ "host-version", required_argument, NULL, 'H' },
		{ "stats", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts o = { .nearest = 3 };
	int c, sources = 0;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		uint64_t n;

		switch (c) {
		case 'd': o.db = optarg; break;
		case 'D': o.descriptor = optarg; sources++; break;
		case 'r': o.root = optarg; sources++; break;
		case 'f': o.fleet = optarg; sources++; break;
		case 'j': o.json = true; break;
		case 's': o.stats = true; break;
		case 'H': o.host_version = optarg; break;
		case 'n':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n > 100)
				return cli_usage("check", "--nearest: expected 0 to 100");
			o.nearest = (size_t)n;
			break;
		default:
			return cli_usage("check", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("check", "unexpected argument '%s'", argv[optind]);
	if (sources > 1)
		return cli_usage("check", "give one of --descriptor, --root and --fleet");
	if (o.host_version) {
		if (!check_host_version_valid(o.host_version))
			return cli_usage("check", "--host-version: '%s' is not a version", o.host_version);
		if (o.fleet)
			return cli_usage("check", "--host-version applies to one machine, not a fleet");
	}
	return o.fleet ? check_fleet(&o) : check_one(&o);
}
