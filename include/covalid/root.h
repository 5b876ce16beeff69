/*
 * covalid/root.h - reading a machine's files through a root directory.
 *
 * The probe and the kit never open /proc, /sys or /etc directly: they go
 * through a struct cv_root.  The live root is "/"; any other directory is a
 * captured or hand-written machine (a fixture), and then every path is
 * resolved inside it, absolute symlinks included (openat2 RESOLVE_IN_ROOT),
 * so nothing of the real machine leaks into the report.
 *
 * A root can also record: with a capture directory set, every file, link
 * and directory listing read successfully is copied there, so that
 * `covalid probe --capture DIR` produces a root that replays the same
 * report.
 *
 * Paths are relative ("proc/cpuinfo"); a leading '/' is ignored.
 * Absent files are -ENOENT (or -ENOTDIR), which callers treat as "absent",
 * not as an error.  Not thread-safe: one root per thread.
 */
#ifndef COVALID_ROOT_H
#define COVALID_ROOT_H

#include <stdbool.h>
#include <stddef.h>

#include "covalid/util.h"

struct cv_root;
struct cv_strv;

/* dir NULL or "/" opens the live machine.  -ENOENT/-ENOTDIR if dir is not a directory. */
int cv_root_open(const char *dir, struct cv_root **ret) CV_WUR;
struct cv_root *cv_root_free(struct cv_root *r);

bool cv_root_is_live(const struct cv_root *r);
/* The directory as given ("/" for live). */
const char *cv_root_path(const struct cv_root *r);

/* Records everything read from now on under dir (created if needed). */
int cv_root_set_capture(struct cv_root *r, const char *dir) CV_WUR;
/* Writes a file of the probe's own making (such as cpuid.txt) into the capture. */
void cv_root_capture_extra(struct cv_root *r, const char *path, const char *data, size_t len);

/* Reads a file whole; -E2BIG if it is larger than max. */
int cv_root_read(struct cv_root *r, const char *path, size_t max, char **ret, size_t *ret_len) CV_WUR;
/* Reads a file and trims whitespace at both ends: for one-value sysfs files. */
int cv_root_read_line(struct cv_root *r, const char *path, char **ret) CV_WUR;
/* The target of a symlink. */
int cv_root_readlink(struct cv_root *r, const char *path, char **ret) CV_WUR;
/* The last component of a symlink's target ("../../bus/pci/drivers/virtio-pci" -> "virtio-pci"). */
int cv_root_readlink_base(struct cv_root *r, const char *path, char **ret) CV_WUR;
/* The entries of a directory, sorted, without "." and "..". */
int cv_root_list(struct cv_root *r, const char *path, struct cv_strv *ret) CV_WUR;
bool cv_root_exists(struct cv_root *r, const char *path);

#endif
