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

static void product_note(struct cv_buf *b, const char *name, const char *version, const struct catalog_product *p,
			 const char *today, bool *current)
{
	const char *ext_name = NULL, *ext;
	char *what;

	if (!p || !passed(p->eol_date, today))
		return;
	*current = false;
	what = check_product_version(name, version);
	if (cv_buf_printf(b, "; %s support ended %s", what, p->eol_date) < 0)
		goto out; /* 4 KiB of dates: cannot happen, and a cut note is still true */
	ext = extension_end(p, &ext_name);
	if (ext && strcmp(ext, p->eol_date) > 0 &&
	    cv_buf_printf(b, " (%s %s %s)", ext_name, passed(ext, today) ? "ended" : "until", ext) < 0)
		goto out;
out:
	free(what);
}

void check_lifecycle(const struct catalog *cat, const struct catalog_config *c, const char *today,
		     struct check_lifecycle *ret)
{
	const struct catalog_product *g = catalog_product_find(cat, c->guest.product_id);
	const struct catalog_product *h = catalog_product_find(cat, c->hypervisor.product_id);
	bool current = true;
	struct cv_buf b;

	memset(ret, 0, sizeof(*ret));
	ret->valid_from = c->valid_from;
	ret->valid_until = c->valid_until;
	ret->guest_end = g ? g->eol_date : NULL;
	ret->host_end = h ? h->eol_date : NULL;

	cv_buf_init(&b, 4096);
	if (passed(c->valid_until, today)) {
		current = false;
		if (cv_buf_printf(&b, "; valid until %s", c->valid_until) < 0)
			cv_buf_reset(&b);
	}
	product_note(&b, c->guest.product, c->guest.version, g, today, &current);
	product_note(&b, c->hypervisor.product, c->hypervisor.version, h, today, &current);
	ret->current = current;
	if (!current) {
		/* "validated in 2009" for a result, "stated in 2008" for a
		 * vendor's statement; the year alone: the month adds nothing. */
		const char *verb = c->status == CATALOG_VALIDATED ? "validated" : "stated";
		char *tail = cv_buf_detach(&b, NULL);

		if (c->valid_from)
			ret->note = cv_xasprintf("%s in %.4s%s", verb, c->valid_from, tail);
		else
			ret->note = cv_xasprintf("%s%s", verb, tail);
		free(tail);
	} else
		cv_buf_release(&b);
}

void check_today(char ret[static 11])
{
	char iso[32];

	cv_time_iso8601((int64_t)time(NULL), iso, sizeof(iso));
	memcpy(ret, iso, 10);
	ret[10] = '\0';
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
