/*
 * cmd-kit.c - `covalid kit list|run|sign|verify|peer`.
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <unistd.h>

#include "cli/cli.h"
#include "covalid/kit.h"
#include "covalid/sign.h"
#include "covalid/testlog.h"
#include "util/cv.h"

#define LINE_WIDTH 78

static int do_list(int argc, char **argv)
{
	const struct kit_check_info *const *v;
	size_t n = kit_checks(&v);
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > 1 && !json)
		return cli_usage("kit list", "unexpected argument '%s'", argv[1]);
	if (json) {
		json_t *a = json_array();
		char *s;

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", v[i]->id, "title", v[i]->title,
							   "measures", v[i]->measures, "criterion", v[i]->criterion,
							   "needs_root", v[i]->needs_root));
		s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(a);
		return CLI_OK;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-26s %s%s\n%-26s measures:  %s\n%-26s passes if: %s\n\n", v[i]->id, v[i]->title,
		       v[i]->needs_root ? " [root]" : "", "", v[i]->measures, "", v[i]->criterion);
	return CLI_OK;
}

/* virt-host-validate's summary lines: "  KIT: Checking <what> : PASS". */
static void summary_line(const struct kit_check_info *c, const struct kit_result *r, bool color)
{
	static const char *const colors[KIT_STATUS__MAX] = { "\033[32m", "\033[31m", "\033[33m", "\033[31m" };
	char what[256];
	int pad;

	snprintf(what, sizeof(what), "  KIT: Checking %s", c->title);
	pad = LINE_WIDTH - (int)strlen(what);
	printf("%s%*s: %s", what, pad > 1 ? pad : 1, "", color ? colors[r->status] : "");
	for (const char *s = kit_status_name(r->status); *s; s++)
		putchar(*s - 'a' + 'A');
	printf("%s", color ? "\033[0m" : "");
	if (r->reason && r->status != KIT_PASS)
		printf(" (%s)", r->reason);
	printf("\n");
	fflush(stdout);
}

struct progress {
	bool tty, color, quiet;
};

static void on_progress(void *userdata, const struct kit_check_info *c, const struct kit_result *r, size_t i, size_t n)
{
	struct progress *p = userdata;

	if (!r) {
		if (p->tty)
			fprintf(stderr, "\r\033[K  [%zu/%zu] %s ...", i + 1, n, c->id);
		return;
	}
	if (p->tty)
		fprintf(stderr, "\r\033[K");
	if (!p->quiet)
		summary_line(c, r, p->color);
}

static void split_into(struct cv_strv *v, const char *list)
{
	char *copy = cv_xstrdup(list), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (*cv_strstrip(t))
			cv_strv_push(v, t);
	free(copy);
}

static char *default_log_name(const char *host)
{
	char now[32];

	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	for (char *p = now; *p; p++)
		if (*p == ':' || *p == '-')
			memmove(p, p + 1, strlen(p));
	return cv_xasprintf("covalid-testlog-%s-%s.json", host, now);
}

static int do_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "skip", required_argument, NULL, 's' },
		{ "expect-vcpus", required_argument, NULL, 'v' },
		{ "expect-memory", required_argument, NULL, 'm' },
		{ "peer", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'O' },
		{ "sign", required_argument, NULL, 'k' },
		{ "junit", required_argument, NULL, 'J' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kit_options o = { 0 };
	struct progress prog = { 0 };
	struct kit_run *run = NULL;
	struct sign_key key = { 0 };
	const char *out = NULL, *keyfile = NULL, *junit = NULL;
	char *err = NULL, *logpath = NULL;
	bool json = false;
	json_t *doc = NULL;
	int c, r, ret = CLI_INTERNAL;

	cv_strv_init(&o.only);
	cv_strv_init(&o.skip);
	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t n;

		switch (c) {
		case 'q': o.quick = true; break;
		case 'o': split_into(&o.only, optarg); break;
		case 's': split_into(&o.skip, optarg); break;
		case 'p': o.peer = optarg; break;
		case 'd': o.dir = optarg; break;
		case 'O': out = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'J': junit = optarg; break;
		case 'j': json = true; break;
		case 'v':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > 65536) {
				ret = cli_usage("kit run", "--expect-vcpus: '%s' is not a vCPU count", optarg);
				goto out;
			}
			o.expect_vcpus = (int)n;
			break;
		case 'm':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > (UINT64_C(1) << 40)) {
				ret = cli_usage("kit run", "--expect-memory: '%s' is not a size in MiB", optarg);
				goto out;
			}
			o.expect_memory_mib = n;
			break;
		default:
			ret = cli_usage("kit run", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		ret = cli_usage("kit run", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (o.peer) {
		char *host = NULL;
		uint16_t port;
		int pr = cv_parse_host_port(o.peer, &host, &port);
		bool ok = pr == 0 && *host && port > 0;

		free(host);
		if (!ok) {
			ret = cli_usage("kit run", "--peer '%s': expected HOST:PORT, the port 1 to 65535", o.peer);
			goto out;
		}
	}
	/* A bad key is found before the run, not after it. */
	if (keyfile) {
		if (sign_init() < 0) {
			cli_error("kit run", "libsodium did not initialise");
			goto out;
		}
		r = sign_key_load_secret(keyfile, &key, &err);
		if (r < 0) {
			cli_error(keyfile, "%s", err);
			ret = CLI_USAGE;
			goto out;
		}
	}
	prog.tty = isatty(STDERR_FILENO);
	prog.color = cli_color(stdout);
	prog.quiet = json;
	o.progress = on_progress;
	o.userdata = &prog;
	r = kit_run(&o, &run, &err);
	if (r < 0) {
		cli_error("kit run", "%s", err ? err : strerror(-r));
		ret = r == -EINVAL ? CLI_USAGE : CLI_INTERNAL;
		goto out;
	}
	doc = kit_run_to_json(run);
	if (keyfile && testlog_sign(doc, &key) < 0) {
		cli_error(keyfile, "signing failed");
		goto out;
	}
	logpath = out ? cv_xstrdup(out) : default_log_name(run->host);
	r = testlog_write(logpath, doc);
	if (r < 0) {
		cli_error(logpath, "%s", strerror(-r));
		goto out;
	}
	if (junit) {
		char *x = kit_junit(doc);

		r = cv_write_file_atomic(junit, x, strlen(x), 0644);
		free(x);
		if (r < 0) {
			cli_error(junit, "%s", strerror(-r));
			goto out;
		}
	}
	if (json) {
		/* For reading, indented as probe --json and the other commands
		 * print JSON; the log to sign and submit is the file written
		 * above, in its canonical form. */
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s)
			puts(s);
		free(s);
	} else {
		printf("\n%zu passed, %zu failed, %zu skipped, %zu errors in %.1f s\n", run->counts[KIT_PASS],
		       run->counts[KIT_FAIL], run->counts[KIT_SKIP], run->counts[KIT_ERROR], run->duration_s);
		if (keyfile)
			printf("test log: %s (signed by key %s)\n", logpath, key.id);
		else
			printf("test log: %s (not signed: covalid kit sign %s --key KEY)\n", logpath, logpath);
	}
	ret = run->counts[KIT_FAIL] || run->counts[KIT_ERROR] ? CLI_NO : CLI_OK;
out:
	json_decref(doc);
	free(logpath);
	free(err);
	sign_key_release(&key);
	kit_run_free(run);
	cv_strv_release(&o.only);
	cv_strv_release(&o.skip);
	return ret;
}

static int read_log(const char *path, char **ret, size_t *ret_len)
{
	int r = cv_read_file(path, TESTLOG_MAX_BYTES, ret, ret_len);

	if (r < 0) {
		cli_error(path, "%s", r == -E2BIG ? "larger than 16 MiB: not a test log" : strerror(-r));
		return cli_exit_for_input_error(r);
	}
	return CLI_OK;
}

static int do_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *out = NULL, *path;
	struct sign_key key = { 0 };
	char *text = NULL, *err = NULL;
	json_t *doc = NULL;
	size_t len;
	int c, r, ret;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'o': out = optarg; break;
		default: return cli_usage("kit sign", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc || !keyfile)
		return cli_usage("kit sign", "expected LOG --key KEY");
	path = argv[optind];
	if (sign_init() < 0)
		return CLI_INTERNAL;
	r = sign_key_load_secret(keyfile, &key, &err);
	if (r < 0) {
		cli_error(keyfile, "%s", err);
		free(err);
		return CLI_USAGE;
	}
	ret = read_log(path, &text, &len);
	if (ret)
		goto out;
	r = testlog_parse(text, len, &doc, &err);
	if (r < 0) {
		cli_error(path, "%s", err);
		ret = CLI_USAGE;
		goto out;
	}
	if (testlog_sign(doc, &key) < 0 || (r = testlog_write(out ? out : path, doc)) < 0) {
		cli_error(out ? out : path, "%s", strerror(r < 0 ? -r : EIO));
		ret = CLI_INTERNAL;
		goto out;
	}
	printf("%s: signed by key %s\n", out ? out : path, key.id);
	ret = CLI_OK;
out:
	json_decref(doc);
	free(text);
	free(err);
	sign_key_release(&key);
	return ret;
}

/*
 * A log the program would refuse although its signature is good: a status
 * its own measurements contradict, judged as the program judges it
 * (docs/testlog.md) by this build's set of the version the log names.  A
 * version newer than this build is said, not judged.
 */
static int judge_statuses(const char *path, const json_t *doc)
{
	struct cv_strv contra;
	json_t *checks = NULL;
	char *why = NULL;
	int64_t version;
	int ret = CLI_OK;

	if (testlog_thresholds_version(doc, &version, &why) < 0) {
		cli_error(path, "%s", why);
		free(why);
		return CLI_NO;
	}
	if (testlog_thresholds_builtin_checks(version, &checks) < 0) {
		printf("%s: threshold version %lld is newer than this covalid: its statuses were not checked\n", path,
		       (long long)version);
		return CLI_OK;
	}
	cv_strv_init(&contra);
	testlog_contradictions(doc, checks, &contra);
	for (size_t i = 0; i < contra.n; i++)
		cli_error(path, "%s (threshold version %lld)", contra.v[i], (long long)version);
	if (contra.n)
		ret = CLI_NO;
	cv_strv_release(&contra);
	json_decref(checks);
	return ret;
}

static int do_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pubkey = NULL, *path;
	struct sign_key key = { 0 };
	char *text = NULL, *err = NULL;
	json_t *doc = NULL;
	size_t len;
	int c, r, ret;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pubkey = optarg; break;
		default: return cli_usage("kit verify", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc || !pubkey)
		return cli_usage("kit verify", "expected LOG --pubkey PUB");
	path = argv[optind];
	if (sign_init() < 0)
		return CLI_INTERNAL;
	r = sign_key_load_public(pubkey, &key, &err);
	if (r < 0) {
		cli_error(pubkey, "%s", err);
		free(err);
		return CLI_USAGE;
	}
	ret = read_log(path, &text, &len);
	if (ret)
		goto out;
	r = testlog_verify(text, len, &key, &doc, &err);
	if (r < 0) {
		cli_error(path, "%s", err);
		ret = CLI_NO;
		goto out;
	}
	printf("%s: good signature by key %s\n", path, key.id);
	ret = judge_statuses(path, doc);
out:
	json_decref(doc);
	free(text);
	free(err);
	return ret;
}

static volatile int peer_stop;

static void on_signal(int sig)
{
	(void)sig;
	peer_stop = 1;
}

static void on_ready(void *ud, int port)
{
	printf("covalid kit peer: listening on %s (port %d); stop with Ctrl-C\n", (const char *)ud, port);
	fflush(stdout);
}

static int do_peer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "0.0.0.0:7537";
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		default: return cli_usage("kit peer", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("kit peer", "unexpected argument '%s'", argv[optind]);
	cli_on_interrupt(on_signal);
	r = kit_peer_serve(listen, &peer_stop, on_ready, (void *)listen);
	if (r < 0) {
		cli_error(listen, "%s", strerror(-r));
		return r == -EINVAL || r == -EADDRINUSE || r == -EACCES || r == -EADDRNOTAVAIL ? CLI_USAGE
												  : CLI_INTERNAL;
	}
	return CLI_OK;
}

int cmd_kit(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return cli_usage("kit", "which subcommand? list, run, sign, verify or peer");
	if (strcmp(sub, "list") == 0)
		return do_list(argc - 1, argv + 1);
	if (strcmp(sub, "run") == 0)
		return do_run(argc - 1, argv + 1);
	if (strcmp(sub, "sign") == 0)
		return do_sign(argc - 1, argv + 1);
	if (strcmp(sub, "verify") == 0)
		return do_verify(argc - 1, argv + 1);
	if (strcmp(sub, "peer") == 0)
		return do_peer(argc - 1, argv + 1);
	/* Hidden: one check in a child process, started by the kit's runner
	 * where the system cannot fork (src/kit/win/runner.c). */
	if (strcmp(sub, "__child") == 0)
		return kit_child_main(argc - 1, argv + 1);
	static const char *const subs[] = { "list", "run", "sign", "verify", "peer" };

	return cli_unknown_subcommand("kit", sub, subs, CV_ELEMENTSOF(subs));
}
