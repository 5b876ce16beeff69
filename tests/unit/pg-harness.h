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

/*
 * One cluster for a test binary's run, in a new short directory under
 * $TMPDIR (or /tmp: the socket's path has pg.sh's limit) that the postgres
 * user (when run as root) can get through; until pgh_cluster_stop(),
 * SIGINT, SIGTERM and SIGHUP stop the server at once (SIGQUIT: immediate
 * shutdown, no time for pg_ctl) and then end the process as they would
 * have, so that no cluster outlives an interrupted run.  initdb_opts (or
 * NULL) is tried first as PG_INITDB_OPTS unless the caller set that, and
 * left out when that start fails (a PostgreSQL without ICU, say).
 * dir gets the directory, "" when there is no cluster; returns NULL, or
 * why there is none (its messages went to stderr).
 */
#define PGH_DIR_MAX 96
const char *pgh_cluster_start(char dir[PGH_DIR_MAX], const char *initdb_opts);
/* Stops the cluster and removes its directory; dir becomes "". */
void pgh_cluster_stop(char dir[PGH_DIR_MAX]);

#endif
