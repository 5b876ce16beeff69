/*
 * cmd-exec.c - serve, admin and submit run in covalid-server, which sits
 * beside covalid (git runs git-remote-https the same way, so that git
 * itself does not link curl).
 */
#include <limits.h>
#include <libgen.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/cv.h"

int cmd_exec_server(int argc, char **argv)
{
	char self[PATH_MAX], *dir, *path, **args;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	args = cv_xcalloc((size_t)argc + 2, sizeof(*args));
	args[0] = (char *)"covalid-server";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	if (n > 0) {
		self[n] = '\0';
		dir = dirname(self);
		path = cv_xasprintf("%s/covalid-server", dir);
		execv(path, args);
		free(path);
	}
	execvp("covalid-server", args);
	cli_error(argv[0], "cannot run covalid-server: %s (it is built beside covalid)", strerror(errno));
	free(args);
	return CLI_INTERNAL;
}
