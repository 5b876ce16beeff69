/*
 * win/check-cpu.c - cpu.topology and cpu.all_vcpus_execute on Windows,
 * with Linux's ids and measured fields (src/testlog/derive.c judges them
 * alike).
 *
 * cpu.topology compares two sources that can disagree, as Linux's
 * cpu/present and cpu/online do: "present" is what the firmware gives the
 * machine, the enabled processors of the ACPI MADT
 * (GetSystemFirmwareTable('ACPI', 'APIC'), counted by decide.c's
 * kit_madt_enabled_cpus); "online" is what Windows runs on, its active
 * processors (GetActiveProcessorCount over every group from 7 / 2008 R2
 * on; before, the system affinity mask, which on those Windows is one
 * group of at most 64, or 32 for a 32-bit process).  A vCPU that the
 * hypervisor lists but that Windows never started (a processor limit of
 * the edition or of boot.ini /numproc, a failed start) is then a fail.
 * Where the MADT cannot be read (GetSystemFirmwareTable is missing before
 * 2003 SP1; wine has no ACPI table) the check skips: nothing independent
 * is there to compare with.
 */
#include <windows.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

/* 'ACPI', the provider; "APIC" as the bytes of the table's signature read
 * as a little-endian DWORD, the order GetSystemFirmwareTable wants for an
 * ACPI table ('PCAF' for the FACP, says its documentation). */
#define PROVIDER_ACPI 0x41435049u
#define TABLE_MADT 0x43495041u
/* 16-byte x2APIC entries for 65536 processors, and then some. */
#define MADT_MAX (4u << 20)
#define ALL_PROCESSOR_GROUPS_ 0xffff

typedef UINT(WINAPI *gsft_fn)(DWORD, DWORD, PVOID, DWORD);
typedef DWORD(WINAPI *active_fn)(WORD);

static int popcount(DWORD_PTR m)
{
	int n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* The MADT's enabled processors; -1 with why when it cannot be read. */
static int madt_present(char *why, size_t why_size)
{
	HMODULE k = GetModuleHandleA("kernel32.dll");
	gsft_fn gsft = k ? (gsft_fn)(void (*)(void))GetProcAddress(k, "GetSystemFirmwareTable") : NULL;
	unsigned char *buf = NULL;
	unsigned cpus = 0;
	UINT n, got;
	int r = -1;

	if (!gsft) {
		snprintf(why, why_size, "GetSystemFirmwareTable is not in kernel32.dll (Windows before Server 2003 SP1)");
		return -1;
	}
	n = gsft(PROVIDER_ACPI, TABLE_MADT, NULL, 0);
	if (!n || n > MADT_MAX) {
		snprintf(why, why_size, "GetSystemFirmwareTable('ACPI', 'APIC') gives %s (error %lu)",
			 n ? "more than 4 MiB" : "no table", (unsigned long)GetLastError());
		return -1;
	}
	buf = cv_xmalloc(n);
	got = gsft(PROVIDER_ACPI, TABLE_MADT, buf, n);
	if (!got || got > n) {
		snprintf(why, why_size, "GetSystemFirmwareTable('ACPI', 'APIC') failed reading %u bytes (error %lu)", n,
			 (unsigned long)GetLastError());
		goto out;
	}
	if (kit_madt_enabled_cpus(buf, got, &cpus, why, why_size) < 0)
		goto out;
	if (!cpus || cpus > INT_MAX) {
		snprintf(why, why_size, "the MADT lists no enabled processor");
		goto out;
	}
	r = (int)cpus;
out:
	free(buf);
	return r;
}

void kit_check_cpu_topology(const struct kit_ctx *ctx, struct kit_out *out)
{
	HMODULE k = GetModuleHandleA("kernel32.dll");
	active_fn active = k ? (active_fn)(void (*)(void))GetProcAddress(k, "GetActiveProcessorCount") : NULL;
	DWORD_PTR proc = 0, sys = 0;
	int online = -1, present;
	char why[200] = "";
	struct kit_verdict v;
	bool have_masks = GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys);

	if (active)
		online = (int)active(ALL_PROCESSOR_GROUPS_);
	else if (have_masks)
		online = popcount(sys);
	present = madt_present(why, sizeof(why));
	json_object_set_new(out->measured, "source",
			    json_sprintf("online: %s; present: the ACPI MADT's enabled processors "
					 "(GetSystemFirmwareTable('ACPI', 'APIC'))",
					 active ? "GetActiveProcessorCount(ALL_PROCESSOR_GROUPS)"
						: "GetProcessAffinityMask (the system mask)"));
	json_object_set_new(out->measured, "online", json_integer(online));
	json_object_set_new(out->measured, "present", present > 0 ? json_integer(present) : json_null());
	json_object_set_new(out->measured, "possible", json_null());
	json_object_set_new(out->measured, "process_cpus", json_integer(have_masks ? popcount(proc) : -1));
	json_object_set_new(out->threshold, "online_equals_present", json_true());
	json_object_set_new(out->threshold, "expect_vcpus",
			    ctx->opt->expect_vcpus ? json_integer(ctx->opt->expect_vcpus) : json_null());
	if (present < 1) {
		json_object_set_new(out->measured, "present_unreadable", json_string(why));
		kit_set(out, KIT_SKIP, "the firmware's processor list cannot be read (%s): nothing independent of Windows "
				       "to compare its %d online processors with",
			why, online);
		return;
	}
	kit_decide_topology(online, present, ctx->opt->expect_vcpus, &v);
	kit_apply(out, &v);
}

void kit_check_cpu_all_vcpus_execute(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.3, 3.0);
	struct kit_spin *w = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*w));
	double *rates = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*rates));
	json_t *jr = json_object();
	struct kit_verdict v;
	char key[32];
	int r;

	for (size_t i = 0; i < ctx->n_cpus; i++)
		w[i].interval = interval;
	/* SetThreadAffinityMask pins each worker (win/util.c). */
	r = kit_on_each_cpu(ctx, kit_spin_worker, w, sizeof(*w));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each processor (SetThreadAffinityMask refused)");
		goto out;
	}
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		rates[i] = w[i].elapsed > 0 ? (double)w[i].iterations / w[i].elapsed : 0;
		snprintf(key, sizeof(key), "cpu%d", ctx->cpus[i]);
		json_object_set_new(jr, key, json_real(kit_round(rates[i])));
	}
	json_object_set(out->measured, "rates", jr);
	/* Windows keeps no per-processor steal time. */
	json_object_set_new(out->measured, "steal_ms", json_null());
	json_object_set_new(out->measured, "median", json_real(kit_round(kit_median(rates, ctx->n_cpus))));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	json_object_set_new(out->threshold, "min_fraction", json_real(KIT_EXECUTE_MIN_FRACTION));
	kit_decide_rates(rates, ctx->n_cpus, KIT_EXECUTE_MIN_FRACTION, &v);
	kit_apply(out, &v);
out:
	json_decref(jr);
	free(w);
	free(rates);
}
