/*
 * win/pending.c - TEMPORARY, to be deleted when the Windows kit lands
 * (issue 13, branch winkit): the kit's entry points so that the Windows
 * binary links while its probe and key commands are brought up.  Every
 * kit command answers ENOSYS ("Function not implemented").
 */
#include <jansson.h>

#include "covalid/kit.h"
#include "util/cv.h"
size_t kit_checks(const struct kit_check_info *const **ret){*ret=0;return 0;}
const char *kit_status_name(enum kit_status s){(void)s;return "?";}
int kit_run(const struct kit_options *o, struct kit_run **ret, char **e){(void)o;(void)ret;(void)e;return -ENOSYS;}
struct kit_run *kit_run_free(struct kit_run *r){(void)r;return 0;}
json_t *kit_run_to_json(const struct kit_run *r){(void)r;return 0;}
char *kit_junit(const json_t *d){(void)d;return 0;}
int kit_peer_serve(const char *a, volatile int *s, void (*r)(void *, int), void *u){(void)a;(void)s;(void)r;(void)u;return -ENOSYS;}
