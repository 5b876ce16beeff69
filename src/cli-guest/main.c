/*
 * main.c - the static guest binaries' entry point (make guest:
 * build/guest/covalid-linux-ARCH).  The same commands, help and exit
 * codes as covalid's probe, kit and key (their rows are
 * src/cli/commands-guest.c), and nothing else: no store, catalog, check
 * or server is linked, so the binary is small, starts fast and runs on a
 * guest that has none of covalid's libraries (docs/ARCHITECTURE.md,
 * "Guest side").
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv, NULL, 0);
}
