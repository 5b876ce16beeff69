/*
 * cmd-agent.c - `covalid agent enroll|run|status|service`: the monitoring
 * agent (covalid/agent.h does the work; this parses and prints).
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>

#include "cli/cli.h"
#include "covalid/agent.h"
#include "util/cv.h"

static int parse_interval(const char *cmd, const char *s, int *ret)
{
	int v;

	if (cv_parse_int(s, &v) < 0 || v < AGENT_INTERVAL_MIN || v > AGENT_INTERVAL_MAX)
		return cli_usage(cmd, "--interval '%s': not a number of seconds from %d to %d", s, AGENT_INTERVAL_MIN,
				 AGENT_INTERVAL_MAX);
	*ret = v;
	return CLI_OK;
}

/* Errors the user can mend (input, state, a refused credential) are 2; a server down is 1. */
static int exit_for(int r)
{
	switch (r) {
	case -EAGAIN: return CLI_NO;
	case -EINVAL: case -ENOENT: case -ENOTDIR: case -EPERM: case -EACCES: case -EPROTO: case -E2BIG:
	case -ECONNREFUSED: case -ETIMEDOUT: case -EHOSTUNREACH: case -ENETUNREACH:
		return CLI_USAGE;
	default: return CLI_INTERNAL;
	}
}

static int fail(int r, char *why)
{
	cli_error("agent", "%s", why ? why : strerror(-r));
	free(why);
	return exit_for(r);
}

static int do_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "customer", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_enroll_options o = { 0 };
	struct agent_enrollment e = { 0 };
	char *why = NULL;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.server = optarg; break;
		case 't': o.token_file = optarg; break;
		case 'd': o.state_dir = optarg; break;
		case 'n': o.name = optarg; break;
		case 'c': o.customer = optarg; break;
		case 'i':
			if (parse_interval("agent enroll", optarg, &o.interval) != CLI_OK)
				return CLI_USAGE;
			break;
		default: return cli_usage("agent enroll", "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("agent enroll", "unexpected argument '%s'", argv[optind]);
	if (!o.server || !o.token_file || !o.state_dir)
		return cli_usage("agent enroll", "--server URL, --token-file TOKEN and --state DIR are required");
	r = agent_enroll(&o, &e, &why);
	if (r < 0)
		return fail(r, why);
	printf("%s machine %s for customer %s (interval %d s); state in %s\n",
	       e.created ? "enrolled" : "enrolled again:", e.machine, e.customer, e.interval, o.state_dir);
	agent_enrollment_release(&e);
	return CLI_OK;
}

static void on_signal(int sig)
{
	(void)sig;
	agent_stop();
}

static void print_line(void *userdata, const char *line)
{
	(void)userdata;
	printf("%s\n", line);
	fflush(stdout);
}

static int do_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 'd' },
		{ "root", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "service", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_run_options o = { .on_result = print_line };
	bool service = false;
	char *why = NULL;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.state_dir = optarg; break;
		case 'r': o.root = optarg; break;
		case 'o': o.once = true; break;
		case 'S': service = true; break;
		case 'q': o.on_result = NULL; break;
		case 'i':
			if (parse_interval("agent run", optarg, &o.interval) != CLI_OK)
				return CLI_USAGE;
			break;
		default: return cli_usage("agent run", "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("agent run", "unexpected argument '%s'", argv[optind]);
	if (!o.state_dir)
		return cli_usage("agent run", "--state DIR is required");
	if (service) {
		o.on_result = NULL;
		r = agent_service_main(&o, &why);
	} else {
		cli_on_interrupt(on_signal);
#ifdef SIGPIPE
		signal(SIGPIPE, SIG_IGN);
#endif
		r = agent_run(&o, &why);
	}
	if (r == -EAGAIN) {
		cli_error("agent", "%s (the reports stay spooled in %s/spool)", why ? why : "not delivered", o.state_dir);
		free(why);
		return CLI_NO;
	}
	if (r < 0)
		return fail(r, why);
	return CLI_OK;
}

static int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	bool json = false;
	json_t *o = NULL, *sp, *last, *ack;
	char *why = NULL;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage("agent status", "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("agent status", "unexpected argument '%s'", argv[optind]);
	if (!dir)
		return cli_usage("agent status", "--state DIR is required");
	r = agent_status(dir, &o, &why);
	if (r < 0)
		return fail(r, why);
	if (json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(s);
		free(s);
		json_decref(o);
		return CLI_OK;
	}
	sp = json_object_get(o, "spool");
	last = json_object_get(o, "last");
	ack = json_object_get(o, "last_acknowledged");
	printf("server:     %s\nmachine:    %s (%s, customer %s)\ninterval:   %lld s\nlast seq:   %lld\n"
	       "spool:      %lld reports, %lld bytes\nlast:       %s %s\nacknowledged: seq %lld at %s, verdict %s\n",
	       json_string_value(json_object_get(o, "server")), json_string_value(json_object_get(o, "machine")),
	       json_string_value(json_object_get(o, "name")), json_string_value(json_object_get(o, "customer")),
	       (long long)json_integer_value(json_object_get(o, "interval")),
	       (long long)json_integer_value(json_object_get(o, "seq")),
	       (long long)json_integer_value(json_object_get(sp, "reports")),
	       (long long)json_integer_value(json_object_get(sp, "bytes")),
	       json_string_value(json_object_get(last, "at")) ? json_string_value(json_object_get(last, "at")) : "never",
	       json_string_value(json_object_get(last, "result")) ? json_string_value(json_object_get(last, "result")) : "",
	       (long long)json_integer_value(json_object_get(ack, "seq")),
	       json_string_value(json_object_get(ack, "at")) ? json_string_value(json_object_get(ack, "at")) : "never",
	       json_string_value(json_object_get(ack, "verdict")) ? json_string_value(json_object_get(ack, "verdict")) : "unknown");
	json_decref(o);
	return CLI_OK;
}

static int do_service(int argc, char **argv)
{
	char *why = NULL;
	int r;

	if (argc >= 2 && strcmp(argv[1], "install") == 0) {
		if (argc != 4 || strcmp(argv[2], "--state") != 0)
			return cli_usage("agent service", "usage: covalid agent service install --state DIR");
		r = agent_service_install(argv[3], &why);
	} else if (argc == 2 && strcmp(argv[1], "uninstall") == 0) {
		r = agent_service_uninstall(&why);
	} else {
		return cli_usage("agent service", "which? install --state DIR, or uninstall");
	}
	if (r < 0)
		return fail(r, why);
	printf("service covalid-agent %s\n", strcmp(argv[1], "install") == 0 ? "installed" : "removed");
	return CLI_OK;
}

int cmd_agent(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("agent", "which subcommand? enroll, run, status, service");
	if (strcmp(argv[1], "enroll") == 0)
		return do_enroll(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return do_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return do_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "service") == 0)
		return do_service(argc - 1, argv + 1);
	return cli_usage("agent", "unknown subcommand '%s'", argv[1]);
}
