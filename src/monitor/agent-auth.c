/*
 * agent-auth.c - an agent's credential to its machine (docs/monitor.md,
 * "Agents").
 *
 * Every report names its credential, and looking it up was as costly as
 * reading the report: the lookup's pages are re-read on every request, as
 * SQLite drops a connection's page cache whenever another connection has
 * written, which under a stream of reports is always.  But a credential
 * names one machine for good -- re-enrolling makes a new credential, the
 * machine keeps its id -- so what a lookup found is remembered here: the
 * credential's keyed hash and its machine.  What can change is whether the
 * credential is still the machine's (replaced, or the machine removed);
 * that is checked against the machine's row in the report's own write
 * transaction (monitor_report_apply), which reads the row anyway.  So a
 * remembered credential never lets a replaced one write: it only spares
 * the lookup.
 *
 * The memory is a fixed table, two ways a set, taken as it is touched:
 * a credential that finds its set full pushes out the older of the two,
 * and is looked up again next time.
 */
#include <pthread.h>
#include <sodium.h>

#include "covalid/monitor.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

#define HASH_HEX 64
#define SETS 131072 /* 2 ways each: room for a quarter million machines */
#define LOCKS 64
#define MACHINE_ID_MAX 31

struct way {
	char hash[HASH_HEX + 1]; /* "" when empty */
	char machine_id[MACHINE_ID_MAX + 1];
};

struct set {
	struct way way[2];
	unsigned char newer; /* which way was filled last */
};

static struct set *sets;
static pthread_mutex_t locks[LOCKS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	/* calloc'd pages cost nothing until touched: a small fleet uses little. */
	sets = cv_xcalloc(SETS, sizeof(*sets));
	for (size_t i = 0; i < LOCKS; i++)
		pthread_mutex_init(&locks[i], NULL);
}

static size_t set_of(const char *hash)
{
	uint64_t v = 0;

	/* The hash is keyed BLAKE2b: its first hex digits are as good as any. */
	for (size_t i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return (size_t)(v % SETS);
}

static bool recall(const char *hash, char *machine_id)
{
	size_t i = set_of(hash);
	bool found = false;

	pthread_mutex_lock(&locks[i % LOCKS]);
	for (int k = 0; k < 2 && !found; k++)
		if (strcmp(sets[i].way[k].hash, hash) == 0) {
			memcpy(machine_id, sets[i].way[k].machine_id, sizeof(sets[i].way[k].machine_id));
			found = true;
		}
	pthread_mutex_unlock(&locks[i % LOCKS]);
	return found;
}

static void remember(const char *hash, const char *machine_id)
{
	size_t i = set_of(hash);
	struct set *st = &sets[i];
	int k;

	if (strlen(hash) != HASH_HEX || strlen(machine_id) > MACHINE_ID_MAX)
		return;
	pthread_mutex_lock(&locks[i % LOCKS]);
	k = st->way[0].hash[0] == '\0' ? 0 : st->way[1].hash[0] == '\0' ? 1 : !st->newer;
	memcpy(st->way[k].hash, hash, HASH_HEX + 1);
	snprintf(st->way[k].machine_id, sizeof(st->way[k].machine_id), "%s", machine_id);
	st->newer = (unsigned char)k;
	pthread_mutex_unlock(&locks[i % LOCKS]);
}

void monitor_agent_forget(const char *credential_hash)
{
	size_t i;

	if (!credential_hash || strlen(credential_hash) != HASH_HEX)
		return;
	pthread_once(&once, init);
	i = set_of(credential_hash);
	pthread_mutex_lock(&locks[i % LOCKS]);
	for (int k = 0; k < 2; k++)
		if (strcmp(sets[i].way[k].hash, credential_hash) == 0)
			memset(&sets[i].way[k], 0, sizeof(sets[i].way[k]));
	pthread_mutex_unlock(&locks[i % LOCKS]);
}

int monitor_agent_authenticate(struct store *s, const char *credential, struct monitor_agent *ret,
			       struct program_error *err)
{
	struct store_machine_row *m = NULL;
	char *hash = NULL, machine_id[MACHINE_ID_MAX + 1];
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!credential || !cv_startswith(credential, "cv_") || strlen(credential) > 128) {
		program_error_set(err, 401, "unauthorized", "a machine's agent credential is required (Bearer cv_...)");
		return -EACCES;
	}
	r = program_token_hash(s, credential, &hash);
	if (r < 0)
		return monitor_store_error(s, r, "checking the credential", err);
	pthread_once(&once, init);
	if (recall(hash, machine_id))
		ret->machine_id = cv_xstrdup(machine_id);
	else {
		r = store_machine_find_credential(s, hash, &m);
		if (r == -ENOENT) {
			program_error_set(err, 401, "unauthorized", "unknown or replaced agent credential (enroll again)");
			free(hash);
			return -EACCES;
		}
		if (r < 0) {
			free(hash);
			return monitor_store_error(s, r, "checking the credential", err);
		}
		remember(hash, m->id);
		ret->machine_id = cv_xstrdup(m->id);
		store_machine_free(m);
	}
	ret->credential_hash = hash;
	return 0;
}

bool monitor_agent_still_valid(const struct monitor_agent *a, const char *credential_hash)
{
	return credential_hash && a->credential_hash && strlen(credential_hash) == strlen(a->credential_hash) &&
	       sodium_memcmp(credential_hash, a->credential_hash, strlen(credential_hash)) == 0;
}

void monitor_agent_release(struct monitor_agent *a)
{
	free(a->machine_id);
	free(a->credential_hash);
	memset(a, 0, sizeof(*a));
}
