/*
 * cmd-check.c - `covalid check`: is this machine, a descriptor, or a
 * fleet of them in a validated configuration?
 */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cli/cli.h"
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
	r = descriptor_from_json(text, len, ret, &why);
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

/* ---- fleet ---- */

struct fleet {
	const struct check_opts *o;
	const struct check_index *ix;
	const struct catalog *cat;
	size_t machines, bad;
	size_t verdicts[CHECK_VERDICT__MAX];
	size_t reasons[CHECK_VERDICT__MAX][CHECK_REASON__MAX];
	struct check_key *keys; /* kept when timing the phases apart */
	char **sources;
	size_t n_keys, alloc_keys;
	uint64_t parse_ns, match_ns;
};

static void emit(struct fleet *f, const char *source, const struct descriptor *d, const struct check_fast *m)
{
	json_t *o;
	char *s;

	f->verdicts[m->verdict]++;
	f->reasons[m->verdict][m->reason]++;
	if (!f->o->json)
		return;
	o = json_pack("{s:s, s:s, s:s}", "source", source, "verdict", check_verdict_name(m->verdict), "reason",
		      check_reason_name(m->reason));
	json_object_set_new(o, "match", m->match >= 0 ? json_string(f->cat->configs[m->match]->id) : json_null());
	if (m->nearest >= 0 && m->match < 0 && d) {
		struct cv_strv diffs;
		json_t *a = json_array();

		cv_strv_init(&diffs);
		check_differences(f->cat->configs[m->nearest], d, &diffs);
		for (size_t i = 0; i < diffs.n; i++)
			json_array_append_new(a, json_string(diffs.v[i]));
		cv_strv_release(&diffs);
		json_object_set_new(o, "nearest", json_pack("{s:s, s:o}", "id", f->cat->configs[m->nearest]->id,
							    "differences", a));
	} else
		json_object_set_new(o, "nearest", json_null());
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	puts(s);
	free(s);
	json_decref(o);
}

/* One descriptor's text: checked now (--json) or reduced to a key for later. */
static void one(struct fleet *f, const char *source, const char *text, size_t len)
{
	struct descriptor *d = NULL;
	char *why = NULL;
	uint64_t t0 = cv_now_ns(), t1;
	struct check_key k;

	if (descriptor_from_json(text, len, &d, &why) < 0) {
		fprintf(stderr, "covalid: %s: %s\n", source, why);
		free(why);
		f->bad++;
		return;
	}
	check_key_from_descriptor(f->ix, d, &k);
	t1 = cv_now_ns();
	f->parse_ns += t1 - t0;
	f->machines++;
	if (f->o->json) {
		struct check_fast m;

		check_match_fast(f->ix, &k, &m);
		f->match_ns += cv_now_ns() - t1;
		emit(f, source, d, &m);
	} else {
		if (f->n_keys == f->alloc_keys) {
			f->alloc_keys = f->alloc_keys ? f->alloc_keys * 2 : 4096;
			f->keys = cv_xreallocarray(f->keys, f->alloc_keys, sizeof(*f->keys));
		}
		f->keys[f->n_keys++] = k;
	}
	descriptor_free(d);
}

static int read_jsonl(struct fleet *f, const char *path)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *line = NULL, source[4096];
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (!in) {
		cli_error(path, "%s", strerror(errno));
		return CLI_USAGE;
	}
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue;
		snprintf(source, sizeof(source), "%s:%zu", path, lineno);
		if ((size_t)len > DESCRIPTOR_MAX_BYTES) {
			fprintf(stderr, "covalid: %s: line longer than 1 MiB\n", source);
			f->bad++;
			continue;
		}
		one(f, source, line, (size_t)len);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	return CLI_OK;
}

static int read_dir(struct fleet *f, const char *path)
{
	struct cv_strv names;
	struct dirent *de;
	DIR *dir = opendir(path);

	if (!dir) {
		cli_error(path, "%s", strerror(errno));
		return CLI_USAGE;
	}
	cv_strv_init(&names);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && cv_endswith(de->d_name, ".json"))
			cv_strv_push(&names, de->d_name);
	closedir(dir);
	cv_strv_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		char *file = cv_xasprintf("%s/%s", path, names.v[i]), *text;
		size_t len;
		int r = cv_read_file(file, DESCRIPTOR_MAX_BYTES, &text, &len);

		if (r < 0) {
			fprintf(stderr, "covalid: %s: %s\n", file,
				r == -E2BIG ? "larger than 1 MiB: not a descriptor" : strerror(-r));
			f->bad++;
		} else {
			one(f, file, text, len);
			free(text);
		}
		free(file);
	}
	cv_strv_release(&names);
	return CLI_OK;
}

static void print_summary(const struct fleet *f)
{
	static const enum check_verdict order[] = { CHECK_VALIDATED, CHECK_SUPPORTED, CHECK_NOT_SUPPORTED,
						    CHECK_NOT_VALIDATED, CHECK_UNKNOWN };
	FILE *out = f->o->json ? stderr : stdout;

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

static int check_fleet(const struct check_opts *o)
{
	struct catalog *cat = NULL;
	struct check_index *ix = NULL;
	struct fleet f = { .o = o };
	struct stat st;
	struct rusage ru;
	uint64_t t_start = cv_now_ns(), t_index;
	int r;

	r = load_index(o->db, &cat, &ix);
	if (r)
		return r;
	t_index = cv_now_ns();
	f.ix = ix;
	f.cat = cat;
	if (strcmp(o->fleet, "-") != 0 && stat(o->fleet, &st) < 0) {
		cli_error(o->fleet, "%s", strerror(errno));
		r = CLI_USAGE;
		goto out;
	}
	r = strcmp(o->fleet, "-") != 0 && S_ISDIR(st.st_mode) ? read_dir(&f, o->fleet) : read_jsonl(&f, o->fleet);
	if (r)
		goto out;
	if (!o->json) {
		/* The match phase alone, over keys already in memory. */
		uint64_t t0 = cv_now_ns();

		for (size_t i = 0; i < f.n_keys; i++) {
			struct check_fast m;

			check_match_fast(ix, &f.keys[i], &m);
			f.verdicts[m.verdict]++;
			f.reasons[m.verdict][m.reason]++;
		}
		f.match_ns = cv_now_ns() - t0;
	}
	print_summary(&f);
	if (o->stats) {
		double parse = (double)f.parse_ns / 1e9, match = (double)f.match_ns / 1e9;
		double total = (double)(cv_now_ns() - t_start) / 1e9;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
			"stats: configurations %zu, index %.3f s; descriptors %zu; parse %.3f s (%.0f/s); "
			"match %.3f s (%.0f/s); total %.3f s (%.0f/s); peak RSS %ld MiB\n",
			check_index_size(ix), (double)(t_index - t_start) / 1e9, f.machines, parse,
			parse > 0 ? (double)f.machines / parse : 0.0, match, match > 0 ? (double)f.machines / match : 0.0,
			total, total > 0 ? (double)f.machines / total : 0.0, ru.ru_maxrss / 1024);
	}
	if (f.bad)
		r = CLI_USAGE;
	else
		r = f.verdicts[CHECK_VALIDATED] + f.verdicts[CHECK_SUPPORTED] == f.machines ? CLI_OK : CLI_NO;
out:
	free(f.keys);
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
