/*
 * lifecycle.c - whether a configuration is still current: its validity
 * dates and its products' end of support (see covalid/check.h).
 *
 * A configuration validated in 2009 stays a fact, but a verdict that
 * said only "validated" of Windows Server 2003 on RHEL 5.4 KVM today
 * would pretend the pair is still supported.  So each answer carries the
 * dates it rests on and, once any has passed, says which one in words:
 * "validated in 2009; Windows Server 2003 support ended 2015-07-14".
 *
 * Dates are compared as written (YYYY, YYYY-MM or YYYY-MM-DD): a
 * milestone has passed when today's date is past it, a month or year
 * counting to its end ("2017-03" has passed on 2017-04-01).
 */
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "check/check-internal.h"
#include "util/json-write.h"
#include "util/cv.h"

/* Whether the milestone date lies before today (both as written). */
static bool passed(const char *date, const char *today)
{
	size_t n;

	if (!date || !*date)
		return false;
	n = strlen(date);
	/* "2017-03" ends with March: compare the same precision. */
	return strncmp(today, date, n) > 0;
}

/* The paid extension that outlives standard support, if one is known. */
static const char *extension_end(const struct catalog_product *p, const char **ret_name)
{
	if (p->lifecycle.esu_end) {
		*ret_name = "Extended Security Updates";
		return p->lifecycle.esu_end;
	}
	if (p->lifecycle.els_end) {
		*ret_name = "Extended Life-cycle Support";
		return p->lifecycle.els_end;
	}
	if (p->lifecycle.ltss_end) {
		*ret_name = "Long Term Service Pack Support";
		return p->lifecycle.ltss_end;
	}
	return NULL;
}

/*
 * The note is built by appending, not printf: an uncached /check writes
 * one for each configuration it names, and the printf calls were a third
 * of check_explain's time (bench/api.sh, perf).  The buffer's bound (4
 * KiB of dates and names) cannot be met; a note cut there is still true.
 */
static void put(struct cv_buf *b, const char *s)
{
	(void)!cv_buf_puts(b, s);
}

void check_product_version_put(struct cv_buf *b, const char *product, const char *version)
{
	put(b, product);
	if (!version || strcasecmp(version, "unspecified") == 0 || strstr(product, version))
		return;
	put(b, " ");
	put(b, version);
}

static void product_note(struct cv_buf *b, const char *name, const char *version, const struct catalog_product *p,
			 const char *today, bool *current)
{
	const char *ext_name = NULL, *ext;

	if (!p || !passed(p->eol_date, today))
		return;
	*current = false;
	put(b, "; ");
	check_product_version_put(b, name, version);
	put(b, " support ended ");
	put(b, p->eol_date);
	ext = extension_end(p, &ext_name);
	if (ext && strcmp(ext, p->eol_date) > 0) {
		put(b, " (");
		put(b, ext_name);
		put(b, passed(ext, today) ? " ended " : " until ");
		put(b, ext);
		put(b, ")");
	}
}

void check_lifecycle(const struct catalog *cat, const struct catalog_config *c, const char *today,
		     struct check_lifecycle *ret)
{
	check_lifecycle_of(c, catalog_product_find(cat, c->guest.product_id),
			   catalog_product_find(cat, c->hypervisor.product_id), today, ret);
}

void check_lifecycle_of(const struct catalog_config *c, const struct catalog_product *g,
			const struct catalog_product *h, const char *today, struct check_lifecycle *ret)
{
	/* "validated in 2009" for a result, "stated in 2008" for a vendor's
	 * statement; the year alone: the month adds nothing. */
	const char *verb = c->status == CATALOG_VALIDATED ? "validated" : "stated";
	bool current = true;
	struct cv_buf b;
	size_t head;

	memset(ret, 0, sizeof(*ret));
	ret->valid_from = c->valid_from;
	ret->valid_until = c->valid_until;
	ret->guest_end = g ? g->eol_date : NULL;
	ret->host_end = h ? h->eol_date : NULL;

	cv_buf_init(&b, 4096);
	cv_buf_reserve(&b, 256); /* a note's usual size: one allocation */
	put(&b, verb);
	if (c->valid_from) {
		put(&b, " in ");
		(void)!cv_buf_append(&b, c->valid_from, strnlen(c->valid_from, 4));
	}
	head = b.len;
	if (passed(c->valid_until, today)) {
		current = false;
		put(&b, "; valid until ");
		put(&b, c->valid_until);
	}
	product_note(&b, c->guest.product, c->guest.version, g, today, &current);
	product_note(&b, c->hypervisor.product, c->hypervisor.version, h, today, &current);
	ret->current = current;
	if (!current && b.len > head)
		ret->note = cv_buf_detach(&b, NULL);
	else
		cv_buf_release(&b);
}

/* Today's date (UTC, YYYY-MM-DD), formatted once a second per thread:
 * gmtime takes glibc's time-zone lock, which the event threads met on
 * every uncached /check. */
void check_today(char ret[static 11])
{
	static _Thread_local time_t last = -1;
	static _Thread_local char day[11];
	time_t now = time(NULL);

	if (now != last) {
		char iso[32];

		cv_time_iso8601((int64_t)now, iso, sizeof(iso));
		memcpy(day, iso, 10);
		day[10] = '\0';
		last = now;
	}
	memcpy(ret, day, 11);
}

static json_t *or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *check_lifecycle_to_json(const struct check_lifecycle *l)
{
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "current", l->current, "valid_from", or_null(l->valid_from),
			 "valid_until", or_null(l->valid_until), "guest_end_of_support", or_null(l->guest_end),
			 "host_end_of_support", or_null(l->host_end), "note", or_null(l->note));
}

/* The same bytes check_lifecycle_to_json() dumps to; a string that is not
 * UTF-8 fails the writer as it fails json_pack(). */
void check_lifecycle_write(struct json_write *w, const struct check_lifecycle *l)
{
	json_write_object_open(w);
	json_write_key(w, "current");
	json_write_bool(w, l->current);
	json_write_key(w, "valid_from");
	json_write_string_or_null(w, l->valid_from);
	json_write_key(w, "valid_until");
	json_write_string_or_null(w, l->valid_until);
	json_write_key(w, "guest_end_of_support");
	json_write_string_or_null(w, l->guest_end);
	json_write_key(w, "host_end_of_support");
	json_write_string_or_null(w, l->host_end);
	json_write_key(w, "note");
	json_write_string_or_null(w, l->note);
	json_write_object_close(w);
}
