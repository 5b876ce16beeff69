/* path.c - paths resolved as the kernel would (see covalid/util.h); no system call. */
#include "util/cv.h"

char *cv_path_resolve(const char *dir, const char *target)
{
	struct cv_strv parts;
	char *joined, *save = NULL, *out;

	joined = target[0] == '/' ? cv_xstrdup(target + 1) : cv_xasprintf("%s/%s", dir, target);
	cv_strv_init(&parts);
	for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (parts.n) {
				free(parts.v[--parts.n]);
				parts.v[parts.n] = NULL;
			}
			continue;
		}
		cv_strv_push(&parts, c);
	}
	out = cv_strv_join(&parts, "/");
	cv_strv_release(&parts);
	free(joined);
	return out;
}
