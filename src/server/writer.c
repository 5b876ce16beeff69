/*
 * writer.c - the server's writes (server-internal.h, server_write()).
 * For now each runs on the request's own connection, in its own
 * transaction; group commit replaces this.
 */
#include "server/server-internal.h"

int server_write(struct req *r, server_write_fn fn, void *arg)
{
	return fn(r->store, arg);
}
