/*
 * cmd-serve.c - `covalid serve`: the program's HTTP server.
 */
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <unistd.h>

#include "cli-program/program-cli.h"
#include "cli/cli-config.h"
#include "cli/cli.h"
#include "covalid/server.h"
#include "covalid/support.h"
#include "util/cv.h"

/* userdata: the scheme, "http" or "https". */
static void on_ready(void *userdata, const char *host, int port)
{
	printf("covalid serve: listening on %s://%s%s%s:%d/\n", (const char *)userdata, strchr(host, ':') ? "[" : "",
	       host, strchr(host, ':') ? "]" : "", port);
	fflush(stdout);
}

/* The web UI beside the build (build/../web), or none. */
static char *default_web(void)
{
	char self[PATH_MAX], *dir, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	dir = dirname(self);
	path = cv_xasprintf("%s/../web", dir);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "web", required_argument, NULL, 'w' },
		{ "access-log", required_argument, NULL, 'a' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "header-timeout", required_argument, NULL, 'H' },
		{ "max-client-connections", required_argument, NULL, 'C' },
		{ "create", no_argument, NULL, 'c' },
		{ "support-clock-offset", required_argument, NULL, 'S' },
		{ "sweep-interval", required_argument, NULL, 'W' },
		{ "sample-interval", required_argument, NULL, 'P' },
		{ "webhook-allow-private", no_argument, NULL, 'A' },
		{ "tls-cert", required_argument, NULL, 'T' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_options o = { .listen = "127.0.0.1:8080", .access_log = stderr, .ready = on_ready };
	char *location = NULL, *web = NULL, *err = NULL;
	const char *access = NULL;
	FILE *log = NULL;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t n;

		switch (c) {
		case 'l': {
			char *host;
			uint16_t port;

			/* Checked here too, so that a mistyped address is a
			 * usage error naming the option. */
			if (cv_parse_host_port(optarg, &host, &port) < 0)
				return cli_usage("serve", "--listen %s: expected HOST:PORT or [IPV6]:PORT, the port 0 to 65535",
						 optarg);
			free(host);
			o.listen = optarg;
			break;
		}
		case 'd': o.db = optarg; break;
		case 'w': o.web = optarg; break;
		case 'a': access = optarg; break;
		case 'm':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1024 || n > (256u << 20))
				return cli_usage("serve", "--max-body: 1024 to 268435456 bytes");
			o.max_body = (size_t)n;
			break;
		case 't':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > 3600)
				return cli_usage("serve", "--timeout: 1 to 3600 seconds");
			o.timeout_s = (unsigned)n;
			break;
		case 'H':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > 3600)
				return cli_usage("serve", "--header-timeout: 1 to 3600 seconds");
			o.header_timeout_s = (unsigned)n;
			break;
		case 'C':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > 65535)
				return cli_usage("serve", "--max-client-connections: 1 to 65535");
			o.max_client_connections = (unsigned)n;
			break;
		case 'W':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > 3600)
				return cli_usage("serve", "--sweep-interval: 1 to 3600 seconds");
			o.sweep_interval_s = (unsigned)n;
			break;
		case 'P':
			if (cv_parse_u64(optarg, 10, &n) < 0 || n < 1 || n > 86400)
				return cli_usage("serve", "--sample-interval: 1 to 86400 seconds");
			o.sample_interval_s = (unsigned)n;
			break;
		case 'c': o.create = true; break;
		case 'A': o.webhook_allow_private = true; break;
		case 'T': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'S': {
			int64_t off;

			/* For tests (docs/support.md, "SLA clocks"): the SLA clocks
			 * run this far ahead of the system clock; a year at most. */
			if (cv_parse_i64(optarg, 10, &off) < 0 || off < -31622400 || off > 31622400)
				return cli_usage("serve", "--support-clock-offset: -31622400 to 31622400 seconds");
			support_clock_offset = off;
			break;
		}
		default:
			return cli_usage("serve", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	if (!o.tls_cert != !o.tls_key)
		return cli_usage("serve", "--tls-cert and --tls-key go together");
	o.userdata = (void *)(o.tls_cert ? "https" : "http");
	{
		/* The location rule every command follows (cli/cli-config.h). */
		const char *rule = NULL;

		r = cli_db_location(o.db, &location, &rule);
		if (r == CLI_OK && o.create)
			r = cli_store_make_dir(location, rule);
		if (r) {
			free(location);
			return r;
		}
		o.db = location;
	}
	if (!o.web)
		o.web = web = default_web();
	if (access && strcmp(access, "-") != 0) {
		log = fopen(access, "ae");
		if (!log) {
			cli_error(access, "%s", strerror(errno));
			free(location);
			free(web);
			return CLI_USAGE;
		}
		o.access_log = log;
	} else if (access && strcmp(access, "-") == 0)
		o.access_log = stdout;
	/* The server buffers whole lines itself and writes them in batches;
	 * a stdio buffer would cut them at its own size. */
	if (o.access_log)
		setvbuf(o.access_log, NULL, _IOFBF, 256 * 1024);
	r = server_run(&o, &err);
	if (r < 0) {
		cli_error("serve", "%s", err);
		free(err);
	}
	if (log)
		fclose(log);
	free(location);
	free(web);
	return r < 0 ? (r == -EADDRINUSE || r == -EINVAL || r == -EACCES || r == -EBADMSG || r == -ENOENT ||
				r == -EPROTO || r == -EPROTONOSUPPORT
			       ? CLI_USAGE
			       : CLI_INTERNAL)
		     : CLI_OK;
}
