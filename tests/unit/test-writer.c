/*
 * test-writer.c - group commit (src/server/writer.c) without HTTP: jobs
 * queued while the writer is busy run together in one transaction; a job
 * that fails takes back only its own work; a batch that cannot commit
 * answers every job of it 503 and keeps nothing of it; a job is durable
 * when server_write() returns.  server_write_async() keeps the same
 * promises without a waiting thread: each job answered once, after its
 * batch committed, a lost batch 503, and everything queued answered
 * before the writer stops.
 *
 * Batches are made deterministic, not timed: the first job (a gate) holds
 * the writer until the others are queued (writer_queued()), so they are
 * the next batch, whole.  Durability is checked on a second connection,
 * which sees only what was committed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "store/store-internal.h"
#include "tap.h"
#include "util/cv.h"

#define N_JOBS 16

struct world {
	struct server srv;
	struct server_options opt;
	char path[4096];
};

static void close_store(void *p)
{
	store_close(p);
}

static void world_open(struct world *w)
{
	struct store *s = NULL;
	struct program_error e = { 0 };
	char *err = NULL, *id = NULL;

	memset(w, 0, sizeof(*w));
	snprintf(w->path, sizeof(w->path), "%s/writer.db", tap_tmpdir());
	if (store_open(w->path, &s, &err) < 0 || program_vendor_admit(s, "Seed", "seed", &id, &e) < 0) {
		tap_fail(__FILE__, __LINE__, "cannot set up %s: %s %s", w->path, err ? err : "", e.message);
		exit(1);
	}
	free(id);
	w->srv.identity = store_identity(s);
	store_close(s);
	w->opt.db = w->path;
	w->srv.opt = &w->opt;
	pthread_key_create(&w->srv.store_key, close_store);
	w->srv.writer = writer_start(&w->srv, &err);
	if (!w->srv.writer) {
		tap_fail(__FILE__, __LINE__, "writer_start: %s", err);
		exit(1);
	}
}

static void world_close(struct world *w)
{
	writer_stop(w->srv.writer); /* NULL: stopped by the test */
	pthread_key_delete(w->srv.store_key);
	free(w->srv.identity);
}

static unsigned long metric(struct world *w, const char *name)
{
	struct cv_buf b;
	unsigned long v = (unsigned long)-1;
	char *at, key[128];

	cv_buf_init(&b, SIZE_MAX);
	writer_metrics(&w->srv, &b);
	(void)!cv_buf_append(&b, "", 1);
	snprintf(key, sizeof(key), "\n%s ", name);
	at = strstr(b.data, key);
	if (at)
		v = strtoul(at + strlen(key), NULL, 10);
	cv_buf_release(&b);
	return v;
}

/* Is the vendor there for a new connection: committed? */
static bool durable_vendor(struct world *w, const char *id)
{
	struct store *s = NULL;
	char *err = NULL;
	bool there;

	if (store_open(w->path, &s, &err) < 0) {
		tap_fail(__FILE__, __LINE__, "store_open: %s", err);
		return false;
	}
	there = store_vendor_get(s, id, NULL) == 0;
	store_close(s);
	return there;
}

/* ---- jobs ---- */

enum how { ADD, ADD_THEN_FAIL, LOSE_TRANSACTION, LEAVE_OPEN };

struct job {
	struct world *w;
	char id[32];
	enum how how;
	struct req r;
	int result;
	pthread_t thread;
};

/* The program's own call, owning its transaction (a savepoint here);
 * then, as told, what can go wrong after it. */
static int job_fn(struct store *s, void *arg)
{
	struct job *j = arg;
	struct program_error e = { 0 };
	char *id = NULL;
	int r = program_vendor_admit(s, j->id, j->id, &id, &e);

	free(id);
	if (r < 0)
		return r;
	switch (j->how) {
	case ADD:
		return 0;
	case ADD_THEN_FAIL:
		return -ECANCELED; /* the handler's own failure, after the call committed its part */
	case LOSE_TRANSACTION:
		/* What SQLite does by itself after some I/O errors (store.h). */
		return db_query(s, "ROLLBACK", NULL, NULL, NULL);
	case LEAVE_OPEN:
		return store_begin(s); /* a bug: a transaction begun and left */
	}
	return -EINVAL;
}

static void *job_thread(void *arg)
{
	struct job *j = arg;

	j->r.srv = &j->w->srv;
	j->result = server_write(&j->r, job_fn, j);
	return NULL;
}

static void job_release(struct job *j)
{
	free(j->r.resp);
	free(j->r.www_authenticate);
}

/* The gate: holds the writer in its batch until want jobs are queued behind it. */
struct gate {
	struct world *w;
	size_t want;
	atomic_bool entered;
	struct req r;
	int result;
	pthread_t thread;
};

static int gate_fn(struct store *s, void *arg)
{
	struct gate *g = arg;

	(void)s;
	atomic_store(&g->entered, true);
	for (int i = 0; i < 10000 && writer_queued(g->w->srv.writer) < g->want; i++)
		usleep(1000);
	return writer_queued(g->w->srv.writer) == g->want ? 0 : -ETIMEDOUT;
}

static void *gate_thread(void *arg)
{
	struct gate *g = arg;

	g->r.srv = &g->w->srv;
	g->result = server_write(&g->r, gate_fn, g);
	return NULL;
}

/* The gate in the writer, waiting for want jobs to queue behind it. */
static void gate_open(struct world *w, struct gate *g, size_t want)
{
	memset(g, 0, sizeof(*g));
	g->w = w;
	g->want = want;
	pthread_create(&g->thread, NULL, gate_thread, g);
	while (!atomic_load(&g->entered))
		usleep(1000);
}

/* Once they have: the gate's batch committed, and theirs is next, whole. */
static void gate_close(struct gate *g)
{
	pthread_join(g->thread, NULL);
	CHECK_INT(g->result, 0);
	free(g->r.resp);
}

/* Runs the gate, then jobs[0..n) while it holds the writer: they are one batch. */
static void run_batch(struct world *w, struct job *jobs, size_t n)
{
	struct gate g;

	gate_open(w, &g, n);
	for (size_t i = 0; i < n; i++) {
		jobs[i].w = w;
		pthread_create(&jobs[i].thread, NULL, job_thread, &jobs[i]);
	}
	for (size_t i = 0; i < n; i++)
		pthread_join(jobs[i].thread, NULL);
	gate_close(&g);
}

TEST(queued_jobs_commit_together_and_a_failing_one_undoes_only_its_own)
{
	struct world w;
	struct job jobs[N_JOBS] = { 0 };

	world_open(&w);
	for (size_t i = 0; i < N_JOBS; i++)
		snprintf(jobs[i].id, sizeof(jobs[i].id), "v%zu", i);
	snprintf(jobs[5].id, sizeof(jobs[5].id), "seed"); /* there already: the program's 409 */
	jobs[11].how = ADD_THEN_FAIL;
	run_batch(&w, jobs, N_JOBS);
	/* The gate's batch, then all the others in one. */
	CHECK_INT(metric(&w, "covalid_write_batches_total"), 2);
	CHECK_INT(metric(&w, "covalid_write_jobs_total"), N_JOBS + 1);
	CHECK_INT(metric(&w, "covalid_write_batches_lost_total"), 0);
	for (size_t i = 0; i < N_JOBS; i++) {
		if (i == 5) {
			CHECK_INT(jobs[i].result, -EEXIST);
			CHECK(!jobs[i].r.answered); /* the handler answers its own failures */
		} else if (i == 11) {
			CHECK_INT(jobs[i].result, -ECANCELED);
			CHECK(!durable_vendor(&w, "v11"));
		} else {
			CHECK_INT(jobs[i].result, 0);
			CHECK(durable_vendor(&w, jobs[i].id));
		}
		job_release(&jobs[i]);
	}
	CHECK(durable_vendor(&w, "seed"));
	world_close(&w);
}

/* A batch whose transaction is lost (here: rolled back under it, as the
 * engine does after an I/O error) keeps nothing, and every job of it --
 * those that ran before the loss too -- is answered 503; the next batch
 * is written as usual. */
static void lost_batch(enum how how)
{
	struct world w;
	struct job jobs[N_JOBS] = { 0 }, after = { 0 };

	world_open(&w);
	for (size_t i = 0; i < N_JOBS; i++)
		snprintf(jobs[i].id, sizeof(jobs[i].id), "v%zu", i);
	jobs[7].how = how;
	run_batch(&w, jobs, N_JOBS);
	CHECK_INT(metric(&w, "covalid_write_batches_total"), 2);
	CHECK_INT(metric(&w, "covalid_write_batches_lost_total"), 1);
	for (size_t i = 0; i < N_JOBS; i++) {
		CHECK_INT(jobs[i].result, SERVER_WRITE_LOST);
		CHECK_INT(jobs[i].r.status, 503);
		CHECK(jobs[i].r.resp && strstr(jobs[i].r.resp, "nothing of it was kept"));
		CHECK(!durable_vendor(&w, jobs[i].id));
		job_release(&jobs[i]);
	}
	snprintf(after.id, sizeof(after.id), "after");
	after.w = &w;
	job_thread(&after);
	CHECK_INT(after.result, 0);
	CHECK(durable_vendor(&w, "after"));
	job_release(&after);
	world_close(&w);
}

TEST(a_batch_whose_transaction_is_lost_answers_every_job_503_and_keeps_nothing)
{
	lost_batch(LOSE_TRANSACTION);
}

TEST(a_job_that_leaves_a_transaction_open_loses_its_batch_not_the_writer)
{
	lost_batch(LEAVE_OPEN);
}

/* The write is committed when server_write returns: a new connection sees it. */
TEST(a_write_is_durable_when_server_write_returns)
{
	struct world w;
	struct job j = { 0 };

	world_open(&w);
	snprintf(j.id, sizeof(j.id), "alone");
	j.w = &w;
	job_thread(&j);
	CHECK_INT(j.result, 0);
	CHECK(!j.r.answered);
	CHECK(durable_vendor(&w, "alone"));
	CHECK_INT(metric(&w, "covalid_write_batches_total"), 1);
	CHECK_INT(metric(&w, "covalid_write_queue"), 0);
	job_release(&j);
	world_close(&w);
}

/* The database file deleted under the server: the write is refused
 * (503, saying why), never acknowledged into a file nobody will read. */
TEST(a_deleted_database_is_503_not_acknowledged)
{
	struct world w;
	struct job before = { 0 }, j = { 0 };

	world_open(&w);
	snprintf(before.id, sizeof(before.id), "before");
	before.w = &w;
	job_thread(&before); /* the writer's connection is open */
	CHECK_INT(before.result, 0);
	CHECK_INT(unlink(w.path), 0);
	snprintf(j.id, sizeof(j.id), "deleted");
	j.w = &w;
	job_thread(&j);
	CHECK_INT(j.result, SERVER_WRITE_LOST);
	CHECK_INT(j.r.status, 503);
	CHECK(j.r.resp && strstr(j.r.resp, "gone"));
	job_release(&before);
	job_release(&j);
	world_close(&w);
}

/* ---- asynchronous jobs (server_write_async) ---- */

static const struct route async_route = { .method = "POST", .pattern = "/test" };

struct async_job {
	struct world *w;
	char id[32];
	enum how how;
	struct req r;
	int result, answers;
	bool durable_when_answered;
};

static void async_done(struct req *r, int result, void *arg)
{
	struct async_job *j = arg;

	j->result = result;
	j->answers++;
	/* Answered only once committed: a new connection sees it now. */
	j->durable_when_answered = durable_vendor(j->w, j->id);
	if (!r->answered && result == 0)
		reply_bytes(r, 201, "text/plain", j->id, strlen(j->id));
	/* A failure other than a lost batch is left unanswered: dispatch_done's 500. */
}

static int async_fn(struct store *s, void *arg)
{
	struct async_job *a = arg;
	struct job j = { .how = a->how };

	snprintf(j.id, sizeof(j.id), "%s", a->id);
	return job_fn(s, &j);
}

/* Queues n asynchronous jobs behind the gate (one batch), then stops the
 * writer: by then every one must have been answered. */
static void run_async_batch(struct world *w, struct async_job *jobs, size_t n)
{
	struct gate g;

	gate_open(w, &g, n);
	for (size_t i = 0; i < n; i++) {
		jobs[i].w = w;
		jobs[i].r.srv = &w->srv;
		jobs[i].r.route = &async_route;
		server_write_async(&jobs[i].r, async_fn, async_done, &jobs[i]);
		CHECK(writer_took_request()); /* the worker must let go of it */
		CHECK(!writer_took_request()); /* and the mark is cleared */
	}
	gate_close(&g);
	writer_stop(w->srv.writer); /* answers everything queued before it returns */
	w->srv.writer = NULL;
}

TEST(async_jobs_are_answered_once_each_after_their_commit)
{
	struct world w;
	struct async_job jobs[N_JOBS] = { 0 };

	world_open(&w);
	for (size_t i = 0; i < N_JOBS; i++)
		snprintf(jobs[i].id, sizeof(jobs[i].id), "a%zu", i);
	jobs[3].how = ADD_THEN_FAIL;
	run_async_batch(&w, jobs, N_JOBS);
	for (size_t i = 0; i < N_JOBS; i++) {
		CHECK_INT(jobs[i].answers, 1);
		CHECK(jobs[i].r.worked);
		if (i == 3) {
			CHECK_INT(jobs[i].result, -ECANCELED);
			CHECK_INT(jobs[i].r.status, 500); /* left unanswered by its handler */
			CHECK(!durable_vendor(&w, "a3"));
		} else {
			CHECK_INT(jobs[i].result, 0);
			CHECK_INT(jobs[i].r.status, 201);
			CHECK(jobs[i].durable_when_answered);
		}
		free(jobs[i].r.resp);
	}
	world_close(&w);
}

TEST(an_async_job_in_a_lost_batch_is_503_and_kept_nowhere)
{
	struct world w;
	struct async_job jobs[N_JOBS] = { 0 };

	world_open(&w);
	for (size_t i = 0; i < N_JOBS; i++)
		snprintf(jobs[i].id, sizeof(jobs[i].id), "l%zu", i);
	jobs[9].how = LOSE_TRANSACTION;
	run_async_batch(&w, jobs, N_JOBS);
	for (size_t i = 0; i < N_JOBS; i++) {
		CHECK_INT(jobs[i].answers, 1);
		CHECK_INT(jobs[i].result, SERVER_WRITE_LOST);
		CHECK_INT(jobs[i].r.status, 503);
		CHECK(jobs[i].r.resp && strstr(jobs[i].r.resp, "nothing of it was kept"));
		CHECK(!durable_vendor(&w, jobs[i].id));
		free(jobs[i].r.resp);
	}
	world_close(&w);
}

/* The log is folded back off the commit path: after writes, the checkpoint
 * thread has run, and the log did not grow past its bound. */
TEST(the_checkpoint_thread_keeps_the_log_folded)
{
	struct world w;
	struct job j = { 0 };
	char wal[4200];
	struct stat st;

	world_open(&w);
	for (int i = 0; i < 50; i++) {
		memset(&j, 0, sizeof(j));
		snprintf(j.id, sizeof(j.id), "c%d", i);
		j.w = &w;
		job_thread(&j);
		CHECK_INT(j.result, 0);
		job_release(&j);
	}
	for (int i = 0; i < 500 && metric(&w, "covalid_checkpoints_total") == 0; i++)
		usleep(10000);
	CHECK(metric(&w, "covalid_checkpoints_total") >= 1);
	CHECK_INT(metric(&w, "covalid_checkpoints_failed_total"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", w.path);
	CHECK(stat(wal, &st) == 0 && st.st_size < 64 * 1024 * 1024);
	world_close(&w);
}

TAP_MAIN(queued_jobs_commit_together_and_a_failing_one_undoes_only_its_own,
	 a_batch_whose_transaction_is_lost_answers_every_job_503_and_keeps_nothing,
	 a_job_that_leaves_a_transaction_open_loses_its_batch_not_the_writer, a_write_is_durable_when_server_write_returns,
	 a_deleted_database_is_503_not_acknowledged, async_jobs_are_answered_once_each_after_their_commit,
	 an_async_job_in_a_lost_batch_is_503_and_kept_nowhere, the_checkpoint_thread_keeps_the_log_folded)
