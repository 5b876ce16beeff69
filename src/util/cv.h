/*
 * cv.h - the internal prelude every covalid source file includes last.
 *
 * It pulls in the C library headers nearly every file needs and then
 * banned.h, so that a banned call anywhere is a compile error.  Because the
 * banned macros would also rewrite declarations, nothing may be included
 * after this header.
 */
#ifndef CV_CV_H
#define CV_CV_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "covalid/util.h"
#ifdef _WIN32
#include "util/win/libc.h"
#endif
#include "util/banned.h"

#endif
