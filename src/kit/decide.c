/*
 * decide.c - the kit's pure decisions that Linux's and Windows's checks
 * share (kit-internal.h): the same measured values give the same status
 * on either system, as src/testlog/derive.c re-derives it.  Portable: no
 * system header beyond the C library's.
 */
#include "kit/kit-internal.h"
#include "util/cv.h"

/* Names in a reason are cut here, so that the reason fits its buffer. */
#define NAMES_MAX 384

void kit_decide_fingerprint(const char *claimed_id, const char *probed_id, const char *claimed_product,
			    const char *probed_product, struct kit_verdict *v)
{
	if (!probed_id || strcmp(probed_id, "unknown") == 0)
		kit_verdict_set(v, KIT_FAIL, "no hypervisor could be detected");
	else if (strcmp(probed_id, "none") == 0)
		kit_verdict_set(v, KIT_FAIL, "no hypervisor: this is bare metal, not a guest");
	else if (!cv_streq(claimed_id, probed_id))
		kit_verdict_set(v, KIT_FAIL, "the log claims hypervisor %s, the probe finds %s",
				claimed_id ? claimed_id : "(none)", probed_id);
	else if (!cv_streq(claimed_product, probed_product))
		kit_verdict_set(v, KIT_FAIL, "the log claims %s, the probe finds %s",
				claimed_product ? claimed_product : "no product", probed_product ? probed_product : "none");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

void kit_decide_topology(int online, int present, int expect, struct kit_verdict *v)
{
	if (online < 1 || present < 1)
		kit_verdict_set(v, KIT_ERROR, "the CPU lists are unreadable");
	else if (online != present)
		kit_verdict_set(v, KIT_FAIL, "%d vCPUs online of %d present", online, present);
	else if (expect > 0 && online != expect)
		kit_verdict_set(v, KIT_FAIL, "%d vCPUs online; the VM was given %d", online, expect);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* The MADT's layout (ACPI 6.5, 5.2.12): the 36-byte description header
 * (signature "APIC", u32 length at 4, checksum: all bytes sum to 0), the
 * local APIC address and flags (u32 each), then entries of (u8 type, u8
 * length, ...).  Little-endian throughout. */
#define MADT_HEADER 44
#define MADT_LAPIC 0  /* length 8, flags u32 at 4 */
#define MADT_X2APIC 9 /* length 16, flags u32 at 8 */
#define MADT_ENABLED 1u

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int kit_madt_enabled_cpus(const void *table, size_t size, unsigned *ret_enabled, char *why, size_t why_size)
{
	const uint8_t *t = table;
	uint32_t length;
	uint8_t sum = 0;
	unsigned enabled = 0;

	if (!t || size < MADT_HEADER) {
		snprintf(why, why_size, "the MADT is %zu bytes, shorter than its %d-byte header", t ? size : 0, MADT_HEADER);
		return -EBADMSG;
	}
	if (memcmp(t, "APIC", 4) != 0) {
		snprintf(why, why_size, "the table's signature is not \"APIC\"");
		return -EBADMSG;
	}
	length = le32(t + 4);
	if (length < MADT_HEADER || length > size) {
		snprintf(why, why_size, "the MADT's length %lu is outside its header and the %zu bytes read",
			 (unsigned long)length, size);
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + t[i]);
	if (sum) {
		snprintf(why, why_size, "the MADT's checksum is wrong (its bytes sum to 0x%02x, not 0)", sum);
		return -EBADMSG;
	}
	for (uint32_t off = MADT_HEADER; off < length;) {
		uint8_t type, len;

		if (length - off < 2) {
			snprintf(why, why_size, "the MADT's entry at offset %lu is cut off", (unsigned long)off);
			return -EBADMSG;
		}
		type = t[off];
		len = t[off + 1];
		if (len < 2 || len > length - off) {
			snprintf(why, why_size, "the MADT's entry at offset %lu (type %u) has length %u", (unsigned long)off,
				 type, len);
			return -EBADMSG;
		}
		if ((type == MADT_LAPIC && len < 8) || (type == MADT_X2APIC && len < 16)) {
			snprintf(why, why_size, "the MADT's processor entry at offset %lu (type %u) is %u bytes, too short",
				 (unsigned long)off, type, len);
			return -EBADMSG;
		}
		if (type == MADT_LAPIC && (le32(t + off + 4) & MADT_ENABLED))
			enabled++;
		else if (type == MADT_X2APIC && (le32(t + off + 8) & MADT_ENABLED))
			enabled++;
		off += len;
	}
	*ret_enabled = enabled;
	return 0;
}

void kit_decide_mem_size(uint64_t memtotal_mib, uint64_t expect_mib, struct kit_verdict *v)
{
	if (!expect_mib)
		kit_verdict_set(v, KIT_SKIP, "no --expect-memory given: nothing to compare MemTotal with");
	else if (!memtotal_mib)
		kit_verdict_set(v, KIT_ERROR, "MemTotal is not readable");
	else if (memtotal_mib > expect_mib)
		kit_verdict_set(v, KIT_FAIL, "MemTotal %llu MiB is more than the %llu MiB the VM was given",
				(unsigned long long)memtotal_mib, (unsigned long long)expect_mib);
	else if ((double)memtotal_mib < KIT_MEM_SIZE_MIN * (double)expect_mib)
		kit_verdict_set(v, KIT_FAIL, "MemTotal %llu MiB is %.1f%% of the %llu MiB the VM was given (at least 90%%)",
				(unsigned long long)memtotal_mib, 100.0 * (double)memtotal_mib / (double)expect_mib,
				(unsigned long long)expect_mib);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

void kit_decide_rates(const double *rates, size_t n, double min_fraction, struct kit_verdict *v)
{
	double median = kit_median(rates, n);
	struct cv_buf names;
	size_t slow = 0;

	if (!n) {
		kit_verdict_set(v, KIT_ERROR, "no vCPU rate was measured");
		return;
	}
	if (!(median > 0)) {
		kit_verdict_set(v, KIT_ERROR, "the median rate is %g: the workers did not run", median);
		return;
	}
	cv_buf_init(&names, NAMES_MAX);
	for (size_t i = 0; i < n; i++) {
		if (rates[i] >= min_fraction * median)
			continue;
		/* A long list is cut: the count in the reason stays right. */
		if (names.len < NAMES_MAX - 64) {
			if (cv_buf_printf(&names, "%scpu%zu (%.0f%%)", slow ? ", " : "", i, 100.0 * rates[i] / median) < 0)
				break;
		} else if (!cv_endswith(names.data, "...") && cv_buf_puts(&names, ", ...") < 0)
			break;
		slow++;
	}
	if (slow)
		kit_verdict_set(v, KIT_FAIL, "%zu vCPU%s below %.0f%% of the median rate: %s", slow, slow > 1 ? "s" : "",
				100.0 * min_fraction, names.data ? names.data : "");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
	cv_buf_release(&names);
}

void kit_decide_mismatches(uint64_t mismatches, uint64_t checked, const char *what, struct kit_verdict *v)
{
	if (!checked)
		kit_verdict_set(v, KIT_ERROR, "nothing was checked (%s)", what);
	else if (mismatches)
		kit_verdict_set(v, KIT_FAIL, "%llu mismatch%s in %llu checked (%s)", (unsigned long long)mismatches,
				mismatches > 1 ? "es" : "", (unsigned long long)checked, what);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

void kit_decide_inversions(uint64_t inversions, uint64_t samples, struct kit_verdict *v)
{
	if (!samples)
		kit_verdict_set(v, KIT_ERROR, "no clock readings were taken");
	else if (inversions)
		kit_verdict_set(v, KIT_FAIL, "the clock went backwards %llu time%s in %llu readings",
				(unsigned long long)inversions, inversions > 1 ? "s" : "", (unsigned long long)samples);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

void kit_decide_warps(uint64_t warps, uint64_t exchanges, double max_warp_ns, struct kit_verdict *v)
{
	if (!exchanges)
		kit_verdict_set(v, KIT_ERROR, "no timestamp passed between vCPUs");
	else if (warps)
		kit_verdict_set(v, KIT_FAIL,
				"time went backwards %llu time%s in %llu exchanges between vCPUs (largest step back %.0f ns)",
				(unsigned long long)warps, warps > 1 ? "s" : "", (unsigned long long)exchanges, max_warp_ns);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

void kit_decide_timer_latency(uint64_t early, double max_overshoot_ms, struct kit_verdict *v)
{
	bool late = !(max_overshoot_ms < KIT_TIMER_MAX_OVERSHOOT_MS);

	if (early && late)
		kit_verdict_set(v, KIT_FAIL, "%llu sleep%s of 1 ms woke early, and one overshot by %.1f ms (bound < %.0f ms)",
				(unsigned long long)early, early > 1 ? "s" : "", max_overshoot_ms, KIT_TIMER_MAX_OVERSHOOT_MS);
	else if (early)
		kit_verdict_set(v, KIT_FAIL, "%llu sleep%s of 1 ms woke early", (unsigned long long)early,
				early > 1 ? "s" : "");
	else if (late)
		kit_verdict_set(v, KIT_FAIL, "a sleep of 1 ms overshot by %.1f ms (bound < %.0f ms)", max_overshoot_ms,
				KIT_TIMER_MAX_OVERSHOOT_MS);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* The integration components that are disks, in the probe's names. */
static const char *const storage_components[] = {
	"storvsc", "blkvsc", "virtio_storage", "vmw_pvscsi", "xen-blkfront", "nvme",
};

size_t kit_storage_components(const char *const **ret)
{
	*ret = storage_components;
	return CV_ELEMENTSOF(storage_components);
}

bool kit_is_storage_component(const char *component)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(storage_components); i++)
		if (cv_streq(storage_components[i], component))
			return true;
	return false;
}

/* ---- integration components (kernel.pv_drivers, storage.inventory) ---- */

static const char *const state_names[KIT_COMP__MAX] = {
	"bound", "present", "not_shown", "not_offered", "unbound", "offered_unbound", "absent", "silent", "unsigned",
};

const char *kit_comp_state_name(enum kit_comp_state s)
{
	return s < KIT_COMP__MAX ? state_names[s] : "?";
}

bool kit_comp_state_fails(enum kit_comp_state s)
{
	return s == KIT_COMP_UNBOUND || s == KIT_COMP_OFFERED_UNBOUND || s == KIT_COMP_ABSENT || s == KIT_COMP_SILENT ||
	       s == KIT_COMP_UNSIGNED;
}

void kit_decide_components(const char *hypervisor, const struct kit_component *c, size_t n, struct kit_verdict *v)
{
	struct cv_buf bad, notes;
	char *b, *o;

	if (!hypervisor || strcmp(hypervisor, "none") == 0 || strcmp(hypervisor, "unknown") == 0) {
		kit_verdict_set(v, KIT_SKIP, "no hypervisor, so no integration components to expect");
		return;
	}
	cv_buf_init(&bad, 400);
	cv_buf_init(&notes, 300);
	for (size_t i = 0; i < n; i++) {
		struct cv_buf *to = kit_comp_state_fails(c[i].state) ? &bad : &notes;

		if (c[i].state == KIT_COMP_BOUND || c[i].state == KIT_COMP_PRESENT)
			continue;
		if (cv_buf_printf(to, "%s%s (%s)", to->len ? "; " : "", c[i].name,
				  c[i].detail ? c[i].detail : kit_comp_state_name(c[i].state)) < 0)
			continue; /* bounded: the rest is in measured */
	}
	b = cv_buf_detach(&bad, NULL);
	o = cv_buf_detach(&notes, NULL);
	if (b && *b)
		kit_verdict_set(v, KIT_FAIL, "integration components not working: %s", b);
	else if (o && *o)
		kit_verdict_set(v, KIT_PASS, "%s", o);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
	free(b);
	free(o);
}

void kit_decide_storage_inventory(size_t n_devices, const struct cv_strv *missing, const char *seen,
				  struct kit_verdict *v)
{
	char *list;

	if (missing && missing->n) {
		list = cv_strv_join(missing, ", ");
		kit_verdict_set(v, KIT_FAIL, "no disk is driven by %s, which this guest is expected to have; disks seen: %s",
				list, seen && *seen ? seen : "none");
		free(list);
	} else if (!n_devices)
		kit_verdict_set(v, KIT_SKIP, "no block devices visible (a container?)");
	else
		kit_verdict_set(v, KIT_PASS, "%zu block device%s: %s", n_devices, n_devices > 1 ? "s" : "", seen);
}


/* ---- Windows's own checks (win/check-system.c) ---- */

const char *const kit_event_kinds[KIT_EVENT__MAX] = { "bugcheck", "unexpected_shutdown", "disk", "ntfs", "driver" };

void kit_decide_event_log(const char *unreadable, const uint64_t counts[KIT_EVENT__MAX], const char *earliest,
			  uint64_t read, struct kit_verdict *v)
{
	uint64_t total = 0;

	for (int k = 0; k < KIT_EVENT__MAX; k++)
		total += counts[k];
	/* An event found is a fact even when the rest of the log could not be read. */
	if (total)
		kit_verdict_set(v, KIT_FAIL, "%llu bugcheck, unexpected shutdown, disk, NTFS or driver event%s since boot, "
					     "the earliest %s",
				(unsigned long long)total, total > 1 ? "s" : "", earliest ? earliest : "unknown");
	else if (unreadable)
		kit_verdict_set(v, KIT_SKIP, "%s", unreadable);
	else
		kit_verdict_set(v, KIT_PASS, "%llu records since boot, none a bugcheck, unexpected shutdown, disk, NTFS or "
					     "driver error", (unsigned long long)read);
}

void kit_decide_services(const char *hypervisor, size_t checked, const struct cv_strv *not_running,
			 struct kit_verdict *v)
{
	if (not_running->n) {
		char *l = cv_strv_join(not_running, ", ");

		kit_verdict_set(v, KIT_FAIL, "expected integration service%s not running: %s", not_running->n > 1 ? "s" : "", l);
		free(l);
	} else if (!checked)
		kit_verdict_set(v, KIT_SKIP, "no integration service is expected on hypervisor %s",
				hypervisor ? hypervisor : "unknown");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}
