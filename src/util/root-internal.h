/*
 * root-internal.h - what root.c and root-capture.c share.
 */
#ifndef COVALID_ROOT_INTERNAL_H
#define COVALID_ROOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

struct cv_root {
	char *path;
	int dirfd;
	bool live;
	bool have_openat2;
	char *capture;
};

enum root_capture_kind {
	ROOT_CAPTURE_FILE,   /* data is the file's contents */
	ROOT_CAPTURE_LINK,   /* data is the link's target */
	ROOT_CAPTURE_DIR,    /* a listed directory: its entries are mirrored too */
	ROOT_CAPTURE_EXISTS, /* an existence test: mirror what is there, empty */
};

/* Mirrors path into the capture directory; best effort (see root-capture.c). */
void root_capture(struct cv_root *r, const char *path, enum root_capture_kind kind, const char *data,
		  size_t len);

#endif
