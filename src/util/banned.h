/*
 * banned.h - functions the project must not call.
 *
 * Each of these has a safer replacement in the project or in libc:
 * strcpy/strcat/sprintf overflow silently (use cv_buf or snprintf), strtok
 * keeps hidden state (use strtok_r or cv_split), atoi cannot report errors
 * (use cv_parse_*), gmtime/localtime return static storage (use the _r
 * forms).  Taken from git's banned.h: the macro turns a call into a compile
 * error that names the offender.
 *
 * This header must be included after every system header, which is why
 * util/cv.h includes it last.
 */
#ifndef CV_BANNED_H
#define CV_BANNED_H

#define CV_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) CV_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CV_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CV_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) CV_BANNED(strncat)
#undef sprintf
#define sprintf(...) CV_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CV_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) CV_BANNED(strtok)
#undef atoi
#define atoi(x) CV_BANNED(atoi)
#undef atol
#define atol(x) CV_BANNED(atol)
#undef gmtime
#define gmtime(t) CV_BANNED(gmtime)
#undef localtime
#define localtime(t) CV_BANNED(localtime)
#undef ctime
#define ctime(t) CV_BANNED(ctime)
#undef asctime
#define asctime(t) CV_BANNED(asctime)

#endif
