/*
 * error.c - struct program_error, the one way every call of the program
 * (and of support, which builds on it) says what went wrong to a client.
 *
 * It is a file of its own because everything else in src/program uses
 * it: kept in policy.c, fields.c (which reports through it) and policy.c
 * (which checks its documents with fields.c) would each depend on the
 * other.
 */
#include <jansson.h>

#include "covalid/program.h"
#include "util/cv.h"

void program_error_set(struct program_error *e, int http, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->http = http;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

void program_error_release(struct program_error *e)
{
	if (e) {
		json_decref(e->reasons);
		e->reasons = NULL;
	}
}
