/*
 * cmd-submit.c - `covalid submit LOG`: send a signed test log to the
 * program's server.
 */
#include <getopt.h>
#include <jansson.h>

#include "cli-program/http-client.h"
#include "cli-program/program-cli.h"
#include "cli/cli.h"
#include "covalid/testlog.h"
#include "util/cv.h"

int cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		API_CACERT_OPTION,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *token_file = NULL, *cacert = NULL;
	struct api a;
	json_t *ans = NULL, *x;
	char *log = NULL;
	bool json = false;
	size_t len, i;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 't': token_file = optarg; break;
		case API_OPT_CACERT: cacert = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage("submit", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("submit", "which test log?");
	r = cv_read_file(argv[optind], TESTLOG_MAX_BYTES, &log, &len);
	if (r < 0) {
		cli_error(argv[optind], "%s", r == -E2BIG ? "larger than 16 MiB: not a test log" : strerror(-r));
		return CLI_USAGE;
	}
	r = api_init(&a, server, token_file, cacert, true);
	if (r) {
		free(log);
		return r;
	}
	r = api_request(&a, argv[optind], "POST", "/api/v1/submissions", log, len, (void **)&ans);
	free(log);
	api_release(&a);
	if (r)
		return r;
	if (json)
		api_print_json(ans);
	else {
		api_sanitize(ans, NULL); /* the server's reasons quote the log */
		printf("submission %s: %s\n", json_string_value(json_object_get(ans, "id")),
		       json_string_value(json_object_get(ans, "status")));
		if (json_is_string(json_object_get(ans, "configuration")))
			printf("configuration %s (%s)\n", json_string_value(json_object_get(ans, "configuration")),
			       json_is_true(json_object_get(ans, "created")) ? "new" : "extended");
		json_array_foreach(json_object_get(ans, "reasons"), i, x)
			printf("  - %s\n", json_string_value(x));
	}
	r = cv_streq(json_string_value(json_object_get(ans, "status")), "accepted") ? CLI_OK : CLI_NO;
	json_decref(ans);
	return r;
}
