/*
 * win/health.c - what a Windows guest measures of itself for the report
 * (Linux's: ../health-linux.c), with the APIs of Windows Server 2003:
 * CPU use since the last report (GetSystemTimes, XP SP1 / 2003 on),
 * memory (GlobalMemoryStatusEx), space on the fixed drives
 * (GetLogicalDriveStrings, GetDriveType, GetDiskFreeSpaceEx), and errors
 * in the System event log since the last report (ReadEventLog: the
 * classic event log API; the Vista one, wevtapi, is not on 2003).
 * Windows has no load average: "load" stays null.
 *
 * The event log position is the record number last read (kept where
 * Linux keeps /dev/kmsg's sequence number).  The first report starts at
 * the newest record: the System log holds months, and errors from before
 * the agent watched are not news.
 */
#include <windows.h>
#include <jansson.h>

#include "agent/agent-internal.h"
#include "util/cv.h"

#define ERRORS_RECENT 5
#define EVENTS_MAX 20000
#define DISKS_MAX 26

static double round1(double v)
{
	return (double)(long long)(v * 10 + 0.5) / 10;
}

static uint64_t ft64(FILETIME f)
{
	return (uint64_t)f.dwHighDateTime << 32 | f.dwLowDateTime;
}

static void cpu(struct agent_runstate *st, json_t *h)
{
	typedef BOOL(WINAPI * gst_fn)(LPFILETIME, LPFILETIME, LPFILETIME);
	gst_fn gst = (gst_fn)(void (*)(void))GetProcAddress(GetModuleHandleA("kernel32.dll"), "GetSystemTimes");
	FILETIME idle, kernel, user;
	uint64_t total, id;

	if (!gst || !gst(&idle, &kernel, &user))
		return;
	/* Kernel time includes the idle time (GetSystemTimes' documentation). */
	total = ft64(kernel) + ft64(user);
	id = ft64(idle);
	if (st->have_cpu && total > st->cpu_total && id >= st->cpu_idle && id - st->cpu_idle <= total - st->cpu_total)
		json_object_set_new(h, "cpu_pct",
				    json_real(round1(100.0 * (double)((total - st->cpu_total) - (id - st->cpu_idle)) /
						     (double)(total - st->cpu_total))));
	st->have_cpu = true;
	st->cpu_total = total;
	st->cpu_idle = id;
}

static void mem(json_t *h)
{
	MEMORYSTATUSEX m = { .dwLength = sizeof(m) };

	if (!GlobalMemoryStatusEx(&m) || m.ullTotalPhys == 0)
		return;
	json_object_set_new(h, "mem_pct",
			    json_real(round1(100.0 * (double)(m.ullTotalPhys - m.ullAvailPhys) / (double)m.ullTotalPhys)));
	json_object_set_new(h, "mem_total_mib", json_integer((json_int_t)(m.ullTotalPhys / (1024 * 1024))));
}

static void disks(json_t *h)
{
	json_t *a = json_object_get(h, "disks");
	char drives[26 * 4 + 1];
	DWORD n = GetLogicalDriveStringsA(sizeof(drives) - 1, drives);

	if (n == 0 || n >= sizeof(drives))
		return;
	for (const char *d = drives; *d && json_array_size(a) < DISKS_MAX; d += strlen(d) + 1) {
		ULARGE_INTEGER avail, total, free_;
		UINT old;

		if (GetDriveTypeA(d) != DRIVE_FIXED)
			continue;
		/* No "insert a disk" box for a drive that is not ready. */
		old = SetErrorMode(SEM_FAILCRITICALERRORS);
		if (GetDiskFreeSpaceExA(d, &avail, &total, &free_) && total.QuadPart > 0) {
			double used = (double)(total.QuadPart - free_.QuadPart);

			json_array_append_new(a, json_pack("{s:s, s:f, s:I}", "path", d, "used_pct",
							   round1(100.0 * used / (used + (double)avail.QuadPart)), "free_mib",
							   (json_int_t)(avail.QuadPart / (1024 * 1024))));
		}
		SetErrorMode(old);
	}
}

static void errors(struct agent_runstate *st, json_t *h)
{
	HANDLE log = OpenEventLogA(NULL, "System");
	DWORD oldest = 0, count = 0, newest, next, bufsize = 64 * 1024;
	json_t *recent;
	BYTE *buf;
	int errs = 0, read_ = 0;

	if (!log) {
		json_object_set_new(h, "errors", json_pack("{s:b, s:s}", "available", 0, "why",
							   "the System event log cannot be opened (OpenEventLog)"));
		return;
	}
	if (!GetOldestEventLogRecord(log, &oldest) || !GetNumberOfEventLogRecords(log, &count)) {
		CloseEventLog(log);
		json_object_set_new(h, "errors", json_pack("{s:b, s:s}", "available", 0, "why",
							   "the System event log cannot be read"));
		return;
	}
	newest = count ? oldest + count - 1 : 0;
	recent = json_array();
	if (!st->have_kmsg || st->kmsg_seq > newest) {
		/* The first report, or a cleared log: start at the newest. */
		st->have_kmsg = true;
		st->kmsg_seq = newest;
		goto done;
	}
	next = (DWORD)st->kmsg_seq + 1 < oldest ? oldest : (DWORD)st->kmsg_seq + 1;
	buf = cv_xmalloc(bufsize);
	while (count && next <= newest && read_ < EVENTS_MAX) {
		DWORD got = 0, need = 0;

		if (!ReadEventLogA(log, EVENTLOG_SEEK_READ | EVENTLOG_FORWARDS_READ, next, buf, bufsize, &got, &need)) {
			if (GetLastError() == ERROR_INSUFFICIENT_BUFFER && need > bufsize && need <= 1024 * 1024) {
				bufsize = need;
				buf = cv_xrealloc(buf, bufsize);
				continue;
			}
			break;
		}
		for (DWORD off = 0; off + sizeof(EVENTLOGRECORD) <= got;) {
			EVENTLOGRECORD *e = (EVENTLOGRECORD *)(buf + off);

			if (e->Length < sizeof(EVENTLOGRECORD) || off + e->Length > got)
				break;
			read_++;
			if (e->RecordNumber >= next)
				next = e->RecordNumber + 1;
			if (e->EventType == EVENTLOG_ERROR_TYPE) {
				/* The source name follows the fixed part; the
				 * message needs the source's DLL: the id says it. */
				const char *src = (const char *)(e + 1);
				size_t max = e->Length - sizeof(EVENTLOGRECORD);
				char *clean = cv_str_sanitize(src, strnlen(src, max), 128);
				char id[16];

				errs++;
				snprintf(id, sizeof(id), "%lu", (unsigned long)(e->EventID & 0xffff));
				json_array_append_new(recent, json_pack("s+++", clean, ": event ", id, ""));
				free(clean);
				if (json_array_size(recent) > ERRORS_RECENT)
					json_array_remove(recent, 0);
			}
			off += e->Length;
		}
	}
	free(buf);
	st->kmsg_seq = next - 1;
done:
	CloseEventLog(log);
	json_object_set_new(h, "errors", json_pack("{s:i, s:o}", "count", errs, "recent", recent));
}

void agent_health_sys(struct agent_health_ctx *ctx, json_t *h)
{
	cpu(ctx->state, h);
	mem(h);
	disks(h);
	errors(ctx->state, h);
}
