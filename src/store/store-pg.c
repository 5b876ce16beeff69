/*
 * store-pg.c - the PostgreSQL backend of the store (see store-internal.h),
 * through libpq: the engine a deployment of several server nodes shares
 * (docs/deploy.md).
 *
 * A location is a libpq connection URI, postgresql://... or postgres://...
 * (www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING), given
 * whole to PQconnectdb.  One connection per store; the server opens one
 * store per thread, so one connection per thread.
 *
 * Statements.  The shared queries number their parameters ?N; this file
 * spells them $N and prepares each statement once per connection
 * (PQprepare), with the parameters' types declared from how they are
 * bound (text or int8), so "?2 IS NULL OR col = ?2" needs no cast.  Every
 * result comes back in text format; an integer column is read with
 * strtoll, a boolean ("t"/"f") as 1 or 0.
 *
 * Text columns compare and sort by bytes (COLLATE "C"), as SQLite's do:
 * ids page in the same order on both engines, whatever the cluster's
 * locale.
 *
 * Transactions run at READ COMMITTED, PostgreSQL's default.  What covalid
 * checks when it writes is checked by row locks, which that level takes
 * and re-checks: a case's version in UPDATE ... WHERE version = ?, the
 * catalog generation's single row, unique indexes (an accepted log's
 * digest); a second writer of the same row waits for the first, then
 * finds the version gone and changes nothing (409).
 *
 * A dropped connection fails the statement it broke (-ECONNRESET, "the
 * connection to the database was lost"), and with it the transaction it
 * was in: the server answers that request 503 and nothing of it was
 * written.  The next call outside a transaction reconnects.
 *
 * The schema version is the one row of covalid_schema; migrations[] take
 * a database from version N-1 to N with the same numbering as SQLite's
 * (store-sqlite.c), each in the transaction that bumps the version, under
 * a transaction-level advisory lock so that nodes starting together
 * migrate once.
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"
#include "util/cv.h"

/* Statements prepared per connection before they are all let go. */
#define STMT_CACHE 256
/* Parameters of one statement: more than any shared query binds. */
#define MAX_PARAMS 32
/* pg_type.oid of text and int8 (catalog/pg_type.dat; fixed since 7.x). */
#define TEXTOID 25
#define INT8OID 20
/* The advisory lock key of migrations: "covalid" in ASCII. */
#define MIGRATE_LOCK "x'636f76616c6964'::bigint"

#define NOW "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* A JSON document, checked as SQLite's json_valid() does (the json type
 * keeps the text and takes all JSON, \u0000 too, unlike jsonb). */
#define JSON_CHECK(col) "CHECK ((" col ")::json IS NOT NULL)"

/* Index i takes the schema from version i to i + 1, the same numbering
 * as store-sqlite.c's.  Never edit a released one: add a new one. */
static const char *const migrations[] = {
	/* 1: the catalog. */
	"CREATE TABLE products ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  kind TEXT COLLATE \"C\" NOT NULL CHECK (kind IN ('guest_os', 'hypervisor')),"
	"  vendor TEXT COLLATE \"C\" NOT NULL, product TEXT COLLATE \"C\" NOT NULL, version TEXT COLLATE \"C\" NOT NULL,"
	"  osinfo TEXT COLLATE \"C\","
	"  doc TEXT COLLATE \"C\" NOT NULL " JSON_CHECK("doc") ","
	"  updated_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");"
	"CREATE TABLE configurations ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  status TEXT COLLATE \"C\" NOT NULL,"
	"  guest_os TEXT COLLATE \"C\" NOT NULL, guest_vendor TEXT COLLATE \"C\" NOT NULL, guest_product TEXT COLLATE \"C\" NOT NULL,"
	"  guest_version TEXT COLLATE \"C\" NOT NULL,"
	"  hv_ids TEXT COLLATE \"C\" NOT NULL, hv_vendor TEXT COLLATE \"C\" NOT NULL, hv_product TEXT COLLATE \"C\" NOT NULL, hv_version TEXT COLLATE \"C\" NOT NULL,"
	"  doc TEXT COLLATE \"C\" NOT NULL " JSON_CHECK("doc") ","
	"  updated_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");",

	/* 2: who validated, as a column (backfilled from the documents),
	 * lookup indexes, and the test logs behind each configuration. */
	"ALTER TABLE configurations ADD COLUMN validated_by TEXT COLLATE \"C\" NOT NULL DEFAULT '';"
	"UPDATE configurations SET validated_by = coalesce((SELECT string_agg(v, E'\\n') FROM"
	"  json_array_elements_text(CASE WHEN json_typeof(doc::json -> 'validated_by') = 'array'"
	"  THEN doc::json -> 'validated_by' ELSE '[]'::json END) AS v), '');"
	"CREATE INDEX configurations_guest ON configurations (guest_os, status);"
	"CREATE INDEX configurations_hv_vendor ON configurations (hv_vendor);"
	"CREATE INDEX products_kind ON products (kind, vendor);"
	"CREATE TABLE configuration_evidence ("
	"  config_id TEXT COLLATE \"C\" NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,"
	"  testlog_id TEXT COLLATE \"C\" NOT NULL,"
	"  added_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ","
	"  PRIMARY KEY (config_id, testlog_id));",

	/* 3: the program: vendors, keys, tokens, submissions, the policy,
	 * settings, and the catalog's generation counter. */
	"CREATE TABLE counters (name TEXT COLLATE \"C\" PRIMARY KEY, value BIGINT NOT NULL);"
	"INSERT INTO counters VALUES ('catalog_generation', 1);"
	"CREATE TABLE settings (key TEXT COLLATE \"C\" PRIMARY KEY, value TEXT COLLATE \"C\" NOT NULL);"
	"CREATE TABLE vendors ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY, name TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  created_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");"
	"CREATE TABLE vendor_keys ("
	"  key_id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  vendor_id TEXT COLLATE \"C\" NOT NULL REFERENCES vendors (id),"
	"  public_key TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  created_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ","
	"  revoked_at TEXT COLLATE \"C\");"
	"CREATE TABLE tokens ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  hash TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  role TEXT COLLATE \"C\" NOT NULL CHECK (role IN ('admin', 'vendor')),"
	"  vendor_id TEXT COLLATE \"C\" REFERENCES vendors (id),"
	"  description TEXT COLLATE \"C\","
	"  created_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ","
	"  revoked_at TEXT COLLATE \"C\","
	"  CHECK ((role = 'vendor') = (vendor_id IS NOT NULL)));"
	"CREATE TABLE submissions ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  vendor_id TEXT COLLATE \"C\" NOT NULL REFERENCES vendors (id),"
	"  key_id TEXT COLLATE \"C\","
	"  status TEXT COLLATE \"C\" NOT NULL CHECK (status IN ('accepted', 'rejected')),"
	"  reasons TEXT COLLATE \"C\" NOT NULL " JSON_CHECK("reasons") ","
	"  config_id TEXT COLLATE \"C\" REFERENCES configurations (id),"
	"  log TEXT COLLATE \"C\" NOT NULL,"
	"  received_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");"
	"CREATE INDEX submissions_vendor ON submissions (vendor_id, received_at);"
	"CREATE INDEX submissions_config ON submissions (config_id);"
	"CREATE TABLE policy ("
	"  id BIGINT PRIMARY KEY CHECK (id = 1),"
	"  doc TEXT COLLATE \"C\" NOT NULL " JSON_CHECK("doc") ","
	"  updated_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");",

	/* 4: cooperative support (store-sqlite.c says what); tokens gain
	 * roles, a customer and a name. */
	"CREATE TABLE customers ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY, name TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  created_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");"
	"ALTER TABLE tokens ADD COLUMN customer_id TEXT COLLATE \"C\" REFERENCES customers (id);"
	"ALTER TABLE tokens ADD COLUMN name TEXT COLLATE \"C\";"
	"UPDATE tokens SET name = description;"
	"ALTER TABLE tokens DROP CONSTRAINT tokens_role_check;"
	"ALTER TABLE tokens DROP CONSTRAINT tokens_check;"
	"ALTER TABLE tokens ADD CHECK (role IN ('admin', 'vendor', 'vendor-manager', 'customer'));"
	"ALTER TABLE tokens ADD CHECK ((role IN ('vendor', 'vendor-manager')) = (vendor_id IS NOT NULL));"
	"ALTER TABLE tokens ADD CHECK ((role = 'customer') = (customer_id IS NOT NULL));"
	"CREATE TABLE agreements ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  customer_id TEXT COLLATE \"C\" NOT NULL REFERENCES customers (id),"
	"  vendor_id TEXT COLLATE \"C\" NOT NULL REFERENCES vendors (id),"
	"  doc TEXT COLLATE \"C\" NOT NULL " JSON_CHECK("doc") ","
	"  created_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");"
	"CREATE INDEX agreements_customer ON agreements (customer_id, vendor_id);"
	"CREATE TABLE cases ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  customer_id TEXT COLLATE \"C\" NOT NULL REFERENCES customers (id),"
	"  vendor_id TEXT COLLATE \"C\" NOT NULL REFERENCES vendors (id),"
	"  engaged TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	"  state TEXT COLLATE \"C\" NOT NULL,"
	"  severity BIGINT NOT NULL CHECK (severity BETWEEN 1 AND 4),"
	"  version BIGINT NOT NULL,"
	"  doc TEXT COLLATE \"C\" NOT NULL " JSON_CHECK("doc") ","
	"  created_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ","
	"  updated_at TEXT COLLATE \"C\" NOT NULL DEFAULT " NOW ");"
	"CREATE INDEX cases_customer ON cases (customer_id, updated_at);"
	"CREATE INDEX cases_vendor ON cases (vendor_id, state);",

	/* 5: each submission's digest of its log, unique among accepted ones. */
	"ALTER TABLE submissions ADD COLUMN log_digest TEXT COLLATE \"C\";"
	"CREATE UNIQUE INDEX submissions_accepted_digest ON submissions (log_digest) WHERE status = 'accepted';",

	/* 6: monitoring (docs/monitor.md; store-sqlite.c says what).
	 * events.seq is given by a trigger under a transaction-level advisory
	 * lock, not by a column default: a sequence hands out numbers in the
	 * order transactions ask, not the order they commit, and a reader
	 * paging the log by "after seq N" on another node would step over an
	 * event committed late with a smaller number.  With the lock, events
	 * are numbered (and so committed) one writing transaction at a time;
	 * a seq given explicitly (admin migrate's copy) is kept. */
	"CREATE TABLE machines ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  customer_id TEXT COLLATE \"C\" NOT NULL REFERENCES customers (id),"
	"  machine_key TEXT COLLATE \"C\" NOT NULL,"
	"  name TEXT COLLATE \"C\" NOT NULL,"
	"  credential_hash TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  enrolled_at TEXT COLLATE \"C\" NOT NULL,"
	"  last_seen TEXT COLLATE \"C\","
	"  last_seen_s BIGINT NOT NULL DEFAULT 0,"
	"  interval_s BIGINT NOT NULL DEFAULT 60,"
	"  seq BIGINT NOT NULL DEFAULT 0,"
	"  reports BIGINT NOT NULL DEFAULT 0,"
	"  descriptor_digest TEXT COLLATE \"C\","
	"  vcpus BIGINT NOT NULL DEFAULT 0,"
	"  verdict TEXT COLLATE \"C\","
	"  reason TEXT COLLATE \"C\","
	"  differences TEXT COLLATE \"C\","
	"  config_id TEXT COLLATE \"C\","
	"  health TEXT COLLATE \"C\","
	"  flags TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	"  UNIQUE (customer_id, machine_key));"
	"CREATE INDEX machines_seen ON machines (last_seen_s);"
	"CREATE INDEX machines_customer ON machines (customer_id, verdict);"
	"CREATE TABLE machine_descriptors ("
	"  machine_id TEXT COLLATE \"C\" PRIMARY KEY REFERENCES machines (id) ON DELETE CASCADE,"
	"  descriptor TEXT COLLATE \"C\" NOT NULL);"
	"CREATE TABLE machine_verdicts ("
	"  machine_id TEXT COLLATE \"C\" NOT NULL REFERENCES machines (id) ON DELETE CASCADE,"
	"  at TEXT COLLATE \"C\" NOT NULL,"
	"  verdict TEXT COLLATE \"C\" NOT NULL,"
	"  reason TEXT COLLATE \"C\","
	"  config_id TEXT COLLATE \"C\","
	"  differences TEXT COLLATE \"C\","
	"  descriptor_digest TEXT COLLATE \"C\");"
	"CREATE INDEX machine_verdicts_machine ON machine_verdicts (machine_id, at);"
	"CREATE SEQUENCE events_seq;"
	"CREATE TABLE events ("
	"  seq BIGINT PRIMARY KEY,"
	"  id TEXT COLLATE \"C\" NOT NULL UNIQUE,"
	"  at TEXT COLLATE \"C\" NOT NULL,"
	"  kind TEXT COLLATE \"C\" NOT NULL,"
	"  customer_id TEXT COLLATE \"C\","
	"  machine_id TEXT COLLATE \"C\","
	"  case_id TEXT COLLATE \"C\","
	"  vendor_ids TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	"  doc TEXT COLLATE \"C\" NOT NULL);"
	"ALTER SEQUENCE events_seq OWNED BY events.seq;"
	"CREATE FUNCTION covalid_events_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN"
	"  IF NEW.seq IS NULL THEN"
	"   PERFORM pg_advisory_xact_lock(x'6576656e7473'::bigint);" /* "events" */
	"   NEW.seq := nextval('events_seq');"
	"  END IF;"
	"  RETURN NEW;"
	" END $f$;"
	"CREATE TRIGGER events_in_commit_order BEFORE INSERT ON events"
	"  FOR EACH ROW EXECUTE FUNCTION covalid_events_in_commit_order();"
	"CREATE INDEX events_customer ON events (customer_id, seq);"
	"CREATE INDEX events_machine ON events (machine_id, seq);"
	"CREATE INDEX events_case ON events (case_id, seq);"
	"CREATE TABLE webhooks ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  customer_id TEXT COLLATE \"C\" REFERENCES customers (id),"
	"  url TEXT COLLATE \"C\" NOT NULL,"
	"  secret TEXT COLLATE \"C\" NOT NULL,"
	"  kinds TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	"  created_by TEXT COLLATE \"C\","
	"  created_at TEXT COLLATE \"C\" NOT NULL,"
	"  disabled_at TEXT COLLATE \"C\");"
	"CREATE INDEX webhooks_customer ON webhooks (customer_id);"
	"CREATE TABLE deliveries ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  webhook_id TEXT COLLATE \"C\" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,"
	"  event_seq BIGINT NOT NULL REFERENCES events (seq),"
	"  state TEXT COLLATE \"C\" NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),"
	"  attempts BIGINT NOT NULL DEFAULT 0,"
	"  next_at_s BIGINT NOT NULL,"
	"  last_status BIGINT,"
	"  last_error TEXT COLLATE \"C\","
	"  delivered_at TEXT COLLATE \"C\","
	"  created_at TEXT COLLATE \"C\" NOT NULL);"
	"CREATE INDEX deliveries_due ON deliveries (state, next_at_s);"
	"CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);"
	"CREATE TABLE monitor_settings ("
	"  customer_id TEXT COLLATE \"C\" PRIMARY KEY REFERENCES customers (id),"
	"  doc TEXT COLLATE \"C\" NOT NULL);"
	"CREATE TABLE fleet_samples ("
	"  customer_id TEXT COLLATE \"C\" NOT NULL,"
	"  at TEXT COLLATE \"C\" NOT NULL,"
	"  verdict TEXT COLLATE \"C\" NOT NULL,"
	"  count BIGINT NOT NULL,"
	"  PRIMARY KEY (customer_id, at, verdict));"
	"ALTER TABLE cases ADD COLUMN machine_id TEXT COLLATE \"C\" REFERENCES machines (id);"
	"CREATE INDEX cases_machine ON cases (machine_id);",

	/* 7: tokens' expiry and last use; the verdict history's own id. */
	"ALTER TABLE tokens ADD COLUMN expires_at TEXT COLLATE \"C\";"
	"ALTER TABLE tokens ADD COLUMN last_used_at TEXT COLLATE \"C\";"
	"ALTER TABLE machine_verdicts ADD COLUMN id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY;",

	/* 8: catalog rows stamped with their write's generation (store-sqlite.c says why). */
	"ALTER TABLE products ADD COLUMN gen BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE configurations ADD COLUMN gen BIGINT NOT NULL DEFAULT 0;"
	"CREATE INDEX products_gen ON products (gen);"
	"CREATE INDEX configurations_gen ON configurations (gen);",

	/* 9: the catalog's filters answered by indexes (store-sqlite.c says what). */
	"CREATE TABLE guest_groups ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  os TEXT COLLATE \"C\" NOT NULL, product TEXT COLLATE \"C\" NOT NULL, vendor TEXT COLLATE \"C\" NOT NULL,"
	"  UNIQUE (os, product, vendor));"
	"CREATE TABLE hv_groups ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  ids TEXT COLLATE \"C\" NOT NULL, product TEXT COLLATE \"C\" NOT NULL, vendor TEXT COLLATE \"C\" NOT NULL,"
	"  UNIQUE (ids, product, vendor));"
	"INSERT INTO guest_groups (os, product, vendor)"
	"  SELECT DISTINCT guest_os, guest_product, guest_vendor FROM configurations ORDER BY 1, 2, 3;"
	"INSERT INTO hv_groups (ids, product, vendor)"
	"  SELECT DISTINCT hv_ids, hv_product, hv_vendor FROM configurations ORDER BY 1, 2, 3;"
	"ALTER TABLE configurations ADD COLUMN guest_group BIGINT REFERENCES guest_groups (id);"
	"ALTER TABLE configurations ADD COLUMN hv_group BIGINT REFERENCES hv_groups (id);"
	"UPDATE configurations c SET guest_group = g.id FROM guest_groups g"
	"  WHERE g.os = c.guest_os AND g.product = c.guest_product AND g.vendor = c.guest_vendor;"
	"UPDATE configurations c SET hv_group = h.id FROM hv_groups h"
	"  WHERE h.ids = c.hv_ids AND h.product = c.hv_product AND h.vendor = c.hv_vendor;"
	"CREATE INDEX configurations_guest_group ON configurations (guest_group, id);"
	"CREATE INDEX configurations_hv_group ON configurations (hv_group, id);"
	"CREATE INDEX configurations_status ON configurations (status, id);"
	"DROP INDEX configurations_guest;"
	"DROP INDEX configurations_hv_vendor;"
	"CREATE TABLE configuration_vendors ("
	"  config_id TEXT COLLATE \"C\" NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,"
	"  vendor TEXT COLLATE \"C\" NOT NULL,"
	"  PRIMARY KEY (config_id, vendor));"
	"CREATE INDEX configuration_vendors_vendor ON configuration_vendors (vendor, config_id);"
	"INSERT INTO configuration_vendors (config_id, vendor)"
	"  SELECT DISTINCT id, replace(lower(line COLLATE \"C\"), ' ', '-')"
	"  FROM configurations, unnest(string_to_array(validated_by || E'\\n', E'\\n')) WITH ORDINALITY AS l (line, n)"
	"  WHERE n <= array_length(string_to_array(validated_by || E'\\n', E'\\n'), 1) - 1;",

	/* 10: Idempotency-Keys of write requests (store-sqlite.c says why). */
	"CREATE TABLE idempotency_keys ("
	"  principal TEXT COLLATE \"C\" NOT NULL,"
	"  key TEXT COLLATE \"C\" NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  status BIGINT,"
	"  content_type TEXT,"
	"  location TEXT,"
	"  body TEXT,"
	"  PRIMARY KEY (principal, key));"
	"CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);",
};

/* store.h names the newest version every engine migrates to. */
_Static_assert(CV_ELEMENTSOF(migrations) == STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION is the number of migrations");

/* Background jobs one connection may lead at once (store_try_lead). */
#define LEAD_JOBS 8

struct pg_db {
	PGconn *conn;
	char *location;
	char errmsg[512];
	int64_t changes;
	/* Statements prepared on this connection, by SQL and parameter types. */
	struct {
		uint64_t hash;
		char *key; /* the $N text, a NUL, then the types as 't'/'i' */
		size_t key_len;
	} cache[STMT_CACHE];
	size_t n_cache;
	/* Bumped on each reconnect: prepared names of an older one are gone. */
	unsigned epoch;
	/* Jobs this connection leads (pg_try_lead), each with the epoch its
	 * advisory lock was taken in: a reconnect is a new session, which
	 * holds none of them. */
	struct {
		char job[32];
		unsigned epoch;
	} lead[LEAD_JOBS];
	size_t n_lead;
};

struct db_stmt {
	struct pg_db *db;
	char *sql; /* with $N */
	int n_params;
	const char *values[MAX_PARAMS];
	Oid types[MAX_PARAMS];
	char ints[MAX_PARAMS][24];
	PGresult *res;
	int row, n_rows; /* row: the next to step to, from 0 */
};

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

/*
 * A failed result's SQLSTATE (www.postgresql.org/docs/15/errcodes-appendix.html)
 * as the errno the rest of covalid reads, the same as store-sqlite.c's for
 * the same cause: a constraint is -EEXIST, a conflict to retry -EBUSY.
 */
static int errno_of(const char *state)
{
	if (!state)
		return -EIO;
	if (strncmp(state, "23", 2) == 0)
		return -EEXIST; /* integrity constraint violation */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
		return -EBUSY; /* serialization failure, deadlock, lock not available */
	if (strcmp(state, "53100") == 0)
		return -ENOSPC;
	if (strncmp(state, "53", 2) == 0)
		return -ENOMEM; /* insufficient resources */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return -ECONNRESET; /* connection exception, server shutting down */
	if (strncmp(state, "28", 2) == 0 || strcmp(state, "42501") == 0 || strcmp(state, "25006") == 0)
		return -EACCES; /* authorization, privilege, read-only transaction */
	if (strcmp(state, "3D000") == 0)
		return -ENOENT; /* no such database */
	if (strncmp(state, "22", 2) == 0)
		return -EINVAL; /* data exception */
	return -EPROTO;
}

/* The message of a failed result or connection, one line, into d->errmsg. */
static void set_error(struct pg_db *d, const PGresult *res)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t n;

	if (!m || !*m)
		m = PQerrorMessage(d->conn);
	if (!m || !*m)
		m = "the database failed without saying why";
	snprintf(d->errmsg, sizeof(d->errmsg), "%s", m);
	n = strlen(d->errmsg);
	while (n > 0 && (d->errmsg[n - 1] == '\n' || d->errmsg[n - 1] == ' '))
		d->errmsg[--n] = '\0';
	for (char *p = d->errmsg; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* A result's errno, 0 if it succeeded; sets the message. */
static int check(struct pg_db *d, PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	set_error(d, res);
	if (PQstatus(d->conn) == CONNECTION_BAD) {
		snprintf(d->errmsg, sizeof(d->errmsg), "the connection to the database was lost");
		return -ECONNRESET;
	}
	return errno_of(res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
}

static int exec(struct pg_db *d, const char *sql)
{
	PGresult *res = PQexec(d->conn, sql);
	int r = check(d, res);

	PQclear(res);
	return r;
}

static void forget_statements(struct pg_db *d)
{
	for (size_t i = 0; i < d->n_cache; i++)
		free(d->cache[i].key);
	d->n_cache = 0;
}

/*
 * Outside a transaction, a connection found broken is made again: the
 * request that broke it has failed (503), the next one should not.
 * Inside one, it stays failed: what the transaction wrote is gone, and
 * the caller must learn so from its next statement.
 */
static int usable(struct pg_db *d)
{
	if (PQstatus(d->conn) == CONNECTION_OK)
		return 0;
	if (PQtransactionStatus(d->conn) != PQTRANS_UNKNOWN && PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		goto lost;
	PQreset(d->conn);
	forget_statements(d);
	d->epoch++;
	if (PQstatus(d->conn) == CONNECTION_OK)
		return 0;
lost:
	set_error(d, NULL);
	return -ECONNRESET;
}

static int one_int(struct pg_db *d, const char *sql, int64_t *ret)
{
	PGresult *res = PQexec(d->conn, sql);
	int r = check(d, res);

	if (r == 0 && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*ret = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (r == 0)
		r = -ENOENT;
	PQclear(res);
	return r;
}

static int get_version(struct pg_db *d, int *ret)
{
	int64_t v = 0;
	int r = one_int(d, "SELECT version FROM covalid_schema", &v);

	if (r < 0)
		return r;
	*ret = (int)v;
	return 0;
}

static int migrate(struct pg_db *d, bool create, int upto)
{
	int newest = upto >= 0 && upto < (int)CV_ELEMENTSOF(migrations) ? upto : (int)CV_ELEMENTSOF(migrations);
	int64_t exists = 0;
	int version = 0, r;

	/* The common case, an up-to-date database: one read, no lock. */
	if (get_version(d, &version) == 0 && version == newest)
		return 0;
	r = exec(d, "BEGIN");
	if (r < 0)
		return r;
	r = exec(d, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")");
	if (r < 0)
		goto out;
	r = one_int(d, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'covalid_schema'",
		    &exists);
	if (r < 0)
		goto out;
	if (!exists) {
		if (!create) {
			snprintf(d->errmsg, sizeof(d->errmsg), "the database has no covalid schema");
			r = -ENOENT;
			goto out;
		}
		r = exec(d, "CREATE TABLE covalid_schema (version INTEGER NOT NULL);"
			    "INSERT INTO covalid_schema VALUES (0)");
		if (r < 0)
			goto out;
	}
	r = get_version(d, &version);
	if (r < 0)
		goto out;
	if (version > (int)CV_ELEMENTSOF(migrations)) {
		snprintf(d->errmsg, sizeof(d->errmsg), "database schema version %d is newer than this covalid knows (%zu)",
			 version, CV_ELEMENTSOF(migrations));
		r = -EPROTO;
		goto out;
	}
	for (int v = version; v < newest; v++) {
		char sql[64];

		r = exec(d, migrations[v]);
		if (r < 0)
			goto out;
		snprintf(sql, sizeof(sql), "UPDATE covalid_schema SET version = %d", v + 1);
		r = exec(d, sql);
		if (r < 0)
			goto out;
	}
	return exec(d, "COMMIT");
out:
	PQclear(PQexec(d->conn, "ROLLBACK"));
	return r;
}

/* Notices ("relation exists, skipping") are not errors: not printed. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_close(void *db)
{
	struct pg_db *d = db;

	if (!d)
		return;
	forget_statements(d);
	PQfinish(d->conn);
	free(d->location);
	free(d);
}

static int pg_open(const char *location, bool create, int schema, void **ret_db, char **ret_errmsg)
{
	struct pg_db *d = cv_xcalloc(1, sizeof(*d));
	int r;

	d->location = cv_xstrdup(location);
	d->conn = PQconnectdb(location);
	if (!d->conn) {
		*ret_errmsg = cv_xstrdup("out of memory");
		free(d->location);
		free(d);
		return -ENOMEM;
	}
	if (PQstatus(d->conn) != CONNECTION_OK) {
		set_error(d, NULL);
		r = strstr(d->errmsg, "does not exist") ? -ENOENT : -ECONNREFUSED;
		goto err;
	}
	PQsetNoticeProcessor(d->conn, quiet, NULL);
	/* Times are made in C (db_now()); these keep the engine's own
	 * (column defaults) and text comparisons the same everywhere. */
	r = exec(d, "SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8'; SET standard_conforming_strings = on");
	if (r < 0)
		goto err;
	r = migrate(d, create, schema);
	if (r < 0)
		goto err;
	*ret_db = d;
	return 0;
err:
	*ret_errmsg = cv_xstrdup(d->errmsg);
	pg_close(d);
	return r;
}

static const char *pg_errmsg(void *db)
{
	return ((struct pg_db *)db)->errmsg;
}

static int pg_schema_version(void *db, int *ret)
{
	struct pg_db *d = db;
	int r = usable(d);

	return r < 0 ? r : get_version(d, ret);
}

/* PostgreSQL keeps its own log (WAL) and checkpoints it itself. */
static int pg_no_checkpoints(void *db)
{
	(void)db;
	return 0;
}

static int pg_begin(void *db)
{
	struct pg_db *d = db;
	int r = usable(d);

	return r < 0 ? r : exec(d, "BEGIN");
}

static int pg_commit(void *db)
{
	struct pg_db *d = db;
	PGresult *res;
	int r;

	if (PQtransactionStatus(d->conn) == PQTRANS_IDLE) {
		/* PostgreSQL answers COMMIT with no transaction open with a
		 * warning and the tag "COMMIT": a transaction the engine ended
		 * (a lost connection's, or one rolled back under us) must not
		 * look committed. */
		snprintf(d->errmsg, sizeof(d->errmsg), "no transaction is open: it was rolled back");
		return -EIO;
	}
	if (PQtransactionStatus(d->conn) == PQTRANS_INERROR) {
		/* COMMIT of a failed transaction rolls it back and says
		 * "ROLLBACK": that is not a commit. */
		snprintf(d->errmsg, sizeof(d->errmsg), "the transaction failed earlier and cannot be committed");
		return -EIO;
	}
	res = PQexec(d->conn, "COMMIT");
	r = check(d, res);
	if (r == 0 && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		snprintf(d->errmsg, sizeof(d->errmsg), "no transaction to commit (%s)", PQcmdStatus(res));
		r = -EIO;
	}
	PQclear(res);
	return r;
}

static int pg_rollback(void *db)
{
	struct pg_db *d = db;

	if (PQstatus(d->conn) != CONNECTION_OK || PQtransactionStatus(d->conn) == PQTRANS_IDLE)
		return 0; /* nothing open: the transaction is gone with the connection */
	return exec(d, "ROLLBACK");
}

/* A savepoint's statement, only inside an open transaction (store-internal.h). */
static int pg_savepoint(void *db, const char *sql)
{
	struct pg_db *d = db;
	PGTransactionStatusType t = PQtransactionStatus(d->conn);

	if (PQstatus(d->conn) != CONNECTION_OK) {
		snprintf(d->errmsg, sizeof(d->errmsg), "the connection to the database was lost");
		return -ECONNRESET;
	}
	if (t != PQTRANS_INTRANS && t != PQTRANS_INERROR) {
		snprintf(d->errmsg, sizeof(d->errmsg), "the transaction was rolled back after an earlier error");
		return -EIO;
	}
	return exec(d, sql);
}

/*
 * ?N as $N, outside quoted text.  A bare ? takes the next number, as in
 * SQLite.  Returns the number of parameters, or -EINVAL past MAX_PARAMS.
 */
static int rewrite(const char *sql, char **ret)
{
	size_t cap = strlen(sql) * 2 + 1; /* "?" becomes at most "$32" */
	char *out = cv_xmalloc(cap), *o = out;
	int highest = 0, next = 1;
	char quote = 0;

	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			*o++ = *p;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
			continue;
		}
		if (*p != '?') {
			*o++ = *p;
			continue;
		}
		int num = 0;
		if (p[1] >= '0' && p[1] <= '9') {
			while (p[1] >= '0' && p[1] <= '9' && num < 1000)
				num = num * 10 + (*++p - '0');
		} else
			num = next;
		next = num + 1;
		if (num < 1 || num > MAX_PARAMS) {
			free(out);
			return -EINVAL;
		}
		if (num > highest)
			highest = num;
		o += snprintf(o, cap - (size_t)(o - out), "$%d", num);
	}
	*o = '\0';
	*ret = out;
	return highest;
}

static int pg_prepare(void *db, const char *sql, struct db_stmt **ret)
{
	struct pg_db *d = db;
	struct db_stmt *st;
	int r;

	r = usable(d);
	if (r < 0)
		return r;
	st = cv_xcalloc(1, sizeof(*st));
	st->db = d;
	r = rewrite(sql, &st->sql);
	if (r < 0) {
		snprintf(d->errmsg, sizeof(d->errmsg), "more than %d parameters in a statement", MAX_PARAMS);
		free(st);
		return r;
	}
	st->n_params = r;
	for (int i = 0; i < st->n_params; i++)
		st->types[i] = TEXTOID; /* an unbound parameter is NULL text */
	*ret = st;
	return 0;
}

static void pg_bind_text(struct db_stmt *st, int i, const char *s)
{
	if (i < 1 || i > st->n_params)
		return;
	st->values[i - 1] = s;
	st->types[i - 1] = TEXTOID;
}

static void pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	if (i < 1 || i > st->n_params)
		return;
	snprintf(st->ints[i - 1], sizeof(st->ints[i - 1]), "%lld", (long long)v);
	st->values[i - 1] = st->ints[i - 1];
	st->types[i - 1] = INT8OID;
}

/* The name this connection prepared the statement under (with these
 * parameter types), preparing it the first time. */
static int statement_name(struct db_stmt *st, char name[static 48])
{
	struct pg_db *d = st->db;
	size_t sql_len = strlen(st->sql), key_len = sql_len + 1 + (size_t)st->n_params;
	char *key = cv_xmalloc(key_len + 1);
	PGresult *res;
	uint64_t h;
	int r;

	memcpy(key, st->sql, sql_len + 1);
	for (int i = 0; i < st->n_params; i++)
		key[sql_len + 1 + i] = st->types[i] == INT8OID ? 'i' : 't';
	key[key_len] = '\0';
	h = fnv(key, key_len);
	for (size_t i = 0; i < d->n_cache; i++)
		if (d->cache[i].hash == h && d->cache[i].key_len == key_len && memcmp(d->cache[i].key, key, key_len) == 0) {
			snprintf(name, 48, "cv%u_%zu", d->epoch, i);
			free(key);
			return 0;
		}
	if (d->n_cache == STMT_CACHE) {
		/* Full: start again (built statements are few; this is a bound). */
		r = exec(d, "DEALLOCATE ALL");
		if (r < 0) {
			free(key);
			return r;
		}
		forget_statements(d);
		d->epoch++;
	}
	snprintf(name, 48, "cv%u_%zu", d->epoch, d->n_cache);
	res = PQprepare(d->conn, name, st->sql, st->n_params, st->types);
	r = check(d, res);
	PQclear(res);
	if (r < 0) {
		free(key);
		return r;
	}
	d->cache[d->n_cache].hash = h;
	d->cache[d->n_cache].key = key;
	d->cache[d->n_cache++].key_len = key_len;
	return 0;
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, surrogates or past U+10FFFF). */
static bool is_utf8(const unsigned char *p)
{
	while (*p) {
		unsigned c = *p, n, cp;

		if (c < 0x80)
			n = 0, cp = c;
		else if (c >= 0xc2 && c < 0xe0)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c < 0xf0)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c < 0xf5)
			n = 3, cp = c & 0x07;
		else
			return false;
		p++;
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
	}
	return true;
}

/*
 * A text parameter that is not UTF-8, which the server refuses (22021)
 * and which aborts the transaction it is in.  No row holds one (every
 * value stored went through that check), so a query that only reads
 * finds nothing, as SQLite's would; a write is refused.
 */
static int refuse_bad_text(struct db_stmt *st)
{
	for (int i = 0; i < st->n_params; i++)
		if (st->types[i] == TEXTOID && st->values[i] && !is_utf8((const unsigned char *)st->values[i])) {
			if (strncmp(st->sql, "SELECT", 6) == 0)
				return 1;
			snprintf(st->db->errmsg, sizeof(st->db->errmsg), "parameter %d is not UTF-8 text", i + 1);
			return -EILSEQ;
		}
	return 0;
}

/* Runs the statement, prepared on this connection first if need be. */
static int execute(struct db_stmt *st)
{
	char name[48];
	int r = statement_name(st, name);

	if (r < 0)
		return r;
	st->res = PQexecPrepared(st->db->conn, name, st->n_params, st->values, NULL, NULL, 0);
	r = check(st->db, st->res);
	if (r < 0) {
		PQclear(st->res);
		st->res = NULL;
	}
	return r;
}

/*
 * A connection found broken by a read outside any transaction (the
 * server restarted, an idle connection cut by a proxy or a failover) is
 * made again and the read asked again, once: nothing was written, and
 * every thread's first request after a restart need not fail.  A write,
 * or anything inside a transaction, fails (503): whether a write the
 * connection broke under was committed cannot be known from here.
 */
static int pg_step(struct db_stmt *st)
{
	struct pg_db *d = st->db;
	bool outside = PQtransactionStatus(d->conn) == PQTRANS_IDLE;
	int r;

	if (!st->res) {
		r = usable(d);
		if (r < 0)
			return r;
		r = refuse_bad_text(st);
		if (r != 0) {
			st->res = PQmakeEmptyPGresult(d->conn, PGRES_TUPLES_OK);
			st->n_rows = 0;
			d->changes = 0;
			return r > 0 ? 0 : r;
		}
		r = execute(st);
		if (r == -ECONNRESET && outside && strncmp(st->sql, "SELECT", 6) == 0 && usable(d) == 0)
			r = execute(st); /* a read alone: asking again is safe */
		if (r < 0)
			return r;
		st->n_rows = PQntuples(st->res);
		st->row = 0;
		d->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
		if (st->n_rows == 0)
			return 0;
		return 1;
	}
	if (st->row + 1 >= st->n_rows) {
		st->row = st->n_rows;
		return 0;
	}
	st->row++;
	return 1;
}

static const char *pg_column_text(struct db_stmt *st, int i)
{
	if (!st->res || st->row >= st->n_rows || i >= PQnfields(st->res) || PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

static int64_t pg_column_int64(struct db_stmt *st, int i)
{
	const char *v = pg_column_text(st, i);

	if (!v)
		return 0;
	if (strcmp(v, "t") == 0)
		return 1; /* a boolean, as SQLite gives one */
	return strtoll(v, NULL, 10);
}

static bool pg_lost(void *db)
{
	return PQstatus(((struct pg_db *)db)->conn) != CONNECTION_OK;
}

static int64_t pg_changes(void *db)
{
	return ((struct pg_db *)db)->changes;
}

static void pg_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	PQclear(st->res);
	free(st->sql);
	free(st);
}

/*
 * Health: the server answers, and this connection may write (a standby,
 * or a database set read-only, cannot).  Deep: a statement reads a table.
 */
static int pg_health(void *db, bool deep, char **ret_why)
{
	struct pg_db *d = db;
	int64_t v = 0;
	PGresult *res;
	int r = usable(d);

	if (r < 0)
		goto fail;
	res = PQexec(d->conn, "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')");
	r = check(d, res);
	if (r == 0 && (strcmp(PQgetvalue(res, 0, 0), "t") == 0 || strcmp(PQgetvalue(res, 0, 1), "on") == 0)) {
		PQclear(res);
		*ret_why = cv_xasprintf("%s: the database is read-only (a standby, or default_transaction_read_only)",
					PQdb(d->conn));
		return -EROFS;
	}
	PQclear(res);
	if (r < 0)
		goto fail;
	if (deep) {
		r = one_int(d, "SELECT count(*) FROM covalid_schema", &v);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	*ret_why = cv_xasprintf("%s: %s", PQdb(d->conn) ? PQdb(d->conn) : "postgresql", d->errmsg);
	return r;
}

/* Which database: the cluster's system identifier and the database's name. */
static char *pg_identity(void *db)
{
	struct pg_db *d = db;
	PGresult *res;
	char *id = NULL;

	if (usable(d) < 0)
		return NULL;
	res = PQexec(d->conn, "SELECT system_identifier::text || ':' || current_database() FROM pg_control_system()");
	if (check(d, res) == 0 && PQntuples(res) == 1)
		id = cv_xasprintf("pg:%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return id;
}

/*
 * A job is led by the session holding a session-level advisory lock on
 * ("lead" in ASCII, hashtext(job)) -- pg_try_advisory_lock, which never
 * waits -- until it ends: closed, or its node gone (the server ends the
 * session when its socket closes).  Asked of the server once per session;
 * after that this connection knows it holds it.
 */
static int pg_try_lead(void *db, const char *job)
{
	struct pg_db *d = db;
	const char *values[1] = { job };
	PGresult *res;
	size_t slot = d->n_lead;
	int r = usable(d);

	if (r < 0)
		return r;
	if (strlen(job) >= sizeof(d->lead[0].job)) {
		snprintf(d->errmsg, sizeof(d->errmsg), "job name too long to lead: %s", job);
		return -EINVAL;
	}
	for (size_t i = 0; i < d->n_lead; i++)
		if (strcmp(d->lead[i].job, job) == 0) {
			if (d->lead[i].epoch == d->epoch)
				return 1;
			slot = i; /* taken by a session since lost: ask again */
		}
	if (slot == LEAD_JOBS) {
		snprintf(d->errmsg, sizeof(d->errmsg), "no room to lead job %s (at most %d)", job, LEAD_JOBS);
		return -ENOSPC;
	}
	res = PQexecParams(d->conn, "SELECT pg_try_advisory_lock(x'6c656164'::int4, hashtext($1))", 1, NULL, values, NULL,
			   NULL, 0);
	r = check(d, res);
	if (r == 0)
		r = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (r == 1) {
		snprintf(d->lead[slot].job, sizeof(d->lead[slot].job), "%s", job);
		d->lead[slot].epoch = d->epoch;
		if (slot == d->n_lead)
			d->n_lead++;
	}
	return r;
}

/*
 * admin migrate's source and destination (store-copy.c).  [Added by the
 * ops helper for issue 15 step 6; the lead may rewrite.]  A snapshot for
 * every read of the copy: REPEATABLE READ, READ ONLY.
 */
static int pg_begin_snapshot(void *db)
{
	struct pg_db *d = db;
	int r = usable(d);

	return r < 0 ? r : exec(d, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

/* After rows came in with their own seq and ids: each sequence resumes
 * past the largest (is_called false: the next nextval() returns it). */
static int pg_after_copy(void *db)
{
	return exec(db, "SELECT setval('events_seq', coalesce((SELECT max(seq) FROM events), 0) + 1, false);"
			"SELECT setval(pg_get_serial_sequence('deliveries', 'id'),"
			"  coalesce((SELECT max(id) FROM deliveries), 0) + 1, false);"
			"SELECT setval(pg_get_serial_sequence('machine_verdicts', 'id'),"
			"  coalesce((SELECT max(id) FROM machine_verdicts), 0) + 1, false);"
			"SELECT setval(pg_get_serial_sequence('guest_groups', 'id'),"
			"  coalesce((SELECT max(id) FROM guest_groups), 0) + 1, false);"
			"SELECT setval(pg_get_serial_sequence('hv_groups', 'id'),"
			"  coalesce((SELECT max(id) FROM hv_groups), 0) + 1, false);");
}

const struct db_ops db_pg = {
	.name = "postgresql",
	.open = pg_open,
	.identity = pg_identity,
	.health = pg_health,
	.close = pg_close,
	.errmsg = pg_errmsg,
	.schema_version = pg_schema_version,
	.lost = pg_lost,
	.defer_checkpoints = pg_no_checkpoints,
	.checkpoint = pg_no_checkpoints,
	.try_lead = pg_try_lead,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.prepare = pg_prepare,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.step = pg_step,
	.column_text = pg_column_text,
	.column_int64 = pg_column_int64,
	.changes = pg_changes,
	.finalize = pg_finalize,
	.backup = NULL, /* pg_dump (covalid admin backup says so) */
	.begin_snapshot = pg_begin_snapshot,
	.after_copy = pg_after_copy,
};
