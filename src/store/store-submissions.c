/*
 * store-submissions.c - submitted test logs and the evidence that ties
 * them to configurations.  Same rules as every shared query file (store-internal.h): one static statement per function, every value
 * bound, SQL both engines speak.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

int store_submission_add(struct store *s, const struct store_submission_row *row)
{
	return db_query(s,
		     "INSERT INTO submissions (id, vendor_id, key_id, status, reasons, config_id, log, log_digest) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		     NULL, NULL, "ssssssss", row->id, row->vendor_id, row->key_id, row->status, row->reasons,
		     row->config_id, row->log, row->log_digest);
}

int store_submission_find_digest(struct store *s, const char *digest, char **ret_id)
{
	return db_get_one(s, "SELECT id FROM submissions WHERE log_digest = ?1 AND status = 'accepted'", digest, ret_id);
}

/* A row and its strings in one allocation, freed at once. */
struct submission_block {
	struct store_submission_row row;
	char data[];
};

static struct store_submission_row *submission_copy(struct store *s, struct db_stmt *st, bool with_log)
{
	const char *v[8];
	size_t size = 0, off = 0;
	struct submission_block *b;
	const char **fields[8];

	for (int i = 0; i < 8; i++) {
		v[i] = i == 6 && !with_log ? NULL : db_col(s, st, i);
		size += v[i] ? strlen(v[i]) + 1 : 0;
	}
	b = cv_xcalloc(1, sizeof(*b) + size);
	fields[0] = &b->row.id;
	fields[1] = &b->row.vendor_id;
	fields[2] = &b->row.key_id;
	fields[3] = &b->row.status;
	fields[4] = &b->row.reasons;
	fields[5] = &b->row.config_id;
	fields[6] = &b->row.log;
	fields[7] = &b->row.received_at;
	for (int i = 0; i < 8; i++) {
		if (!v[i])
			continue;
		memcpy(b->data + off, v[i], strlen(v[i]) + 1);
		*fields[i] = b->data + off;
		off += strlen(v[i]) + 1;
	}
	return &b->row;
}

void store_submission_free(struct store_submission_row *row)
{
	free(row); /* the row is the block's first member */
}

static int submission_row(struct store *s, struct db_stmt *st, void *userdata)
{
	*(struct store_submission_row **)userdata = submission_copy(s, st, true);
	return 1;
}

#define SUBMISSION_COLUMNS "id, vendor_id, key_id, status, reasons, config_id, log, received_at"

int store_submission_get(struct store *s, const char *id, struct store_submission_row **ret)
{
	struct store_submission_row *row = NULL;
	int r = db_query(s, "SELECT " SUBMISSION_COLUMNS " FROM submissions WHERE id = ?1", submission_row, &row, "s", id);

	if (r < 0)
		return r;
	if (!row)
		return -ENOENT;
	*ret = row;
	return 0;
}

struct submission_walk {
	store_submission_cb cb;
	void *userdata;
	bool with_log;
};

static int submission_list_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct submission_walk *w = userdata;
	struct store_submission_row *row = submission_copy(s, st, w->with_log);
	int r = w->cb(w->userdata, row);

	store_submission_free(row);
	return r;
}

int store_submission_list(struct store *s, const char *vendor_id, const char *config_id, bool with_log,
			  int64_t limit, int64_t offset, store_submission_cb cb, void *userdata)
{
	struct submission_walk w = { cb, userdata, with_log };

	return db_query(s,
		     "SELECT " SUBMISSION_COLUMNS " FROM submissions "
		     "WHERE (?1 IS NULL OR vendor_id = ?1) AND (?2 IS NULL OR config_id = ?2) "
		     "ORDER BY received_at DESC, id DESC LIMIT ?3 OFFSET ?4",
		     submission_list_row, &w, "ssii", vendor_id, config_id, limit > 0 ? limit : DB_NO_LIMIT,
		     offset > 0 ? offset : (int64_t)0);
}

int store_evidence_add(struct store *s, const char *config_id, const char *testlog_id)
{
	return db_query(s, "INSERT INTO configuration_evidence (config_id, testlog_id) VALUES (?1, ?2) "
			"ON CONFLICT DO NOTHING",
		     NULL, NULL, "ss", config_id, testlog_id);
}
