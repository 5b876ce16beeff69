/*
 * report.c - an agent's report (docs/monitor.md, "Reports"): read strictly
 * (every member known, typed and bounded, the first wrong one named), its
 * descriptor checked against the catalog before any write, then applied
 * to the machine in one read-modify-write transaction.
 *
 * Parsing and the check are the expensive part and need no database, so
 * they happen on the request's thread; the write (monitor_report_apply)
 * is SQL only and can be batched by the server's group commit.  The body
 * is read without a JSON tree (report-read.c), and the health's stored
 * text is made there too: the single writer thread only writes.
 */
#include <jansson.h>
#include <time.h>

#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

/* A report from further ahead than this is a broken clock, not a report. */
#define FUTURE_SLACK_S 86400

struct monitor_report {
	struct monitor_report_body b;  /* machine, digest, seq, health ... */
	char *descriptor;             /* canonical JSON of the descriptor sent, or NULL */
	struct descriptor *d;         /* the descriptor sent, until checked */
	int vcpus;                    /* of the descriptor sent, -1 */
	bool checked;                 /* verdict holds the descriptor's check */
	struct monitor_verdict verdict;
};

static int bad(struct program_error *err, const char *fmt, ...) CV_PRINTF(2, 3);
static int bad(struct program_error *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	program_error_set(err, 400, strstr(msg, "unknown field") ? "unknown_field" : "invalid_field", "%s", msg);
	return -EINVAL;
}

/* The descriptor member: strictly read, canonical text kept, checked against ix. */
static int take_descriptor(struct monitor_report *rep, const json_t *dj, const struct check_index *ix,
			   struct program_error *err)
{
	struct descriptor *d = NULL;
	char *why = NULL;

	if (!json_is_object(dj))
		return bad(err, "descriptor: an object (covalid probe --json)");
	if (descriptor_check_fields(dj, &why) < 0 || descriptor_from_jansson(dj, &d, &why) < 0) {
		program_error_set(err, 400, why && strstr(why, "unknown field") ? "unknown_field" : "invalid_descriptor",
				  "descriptor%s%s", why && why[0] == '.' ? "" : ": ", why ? why : "not a descriptor");
		free(why);
		return -EINVAL;
	}
	rep->descriptor = descriptor_to_json(d, false);
	rep->vcpus = d->vm.vcpus;
	rep->d = d;
	return ix ? monitor_report_check(rep, ix, err) : 0;
}

/*
 * The same for a descriptor given as its text (an object's exact bytes in
 * the body): read into the struct without a tree (descriptor_parse(), as
 * strict as the tree's readers), and stored as received.  A text it
 * refuses goes the tree's way, for the tree's exact message.
 */
static int take_descriptor_text(struct monitor_report *rep, const char *text, size_t len, const struct check_index *ix,
				struct program_error *err)
{
	struct descriptor *d = NULL;
	json_t *dj;
	int r;

	if (descriptor_parse(text, len, DESCRIPTOR_PARSE_STRICT, &d, NULL) < 0) {
		dj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		r = dj ? take_descriptor(rep, dj, NULL, err) : bad(err, "descriptor: an object (covalid probe --json)");
		json_decref(dj);
		if (r < 0)
			return r;
		/* Accepted by the tree (a list past DESCRIPTOR_MAX_ITEMS): its
		 * canonical text, as take_descriptor keeps it. */
		return ix ? monitor_report_check(rep, ix, err) : 0;
	}
	rep->descriptor = cv_xstrndup(text, len);
	rep->vcpus = d->vm.vcpus;
	rep->d = d;
	return ix ? monitor_report_check(rep, ix, err) : 0;
}

int monitor_report_check(struct monitor_report *rep, const struct check_index *ix, struct program_error *err)
{
	int r;

	if (!rep->d || rep->checked)
		return 0;
	r = monitor_verdict_compute(ix, rep->d, &rep->verdict);
	if (r < 0) {
		program_error_set(err, 500, "internal", "the descriptor could not be checked");
		return r;
	}
	rep->checked = true;
	rep->d = descriptor_free(rep->d);
	return 0;
}

int monitor_report_parse(const char *body, size_t len, size_t max_bytes, const struct check_index *ix,
			 struct monitor_report **ret, struct program_error *err)
{
	struct monitor_report *rep = cv_xcalloc(1, sizeof(*rep));
	int r = -EINVAL;

	rep->vcpus = -1;
	if (max_bytes && len > max_bytes) {
		program_error_set(err, 413, "body_too_large", "a report is at most %zu bytes", max_bytes);
		r = -EFBIG;
		goto fail;
	}
	/* Every member but the descriptor, checked in the old order; the
	 * descriptor (most of a changed-descriptor report) from its text. */
	if (monitor_report_read(body, len, &rep->b, err) < 0)
		goto fail;
	if (rep->b.descriptor_kind == 2) {
		bad(err, "descriptor: an object (covalid probe --json)");
		goto fail;
	}
	if (rep->b.descriptor_kind == 1 &&
	    take_descriptor_text(rep, body + rep->b.dstart, rep->b.dend - rep->b.dstart, ix, err) < 0)
		goto fail;
	*ret = rep;
	return 0;
fail:
	monitor_report_free(rep);
	return r;
}

struct monitor_report *monitor_report_free(struct monitor_report *rep)
{
	if (!rep)
		return NULL;
	monitor_health_release(&rep->b.health);
	free(rep->descriptor);
	descriptor_free(rep->d);
	monitor_verdict_release(&rep->verdict);
	free(rep);
	return NULL;
}

bool monitor_report_has_descriptor(const struct monitor_report *rep)
{
	return rep->descriptor != NULL;
}

/* Health flags that appeared (machine.health) or went (machine.health-cleared). */
static int health_events(struct store *s, const struct store_machine_row *m, const struct cv_strv *before,
			 const struct cv_strv *after, json_t *details, int64_t at)
{
	int r = 0;

	for (size_t i = 0; i < after->n && r == 0; i++) {
		json_t *d = json_object_get(details, after->v[i]);
		char *summary;

		if (cv_strv_contains(before, after->v[i]))
			continue;
		summary = cv_xasprintf("%s: %s %g over the threshold %g", monitor_machine_name(m),
				       json_string_value(json_object_get(d, "metric")),
				       json_number_value(json_object_get(d, "value")),
				       json_number_value(json_object_get(d, "threshold")));
		if (cv_streq(after->v[i], "components"))
			summary = (free(summary), cv_xasprintf("%s: integration components missing", monitor_machine_name(m)));
		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.health", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = at },
				       NULL);
		free(summary);
	}
	for (size_t i = 0; i < before->n && r == 0; i++) {
		json_t *d;
		char *summary;

		if (cv_streq(before->v[i], "late") || cv_strv_contains(after, before->v[i]))
			continue;
		d = json_pack("{s:s}", "metric", before->v[i]);
		summary = cv_xasprintf("%s: %s back within its threshold", monitor_machine_name(m), before->v[i]);
		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.health-cleared", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = at },
				       NULL);
		free(summary);
		json_decref(d);
	}
	return r;
}

/* The server's clock in milliseconds, for the agent's clock offset. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The write: in the caller's transaction.  *ret_need, *ret_applied. */
static int apply(struct store *s, struct store_machine_row *m, const struct monitor_report *rep, int64_t now,
		 bool *ret_applied, bool *ret_need, char **ret_verdict, struct program_error *err)
{
	struct monitor_thresholds t;
	struct cv_strv before = { 0 }, after = { 0 }, hold = { 0 };
	const struct monitor_health *h = rep->b.has_health ? &rep->b.health : NULL;
	json_t *details = NULL; /* made at the first flag raised */
	char when[32], *flags = NULL;
	bool was_late;
	int r;

	*ret_applied = false;
	*ret_need = false;
	/* A seq at or below the stored one was applied already (a spooled
	 * report sent twice): acknowledged, not counted again. */
	if (rep->b.seq <= m->seq) {
		*ret_need = !rep->descriptor && !cv_streq(rep->b.digest, m->descriptor_digest);
		*ret_verdict = m->verdict ? cv_xstrdup(m->verdict) : NULL;
		r = 0;
		goto out;
	}
	r = monitor_thresholds_load(s, m->customer_id, &t);
	if (r < 0) {
		monitor_store_error(s, r, "reading the thresholds", err);
		goto out;
	}
	monitor_iso(now, when);
	monitor_flags_parse(m->flags, &before);
	was_late = cv_strv_contains(&before, "late");
	if (rep->descriptor) {
		r = store_machine_set_descriptor(s, m->id, rep->descriptor);
		if (r < 0) {
			monitor_store_error(s, r, "recording the descriptor", err);
			goto out;
		}
		m->descriptor_digest = rep->b.digest;
		m->vcpus = rep->vcpus > 0 ? rep->vcpus : 0;
		if (rep->checked) {
			r = monitor_verdict_move(s, m, &rep->verdict, rep->b.digest, rep->b.observed_at, &hold, NULL);
			if (r < 0) {
				monitor_store_error(s, r, "recording the verdict", err);
				goto out;
			}
		}
	} else if (!cv_streq(rep->b.digest, m->descriptor_digest))
		/* A digest the server has no descriptor for: the heartbeat
		 * counts, the verdict stays until the descriptor comes. */
		*ret_need = true;
	monitor_health_flags(h, &t, (int)m->vcpus, &after, &details);
	/* A flag is cleared only by a report that measured it again: one
	 * without health, or without that member, keeps it, untold. */
	for (size_t i = 0; i < before.n; i++)
		if (!cv_streq(before.v[i], "late") && !cv_strv_contains(&after, before.v[i]) &&
		    !monitor_health_measures(h, before.v[i]))
			cv_strv_push(&after, before.v[i]);
	r = health_events(s, m, &before, &after, details, rep->b.observed_at);
	if (r == 0 && was_late) {
		json_t *d = json_pack("{s:s?, s:I}", "last_seen", m->last_seen, "silent_s",
				      (json_int_t)(now - m->last_seen_s));
		char *summary = cv_xasprintf("%s reported again after %lld s without a report", monitor_machine_name(m),
					     (long long)(now - m->last_seen_s));

		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.resumed", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = now },
				       NULL);
		free(summary);
		json_decref(d);
	}
	if (r == 0 && rep->b.dropped > 0) {
		/* Reports lost before they reached the server: their health
		 * and verdicts are gone, and the customer should know. */
		json_t *d = json_pack("{s:I}", "dropped", (json_int_t)rep->b.dropped);
		char *summary = cv_xasprintf("%s: its agent dropped %lld report%s its full spool could not keep",
					     monitor_machine_name(m), (long long)rep->b.dropped, rep->b.dropped == 1 ? "" : "s");

		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.reports-dropped", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = rep->b.observed_at },
				       NULL);
		free(summary);
		json_decref(d);
	}
	if (r < 0) {
		monitor_store_error(s, r, "recording the events", err);
		goto out;
	}
	flags = monitor_flags_join(&after);
	m->flags = flags;
	/* Its text was made when the report was read (report-read.c). */
	m->health = h ? h->text : NULL; /* NULL: a heartbeat without health keeps the last */
	m->last_seen = when;
	m->last_seen_s = now;
	m->seq = rep->b.seq;
	m->reports++;
	if (rep->b.interval)
		m->interval_s = rep->b.interval;
	r = store_machine_update(s, m);
	if (r < 0) {
		monitor_store_error(s, r, "recording the report", err);
		goto out;
	}
	*ret_applied = true;
	/* m's strings may live in hold: copy what the caller reads. */
	*ret_verdict = m->verdict ? cv_xstrdup(m->verdict) : NULL;
out:
	cv_strv_release(&before);
	cv_strv_release(&after);
	cv_strv_release(&hold);
	json_decref(details);
	free(flags);
	return r;
}

int monitor_report_apply(struct store *s, const struct monitor_agent *agent, const struct monitor_report *rep,
			 int64_t now, json_t **ret, struct program_error *err)
{
	struct store_machine_row *m = NULL;
	bool applied = false, need = false;
	char *verdict = NULL;
	int64_t interval = 0, last_seq = 0;
	int r;

	if (strcmp(rep->b.machine, agent->machine_id) != 0) {
		program_error_set(err, 403, "wrong_machine", "machine: this credential is %s's, not %s's", agent->machine_id,
				  rep->b.machine);
		return -EPERM;
	}
	if (rep->b.observed_at > now + FUTURE_SLACK_S) {
		program_error_set(err, 422, "invalid_field", "observed_at: more than a day ahead of the server's clock");
		return -EINVAL;
	}
	r = program_txn_begin(s, err);
	if (r < 0)
		return r;
	/* Locked first: a re-enrollment or a late mark committed through
	 * another node meanwhile is read here, never overwritten. */
	r = store_machine_lock(s, agent->machine_id);
	if (r == 0)
		r = store_machine_get_state(s, agent->machine_id, &m);
	if (r == -ENOENT)
		program_error_set(err, 401, "unauthorized", "the machine is no longer enrolled");
	else if (r < 0)
		monitor_store_error(s, r, "reading the machine", err);
	else if (!monitor_agent_still_valid(agent, m->credential_hash)) {
		/* Replaced by a later enrollment since the credential was
		 * first seen (monitor_agent_authenticate remembers it). */
		program_error_set(err, 401, "unauthorized", "unknown or replaced agent credential (enroll again)");
		r = -EACCES;
	} else
		r = apply(s, m, rep, now, &applied, &need, &verdict, err);
	if (r == 0) {
		interval = m->interval_s;
		/* The machine's last applied report: an agent whose own count
		 * went back (its state restored from a snapshot, a checkpoint
		 * reverted) learns from a duplicate's answer where to go on. */
		last_seq = applied ? rep->b.seq : m->seq;
	}
	r = program_txn_end(s, r, err);
	if (r == 0)
		*ret = json_pack("{s:s, s:I, s:b, s:I, s:b, s:s?, s:I, s:I}", "machine", agent->machine_id, "seq",
				 (json_int_t)rep->b.seq, "applied", applied, "last_seq", (json_int_t)last_seq,
				 "need_descriptor", need, "verdict", verdict, "server_time_ms", (json_int_t)now_ms(),
				 "interval", (json_int_t)interval);
	free(verdict);
	store_machine_free(m);
	return r;
}
