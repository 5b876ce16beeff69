/*
 * token-use.c - when each API token was last used (GET
 * /api/v1/admin/tokens?order=last_used), recorded without turning every
 * authenticated read into a database write.
 *
 * Two bounds, one in memory and one in the database:
 *  - this server remembers, per token id, when it last recorded a use,
 *    and records again only TOKEN_USE_INTERVAL_S later: a token used a
 *    thousand times a second costs one UPDATE a minute, and a use within
 *    the minute costs a mutex and a lookup;
 *  - the UPDATE itself writes only if the stored last use is older than
 *    the interval (store_token_touch), so that several nodes on one
 *    database, or a slot this table has lost to another token, still
 *    write at most about once a minute per token.
 * last_used_at is therefore exact to a minute (docs/server.md, "Tokens").
 *
 * The UPDATE runs on the request's thread, on its own connection, outside
 * any transaction of the request's, and its failure is ignored: a busy
 * database must not fail a read because its bookkeeping could not be
 * written.  The table is fixed in size (a hash of the id picks the slot;
 * a collision only costs an UPDATE that finds nothing to do).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "covalid/store.h"
#include "server/server-internal.h"
#include "util/cv.h"

#define TOKEN_USE_SLOTS 4096
#define TOKEN_ID_MAX 32

struct token_use_slot {
	char id[TOKEN_ID_MAX];
	uint64_t at_ns; /* monotonic: when this server last recorded a use */
};

struct token_uses {
	pthread_mutex_t lock;
	struct token_use_slot slot[TOKEN_USE_SLOTS];
	atomic_ulong written; /* UPDATEs that wrote (for tests and /metrics) */
};

struct token_uses *token_uses_new(void)
{
	struct token_uses *u = cv_xcalloc(1, sizeof(*u));

	pthread_mutex_init(&u->lock, NULL);
	return u;
}

void token_uses_free(struct token_uses *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* FNV-1a: ids are random already; this only spreads them over the slots. */
static size_t slot_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h % TOKEN_USE_SLOTS;
}

void token_uses_note(struct token_uses *u, struct store *s, const char *token_id)
{
	uint64_t now_ns = cv_now_ns();
	struct token_use_slot *sl;
	char now[21], before[21];
	bool due, written = false;
	int64_t t;

	if (!u || !token_id || strlen(token_id) >= TOKEN_ID_MAX)
		return;
	sl = &u->slot[slot_of(token_id)];
	pthread_mutex_lock(&u->lock);
	due = strcmp(sl->id, token_id) != 0 || !sl->at_ns ||
	      now_ns - sl->at_ns >= (uint64_t)TOKEN_USE_INTERVAL_S * 1000000000ull;
	if (due) {
		/* Claimed before the write: concurrent uses of this token
		 * do not all write. */
		snprintf(sl->id, sizeof(sl->id), "%s", token_id);
		sl->at_ns = now_ns;
	}
	pthread_mutex_unlock(&u->lock);
	if (!due)
		return;
	t = (int64_t)time(NULL);
	cv_time_iso8601(t, now, sizeof(now));
	cv_time_iso8601(t - TOKEN_USE_INTERVAL_S, before, sizeof(before));
	if (store_token_touch(s, token_id, now, before, &written) == 0 && written)
		atomic_fetch_add(&u->written, 1);
}

unsigned long token_uses_written(struct token_uses *u)
{
	return u ? atomic_load(&u->written) : 0;
}
