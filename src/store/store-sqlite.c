/*
 * store-sqlite.c - the SQLite backend of the store (see store-internal.h).
 *
 * One database file in WAL mode, foreign keys on, synchronous=FULL (a
 * committed submission survives a power cut).  The schema version is
 * SQLite's user_version; migrations[] take a database from version N-1 to
 * N, each in the transaction that bumps the version, so a crash
 * mid-migration leaves the old version intact.
 */
#include <fcntl.h>
#include <pthread.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store/store-internal.h"
#include "util/cv.h"

#define BUSY_TIMEOUT_MS 5000

/* Statements kept per connection: more than the writer's connection
 * runs in a report's transaction (its queries, and the savepoints and
 * commits around them), which it would otherwise prepare anew each time. */
#define STMT_CACHE 64
/* A connection that leaves checkpoints to store_checkpoint() still runs
 * one itself when its log reaches this many pages (SQLite's default is
 * 1,000): a bound on the log should the checkpointing thread fall behind. */
#define DEFERRED_AUTOCHECKPOINT_PAGES 16000

/* Background jobs one connection may lead at once (store_try_lead). */
#define LEAD_JOBS 8

struct sqlite_db {
	sqlite3 *db;
	char errmsg[512];
	/* The file opened, as it was then: a file deleted or replaced under
	 * an open connection takes writes into an inode nobody will read
	 * again, so writes check it first (same_file()). */
	char *path;
	dev_t dev;
	ino_t ino;
	bool writing; /* holds writer_lock */
	/* Jobs this connection leads (sq_try_lead): the locked files. */
	struct {
		char *job;
		int fd;
	} lead[LEAD_JOBS];
	size_t n_lead;
	/* Prepared statements kept for reuse, by SQL text: preparing costs
	 * more than running most of covalid's queries. */
	struct {
		uint64_t hash; /* of sql: most lookups then compare no text */
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	size_t n_cache;
};

/*
 * Writers of this process queue here rather than on SQLite's lock: a
 * writer that finds the database locked sleeps in SQLite's busy handler
 * (1, 2, 5 ... 100 ms) however soon the lock is free, which under
 * concurrent submissions costs more than the writes.  Other processes
 * still meet the busy timeout.
 */
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;

struct db_stmt {
	struct sqlite_db *db;
	sqlite3_stmt *st;
	uint64_t hash; /* of its SQL, for the cache */
};

/* FNV-1a: the statement cache's key. */
static uint64_t sql_hash(const char *sql)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *sql; sql++)
		h = (h ^ (unsigned char)*sql) * 0x100000001b3ULL;
	return h;
}

#define NOW "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"

/* Index i takes the schema from version i to i + 1.  Never edit a
 * released one: add a new one. */
static const char *const migrations[] = {
	/* 1: the catalog. */
	"CREATE TABLE products ("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('guest_os', 'hypervisor')),"
	"  vendor TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL,"
	"  osinfo TEXT,"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  updated_at TEXT NOT NULL DEFAULT " NOW ");"
	"CREATE TABLE configurations ("
	"  id TEXT PRIMARY KEY,"
	"  status TEXT NOT NULL,"
	"  guest_os TEXT NOT NULL, guest_vendor TEXT NOT NULL, guest_product TEXT NOT NULL,"
	"  guest_version TEXT NOT NULL,"
	"  hv_ids TEXT NOT NULL, hv_vendor TEXT NOT NULL, hv_product TEXT NOT NULL, hv_version TEXT NOT NULL,"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  updated_at TEXT NOT NULL DEFAULT " NOW ");",

	/* 2: who validated, as a column (backfilled from the documents),
	 * lookup indexes, and the test logs behind each configuration. */
	"ALTER TABLE configurations ADD COLUMN validated_by TEXT NOT NULL DEFAULT '';"
	"UPDATE configurations SET validated_by = coalesce("
	"  (SELECT group_concat(value, char(10)) FROM json_each(doc, '$.validated_by')), '');"
	"CREATE INDEX configurations_guest ON configurations (guest_os, status);"
	"CREATE INDEX configurations_hv_vendor ON configurations (hv_vendor);"
	"CREATE INDEX products_kind ON products (kind, vendor);"
	"CREATE TABLE configuration_evidence ("
	"  config_id TEXT NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,"
	"  testlog_id TEXT NOT NULL,"
	"  added_at TEXT NOT NULL DEFAULT " NOW ","
	"  PRIMARY KEY (config_id, testlog_id));",

	/* 3: the program: vendors, keys, tokens, submissions, the policy,
	 * settings, and the catalog's generation counter. */
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO counters VALUES ('catalog_generation', 1);"
	"CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE vendors ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL DEFAULT " NOW ");"
	"CREATE TABLE vendor_keys ("
	"  key_id TEXT PRIMARY KEY,"
	"  vendor_id TEXT NOT NULL REFERENCES vendors (id),"
	"  public_key TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL DEFAULT " NOW ","
	"  revoked_at TEXT);"
	"CREATE TABLE tokens ("
	"  id TEXT PRIMARY KEY,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('admin', 'vendor')),"
	"  vendor_id TEXT REFERENCES vendors (id),"
	"  description TEXT,"
	"  created_at TEXT NOT NULL DEFAULT " NOW ","
	"  revoked_at TEXT,"
	"  CHECK ((role = 'vendor') = (vendor_id IS NOT NULL)));"
	"CREATE TABLE submissions ("
	"  id TEXT PRIMARY KEY,"
	"  vendor_id TEXT NOT NULL REFERENCES vendors (id),"
	"  key_id TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),"
	"  reasons TEXT NOT NULL CHECK (json_valid(reasons)),"
	"  config_id TEXT REFERENCES configurations (id),"
	"  log TEXT NOT NULL,"
	"  received_at TEXT NOT NULL DEFAULT " NOW ");"
	"CREATE INDEX submissions_vendor ON submissions (vendor_id, received_at);"
	"CREATE INDEX submissions_config ON submissions (config_id);"
	"CREATE TABLE policy ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  updated_at TEXT NOT NULL DEFAULT " NOW ");",

	/* 4: cooperative support: customers, users of every role (a token
	 * each: the tokens table gains roles, a customer and a name, so it
	 * is rebuilt), agreements, and cases (one document each, with its
	 * notes, collaboration requests and audit trail, versioned). */
	"CREATE TABLE customers ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  created_at TEXT NOT NULL DEFAULT " NOW ");"
	"CREATE TABLE tokens_v4 ("
	"  id TEXT PRIMARY KEY,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('admin', 'vendor', 'vendor-manager', 'customer')),"
	"  vendor_id TEXT REFERENCES vendors (id),"
	"  customer_id TEXT REFERENCES customers (id),"
	"  name TEXT,"
	"  description TEXT,"
	"  created_at TEXT NOT NULL DEFAULT " NOW ","
	"  revoked_at TEXT,"
	"  CHECK ((role IN ('vendor', 'vendor-manager')) = (vendor_id IS NOT NULL)),"
	"  CHECK ((role = 'customer') = (customer_id IS NOT NULL)));"
	"INSERT INTO tokens_v4 (id, hash, role, vendor_id, name, description, created_at, revoked_at)"
	"  SELECT id, hash, role, vendor_id, description, description, created_at, revoked_at FROM tokens;"
	"DROP TABLE tokens;"
	"ALTER TABLE tokens_v4 RENAME TO tokens;"
	"CREATE TABLE agreements ("
	"  id TEXT PRIMARY KEY,"
	"  customer_id TEXT NOT NULL REFERENCES customers (id),"
	"  vendor_id TEXT NOT NULL REFERENCES vendors (id),"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  created_at TEXT NOT NULL DEFAULT " NOW ");"
	"CREATE INDEX agreements_customer ON agreements (customer_id, vendor_id);"
	"CREATE TABLE cases ("
	"  id TEXT PRIMARY KEY,"
	"  customer_id TEXT NOT NULL REFERENCES customers (id),"
	"  vendor_id TEXT NOT NULL REFERENCES vendors (id),"
	"  engaged TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL,"
	"  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),"
	"  version INTEGER NOT NULL,"
	"  doc TEXT NOT NULL CHECK (json_valid(doc)),"
	"  created_at TEXT NOT NULL DEFAULT " NOW ","
	"  updated_at TEXT NOT NULL DEFAULT " NOW ");"
	"CREATE INDEX cases_customer ON cases (customer_id, updated_at);"
	"CREATE INDEX cases_vendor ON cases (vendor_id, state);",

	/* 5: each submission's digest of its log (BLAKE2b-256 of what the
	 * signature covers), unique among accepted ones: a log is evidence
	 * once.  Earlier rows have none (NULLs never collide). */
	"ALTER TABLE submissions ADD COLUMN log_digest TEXT;"
	"CREATE UNIQUE INDEX submissions_accepted_digest ON submissions (log_digest) WHERE status = 'accepted';",

	/* 6: monitoring (docs/monitor.md): enrolled machines with their
	 * current descriptor, verdict and health; verdicts over time; events
	 * (machines' and cases') in one ordered log; webhooks and their
	 * deliveries; per-customer thresholds; fleet samples for the chart.
	 * Times are written by the caller, not by SQL functions, so the same
	 * statements serve every backend (issue 15). */
	"CREATE TABLE machines ("
	"  id TEXT PRIMARY KEY,"
	"  customer_id TEXT NOT NULL REFERENCES customers (id),"
	"  machine_key TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  credential_hash TEXT NOT NULL UNIQUE,"
	"  enrolled_at TEXT NOT NULL,"
	"  last_seen TEXT,"
	"  last_seen_s INTEGER NOT NULL DEFAULT 0,"
	"  interval_s INTEGER NOT NULL DEFAULT 60,"
	"  seq INTEGER NOT NULL DEFAULT 0,"
	"  reports INTEGER NOT NULL DEFAULT 0,"
	"  descriptor_digest TEXT,"
	"  vcpus INTEGER NOT NULL DEFAULT 0,"
	"  verdict TEXT,"
	"  reason TEXT,"
	"  differences TEXT,"
	"  config_id TEXT,"
	"  health TEXT,"
	"  flags TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (customer_id, machine_key));"
	"CREATE INDEX machines_seen ON machines (last_seen_s);"
	"CREATE INDEX machines_customer ON machines (customer_id, verdict);"
	/* The descriptor (kilobytes) apart from the row every heartbeat
	 * rewrites: a heartbeat then writes a page, not the descriptor's
	 * overflow chain, and reading a machine's state skips it. */
	"CREATE TABLE machine_descriptors ("
	"  machine_id TEXT PRIMARY KEY REFERENCES machines (id) ON DELETE CASCADE,"
	"  descriptor TEXT NOT NULL);"
	"CREATE TABLE machine_verdicts ("
	"  machine_id TEXT NOT NULL REFERENCES machines (id) ON DELETE CASCADE,"
	"  at TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  reason TEXT,"
	"  config_id TEXT,"
	"  differences TEXT,"
	"  descriptor_digest TEXT);"
	"CREATE INDEX machine_verdicts_machine ON machine_verdicts (machine_id, at);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  at TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  customer_id TEXT,"
	"  machine_id TEXT,"
	"  case_id TEXT,"
	"  vendor_ids TEXT NOT NULL DEFAULT '',"
	"  doc TEXT NOT NULL);"
	"CREATE INDEX events_customer ON events (customer_id, seq);"
	"CREATE INDEX events_machine ON events (machine_id, seq);"
	"CREATE INDEX events_case ON events (case_id, seq);"
	"CREATE TABLE webhooks ("
	"  id TEXT PRIMARY KEY,"
	"  customer_id TEXT REFERENCES customers (id),"
	"  url TEXT NOT NULL,"
	"  secret TEXT NOT NULL,"
	"  kinds TEXT NOT NULL DEFAULT '',"
	"  created_by TEXT,"
	"  created_at TEXT NOT NULL,"
	"  disabled_at TEXT);"
	"CREATE INDEX webhooks_customer ON webhooks (customer_id);"
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY,"
	"  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,"
	"  event_seq INTEGER NOT NULL REFERENCES events (seq),"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at_s INTEGER NOT NULL,"
	"  last_status INTEGER,"
	"  last_error TEXT,"
	"  delivered_at TEXT,"
	"  created_at TEXT NOT NULL);"
	"CREATE INDEX deliveries_due ON deliveries (state, next_at_s);"
	"CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);"
	"CREATE TABLE monitor_settings ("
	"  customer_id TEXT PRIMARY KEY REFERENCES customers (id),"
	"  doc TEXT NOT NULL);"
	"CREATE TABLE fleet_samples ("
	"  customer_id TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY (customer_id, at, verdict));"
	"ALTER TABLE cases ADD COLUMN machine_id TEXT REFERENCES machines (id);"
	"CREATE INDEX cases_machine ON cases (machine_id);",

	/* 7: tokens expire and say when they were last used (issue 15);
	 * the verdict history's rows get an id of their own, which breaks
	 * ties within one second (SQLite's rowid did, which no other engine
	 * has): the table is rebuilt, keeping each row's rowid as its id. */
	"ALTER TABLE tokens ADD COLUMN expires_at TEXT;"
	"ALTER TABLE tokens ADD COLUMN last_used_at TEXT;"
	"CREATE TABLE machine_verdicts_v7 ("
	"  id INTEGER PRIMARY KEY,"
	"  machine_id TEXT NOT NULL REFERENCES machines (id) ON DELETE CASCADE,"
	"  at TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  reason TEXT,"
	"  config_id TEXT,"
	"  differences TEXT,"
	"  descriptor_digest TEXT);"
	"INSERT INTO machine_verdicts_v7 (id, machine_id, at, verdict, reason, config_id, differences, descriptor_digest)"
	"  SELECT rowid, machine_id, at, verdict, reason, config_id, differences, descriptor_digest FROM machine_verdicts;"
	"DROP TABLE machine_verdicts;"
	"ALTER TABLE machine_verdicts_v7 RENAME TO machine_verdicts;"
	"CREATE INDEX machine_verdicts_machine ON machine_verdicts (machine_id, at);",

	/* 8: each catalog row stamped with the generation its write bumped
	 * the catalog to (issue 17), so that a reader holding generation G
	 * loads only the rows written since (store_catalog_changes()).
	 * Rows written before this migration say 0: a reader older than
	 * any generation loads them in full anyway. */
	"ALTER TABLE products ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE configurations ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX products_gen ON products (gen);"
	"CREATE INDEX configurations_gen ON configurations (gen);",

	/* 9: the catalog's filters answered by indexes (issue 17;
	 * store-catalog.c says how).  The guest and hypervisor parts of the
	 * configurations, few distinct ones, as groups with integer ids that
	 * each configuration names; who validated, one row per line of
	 * validated_by in the spelling the vendor filter compares (lower
	 * case, spaces as dashes).  Backfilled from the rows there are.  The
	 * indexes on guest_os and hv_vendor served only the filters' old
	 * form, which no longer reads those columns: dropped, each one less
	 * to keep up on every write. */
	"CREATE TABLE guest_groups ("
	"  id INTEGER PRIMARY KEY,"
	"  os TEXT NOT NULL, product TEXT NOT NULL, vendor TEXT NOT NULL,"
	"  UNIQUE (os, product, vendor));"
	"CREATE TABLE hv_groups ("
	"  id INTEGER PRIMARY KEY,"
	"  ids TEXT NOT NULL, product TEXT NOT NULL, vendor TEXT NOT NULL,"
	"  UNIQUE (ids, product, vendor));"
	"INSERT INTO guest_groups (os, product, vendor)"
	"  SELECT DISTINCT guest_os, guest_product, guest_vendor FROM configurations ORDER BY 1, 2, 3;"
	"INSERT INTO hv_groups (ids, product, vendor)"
	"  SELECT DISTINCT hv_ids, hv_product, hv_vendor FROM configurations ORDER BY 1, 2, 3;"
	"ALTER TABLE configurations ADD COLUMN guest_group INTEGER REFERENCES guest_groups (id);"
	"ALTER TABLE configurations ADD COLUMN hv_group INTEGER REFERENCES hv_groups (id);"
	"UPDATE configurations SET"
	"  guest_group = (SELECT g.id FROM guest_groups g WHERE g.os = configurations.guest_os"
	"    AND g.product = configurations.guest_product AND g.vendor = configurations.guest_vendor),"
	"  hv_group = (SELECT h.id FROM hv_groups h WHERE h.ids = configurations.hv_ids"
	"    AND h.product = configurations.hv_product AND h.vendor = configurations.hv_vendor);"
	"CREATE INDEX configurations_guest_group ON configurations (guest_group, id);"
	"CREATE INDEX configurations_hv_group ON configurations (hv_group, id);"
	"CREATE INDEX configurations_status ON configurations (status, id);"
	"DROP INDEX configurations_guest;"
	"DROP INDEX configurations_hv_vendor;"
	"CREATE TABLE configuration_vendors ("
	"  config_id TEXT NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,"
	"  vendor TEXT NOT NULL,"
	"  PRIMARY KEY (config_id, vendor)) WITHOUT ROWID;"
	"CREATE INDEX configuration_vendors_vendor ON configuration_vendors (vendor, config_id);"
	"WITH RECURSIVE split (config_id, rest, line, n) AS ("
	"  SELECT id, validated_by || char(10), substr(validated_by, 1, 0), 0 FROM configurations"
	"  UNION ALL"
	"  SELECT config_id, substr(rest, instr(rest, char(10)) + 1), substr(rest, 1, instr(rest, char(10)) - 1), n + 1"
	"  FROM split WHERE rest <> '')"
	"INSERT INTO configuration_vendors (config_id, vendor)"
	"  SELECT DISTINCT config_id, replace(lower(line), ' ', '-') FROM split WHERE n > 0;",

	/* 10: Idempotency-Keys of write requests, with the answer each got
	 * (store-idem.c): a request a proxy or client sends again, after
	 * the node that carried it out died before answering, is not
	 * carried out twice.  Kept a day (created_at: seconds). */
	"CREATE TABLE idempotency_keys ("
	"  principal TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  status INTEGER,"
	"  content_type TEXT,"
	"  location TEXT,"
	"  body TEXT,"
	"  PRIMARY KEY (principal, key));"
	"CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);",
};

/* store.h names the newest version every engine migrates to. */
_Static_assert(CV_ELEMENTSOF(migrations) == STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION is the number of migrations");

static int fail(struct sqlite_db *d, int rc)
{
	snprintf(d->errmsg, sizeof(d->errmsg), "%s", sqlite3_errmsg(d->db));
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_IOERR:
		return -EIO;
	default:
		return -EPROTO;
	}
}

static int exec(struct sqlite_db *d, const char *sql)
{
	int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(d, rc);
}

static int get_user_version(struct sqlite_db *d, int *ret)
{
	sqlite3_stmt *stmt;
	int rc;

	rc = sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return fail(d, rc);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		rc = fail(d, rc);
		sqlite3_finalize(stmt);
		return rc;
	}
	*ret = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

/* To the newest schema, or to schema upto (>= 0: test-store-migrate's older databases). */
static int migrate(struct sqlite_db *d, int upto)
{
	int newest = upto >= 0 && upto < (int)CV_ELEMENTSOF(migrations) ? upto : (int)CV_ELEMENTSOF(migrations);
	int version, r;

	/* The common case, an up-to-date database, takes no write lock:
	 * many server threads open connections at once. */
	r = get_user_version(d, &version);
	if (r < 0)
		return r;
	if (version == newest)
		return 0;
	r = exec(d, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = get_user_version(d, &version);
	if (r < 0)
		goto out;
	if (version > (int)CV_ELEMENTSOF(migrations)) {
		snprintf(d->errmsg, sizeof(d->errmsg),
			 "database schema version %d is newer than this covalid knows (%zu)", version,
			 CV_ELEMENTSOF(migrations));
		r = -EPROTO;
		goto out;
	}
	for (int v = version; v < newest; v++) {
		char pragma[64];

		r = exec(d, migrations[v]);
		if (r < 0)
			goto out;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		r = exec(d, pragma);
		if (r < 0)
			goto out;
	}
	return exec(d, "COMMIT");
out:
	sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Is the file at d->path still the one opened?  0, or -ESTALE with the message set. */
static int same_file(struct sqlite_db *d)
{
	struct stat st;

	if (!d->path)
		return 0; /* in memory */
	if (stat(d->path, &st) < 0) {
		snprintf(d->errmsg, sizeof(d->errmsg), "%s: the database file is gone (%s) since it was opened", d->path,
			 strerror(errno));
		return -ESTALE;
	}
	if (st.st_dev != d->dev || st.st_ino != d->ino) {
		snprintf(d->errmsg, sizeof(d->errmsg), "%s: the database file was replaced since it was opened", d->path);
		return -ESTALE;
	}
	return 0;
}

/*
 * strpos(haystack, needle): where needle first starts in haystack,
 * counted in characters from 1, 0 if it does not occur, NULL if either is
 * NULL.  The shared queries test substrings with PostgreSQL's spelling
 * (store-internal.h, "Portable SQL"); SQLite has the same function under
 * the name instr(), which this one mirrors for text.
 */
static void sq_strpos(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *hay, *needle;
	const char *at;
	int64_t n = 1;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return; /* the result stays NULL */
	hay = sqlite3_value_text(argv[0]);
	needle = sqlite3_value_text(argv[1]);
	if (!hay || !needle) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	at = strstr((const char *)hay, (const char *)needle);
	if (!at) {
		sqlite3_result_int64(ctx, 0);
		return;
	}
	for (const unsigned char *p = hay; p < (const unsigned char *)at; p++)
		n += (*p & 0xC0) != 0x80; /* a UTF-8 continuation byte starts no character */
	sqlite3_result_int64(ctx, n);
}

static int sq_open(const char *location, bool create, int schema, void **ret_db, char **ret_errmsg)
{
	struct sqlite_db *d = cv_xcalloc(1, sizeof(*d));
	struct stat st;
	int rc, r;

	if (!create && *location && strcmp(location, ":memory:") != 0 && stat(location, &st) < 0) {
		r = -errno;
		snprintf(d->errmsg, sizeof(d->errmsg), "%s", strerror(errno));
		goto err;
	}
	rc = sqlite3_open_v2(location, &d->db,
			     SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = d->db ? fail(d, rc) : -ENOMEM;
		goto err;
	}
	sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(d->db, 1);
	rc = sqlite3_create_function(d->db, "strpos", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sq_strpos, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = fail(d, rc);
		goto err;
	}
	/* A file that is not a database fails here first. */
	r = exec(d, "PRAGMA journal_mode = WAL");
	if (r < 0)
		goto err;
	/* A page cache of up to 64 MiB (SQLite's default: 2 MiB): the
	 * server's writer connection touches every machine's row each
	 * minute, and re-reading them through pread() cost it more than the
	 * rest of a heartbeat.  Memory is taken only as pages are read. */
	r = exec(d, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;");
	if (r < 0)
		goto err;
	r = migrate(d, schema);
	if (r < 0)
		goto err;
	if (*location && strcmp(location, ":memory:") != 0 && stat(location, &st) == 0) {
		d->path = cv_xstrdup(location);
		d->dev = st.st_dev;
		d->ino = st.st_ino;
	}
	*ret_db = d;
	return 0;
err:
	*ret_errmsg = cv_xstrdup(d->errmsg);
	sqlite3_close(d->db);
	free(d->path);
	free(d);
	return r;
}

static void end_writing(struct sqlite_db *d);

static void sq_close(void *db)
{
	struct sqlite_db *d = db;

	end_writing(d); /* closing rolls back an open transaction */
	for (size_t i = 0; i < d->n_lead; i++) {
		close(d->lead[i].fd); /* the lock goes with it */
		free(d->lead[i].job);
	}
	for (size_t i = 0; i < d->n_cache; i++)
		sqlite3_finalize(d->cache[i].st);
	sqlite3_close(d->db);
	free(d->path);
	free(d);
}

/*
 * A job is led by whoever holds an exclusive flock() on the file
 * "<database>-lead-<job>" beside the database (created as needed, never
 * removed, its contents unused): several processes on one file (server
 * nodes on a shared SQLite database, which works on one machine) take
 * turns, and a process that dies lets go with its descriptors.  flock()
 * locks belong to the open file, so two connections of one process are
 * two contenders too.
 */
static int sq_try_lead(void *db, const char *job)
{
	struct sqlite_db *d = db;
	char *file;
	int fd;

	if (!d->path)
		return 1; /* in memory: no one else can open it */
	for (size_t i = 0; i < d->n_lead; i++)
		if (strcmp(d->lead[i].job, job) == 0)
			return 1;
	if (d->n_lead == LEAD_JOBS) {
		snprintf(d->errmsg, sizeof(d->errmsg), "%s: no room to lead job %s (at most %d)", d->path, job, LEAD_JOBS);
		return -ENOSPC;
	}
	file = cv_xasprintf("%s-lead-%s", d->path, job);
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;

		snprintf(d->errmsg, sizeof(d->errmsg), "%s: %s", file, strerror(e));
		free(file);
		return -e;
	}
	free(file);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return 0;
		snprintf(d->errmsg, sizeof(d->errmsg), "%s: locking the lead of %s: %s", d->path, job, strerror(e));
		return -e;
	}
	d->lead[d->n_lead].job = cv_xstrdup(job);
	d->lead[d->n_lead].fd = fd;
	d->n_lead++;
	return 1;
}

static const char *sq_errmsg(void *db)
{
	return ((struct sqlite_db *)db)->errmsg;
}

static int sq_schema_version(void *db, int *ret)
{
	return get_user_version(db, ret);
}

static int sq_prepare(void *db, const char *sql, struct db_stmt **ret);
static int sq_step(struct db_stmt *s);
static void sq_finalize(struct db_stmt *s);

/* One statement of transaction control, prepared once per connection:
 * a batch of the server's group commit runs several for each request in
 * it, and parsing them each time cost more than running them. */
static int run_kept(struct sqlite_db *d, const char *sql)
{
	struct db_stmt *st;
	int r = sq_prepare(d, sql, &st);

	if (r < 0)
		return r;
	while ((r = sq_step(st)) > 0)
		;
	sq_finalize(st);
	return r;
}

static int sq_defer_checkpoints(void *db)
{
	struct sqlite_db *d = db;
	char sql[128];

	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d", DEFERRED_AUTOCHECKPOINT_PAGES);
	return exec(d, sql);
}

/* PASSIVE: copies what no reader still needs, takes no lock a writer
 * waits on; the log starts over once a checkpoint has caught up with it. */
static int sq_checkpoint(void *db)
{
	struct sqlite_db *d = db;
	int rc = sqlite3_wal_checkpoint_v2(d->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(d, rc);
}

/* IMMEDIATE: take the write lock now, so two writers queue at BEGIN
 * (with the busy timeout) instead of one failing at its first write. */
static int sq_begin(void *db)
{
	struct sqlite_db *d = db;
	int r;

	r = same_file(d);
	if (r < 0)
		return r;
	pthread_mutex_lock(&writer_lock);
	r = run_kept(d, "BEGIN IMMEDIATE");
	if (r < 0)
		pthread_mutex_unlock(&writer_lock);
	else
		d->writing = true;
	return r;
}

static void end_writing(struct sqlite_db *d)
{
	if (d->writing) {
		d->writing = false;
		pthread_mutex_unlock(&writer_lock);
	}
}

static int sq_commit(void *db)
{
	struct sqlite_db *d = db;
	int r = run_kept(d, "COMMIT");

	/* A failed COMMIT leaves the transaction open for the caller's
	 * rollback, which lets the lock go. */
	if (r == 0 || sqlite3_get_autocommit(d->db))
		end_writing(d);
	return r;
}

static int sq_rollback(void *db)
{
	struct sqlite_db *d = db;
	int r = 0;

	if (!sqlite3_get_autocommit(d->db))
		r = run_kept(d, "ROLLBACK");
	end_writing(d);
	return r;
}

/*
 * Savepoints.  The enclosing transaction may be gone: SQLite rolls a
 * transaction back whole on some errors (SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_NOMEM, SQLITE_BUSY in places; sqlite.org/lang_transaction.html,
 * "Response To Errors Within A Transaction").  A SAVEPOINT then would
 * start a transaction of its own and its RELEASE commit it: work meant to
 * be part of a larger one, made durable alone.  So each checks first.
 */
static int in_transaction(struct sqlite_db *d)
{
	if (!sqlite3_get_autocommit(d->db))
		return 0;
	snprintf(d->errmsg, sizeof(d->errmsg), "the transaction was rolled back after an earlier error");
	return -EIO;
}

static int sq_savepoint(void *db, const char *sql)
{
	int r = in_transaction(db);

	return r < 0 ? r : run_kept(db, sql);
}

static int sq_prepare(void *db, const char *sql, struct db_stmt **ret)
{
	struct sqlite_db *d = db;
	struct db_stmt *s = cv_xcalloc(1, sizeof(*s));
	int rc;

	s->db = d;
	s->hash = sql_hash(sql);
	for (size_t i = d->n_cache; i-- > 0;)
		if (d->cache[i].hash == s->hash && strcmp(d->cache[i].sql, sql) == 0) {
			s->st = d->cache[i].st;
			d->cache[i] = d->cache[--d->n_cache];
			*ret = s;
			return 0;
		}
	rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return fail(d, rc);
	}
	*ret = s;
	return 0;
}

/* Without a copy (SQLITE_STATIC): a value is the caller's, bound, stepped
 * and unbound (sq_finalize clears the bindings) within one db_vquery()
 * call, and copying a report's descriptor and health for every write was
 * a tenth of the writer's allocations. */
static void sq_bind_text(struct db_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s->st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->st, i);
}

static void sq_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s->st, i, v);
}

static int sq_step(struct db_stmt *s)
{
	int rc = sqlite3_step(s->st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return fail(s->db, rc);
}

static const char *sq_column_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s->st, i);
}

static int64_t sq_column_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(s->st, i);
}

static int64_t sq_changes(void *db)
{
	return sqlite3_changes(((struct sqlite_db *)db)->db);
}

static void sq_finalize(struct db_stmt *s)
{
	struct sqlite_db *d;

	if (!s)
		return;
	d = s->db;
	/* Kept under the statement's own copy of its SQL (sqlite3_sql), so
	 * built queries are as safe to keep as literals. */
	if (d->n_cache < STMT_CACHE && sqlite3_reset(s->st) == SQLITE_OK && sqlite3_clear_bindings(s->st) == SQLITE_OK) {
		d->cache[d->n_cache].hash = s->hash;
		d->cache[d->n_cache].sql = sqlite3_sql(s->st);
		d->cache[d->n_cache++].st = s->st;
	} else
		sqlite3_finalize(s->st);
	free(s);
}

/*
 * Health: the file is the one opened, it can be written, and a fresh
 * connection (this one's page cache would hide a file changed under it)
 * finds the database whole.  quick_check reads every page: milliseconds
 * for the seed catalog, seconds for a very large one, so callers ration it.
 */
static int sq_health(void *db, bool deep, char **ret_why)
{
	struct sqlite_db *d = db;
	struct statvfs vfs;
	struct stat st;
	sqlite3 *fresh = NULL;
	sqlite3_stmt *q = NULL;
	int r;

	r = same_file(d);
	if (r < 0) {
		*ret_why = cv_xstrdup(d->errmsg);
		return r;
	}
	if (!d->path)
		return 0;
	/* Mode bits as well as access(2): root may write a file whose
	 * mode says nobody may, and an owner who set it so meant it. */
	if (stat(d->path, &st) == 0 && !(st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH))) {
		*ret_why = cv_xasprintf("%s: the database file is read-only (mode %04o)", d->path,
					(unsigned)(st.st_mode & 07777));
		return -EROFS;
	}
	if (access(d->path, W_OK) < 0 || (statvfs(d->path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))) {
		*ret_why = cv_xasprintf("%s: the database file cannot be written (%s)", d->path,
					strerror(errno ? errno : EROFS));
		return -EROFS;
	}
	if (!deep)
		return 0;
	r = -EIO;
	if (sqlite3_open_v2(d->path, &fresh, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(fresh, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		*ret_why = cv_xasprintf("%s: %s", d->path, fresh ? sqlite3_errmsg(fresh) : "cannot open");
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0) {
		*ret_why = cv_xasprintf("%s: the database is damaged: %s", d->path, (const char *)sqlite3_column_text(q, 0));
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(q);
	sqlite3_close(fresh);
	return r;
}

/*
 * Backup.  SQLite's online backup API copies the pages of one read
 * snapshot (sqlite3_backup_step(-1) in one call holds one read
 * transaction; in WAL mode that blocks no writer), into a temporary file
 * beside dest, which is then checked (quick_check), fsync'd and renamed
 * over dest, and the directory fsync'd: dest is the old file or the whole
 * new one, never half of one (git lockfile.c, as cv_write_file_atomic).
 */
static int fsync_dir(const char *path)
{
	char *copy = cv_xstrdup(path), *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	return r;
}

static int backup_pages(struct sqlite_db *d, sqlite3 *out, char **ret_errmsg)
{
	sqlite3_backup *b = sqlite3_backup_init(out, "main", d->db, "main");
	int rc, waited = 0;

	if (!b) {
		*ret_errmsg = cv_xasprintf("%s", sqlite3_errmsg(out));
		return -EIO;
	}
	/* Busy only while another connection holds a lock this read needs
	 * (a checkpoint restarting the log): wait as a busy handler would. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (waited >= BUSY_TIMEOUT_MS)
			break;
		sqlite3_sleep(50);
		waited += 50;
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		*ret_errmsg = cv_xasprintf("copying the database: %s", sqlite3_errstr(rc));
		return rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO;
	}
	return 0;
}

/* quick_check of the copy, through the connection that wrote it. */
static int backup_check(sqlite3 *out, char **ret_errmsg)
{
	sqlite3_stmt *q = NULL;
	const char *res;
	int r = -EIO;

	if (sqlite3_prepare_v2(out, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		*ret_errmsg = cv_xasprintf("checking the copy: %s", sqlite3_errmsg(out));
		goto out;
	}
	res = (const char *)sqlite3_column_text(q, 0);
	if (!res || strcmp(res, "ok") != 0) {
		*ret_errmsg = cv_xasprintf("the copy is damaged: %s", res ? res : "?");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(q);
	return r;
}

static int sq_backup(void *db, const char *dest, char **ret_errmsg)
{
	struct sqlite_db *d = db;
	char *tmp = cv_xasprintf("%s.tmp.XXXXXX", dest), *wal = cv_xasprintf("%s-wal", dest);
	sqlite3 *out = NULL;
	struct stat st;
	int fd, rc, r;

	/* Over the database itself, or over a database whose log is still
	 * beside it (the old log would be replayed into the new file). */
	if (stat(dest, &st) == 0 && d->path && st.st_dev == d->dev && st.st_ino == d->ino) {
		*ret_errmsg = cv_xasprintf("%s: that is the database being backed up", dest);
		r = -EINVAL;
		goto out_free;
	}
	if (access(wal, F_OK) == 0) {
		*ret_errmsg = cv_xasprintf("%s: a database in use (%s exists): not replacing it", dest, wal);
		r = -EBUSY;
		goto out_free;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		*ret_errmsg = cv_xasprintf("%s: cannot create a file beside it: %s", dest, strerror(errno));
		goto out_free;
	}
	close(fd);
	rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*ret_errmsg = cv_xasprintf("%s: %s", tmp, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		r = -EIO;
		goto out_unlink;
	}
	r = backup_pages(d, out, ret_errmsg);
	if (r == 0)
		r = backup_check(out, ret_errmsg);
	if (r < 0)
		goto out_unlink;
	/* Closed before the rename: nothing of the copy is left in memory. */
	rc = sqlite3_close(out);
	out = NULL;
	if (rc != SQLITE_OK) {
		*ret_errmsg = cv_xasprintf("%s: closing: %s", tmp, sqlite3_errstr(rc));
		r = -EIO;
		goto out_unlink;
	}
	r = fsync_path(tmp);
	if (r == 0 && rename(tmp, dest) < 0)
		r = -errno;
	if (r < 0) {
		*ret_errmsg = cv_xasprintf("%s: %s", dest, strerror(-r));
		goto out_unlink;
	}
	r = fsync_dir(dest);
	if (r < 0)
		*ret_errmsg = cv_xasprintf("%s: syncing its directory: %s", dest, strerror(-r));
	goto out_free;
out_unlink:
	if (out)
		sqlite3_close(out);
	unlink(tmp);
out_free:
	free(tmp);
	free(wal);
	return r;
}

/* A deferred BEGIN: the first read takes the snapshot, and no write lock
 * is taken (nor this process's writer_lock: the copy's destination, if it
 * is SQLite too, takes that one). */
static int sq_begin_snapshot(void *db)
{
	struct sqlite_db *d = db;

	return run_kept(d, "BEGIN");
}

static char *sq_identity(void *db)
{
	struct sqlite_db *d = db;

	return d->path ? cv_xasprintf("%llu:%llu", (unsigned long long)d->dev, (unsigned long long)d->ino) : NULL;
}

const struct db_ops db_sqlite = {
	.identity = sq_identity,
	.health = sq_health,
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.errmsg = sq_errmsg,
	.schema_version = sq_schema_version,
	.defer_checkpoints = sq_defer_checkpoints,
	.checkpoint = sq_checkpoint,
	.try_lead = sq_try_lead,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.prepare = sq_prepare,
	.bind_text = sq_bind_text,
	.bind_int64 = sq_bind_int64,
	.step = sq_step,
	.column_text = sq_column_text,
	.column_int64 = sq_column_int64,
	.changes = sq_changes,
	.finalize = sq_finalize,
	.backup = sq_backup,
	.begin_snapshot = sq_begin_snapshot,
	.after_copy = NULL, /* INTEGER PRIMARY KEY hands out max + 1 */
};
