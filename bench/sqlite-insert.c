/*
 * sqlite-insert.c - the peer of the submission benchmark: how many rows of
 * a test log's size raw SQLite commits per second, one durable transaction
 * each, with the pragmas covalid's store uses (WAL, synchronous = FULL).
 * That is the ceiling for durable submissions on this disk.
 *
 *   sqlite-insert DB SECONDS BYTES    prints "inserts_per_s N"
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	double seconds, start;
	size_t bytes;
	char *blob, id[32];
	long n = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: sqlite-insert DB SECONDS BYTES\n");
		return 2;
	}
	seconds = atof(argv[2]);
	bytes = (size_t)atol(argv[3]);
	blob = malloc(bytes + 1);
	if (!blob)
		return 3;
	memset(blob, 'x', bytes);
	blob[bytes] = '\0';
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			     "CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, log TEXT NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (id, log) VALUES (?1, ?2)", -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite-insert: %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 3;
	}
	start = now();
	while (now() - start < seconds) {
		snprintf(id, sizeof(id), "row%ld", n);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, blob, (int)bytes, SQLITE_STATIC);
		/* Autocommit: each insert is its own durable transaction. */
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "sqlite-insert: %s\n", sqlite3_errmsg(db));
			return 3;
		}
		sqlite3_reset(ins);
		n++;
	}
	printf("inserts_per_s %.1f\n", (double)n / (now() - start));
	sqlite3_finalize(ins);
	sqlite3_close(db);
	free(blob);
	return 0;
}
