/*
 * explain.c - the full answer for one machine: matches with who validated
 * and supports them, or the nearest configurations with every difference
 * in plain words (see covalid/check.h).
 *
 * Unlike the fleet path this ranks every configuration of the machine's
 * guest OS, not one bucket, so that a machine on an unlisted hypervisor
 * still hears which configurations come closest and why; it reads the
 * index's buckets of that guest OS (by_os), never the whole catalog.
 */
#include <jansson.h>

#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "check/check-internal.h"
#include "util/json-write.h"
#include "util/cv.h"

/* Mismatches across buckets weigh more than anything inside one. */
enum { W_OTHER_GUEST = 500, W_OTHER_HYPERVISOR = 1000 };

char *check_product_version(const char *product, const char *version)
{
	if (!version || strcasecmp(version, "unspecified") == 0 || strstr(product, version))
		return cv_xstrdup(product);
	return cv_xasprintf("%s %s", product, version);
}

static const char *hv_name(const struct descriptor *d)
{
	if (cv_streq(d->hypervisor.id, "microsoft"))
		return "Hyper-V";
	return d->hypervisor.product ? d->hypervisor.product : d->hypervisor.id ? d->hypervisor.id : "unknown";
}

static bool strv_has_ci(const struct cv_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (s && strcasecmp(v->v[i], s) == 0)
			return true;
	return false;
}

/* "1, 2 or 4" */
static char *count_list(const int *v, size_t n)
{
	struct cv_buf b;

	cv_buf_init(&b, 4096);
	for (size_t i = 0; i < n; i++)
		if (cv_buf_printf(&b, "%s%d", i == 0 ? "" : i + 1 == n ? " or " : ", ", v[i]) < 0)
			break;
	return cv_buf_detach(&b, NULL);
}

static void add(struct cv_strv *out, char *s)
{
	cv_strv_push_take(out, s);
}

/* As check_host_version_applies(), by name: a probed version speaks
 * only for its own vendor's products. */
static bool host_version_speaks_for(const struct catalog_config *c, const struct descriptor *d)
{
	uint64_t v;

	if (version_parse(d->hypervisor.version, &v) < 0)
		return false;
	if (cv_streq(d->hypervisor.version_source, "stated"))
		return true;
	return c->hypervisor.vendor && d->hypervisor.product &&
	       strncasecmp(d->hypervisor.product, c->hypervisor.vendor, strlen(c->hypervisor.vendor)) == 0;
}

static void hypervisor_version_difference(const struct catalog_config *c, const struct descriptor *d,
					  const struct ccfg *cc, struct cv_strv *out)
{
	char *builds = c->hypervisor.builds.n ? cv_strv_join(&c->hypervisor.builds, ", ") : NULL;
	const char *validated = c->hypervisor.host_version ? c->hypervisor.host_version : c->hypervisor.version;
	uint64_t b, hv;

	switch (cc->hv_mode) {
	case HV_BUILDS:
		if (!d->hypervisor.build || cv_parse_u64(d->hypervisor.build, 10, &b) < 0)
			add(out, cv_xasprintf("hypervisor build unknown; validated: %s (%s, builds %s)", validated,
					      c->hypervisor.product, builds));
		else {
			bool hit = false;

			for (uint8_t i = 0; i < cc->n_builds; i++)
				hit |= cc->builds[i] == b;
			if (!hit)
				add(out, cv_xasprintf("hypervisor %s %s (build %s); validated: %s (%s, builds %s)",
						      hv_name(d), d->hypervisor.version ? d->hypervisor.version : "",
						      d->hypervisor.build, validated, c->hypervisor.product, builds));
		}
		break;
	case HV_HOST:
		if (version_parse(d->hypervisor.version, &hv) < 0)
			add(out, cv_xasprintf("hypervisor version unknown; validated: %s (%s)", validated,
					      c->hypervisor.product));
		else if (!(hv >= cc->hlo && hv <= cc->hhi))
			add(out, cv_xasprintf("hypervisor %s %s; validated: %s (%s)", hv_name(d), d->hypervisor.version,
					      validated, c->hypervisor.product));
		break;
	case HV_PRODUCT:
		if (!host_version_speaks_for(c, d))
			add(out, cv_xasprintf("host version unknown: a guest cannot see which %s release runs it; "
					      "validated: %s", c->hypervisor.product, c->hypervisor.version));
		else if (version_parse(d->hypervisor.version, &hv) == 0 && !(hv >= cc->hlo && hv <= cc->hhi))
			add(out, cv_xasprintf("host %s %s%s; validated: %s %s",
					      cv_streq(d->hypervisor.version_source, "stated") ? "version" : hv_name(d),
					      d->hypervisor.version,
					      cv_streq(d->hypervisor.version_source, "stated") ? " (stated)" : "",
					      c->hypervisor.product, c->hypervisor.version));
		break;
	default:
		break;
	}
	free(builds);
}

/*
 * A Windows row names the service pack it was validated at; a machine at
 * that one or later matches (docs/check.md).  Below it is a difference;
 * a machine that does not say is matched as before the probe could tell,
 * and hears so, matched or not.
 */
static void service_pack_difference(const struct catalog_config *c, const struct descriptor *d, struct cv_strv *out)
{
	unsigned want, have;
	char *safe;

	if (!c->guest.service_pack || catalog_service_pack_parse(c->guest.service_pack, &want, NULL) < 0 ||
	    !d->guest.os.id || strcasecmp(d->guest.os.id, c->guest.os_id) != 0)
		return;
	switch (check_descriptor_service_pack(d, &have)) {
	case CHECK_SP_STATED:
		if (have == 0)
			add(out, cv_xasprintf("no service pack; validated for SP%u", want));
		else if (have < want)
			add(out, cv_xasprintf("service pack SP%u; validated for SP%u", have, want));
		break;
	case CHECK_SP_NOT_STATED:
		add(out, cv_xasprintf("service pack not stated; validated for SP%u or later", want));
		break;
	case CHECK_SP_UNREADABLE:
		safe = cv_str_sanitize(d->guest.os.service_pack, strlen(d->guest.os.service_pack), 32);
		add(out, cv_xasprintf("service pack '%s' not understood (SP1, SP2, ...): not checked; validated for SP%u "
				      "or later", safe, want));
		free(safe);
		break;
	}
}

void check_differences(const struct catalog_config *c, const struct descriptor *d, struct cv_strv *out)
{
	struct ccfg cc;
	uint64_t v;

	/* The same compiled form matching uses; components are compared
	 * by name below. */
	check_compile(NULL, c, 0, &cc);

	if (!d->hypervisor.id || !strv_has_ci(&c->hypervisor.ids, d->hypervisor.id))
		add(out, cv_xasprintf("hypervisor %s (%s); validated: %s", hv_name(d),
				      d->hypervisor.id ? d->hypervisor.id : "unknown", c->hypervisor.product));
	if (!d->guest.os.id || strcasecmp(d->guest.os.id, c->guest.os_id) != 0)
		add(out, cv_xasprintf("guest %s (%s); validated: %s (%s)",
				      d->guest.os.pretty ? d->guest.os.pretty : d->guest.os.name ? d->guest.os.name : "unknown OS",
				      d->guest.os.id ? d->guest.os.id : "unknown", c->guest.product, c->guest.os_id));
	else if (!c->guest.spec.any) {
		if (check_guest_version(d, &v) < 0)
			add(out, cv_xasprintf("guest version unknown; validated: %s", c->guest.version));
		else if (!version_spec_match(&c->guest.spec, v))
			add(out, cv_xasprintf("guest %s %s; validated: %s", c->guest.product, d->guest.os.version,
					      c->guest.version));
	}
	if (!(cc.arch & check_arch_bit(d->guest.arch))) {
		char *a = cv_strv_join(&c->guest.arch, ", ");

		add(out, cv_xasprintf("architecture %s; validated: %s", d->guest.arch ? d->guest.arch : "unknown", a));
		free(a);
	}
	hypervisor_version_difference(c, d, &cc, out);

	if (c->limits.n_allowed_vcpus || c->limits.max_vcpus > 0) {
		char *want;

		if (c->limits.n_allowed_vcpus == 1 && c->limits.allowed_vcpus[0] == 1)
			want = cv_xstrdup("1 (uni-processor)");
		else if (c->limits.n_allowed_vcpus) {
			char *l = count_list(c->limits.allowed_vcpus, c->limits.n_allowed_vcpus);

			want = cv_xasprintf("%s", l);
			free(l);
		} else
			want = cv_xasprintf("at most %d", c->limits.max_vcpus);
		if (d->vm.vcpus < 1)
			add(out, cv_xasprintf("vCPU count unknown; validated for %s", want));
		else {
			struct check_key k = { .vcpus = d->vm.vcpus, .bios = cv_streq(d->vm.firmware, "bios") };

			if (!check_vcpus_ok(&cc, &k)) {
				if (k.bios && cc.max_vcpus_gen1 > 0 && !cc.vcpu_set)
					add(out, cv_xasprintf("%d vCPUs on a generation 1 (BIOS) VM; validated for at most %d "
							      "there (%d on generation 2)", d->vm.vcpus, cc.max_vcpus_gen1,
							      cc.max_vcpus));
				else
					add(out, cv_xasprintf("%d vCPU%s; validated for %s", d->vm.vcpus,
							      d->vm.vcpus == 1 ? "" : "s", want));
			}
		}
		free(want);
	}
	if (c->limits.max_memory_mib > 0) {
		if (!d->vm.memory_mib)
			add(out, cv_xasprintf("memory unknown; validated for at most %lld MiB",
					      (long long)c->limits.max_memory_mib));
		else if ((int64_t)d->vm.memory_mib > c->limits.max_memory_mib)
			add(out, cv_xasprintf("%llu MiB of memory; validated for at most %lld MiB",
					      (unsigned long long)d->vm.memory_mib, (long long)c->limits.max_memory_mib));
	}
	for (size_t i = 0; i < c->required_components.n; i++)
		if (!cv_strv_contains(&d->integration.present, c->required_components.v[i]))
			add(out, cv_xasprintf("missing integration component %s", c->required_components.v[i]));
	/* Last: unstated, it is a note more than a difference. */
	service_pack_difference(c, d, out);
	if (!catalog_status_supportable(c->status))
		add(out, cv_xasprintf("the configuration's status is %s", catalog_status_name(c->status)));
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct check_candidate *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	if (x->config->status != y->config->status)
		return x->config->status < y->config->status ? -1 : 1;
	return strcmp(x->config->id, y->config->id);
}

/*
 * The max best candidates so far, best first (cmp_candidate: a total
 * order, so the same as sorting them all and taking the first max):
 * a machine's guest OS may have thousands of configurations, and only a
 * handful are shown.
 */
static void keep_nearest(struct check_candidate *best, size_t *n, size_t max, const struct check_candidate *c)
{
	size_t i;

	if (*n == max && (max == 0 || cmp_candidate(c, &best[max - 1]) >= 0))
		return;
	i = *n < max ? (*n)++ : max - 1;
	for (; i > 0 && cmp_candidate(c, &best[i - 1]) < 0; i--)
		best[i] = best[i - 1];
	best[i] = *c;
}

static void support(struct check_result *r)
{
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct catalog_config *c = r->matches[i].config;

		if (r->verdict == CHECK_VALIDATED && c->status == CATALOG_VALIDATED) {
			/* The seed: both the guest's and the host's vendor support
			 * a validated configuration together. */
			cv_strv_add_unique(&r->support_vendors, c->guest.vendor);
			cv_strv_add_unique(&r->support_vendors, c->hypervisor.vendor);
			for (size_t k = 0; k < c->validated_by.n; k++)
				cv_strv_add_unique(&r->support_vendors, c->validated_by.v[k]);
		} else if (r->verdict == CHECK_SUPPORTED && catalog_status_supportable(c->status))
			for (size_t k = 0; k < c->validated_by.n; k++)
				cv_strv_add_unique(&r->support_vendors, c->validated_by.v[k]);
	}
	r->cooperative = r->verdict == CHECK_VALIDATED && r->support_vendors.n >= 2;
}

/* "a", "a and b", "a, b and c", appended (a list past the buffer's bound
 * is cut: 64 KiB of vendor names cannot happen). */
static void put_and_list(struct cv_buf *b, const struct cv_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (cv_buf_puts(b, i == 0 ? "" : i + 1 == v->n ? " and " : ", ") < 0 || cv_buf_puts(b, v->v[i]) < 0)
			break;
}

static char *and_list(const struct cv_strv *v)
{
	struct cv_buf b;

	cv_buf_init(&b, 1 << 16);
	put_and_list(&b, v);
	return cv_buf_detach(&b, NULL);
}

/* The guest OS as its release file names it: "Debian GNU/Linux 12
 * (bookworm)", else "Debian GNU/Linux 12", else its id. */
static char *guest_name(const struct descriptor *d)
{
	if (d->guest.os.pretty)
		return cv_xstrdup(d->guest.os.pretty);
	if (d->guest.os.name)
		return check_product_version(d->guest.os.name, d->guest.os.version);
	return cv_xstrdup(d->guest.os.id);
}

static void summarize(struct check_result *r, const struct descriptor *d)
{
	const struct catalog_config *m = r->n_matches ? r->matches[0].config : NULL;
	char *vendors = NULL;

	switch (r->verdict) {
	case CHECK_VALIDATED: {
		/* The answer of every validated machine: appended, not printf'd
		 * (an uncached /check's cost).  Still a fact, but not one to
		 * lean on as if current. */
		struct cv_buf b;

		cv_buf_init(&b, SIZE_MAX / 2);
		(void)!cv_buf_puts(&b, "validated: ");
		check_product_version_put(&b, m->guest.product, m->guest.version);
		(void)!cv_buf_puts(&b, " on ");
		check_product_version_put(&b, m->hypervisor.product, m->hypervisor.version);
		(void)!cv_buf_puts(&b, " (");
		(void)!cv_buf_puts(&b, m->id);
		(void)!cv_buf_puts(&b, r->cooperative ? "); cooperative support: " : "); vendor support: ");
		put_and_list(&b, &r->support_vendors);
		if (r->matches[0].differences.n) {
			(void)!cv_buf_puts(&b, "; ");
			(void)!cv_buf_puts(&b, r->matches[0].differences.v[0]);
		}
		if (r->matches[0].lifecycle.note) {
			(void)!cv_buf_puts(&b, "; not current: ");
			(void)!cv_buf_puts(&b, r->matches[0].lifecycle.note);
		}
		r->summary = cv_buf_detach(&b, NULL);
		break;
	}
	case CHECK_SUPPORTED:
		vendors = and_list(&r->support_vendors);
		r->summary = cv_xasprintf("supported, not validated: %s %s so (%s, status %s)%s%s%s%s", vendors,
					  r->support_vendors.n > 1 ? "say" : "says", m->id, catalog_status_name(m->status),
					  r->matches[0].differences.n ? "; " : "",
					  r->matches[0].differences.n ? r->matches[0].differences.v[0] : "",
					  r->matches[0].lifecycle.note ? "; not current: " : "",
					  r->matches[0].lifecycle.note ? r->matches[0].lifecycle.note : "");
		break;
	case CHECK_NOT_SUPPORTED:
		r->summary = cv_xasprintf("explicitly not supported: %s (%s)", m ? m->id : "?",
					  m ? m->hypervisor.product : "?");
		break;
	case CHECK_NOT_VALIDATED:
		if (r->reason == CHECK_REASON_GUEST_NOT_IN_CATALOG) {
			char *os = guest_name(d);

			r->summary = cv_xasprintf("not validated: the catalog has no configuration for this guest OS, "
						  "%s (os id \"%s\")", os, d->guest.os.id);
			free(os);
		} else if (r->reason == CHECK_REASON_NO_CONFIGURATION)
			r->summary = cv_xasprintf("not validated: the catalog has no configurations for %s guests on %s",
						  d->guest.os.id, d->hypervisor.id);
		else if (r->reason == CHECK_REASON_HOST_VERSION_UNKNOWN && r->n_nearest) {
			const struct catalog_config *n = r->nearest[0].config;

			r->summary = cv_xasprintf("not validated: the host's version is needed: a guest cannot see which "
						  "%s release runs it (validated: %s); state it with --host-version "
						  "(\"host_version\" in the API)",
						  n->hypervisor.product, n->hypervisor.version);
		} else
			r->summary = cv_xasprintf("not validated: %s", check_reason_phrase(r->reason));
		break;
	default:
		r->summary = cv_xasprintf("unknown: %s", check_reason_phrase(r->reason));
		break;
	}
	free(vendors);
}

static void add_match(struct check_result *r, const struct catalog_config *c)
{
	r->matches = cv_xreallocarray(r->matches, r->n_matches + 1, sizeof(*r->matches));
	r->matches[r->n_matches++] = (struct check_candidate){ .config = c, .reason = CHECK_REASON_NONE };
}

static bool matched(const struct check_result *r, const struct catalog_config *c)
{
	for (size_t i = 0; i < r->n_matches; i++)
		if (r->matches[i].config == c)
			return true;
	return false;
}

static void lifecycle(const struct check_index *ix, const struct catalog_config *c, const char *today,
		      struct check_lifecycle *ret)
{
	check_lifecycle_of(c, check_index_product(ix, c->guest.product_id),
			   check_index_product(ix, c->hypervisor.product_id), today, ret);
}

int check_explain(const struct check_index *ix, const struct descriptor *d, size_t max_nearest,
		  struct check_result **ret)
{
	struct check_result *r = cv_xcalloc(1, sizeof(*r));
	struct check_candidate *all = NULL;
	struct bucket *const *cand = NULL;
	uint64_t *seen;
	struct check_key k;
	struct check_fast fast;
	size_t n_all = 0, n_cand = 0, end;
	char today[11];

	cv_strv_init(&r->support_vendors);
	check_key_from_descriptor(ix, d, &k);
	check_match_fast(ix, &k, &fast);
	r->verdict = fast.verdict;
	r->reason = fast.reason;

	/*
	 * The candidates: the buckets of the machine's guest OS (another
	 * guest OS's configurations tell it nothing: a Debian guest ranked
	 * against Windows rows), or, for a machine whose guest OS is not
	 * known at all, every bucket; a guest OS the catalog lacks has none.
	 * Its own hypervisor's bucket comes first, so that a configuration
	 * sitting in several buckets (several hypervisor ids) is seen first
	 * where it is on the machine's hypervisor; seen marks it, so that it
	 * is ranked once.  Only such a configuration (several hypervisor ids)
	 * can be met twice, so seen is made for the first one met: at 100k
	 * configurations it is 12.5 kB to clear, for most machines in vain.
	 */
	if (k.os >= 0 && (size_t)k.os < ix->n_os) {
		cand = ix->by_os + ix->os_start[k.os];
		n_cand = ix->os_start[k.os + 1] - ix->os_start[k.os];
	} else if (k.os_unknown) {
		cand = ix->by_os;
		n_cand = ix->n_buckets;
	}
	/*
	 * A validated machine is told no nearest configuration (below), and
	 * only the rows check_match_fast() looked at can match it: those of
	 * its own hypervisor's bucket (a row of another has
	 * W_OTHER_HYPERVISOR) whose interval can hold its version.  Its
	 * bucket may hold a hundred releases of its OS; it matches two.
	 */
	all = cv_xcalloc(max_nearest ? max_nearest : 1, sizeof(*all));
	if (r->verdict == CHECK_VALIDATED) {
		const struct bucket *b = check_stab(ix, &k, &end);

		for (size_t i = end; b && i-- > 0 && check_stab_more(b, i, &k);) {
			const struct catalog_config *c = ix->cat->configs[b->v[i].config];
			enum check_reason reason;

			/* A row with several hypervisor ids naming one twice sits
			 * twice here: matched once. */
			if (check_score(&b->v[i], &k, &reason) == 0 && !(b->v[i].multi && matched(r, c)))
				add_match(r, c);
		}
		cand = NULL, n_cand = 0;
	}
	seen = NULL;
	for (int pass = 0; pass < 2; pass++)
		for (size_t bi = 0; bi < n_cand; bi++) {
			const struct bucket *b = cand[bi];
			bool same_hv = k.hv >= 0 && b->hv == k.hv;

			if (same_hv != (pass == 0))
				continue;
			for (size_t i = 0; i < b->n; i++) {
				const struct ccfg *cc = &b->v[i];
				const struct catalog_config *c = ix->cat->configs[cc->config];
				enum check_reason reason;
				int score;

				if (cc->multi) {
					if (!seen)
						seen = cv_xcalloc(ix->n_configs / 64 + 1, sizeof(*seen));
					if (seen[cc->config / 64] & (1ull << (cc->config % 64)))
						continue;
					seen[cc->config / 64] |= 1ull << (cc->config % 64);
				}
				score = check_score(cc, &k, &reason);
				if (k.os_unknown) {
					score += W_OTHER_GUEST;
					reason = CHECK_REASON_NO_CONFIGURATION;
				}
				if (!same_hv) {
					score += W_OTHER_HYPERVISOR;
					reason = CHECK_REASON_NO_CONFIGURATION;
				}
				if (score == 0) {
					add_match(r, c);
					continue;
				}
				if (!catalog_status_supportable(c->status))
					continue;
				/* A machine supported by a vendor's statement also hears
				 * what separates it from a validated configuration. */
				if (fast.verdict == CHECK_SUPPORTED && c->status != CATALOG_VALIDATED)
					continue;
				keep_nearest(all, &n_all, max_nearest,
					     &(struct check_candidate){ .config = c, .score = score, .reason = reason });
			}
		}
	free(seen);
	if (r->n_matches > 1)
		qsort(r->matches, r->n_matches, sizeof(*r->matches), cmp_candidate);
	check_today(today);
	for (size_t i = 0; i < r->n_matches; i++) {
		cv_strv_init(&r->matches[i].differences);
		lifecycle(ix, r->matches[i].config, today, &r->matches[i].lifecycle);
		if (!catalog_status_supportable(r->matches[i].config->status))
			check_differences(r->matches[i].config, d, &r->matches[i].differences);
		else /* matched: at most that its service pack was not stated */
			service_pack_difference(r->matches[i].config, d, &r->matches[i].differences);
	}
	/* The nearest: when nothing supportable matched, and, for a machine
	 * only supported, the validated configurations it comes closest to. */
	if (r->verdict != CHECK_VALIDATED && n_all) {
		r->n_nearest = n_all;
		r->nearest = cv_xcalloc(r->n_nearest ? r->n_nearest : 1, sizeof(*r->nearest));
		for (size_t i = 0; i < r->n_nearest; i++) {
			r->nearest[i] = all[i];
			cv_strv_init(&r->nearest[i].differences);
			lifecycle(ix, all[i].config, today, &r->nearest[i].lifecycle);
			check_differences(all[i].config, d, &r->nearest[i].differences);
		}
	}
	free(all);
	support(r);
	summarize(r, d);
	*ret = r;
	return 0;
}

struct check_result *check_result_free(struct check_result *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_matches; i++) {
		cv_strv_release(&r->matches[i].differences);
		free(r->matches[i].lifecycle.note);
	}
	for (size_t i = 0; i < r->n_nearest; i++) {
		cv_strv_release(&r->nearest[i].differences);
		free(r->nearest[i].lifecycle.note);
	}
	free(r->matches);
	free(r->nearest);
	cv_strv_release(&r->support_vendors);
	free(r->summary);
	free(r);
	return NULL;
}

static json_t *strv_json(const struct cv_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *check_candidate_to_json(const struct check_candidate *cand, bool with_score)
{
	const struct catalog_config *c = cand->config;
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:{s:s, s:s, s:o}, s:o}", "id", c->id, "status",
			      catalog_status_name(c->status), "guest", "product", c->guest.product, "version",
			      c->guest.version, "arch", strv_json(&c->guest.arch), "service_pack",
			      or_null(c->guest.service_pack), "hypervisor", "product",
			      c->hypervisor.product, "version", c->hypervisor.version, "ids",
			      strv_json(&c->hypervisor.ids), "validated_by", strv_json(&c->validated_by));

	if (with_score) {
		json_object_set_new(o, "score", json_integer(cand->score));
		json_object_set_new(o, "reason", json_string(check_reason_name(cand->reason)));
	}
	json_object_set_new(o, "differences", strv_json(&cand->differences));
	json_object_set_new(o, "lifecycle", check_lifecycle_to_json(&cand->lifecycle));
	return o;
}

json_t *check_result_to_json(const struct check_result *r, const struct descriptor *d)
{
	json_t *matches = json_array(), *nearest = json_array(), *o;

	for (size_t i = 0; i < r->n_matches; i++)
		json_array_append_new(matches, check_candidate_to_json(&r->matches[i], false));
	for (size_t i = 0; i < r->n_nearest; i++)
		json_array_append_new(nearest, check_candidate_to_json(&r->nearest[i], true));
	o = json_pack("{s:s, s:s, s:s, s:s}", "schema", "covalid.check/1", "verdict", check_verdict_name(r->verdict),
		      "reason", check_reason_name(r->reason), "summary", r->summary);
	json_object_set_new(o, "machine",
			    json_pack("{s:{s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o}, s:o, s:o, s:o}",
				      "hypervisor", "id", or_null(d->hypervisor.id), "product", or_null(d->hypervisor.product),
				      "version", or_null(d->hypervisor.version),
				      "version_source", or_null(d->hypervisor.version_source),
				      "build", or_null(d->hypervisor.build),
				      "guest", "id", or_null(d->guest.os.id), "version", or_null(d->guest.os.version),
				      "arch", or_null(d->guest.arch), "osinfo", or_null(d->guest.os.osinfo),
				      "service_pack", or_null(d->guest.os.service_pack),
				      "vcpus", d->vm.vcpus >= 0 ? json_integer(d->vm.vcpus) : json_null(),
				      "memory_mib", d->vm.memory_mib ? json_integer((json_int_t)d->vm.memory_mib) : json_null(),
				      "components", strv_json(&d->integration.present)));
	json_object_set_new(o, "matches", matches);
	json_object_set_new(o, "support", json_pack("{s:b, s:o}", "cooperative", r->cooperative, "vendors",
						    strv_json(&r->support_vendors)));
	json_object_set_new(o, "nearest", nearest);
	return o;
}

/* ---- the same answer without a tree ---- */

/*
 * check_result_write() writes what json_dumps() makes of
 * check_result_to_json()'s tree, byte for byte, and is kept beside it so
 * that a change to one is seen to need the other (tests/unit/
 * test-check-write.c compares the two).  Building the tree and dumping it
 * was about a quarter of the server's CPU for an uncached /check.
 *
 * The tree path has quiet corners that the bytes must keep.  A string
 * that is not UTF-8 makes json_string() and json_pack() return NULL, and
 * what happens next depends on where: json_array_append_new() and
 * json_object_set_new() of NULL leave the element or the member out (a
 * component, a candidate, "machine", a candidate's "lifecycle"), while a
 * failed top-level json_pack() leaves no answer at all.  Each such place
 * below takes a mark and drops what failed (json_write_drop()).
 */

/* strv_json(): an element json_string() refuses is left out. */
static void write_strv(struct json_write *w, const struct cv_strv *v)
{
	json_write_array_open(w);
	for (size_t i = 0; i < v->n; i++) {
		struct json_write_mark m = json_write_mark(w);

		json_write_string(w, v->v[i]);
		json_write_drop(w, &m);
	}
	json_write_array_close(w);
}

/* check_candidate_to_json() as an array element: left out when its
 * json_pack() fails (it then returns NULL). */
static void write_candidate(struct json_write *w, const struct check_candidate *cand, bool with_score)
{
	const struct catalog_config *c = cand->config;
	struct json_write_mark m = json_write_mark(w), member;

	json_write_object_open(w);
	json_write_key(w, "id");
	json_write_string(w, c->id);
	json_write_key(w, "status");
	json_write_string(w, catalog_status_name(c->status));
	json_write_key(w, "guest");
	json_write_object_open(w);
	json_write_key(w, "product");
	json_write_string(w, c->guest.product);
	json_write_key(w, "version");
	json_write_string(w, c->guest.version);
	json_write_key(w, "arch");
	write_strv(w, &c->guest.arch);
	json_write_key(w, "service_pack");
	json_write_string_or_null(w, c->guest.service_pack);
	json_write_object_close(w);
	json_write_key(w, "hypervisor");
	json_write_object_open(w);
	json_write_key(w, "product");
	json_write_string(w, c->hypervisor.product);
	json_write_key(w, "version");
	json_write_string(w, c->hypervisor.version);
	json_write_key(w, "ids");
	write_strv(w, &c->hypervisor.ids);
	json_write_object_close(w);
	json_write_key(w, "validated_by");
	write_strv(w, &c->validated_by);
	if (json_write_drop(w, &m))
		return;

	/* Set one by one with json_object_set_new(): each left out alone. */
	if (with_score) {
		json_write_key(w, "score");
		json_write_int(w, cand->score);
		member = json_write_mark(w);
		json_write_key(w, "reason");
		json_write_string(w, check_reason_name(cand->reason));
		json_write_drop(w, &member);
	}
	json_write_key(w, "differences");
	write_strv(w, &cand->differences);
	member = json_write_mark(w);
	json_write_key(w, "lifecycle");
	check_lifecycle_write(w, &cand->lifecycle);
	json_write_drop(w, &member);
	json_write_object_close(w);
}

static void write_machine(struct json_write *w, const struct descriptor *d)
{
	json_write_object_open(w);
	json_write_key(w, "hypervisor");
	json_write_object_open(w);
	json_write_key(w, "id");
	json_write_string_or_null(w, d->hypervisor.id);
	json_write_key(w, "product");
	json_write_string_or_null(w, d->hypervisor.product);
	json_write_key(w, "version");
	json_write_string_or_null(w, d->hypervisor.version);
	json_write_key(w, "version_source");
	json_write_string_or_null(w, d->hypervisor.version_source);
	json_write_key(w, "build");
	json_write_string_or_null(w, d->hypervisor.build);
	json_write_object_close(w);
	json_write_key(w, "guest");
	json_write_object_open(w);
	json_write_key(w, "id");
	json_write_string_or_null(w, d->guest.os.id);
	json_write_key(w, "version");
	json_write_string_or_null(w, d->guest.os.version);
	json_write_key(w, "arch");
	json_write_string_or_null(w, d->guest.arch);
	json_write_key(w, "osinfo");
	json_write_string_or_null(w, d->guest.os.osinfo);
	json_write_key(w, "service_pack");
	json_write_string_or_null(w, d->guest.os.service_pack);
	json_write_object_close(w);
	json_write_key(w, "vcpus");
	if (d->vm.vcpus >= 0)
		json_write_int(w, d->vm.vcpus);
	else
		json_write_null(w);
	json_write_key(w, "memory_mib");
	if (d->vm.memory_mib)
		json_write_int(w, (int64_t)d->vm.memory_mib);
	else
		json_write_null(w);
	json_write_key(w, "components");
	write_strv(w, &d->integration.present);
	json_write_object_close(w);
}

int check_result_write(struct cv_buf *out, const struct check_result *r, const struct descriptor *d)
{
	struct json_write w;
	struct json_write_mark m;

	json_write_init(&w, out);
	json_write_object_open(&w);
	json_write_key(&w, "schema");
	json_write_string(&w, "covalid.check/1");
	json_write_key(&w, "verdict");
	json_write_string(&w, check_verdict_name(r->verdict));
	json_write_key(&w, "reason");
	json_write_string(&w, check_reason_name(r->reason));
	json_write_key(&w, "summary");
	json_write_string(&w, r->summary);
	/* Up to here one json_pack(): a failure is the whole answer's. */

	m = json_write_mark(&w);
	json_write_key(&w, "machine");
	write_machine(&w, d);
	json_write_drop(&w, &m);

	json_write_key(&w, "matches");
	json_write_array_open(&w);
	for (size_t i = 0; i < r->n_matches; i++)
		write_candidate(&w, &r->matches[i], false);
	json_write_array_close(&w);

	json_write_key(&w, "support");
	json_write_object_open(&w);
	json_write_key(&w, "cooperative");
	json_write_bool(&w, r->cooperative);
	json_write_key(&w, "vendors");
	write_strv(&w, &r->support_vendors);
	json_write_object_close(&w);

	json_write_key(&w, "nearest");
	json_write_array_open(&w);
	for (size_t i = 0; i < r->n_nearest; i++)
		write_candidate(&w, &r->nearest[i], true);
	json_write_array_close(&w);
	json_write_object_close(&w);
	return json_write_end(&w);
}
