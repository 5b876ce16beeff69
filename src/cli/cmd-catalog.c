/*
 * cmd-catalog.c - `covalid catalog import|export|list|search|show`.
 */
#include <getopt.h>
#include <jansson.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/table.h"
#include "covalid/catalog.h"
#include "covalid/store.h"
#include "util/cv.h"

struct opts {
	const char *db, *output;
	struct store_query q;
	bool json, osinfo, all, merge;
};

static int parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "guest", required_argument, NULL, 'g' },
		{ "hypervisor", required_argument, NULL, 'h' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "status", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'O' },
		{ "osinfo", no_argument, NULL, 'i' },
		{ "all", no_argument, NULL, 'a' },
		{ "merge", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		uint64_t n;

		switch (c) {
		case 'd': o->db = optarg; break;
		case 'j': o->json = true; break;
		case 'g': o->q.guest = optarg; break;
		case 'h': o->q.hypervisor = optarg; break;
		case 'v': o->q.vendor = optarg; break;
		case 'k': o->q.kind = optarg; break;
		case 'O': o->output = optarg; break;
		case 'i': o->osinfo = true; break;
		case 'a': o->all = true; break;
		case 'm': o->merge = true; break;
		case 's': {
			enum catalog_status st;

			if (catalog_status_parse(optarg, &st) < 0)
				return cli_usage(cmd, "--status: unknown status '%s'", optarg);
			o->q.status = optarg;
			break;
		}
		case 'l':
		case 'o':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n > INT32_MAX)
				return cli_usage(cmd, "--%s: '%s' is not a count", c == 'l' ? "limit" : "offset", optarg);
			if (c == 'l')
				o->q.limit = (int64_t)n;
			else
				o->q.offset = (int64_t)n;
			break;
		default:
			return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return CLI_OK;
}

/*
 * The import's progress without the importer's help: the file is read
 * through a stream that counts the bytes and lines going by (the importer
 * writes as it reads, in one transaction: once read, what is left is
 * "writing" the last rows and the commit).  The importer reads it on a
 * thread of its own; the counter is touched by that thread only.
 */
struct counted {
	FILE *f;
	struct cli_progress progress;
	uint64_t bytes, size;
	size_t lines;
};

static ssize_t counted_read(void *cookie, char *buf, size_t size)
{
	struct counted *c = cookie;
	size_t n = fread(buf, 1, size, c->f);
	char msg[96];

	c->bytes += n;
	for (const char *p = buf; (p = memchr(p, '\n', n - (size_t)(p - buf))); p++)
		c->lines++;
	if (n)
		cli_progress_update(&c->progress, c->lines, c->bytes, c->size);
	else if (!ferror(c->f)) {
		snprintf(msg, sizeof(msg), "%zu rows read; writing", c->lines);
		cli_progress_say(&c->progress, msg);
	}
	return ferror(c->f) ? -1 : (ssize_t)n;
}

static FILE *counted_open(struct counted *c, FILE *f)
{
	static const cookie_io_functions_t io = { .read = counted_read };
	struct stat st;
	FILE *in;

	*c = (struct counted){ .f = f };
	cli_progress_init(&c->progress, "rows");
	if (!c->progress.on)
		return f;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		c->size = (uint64_t)st.st_size;
	in = fopencookie(c, "r", io);
	return in ? in : f;
}

static int do_import(int argc, char **argv)
{
	struct opts o = { 0 };
	struct store *s = NULL;
	int r;

	r = parse_opts("catalog import", argc, argv, &o);
	if (r)
		return r;
	if (o.osinfo) {
		struct catalog_osinfo_stats st;
		char *err = NULL;
		const char *dir = optind < argc ? argv[optind] : NULL;

		if (optind + 1 < argc)
			return cli_usage("catalog import", "--osinfo takes at most one directory");
		r = cli_create_store(o.db, &s);
		if (r)
			return r;
		r = catalog_import_osinfo(s, dir, o.all, &st, &err);
		store_close(s);
		if (r < 0) {
			cli_error("catalog import --osinfo", "%s", err ? err : strerror(-r));
			free(err);
			/* A path that is not an osinfo-db tree, or a file in it
			 * that is not one of its XML files, is the input's fault. */
			return r == -ENOENT || r == -EBADMSG || r == -EACCES || r == -ENOTDIR || r == -EISDIR ||
					       r == -EINVAL || r == -EFBIG || r == -E2BIG || r == -ELOOP ||
					       r == -ENAMETOOLONG
				       ? CLI_USAGE
				       : CLI_INTERNAL;
		}
		printf("osinfo-db: %zu OS entries read; %zu products enriched, %zu added\n", st.oses_read,
		       st.products_enriched, st.products_added);
		return CLI_OK;
	}
	if (optind >= argc)
		return cli_usage("catalog import", "which file? (or --osinfo [DIR])");
	r = cli_create_store(o.db, &s);
	if (r)
		return r;
	for (int i = optind; i < argc; i++) {
		struct catalog_import_stats st;
		const char *path = argv[i];
		char *err = NULL;
		FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");

		if (!f) {
			cli_error(path, "%s", strerror(errno));
			r = CLI_USAGE;
			break;
		}
		struct counted counted;
		FILE *in = counted_open(&counted, f);

		r = catalog_import_with(s, in, o.merge ? CATALOG_IMPORT_MERGE : CATALOG_IMPORT_UPDATE, &st, &err);
		cli_progress_end(&counted.progress);
		if (in != f)
			fclose(in);
		if (f != stdin)
			fclose(f);
		if (r < 0) {
			/* "FILE:LINE: why" — the line is in err already. */
			fprintf(stderr, "covalid: %s:%s\n", path, err ? err : strerror(-r));
			free(err);
			r = r == -EIO || r == -ENOSPC || r == -ENOMEM ? CLI_INTERNAL : CLI_USAGE;
			break;
		}
		/* One line: what was added, updated, and kept (docs/catalog.md). */
		printf("%s: configurations: %zu added, %zu updated, %zu kept as the program decided them "
		       "(revoked or with submitted evidence)",
		       path, st.configs_added, st.configs_replaced, st.configs_decided);
		if (o.merge)
			printf(", %zu kept (--merge)", st.configs_kept);
		printf("; products: %zu added, %zu updated", st.products_added, st.products_replaced);
		if (o.merge)
			printf(", %zu kept (--merge)", st.products_kept);
		printf("\n");
		r = CLI_OK;
	}
	store_close(s);
	return r;
}

static int do_export(int argc, char **argv)
{
	struct opts o = { 0 };
	struct store *s = NULL;
	FILE *out = stdout;
	int r;

	r = parse_opts("catalog export", argc, argv, &o);
	if (r)
		return r;
	if (optind < argc)
		return cli_usage("catalog export", "unexpected argument '%s'", argv[optind]);
	r = cli_open_store(o.db, &s);
	if (r)
		return r;
	if (o.output) {
		out = fopen(o.output, "we");
		if (!out) {
			cli_error(o.output, "%s", strerror(errno));
			store_close(s);
			return CLI_USAGE;
		}
	}
	r = catalog_export(s, out);
	if (r == 0 && (fflush(out) != 0 || ferror(out)))
		r = -EIO;
	if (out != stdout)
		fclose(out);
	if (r < 0) {
		cli_error("catalog export", "%s", r == -EIO ? strerror(errno) : store_errmsg(s));
		store_close(s);
		return CLI_INTERNAL;
	}
	store_close(s);
	return CLI_OK;
}

struct list_ctx {
	bool json, products;
	size_t n;
	json_t *array;
	struct cli_table table;
};

static const char *const config_headers[] = { "ID", "STATUS", "GUEST", "ARCH", "HYPERVISOR", "VCPUS", "VALIDATED BY" };
static const char *const product_headers[] = { "ID", "KIND", "VENDOR", "PRODUCT", "VERSION", "OSINFO" };

static int print_config_row(void *userdata, const char *id, const char *doc)
{
	struct list_ctx *l = userdata;
	struct catalog_config *c;
	char *why = NULL, *arch, *by, vcpus[32];

	if (l->json) {
		json_t *j = json_loads(doc, 0, NULL);

		if (j)
			json_array_append_new(l->array, j);
		l->n++;
		return 0;
	}
	if (catalog_config_from_text(doc, &c, &why) < 0) {
		cli_error(id, "stored record does not parse: %s", why);
		free(why);
		return -EBADMSG;
	}
	l->n++;
	arch = cv_strv_join(&c->guest.arch, ",");
	by = cv_strv_join(&c->validated_by, ", ");
	if (c->limits.n_allowed_vcpus == 1 && c->limits.allowed_vcpus[0] == 1)
		snprintf(vcpus, sizeof(vcpus), "1 (UP)");
	else if (c->limits.max_vcpus > 0)
		snprintf(vcpus, sizeof(vcpus), "<=%d", c->limits.max_vcpus);
	else
		snprintf(vcpus, sizeof(vcpus), "-");
	{
		char *guest = cv_xasprintf("%s %s", c->guest.product, c->guest.version);
		const char *row[] = { c->id, catalog_status_name(c->status), guest, arch, c->hypervisor.product, vcpus, by };

		cli_table_add(&l->table, row);
		free(guest);
	}
	free(arch);
	free(by);
	catalog_config_free(c);
	return 0;
}

static int print_product_row(void *userdata, const char *id, const char *doc)
{
	struct list_ctx *l = userdata;
	struct catalog_product *p;
	char *why = NULL;

	if (l->json) {
		json_t *j = json_loads(doc, 0, NULL);

		if (j)
			json_array_append_new(l->array, j);
		l->n++;
		return 0;
	}
	if (catalog_product_from_text(doc, &p, &why) < 0) {
		cli_error(id, "stored record does not parse: %s", why);
		free(why);
		return -EBADMSG;
	}
	l->n++;
	{
		const char *row[] = { p->id, p->kind, p->vendor, p->product, p->version, p->osinfo };

		cli_table_add(&l->table, row);
	}
	catalog_product_free(p);
	return 0;
}

static int do_list(const char *cmd, int argc, char **argv, bool search)
{
	struct opts o = { 0 };
	struct list_ctx l = { 0 };
	struct store *s = NULL;
	bool products = false;
	int r;

	r = parse_opts(cmd, argc, argv, &o);
	if (r)
		return r;
	if (search) {
		if (optind >= argc)
			return cli_usage(cmd, "search for what?");
		o.q.text = argv[optind++];
	}
	if (optind < argc && !search && strcmp(argv[optind], "products") == 0) {
		products = true;
		optind++;
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (o.q.kind && strcmp(o.q.kind, "guest_os") != 0 && strcmp(o.q.kind, "hypervisor") != 0)
		return cli_usage(cmd, "--kind: expected guest_os or hypervisor");
	r = cli_open_store(o.db, &s);
	if (r)
		return r;
	l.json = o.json;
	l.products = products;
	if (products)
		cli_table_init(&l.table, product_headers, CV_ELEMENTSOF(product_headers));
	else
		cli_table_init(&l.table, config_headers, CV_ELEMENTSOF(config_headers));
	if (o.json)
		l.array = json_array();
	r = products ? store_product_list(s, &o.q, print_product_row, &l)
		     : store_config_list(s, &o.q, print_config_row, &l);
	if (r < 0) {
		if (r != -EBADMSG)
			cli_error(cmd, "%s", store_errmsg(s));
		json_decref(l.array);
		cli_table_release(&l.table);
		store_close(s);
		return r == -EBADMSG ? CLI_USAGE : CLI_INTERNAL;
	}
	if (o.json) {
		char *out = json_dumps(l.array, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(out);
		free(out);
		json_decref(l.array);
	} else if (l.n == 0)
		fprintf(stderr, "no %s match\n", products ? "products" : "configurations");
	else {
		cli_table_print(&l.table, stdout);
		printf("(%zu %s)\n", l.n, products ? (l.n == 1 ? "product" : "products")
						   : (l.n == 1 ? "configuration" : "configurations"));
	}
	cli_table_release(&l.table);
	store_close(s);
	/* Like grep: finding nothing is a negative answer. */
	return l.n ? CLI_OK : CLI_NO;
}

static void show_strv(const char *label, json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	printf("%-22s", label);
	json_array_foreach(a, i, v)
		printf("%s%s", i ? "\n                      " : "", json_is_string(v) ? json_string_value(v) : "?");
	printf("\n");
}

static void show_str(const char *label, json_t *v)
{
	if (json_is_string(v))
		printf("%-22s%s\n", label, json_string_value(v));
	else if (json_is_integer(v))
		printf("%-22s%lld\n", label, (long long)json_integer_value(v));
}

static int do_show(int argc, char **argv)
{
	struct opts o = { 0 };
	struct store *s = NULL;
	char *doc = NULL;
	bool product = false;
	json_t *j, *g, *h, *l;
	int r;

	r = parse_opts("catalog show", argc, argv, &o);
	if (r)
		return r;
	if (optind >= argc)
		return cli_usage("catalog show", "which configuration id?");
	if (optind + 1 < argc)
		return cli_usage("catalog show", "unexpected argument '%s'", argv[optind + 1]);
	r = cli_open_store(o.db, &s);
	if (r)
		return r;
	r = store_config_get(s, argv[optind], &doc);
	if (r == -ENOENT) {
		r = store_product_get(s, argv[optind], &doc);
		product = r == 0;
	}
	if (r < 0) {
		if (r == -ENOENT)
			cli_error(argv[optind], "no such configuration or product");
		else
			cli_error(argv[optind], "%s", store_errmsg(s));
		store_close(s);
		return r == -ENOENT ? CLI_NO : CLI_INTERNAL;
	}
	store_close(s);
	j = json_loads(doc, 0, NULL);
	free(doc);
	if (!j) {
		cli_error(argv[optind], "stored record is not JSON");
		return CLI_INTERNAL;
	}
	if (o.json) {
		char *out = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(out);
		free(out);
	} else if (product) {
		const char *key;
		json_t *v;

		json_object_foreach(j, key, v) {
			if (json_is_string(v) || json_is_integer(v))
				show_str(key, v);
			else if (json_is_array(v))
				show_strv(key, v);
			else if (json_is_object(v)) {
				/* The life cycle: one milestone a line, "  extended_end". */
				const char *k;
				json_t *m;

				printf("%s\n", key);
				json_object_foreach(v, k, m) {
					char label[64];

					snprintf(label, sizeof(label), "  %s", k);
					if (json_is_null(m))
						printf("%-22s%s\n", label, "(not known)");
					else
						show_str(label, m);
				}
			}
		}
	} else {
		g = json_object_get(j, "guest");
		h = json_object_get(j, "hypervisor");
		l = json_object_get(j, "limits");
		show_str("id", json_object_get(j, "id"));
		show_str("status", json_object_get(j, "status"));
		printf("%-22s%s %s\n", "guest", json_string_value(json_object_get(g, "product")),
		       json_string_value(json_object_get(g, "version")));
		show_str("  product", json_object_get(g, "product_id"));
		show_strv("  arch", json_object_get(g, "arch"));
		show_str("  osinfo", json_object_get(g, "osinfo_short_id"));
		show_str("  service pack", json_object_get(g, "service_pack"));
		printf("%-22s%s %s\n", "hypervisor", json_string_value(json_object_get(h, "product")),
		       json_string_value(json_object_get(h, "version")));
		show_str("  product", json_object_get(h, "product_id"));
		show_strv("  ids", json_object_get(h, "ids"));
		show_str("  host version", json_object_get(h, "host_version"));
		show_strv("  builds", json_object_get(h, "builds"));
		show_strv("  equivalents", json_object_get(h, "equivalents"));
		if (l) {
			show_str("max vCPUs", json_object_get(l, "max_vcpus"));
			if (json_is_array(json_object_get(l, "allowed_vcpus"))) {
				size_t i;
				json_t *v;

				printf("%-22s", "allowed vCPUs");
				json_array_foreach(json_object_get(l, "allowed_vcpus"), i, v)
					printf("%s%lld", i ? ", " : "", (long long)json_integer_value(v));
				printf("\n");
			}
			show_str("max memory (MiB)", json_object_get(l, "max_memory_mib"));
			show_str("  basis", json_object_get(l, "basis"));
		}
		show_strv("required components", json_object_get(j, "required_components"));
		show_strv("required drivers", json_object_get(j, "required_drivers"));
		show_str("integration comps.", json_object_get(j, "integration_components"));
		show_str("VM generation", json_object_get(j, "vm_generation"));
		show_strv("validated by", json_object_get(j, "validated_by_detail") ? json_object_get(j, "validated_by_detail")
										     : json_object_get(j, "validated_by"));
		show_strv("conditions", json_object_get(j, "conditions"));
		show_str("valid from", json_object_get(j, "valid_from"));
		show_str("valid until", json_object_get(j, "valid_until"));
		show_strv("evidence", json_object_get(j, "evidence"));
		show_str("source", json_object_get(j, "source"));
		show_strv("inferred fields", json_object_get(j, "inferred_fields"));
		show_str("notes", json_object_get(j, "notes"));
	}
	json_decref(j);
	return CLI_OK;
}

int cmd_catalog(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return cli_usage("catalog", "which subcommand? import, export, list, search or show");
	if (strcmp(sub, "import") == 0)
		return do_import(argc - 1, argv + 1);
	if (strcmp(sub, "export") == 0)
		return do_export(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return do_list("catalog list", argc - 1, argv + 1, false);
	if (strcmp(sub, "search") == 0)
		return do_list("catalog search", argc - 1, argv + 1, true);
	if (strcmp(sub, "show") == 0)
		return do_show(argc - 1, argv + 1);
	static const char *const subs[] = { "import", "export", "list", "search", "show" };

	return cli_unknown_subcommand("catalog", sub, subs, CV_ELEMENTSOF(subs));
}
