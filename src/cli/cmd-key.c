/*
 * cmd-key.c - `covalid key generate`: an Ed25519 key pair for signing
 * test logs.
 */
#include <getopt.h>
#include <unistd.h>

#include "cli/cli.h"
#include "covalid/sign.h"
#include "util/cv.h"

static int do_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	struct sign_key k;
	bool force = false;
	char *pub;
	int c, r;

	cli_getopt_begin();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		default: return cli_usage("key generate", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("key generate", "unexpected argument '%s'", argv[optind]);
	if (!out)
		return cli_usage("key generate", "where should the key go? (--out KEY)");
	if (!force && access(out, F_OK) == 0) {
		cli_error(out, "exists; not overwriting a key (use --force)");
		return CLI_USAGE;
	}
	if (sign_init() < 0 || sign_key_generate(&k) < 0) {
		cli_error("key generate", "libsodium could not make a key");
		return CLI_INTERNAL;
	}
	r = sign_key_save(&k, out);
	if (r < 0) {
		cli_error(out, "%s", strerror(-r));
		sign_key_release(&k);
		return r == -ENOENT || r == -EACCES || r == -ENOTDIR ? CLI_USAGE : CLI_INTERNAL;
	}
	pub = sign_key_public_string(&k);
	printf("secret key: %s (mode 0600)\npublic key: %s.pub\n%s\nkey id: %s\n", out, out, pub, k.id);
	free(pub);
	sign_key_release(&k);
	return CLI_OK;
}

int cmd_key(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("key", "which subcommand? generate");
	if (strcmp(argv[1], "generate") == 0)
		return do_generate(argc - 1, argv + 1);
	return cli_usage("key", "unknown subcommand '%s'", argv[1]);
}
