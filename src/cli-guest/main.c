/*
 * main.c - the guest binaries' entry point (make guest:
 * build/guest/covalid-linux-ARCH; make win: build/win64/covalid.exe,
 * build/win32/covalid.exe).  The same commands, help and exit codes as
 * covalid's probe, kit and key (their rows are src/cli/commands-guest.c),
 * and nothing else: no store, catalog, check or server is linked, so the
 * binary is small, starts fast and runs on a guest that has none of
 * covalid's libraries (docs/ARCHITECTURE.md, "Guest side").
 */
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#endif

#include "cli/cli.h"

int main(int argc, char **argv)
{
#ifdef _WIN32
	/* Output is the same bytes as on Linux: JSON, logs and reports end
	 * lines with "\n", not the C runtime's text-mode "\r\n". */
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
#endif
	return cli_main(argc, argv, NULL, 0);
}
