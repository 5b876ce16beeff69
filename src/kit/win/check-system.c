/*
 * win/check-system.c - the checks of Windows itself: kernel.pv_drivers
 * (Linux's id and fields), windows.event_log and windows.services
 * (Windows's own ids, judged by their rows in src/testlog/derive.c), and
 * the self-tests that prove the runner's isolation.
 *
 * kernel.pv_drivers judges what the probe found at the start of the run
 * (the descriptor's integration fields, read from the Service Control
 * Manager, SetupDi and the driver files: src/probe/win/): each expected
 * component must be present (a driver: running and bound to a present
 * device), and a driver whose file the probe found unsigned fails
 * ("unsigned", with the evidence's words).  Linux's check reads the buses
 * itself; on Windows the probe already reads exactly the same sources.
 */
#include <windows.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

/* ---- kernel.pv_drivers ---- */

/* The probe's evidence of component name: source "windows/services.json:SERVICE",
 * meaning "NAME: ..." (src/probe, docs/probe.md); NULL if none. */
static const struct evidence *component_evidence(const struct descriptor *d, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < d->integration.evidence.n; i++) {
		const struct evidence *e = &d->integration.evidence.v[i];

		if (e->meaning && strncmp(e->meaning, name, n) == 0 && e->meaning[n] == ':')
			return e;
	}
	return NULL;
}

/* The evidence value says the driver file is not signed ("running,
 * 61.63.103.3000, not signed"). */
static bool says_unsigned(const struct evidence *e)
{
	return e && e->value && strstr(e->value, ", not signed");
}

void kit_check_kernel_pv_drivers(const struct kit_ctx *ctx, struct kit_out *out)
{
	const struct descriptor *d = ctx->d;
	const char *hv = d->hypervisor.id;
	struct kit_component *c = cv_xcalloc(d->integration.expected.n + 1, sizeof(*c));
	json_t *comps = json_array();
	size_t n = 0;
	struct kit_verdict v;

	for (size_t i = 0; i < d->integration.expected.n; i++) {
		const char *name = d->integration.expected.v[i];
		const struct evidence *e = component_evidence(d, name);
		enum kit_comp_state s;

		if (cv_strv_contains(&d->integration.present, name))
			s = says_unsigned(e) ? KIT_COMP_UNSIGNED
			    : e && e->meaning && strstr(e->meaning, " bound to ") ? KIT_COMP_BOUND
										 : KIT_COMP_PRESENT;
		else if (cv_strv_contains(&d->integration.unbound, name))
			s = KIT_COMP_UNBOUND;
		else
			s = KIT_COMP_ABSENT;
		c[n++] = (struct kit_component){ name, s, e ? e->meaning : NULL };
		json_array_append_new(comps, json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", name, "state",
						       kit_comp_state_name(s), "source", kit_json_str(e ? e->source : NULL),
						       "evidence", kit_json_str(e ? e->value : NULL), "detail",
						       kit_json_str(e ? e->meaning : NULL)));
	}
	json_object_set_new(out->measured, "hypervisor", kit_json_str(hv));
	json_object_set_new(out->measured, "source", json_string("the probe's descriptor (windows/services.json, devices.json, files.json)"));
	json_object_set_new(out->measured, "components", comps);
	json_object_set_new(out->measured, "present", kit_json_strv(&d->integration.present));
	json_object_set_new(out->measured, "missing", kit_json_strv(&d->integration.missing));
	json_object_set_new(out->measured, "unbound", kit_json_strv(&d->integration.unbound));
	json_object_set_new(out->measured, "recommended_missing", kit_json_strv(&d->integration.recommended_missing));
	kit_decide_components(hv, c, n, &v);
	kit_apply(out, &v);
	free(c);
}

/* ---- windows.services ---- */

static const char *service_state(DWORD s)
{
	switch (s) {
	case SERVICE_RUNNING: return "running";
	case SERVICE_STOPPED: return "stopped";
	case SERVICE_START_PENDING: return "start_pending";
	case SERVICE_STOP_PENDING: return "stop_pending";
	case SERVICE_PAUSED: return "paused";
	default: return "other";
	}
}

/* The components that bind no device (the integration services, the
 * agents, VMware's balloon driver) are present when their service runs:
 * which they are, and their service names, are the probe's table
 * (probe_win_component(), docs/probe.md "Windows component names"). */
void kit_check_windows_services(const struct kit_ctx *ctx, struct kit_out *out)
{
	const struct descriptor *d = ctx->d;
	SC_HANDLE scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT);
	json_t *list = json_array();
	struct cv_strv not_running, recommended_off;
	struct probe_win_component c;
	struct kit_verdict v;
	size_t checked = 0;

	cv_strv_init(&not_running);
	cv_strv_init(&recommended_off);
	json_object_set_new(out->threshold, "expected_running", json_true());
	if (!scm) {
		json_decref(list);
		json_object_set_new(out->measured, "unreadable",
				    json_sprintf("OpenSCManager: error %lu", (unsigned long)GetLastError()));
		kit_set(out, KIT_SKIP, "the Service Control Manager cannot be opened: error %lu",
			(unsigned long)GetLastError());
		return;
	}
	for (size_t i = 0; probe_win_component(i, &c); i++) {
		bool expected = cv_strv_contains(&d->integration.expected, c.name);
		bool recommended = cv_strv_contains(&d->integration.recommended, c.name);
		const char *state = "not_installed", *service = c.services[0];

		if (c.device || (!expected && !recommended))
			continue;
		/* The first of its services that is installed says. */
		for (size_t k = 0; k < c.n_services; k++) {
			SC_HANDLE s = OpenServiceA(scm, c.services[k], SERVICE_QUERY_STATUS);
			SERVICE_STATUS st;

			if (!s)
				continue;
			service = c.services[k];
			state = QueryServiceStatus(s, &st) ? service_state(st.dwCurrentState) : "unknown";
			CloseServiceHandle(s);
			break;
		}
		if (strcmp(state, "running") != 0)
			cv_strv_push(expected ? &not_running : &recommended_off, c.name);
		checked += expected;
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "component", c.name, "service", service,
						      "state", state, "expected", expected));
	}
	CloseServiceHandle(scm);
	json_object_set_new(out->measured, "hypervisor", kit_json_str(d->hypervisor.id));
	json_object_set_new(out->measured, "services", list);
	json_object_set_new(out->measured, "checked", json_integer((json_int_t)checked));
	json_object_set_new(out->measured, "not_running", kit_json_strv(&not_running));
	json_object_set_new(out->measured, "recommended_not_running", kit_json_strv(&recommended_off));
	kit_decide_services(d->hypervisor.id, checked, &not_running, &v);
	kit_apply(out, &v);
	cv_strv_release(&not_running);
	cv_strv_release(&recommended_off);
}

/* ---- windows.event_log ---- */

/*
 * What counts, in the System log since this boot (a bugcheck is reported
 * at the boot after it, so "during the run" alone could never see one):
 *  - bugcheck: source BugCheck (2008+) or Save Dump event 1001, System
 *    Error event 1003 (2003's "the computer has rebooted from a bugcheck");
 *  - unexpected_shutdown: EventLog event 6008 ("the previous system
 *    shutdown was unexpected");
 *  - disk: errors and warnings of the disk class driver and the volume
 *    managers (Disk, Ftdisk, volmgr: bad blocks, paging errors, resets);
 *  - ntfs: errors and warnings of Ntfs (corruption, delayed write lost);
 *  - driver: errors logged by an integration driver (netkvm, viostor,
 *    storvsc, ...) and Service Control Manager event 7026 (a boot- or
 *    system-start driver failed to load).
 */
#define READ_MAX 20000

/* Event sources of integration drivers that are no component's service:
 * the image name of Hyper-V's netvsc on Windows Server 2008 R2
 * (netvsc60.sys, tests/fixtures/win-2008r2-hyperv) and Xen's bus drivers
 * (xenbus of the xenproject drivers, xenpci of GPLPV; inferred).  Every
 * driver service of the probe's table counts too (driver_source()). */
static const char *const driver_sources_extra[] = { "netvsc60", "xenbus", "xenpci" };

/* An integration driver's event source: a service of a component that
 * is a driver (storage, network or other), or one of the extras. */
static bool driver_source(const char *source)
{
	struct probe_win_component c;

	for (size_t i = 0; probe_win_component(i, &c); i++) {
		bool driver = c.role == PROBE_WIN_STORAGE || c.role == PROBE_WIN_NET || c.role == PROBE_WIN_DRIVER;

		for (size_t k = 0; driver && k < c.n_services; k++)
			if (_stricmp(source, c.services[k]) == 0)
				return true;
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(driver_sources_extra); i++)
		if (_stricmp(source, driver_sources_extra[i]) == 0)
			return true;
	return false;
}


static int classify(const char *source, DWORD id, WORD type)
{
	bool bad = type == EVENTLOG_ERROR_TYPE || type == EVENTLOG_WARNING_TYPE;

	if (_stricmp(source, "BugCheck") == 0 || (_stricmp(source, "Save Dump") == 0 && id == 1001) ||
	    (_stricmp(source, "System Error") == 0 && id == 1003))
		return KIT_EVENT_BUGCHECK;
	if (_stricmp(source, "EventLog") == 0 && id == 6008)
		return KIT_EVENT_SHUTDOWN;
	if (bad && (_stricmp(source, "Disk") == 0 || _stricmp(source, "Ftdisk") == 0 || _stricmp(source, "volmgr") == 0))
		return KIT_EVENT_DISK;
	if (bad && _stricmp(source, "Ntfs") == 0)
		return KIT_EVENT_NTFS;
	if (_stricmp(source, "Service Control Manager") == 0 && id == 7026)
		return KIT_EVENT_DRIVER;
	if (type == EVENTLOG_ERROR_TYPE && driver_source(source))
		return KIT_EVENT_DRIVER;
	return -1;
}

typedef ULONGLONG(WINAPI *tick64_fn)(void);
typedef LONG(WINAPI *ntqsi_fn)(ULONG, PVOID, ULONG, PULONG);

/* SYSTEM_TIMEOFDAY_INFORMATION's start (winternl.h keeps it opaque):
 * BootTime, the system time at boot in 100 ns units since 1601 (UTC),
 * which the kernel moves with every change of the clock. */
struct timeofday {
	LARGE_INTEGER boot_time, current_time, time_zone_bias;
	ULONG time_zone_id, reserved;
	ULONGLONG boot_time_bias, sleep_time_bias;
};
#define SYSTEM_TIME_OF_DAY_INFORMATION 3
/* 1601-01-01 to 1970-01-01 in 100 ns units. */
#define EPOCH_DIFF_100NS 116444736000000000LL

/*
 * When this boot began, in seconds since 1970, and from what.  The
 * kernel's own boot time first (NtQuerySystemInformation's
 * SystemTimeOfDayInformation: ntdll has it on every Windows from NT 4 on,
 * 2003 included, and wine has it); else now less the uptime: GetTickCount64
 * (Vista on), else GetTickCount, which wraps after 49.7 days: a longer
 * uptime then puts `since` after the real boot, and the window read is
 * narrower than "since boot" (the source says so in measured).
 */
static int64_t boot_time(const char **ret_source)
{
	HMODULE nt = GetModuleHandleA("ntdll.dll"), k = GetModuleHandleA("kernel32.dll");
	ntqsi_fn q = nt ? (ntqsi_fn)(void (*)(void))GetProcAddress(nt, "NtQuerySystemInformation") : NULL;
	tick64_fn t64 = k ? (tick64_fn)(void (*)(void))GetProcAddress(k, "GetTickCount64") : NULL;
	struct timeofday tod = { 0 };
	ULONG got = 0;
	uint64_t up_ms;
	int64_t now = 0;

	/* The structure grew after NT 4 (32 bytes there, 48 since): ask for
	 * the part with the boot time. */
	if (q && (q(SYSTEM_TIME_OF_DAY_INFORMATION, &tod, sizeof(tod), &got) >= 0 ||
		  q(SYSTEM_TIME_OF_DAY_INFORMATION, &tod, 32, &got) >= 0) &&
	    tod.boot_time.QuadPart > EPOCH_DIFF_100NS) {
		*ret_source = "NtQuerySystemInformation(SystemTimeOfDayInformation).BootTime";
		return (tod.boot_time.QuadPart - EPOCH_DIFF_100NS) / 10000000LL;
	}
	if (kit_realtime_ns(&now) < 0) {
		*ret_source = "none: the clock is unreadable";
		return 0;
	}
	up_ms = t64 ? t64() : GetTickCount();
	*ret_source = t64 ? "now less GetTickCount64"
			  : "now less GetTickCount (wraps after 49.7 days: a longer uptime narrows the window)";
	return now / 1000000000LL - (int64_t)(up_ms / 1000);
}

void kit_check_windows_event_log(const struct kit_ctx *ctx, struct kit_out *out)
{
	HANDLE log = OpenEventLogA(NULL, "System");
	DWORD records = 0, oldest = 0, size = 64 * 1024, got, need, err = 0;
	uint64_t counts[KIT_EVENT__MAX] = { 0 }, read = 0;
	const char *since_source = NULL;
	int64_t since = boot_time(&since_source);
	char *buf = NULL, first[200] = "", when[32], unreadable[200] = "";
	json_t *jc = json_object();
	struct kit_verdict v;
	bool done = false;

	(void)ctx;
	cv_time_iso8601(since, when, sizeof(when));
	json_object_set_new(out->measured, "log", json_string("System"));
	json_object_set_new(out->measured, "since", json_string(when));
	json_object_set_new(out->measured, "since_source", json_string(since_source));
	if (!log) {
		json_object_set_new(out->measured, "unreadable",
				    json_sprintf("OpenEventLog: error %lu", (unsigned long)GetLastError()));
		kit_set(out, KIT_SKIP, "the System event log cannot be opened: error %lu", (unsigned long)GetLastError());
		goto out;
	}
	/* Every Windows logs its own start (EventLog 6005) in the System log:
	 * one that reports no record at all is not kept here (wine's event
	 * log is such a stub), and proves nothing. */
	if (!GetNumberOfEventLogRecords(log, &records) || !GetOldestEventLogRecord(log, &oldest) || !records) {
		json_object_set_new(out->measured, "unreadable",
				    json_string("the System event log reports no record: the event log service keeps none here"));
		kit_decide_event_log("the System event log reports no record (not even the event log's own start, "
				     "EventLog 6005): it is not kept here, and shows nothing",
				     counts, NULL, 0, &v);
		kit_apply(out, &v);
		goto out;
	}
	buf = cv_xmalloc(size);
	while (!done && read < READ_MAX) {
		if (!ReadEventLogA(log, EVENTLOG_SEQUENTIAL_READ | EVENTLOG_BACKWARDS_READ, 0, buf, size, &got, &need)) {
			err = GetLastError();
			if (err == ERROR_INSUFFICIENT_BUFFER && need > size && need < 16 * 1024 * 1024) {
				size = need;
				buf = cv_xrealloc(buf, size);
				err = 0;
				continue;
			}
			/* ERROR_HANDLE_EOF: the oldest record was read.  Anything
			 * else (a log cleared or corrupt while read, a record larger
			 * than 16 MiB) leaves the rest since boot unread. */
			if (err == ERROR_HANDLE_EOF)
				err = 0;
			break;
		}
		for (DWORD off = 0; off + sizeof(EVENTLOGRECORD) <= got && !done;) {
			const EVENTLOGRECORD *r = (const EVENTLOGRECORD *)(void *)(buf + off);
			char source[128];
			int k;

			if (r->Length < sizeof(*r) || off + r->Length > got)
				break;
			/* The source name follows the record's fixed part, NUL-terminated within it. */
			snprintf(source, sizeof(source), "%.*s", (int)strnlen((const char *)(r + 1), r->Length - sizeof(*r)),
				 (const char *)(r + 1));
			/* Newest first: at the first record older than the boot, the rest are older still. */
			if ((int64_t)r->TimeGenerated < since) {
				done = true;
				break;
			}
			read++;
			k = classify(source, r->EventID & 0xFFFF, r->EventType);
			if (k >= 0) {
				counts[k]++;
				cv_time_iso8601((int64_t)r->TimeGenerated, when, sizeof(when));
				/* Newest first: the last one kept is the earliest since boot. */
				snprintf(first, sizeof(first), "%s event %lu at %s (%s)", source,
					 (unsigned long)(r->EventID & 0xFFFF), when, kit_event_kinds[k]);
			}
			off += r->Length;
		}
	}
	if (err) {
		snprintf(unreadable, sizeof(unreadable),
			 "ReadEventLog failed (error %lu) after %llu records since boot: the rest of the System log "
			 "since boot is unread",
			 (unsigned long)err, (unsigned long long)read);
		json_object_set_new(out->measured, "unreadable", json_string(unreadable));
	}
	for (int k = 0; k < KIT_EVENT__MAX; k++)
		json_object_set_new(jc, kit_event_kinds[k], json_integer((json_int_t)counts[k]));
	json_object_set_new(out->measured, "records", json_integer((json_int_t)records));
	json_object_set_new(out->measured, "records_read", json_integer((json_int_t)read));
	json_object_set(out->measured, "counts", jc);
	json_object_set_new(out->threshold, "counts", json_integer(0));
	{
		char *clean = cv_str_sanitize(first, strlen(first), sizeof(first));

		json_object_set_new(out->measured, "earliest", first[0] ? json_string(clean) : json_null());
		kit_decide_event_log(err ? unreadable : NULL, counts, clean, read, &v);
		kit_apply(out, &v);
		free(clean);
	}
out:
	json_decref(jc);
	free(buf);
	if (log)
		CloseEventLog(log);
}

/* ---- self-tests: isolation works ---- */

void kit_check_selftest_crash(const struct kit_ctx *ctx, struct kit_out *out)
{
	(void)ctx;
	(void)out;
	/* An access violation the same way in every build. */
	RaiseException(EXCEPTION_ACCESS_VIOLATION, EXCEPTION_NONCONTINUABLE, 0, NULL);
}

void kit_check_selftest_hang(const struct kit_ctx *ctx, struct kit_out *out)
{
	(void)ctx;
	(void)out;
	for (;;)
		Sleep(INFINITE);
}
