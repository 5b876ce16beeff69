/*
 * pg-harness.h - a real PostgreSQL for the C tests (issue 15): the
 * cluster tests/lib/pg.sh makes, starts and stops, run through /bin/sh so
 * that shell and C tests share one way of doing it (see pg.sh for who
 * runs the server, where its socket is, and why durability is off).
 *
 * A test starts one cluster in a directory of its own (at most 80
 * characters: the socket lives there), makes a fresh database for each
 * thing it tests, and stops the cluster at the end, also when a test
 * failed.  Without PostgreSQL's binaries pgh_start() fails, saying which
 * package to install: the caller fails, never skips.
 *
 * Messages (pg.sh's, initdb's, the server's log tail) go to stderr.
 */
#ifndef COVALID_TESTS_PG_HARNESS_H
#define COVALID_TESTS_PG_HARNESS_H

#include <sys/types.h>

/* initdb into dir/data and start the server on a socket in dir; dir is
 * made if needed and, as root, given to the postgres user.  *ret_uri: the
 * libpq URI of its database "covalid" (a store location).  0 or -EIO. */
int pgh_start(const char *dir, char **ret_uri);
/* A new empty database name (letters, digits, _) in dir's cluster;
 * *ret_uri its location.  0 or -EIO. */
int pgh_createdb(const char *dir, const char *name, char **ret_uri);
/* The server's process id (its postmaster.pid), or -1: what a signal
 * handler kills (SIGQUIT: immediate shutdown) when there is no time for
 * pgh_stop(). */
pid_t pgh_server_pid(const char *dir);
/* Stops dir's server (its files stay). */
void pgh_stop(const char *dir);

#endif
