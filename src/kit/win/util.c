/*
 * win/util.c - the kit's threads, processors, clocks and memory on
 * Windows (kit-internal.h; Linux's are util-unix.c).  Windows Server 2003
 * SP2 and later: processors are those of the process's affinity mask
 * (one processor group: up to 64, which is every Windows before 2008 R2).
 */
#include <windows.h>
#include <process.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

/* 100 ns ticks from 1601-01-01 (FILETIME) to 1970-01-01. */
#define EPOCH_DIFF_100NS 116444736000000000ULL

double kit_now(void)
{
	/* QueryPerformanceCounter: monotonic, always present from XP on. */
	static LARGE_INTEGER freq;
	LARGE_INTEGER c;

	if (!freq.QuadPart && !QueryPerformanceFrequency(&freq))
		return 0;
	if (!QueryPerformanceCounter(&c) || !freq.QuadPart)
		return 0;
	return (double)(c.QuadPart / freq.QuadPart) + (double)(c.QuadPart % freq.QuadPart) / (double)freq.QuadPart;
}

int kit_realtime_ns(int64_t *ret)
{
	FILETIME ft;
	uint64_t t;

	GetSystemTimeAsFileTime(&ft);
	t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
	if (t < EPOCH_DIFF_100NS)
		return -ERANGE;
	*ret = (int64_t)((t - EPOCH_DIFF_100NS) * 100);
	return 0;
}

void kit_sleep_until(double t)
{
	for (;;) {
		double left = t - kit_now();

		if (left <= 0)
			return;
		Sleep(left > 1 ? 1000 : (DWORD)(left * 1000) + 1);
	}
}

int kit_pin(int cpu)
{
	if (cpu < 0 || cpu >= (int)(sizeof(DWORD_PTR) * 8))
		return -EINVAL;
	if (!SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << cpu))
		return -EINVAL;
	/* The thread runs on the processor from its next quantum: give it up now. */
	Sleep(0);
	return 0;
}

struct each {
	void *(*fn)(void *);
	void *arg;
	int cpu;
	int pin_error;
};

static unsigned __stdcall pinned(void *p)
{
	struct each *e = p;

	e->pin_error = kit_pin(e->cpu);
	if (!e->pin_error)
		e->fn(e->arg);
	return 0;
}

int kit_on_each_cpu(const struct kit_ctx *ctx, void *(*fn)(void *), void *args, size_t arg_size)
{
	HANDLE *t = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*t));
	struct each *e = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*e));
	int r = 0;

	for (size_t i = 0; i < ctx->n_cpus; i++) {
		e[i] = (struct each){ fn, (char *)args + i * arg_size, ctx->cpus[i], 0 };
		/* _beginthreadex, not CreateThread: the C runtime's per-thread state is set up. */
		t[i] = (HANDLE)_beginthreadex(NULL, 0, pinned, &e[i], 0, NULL);
		if (!t[i])
			abort();
	}
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		WaitForSingleObject(t[i], INFINITE);
		CloseHandle(t[i]);
		if (e[i].pin_error && !r)
			r = e[i].pin_error;
	}
	free(t);
	free(e);
	return r;
}

uint64_t kit_mem_available(void)
{
	MEMORYSTATUSEX m = { .dwLength = sizeof(m) };

	return GlobalMemoryStatusEx(&m) ? m.ullAvailPhys : 0;
}

void *kit_mem_map(size_t size)
{
	uint8_t *p = VirtualAlloc(NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);

	/* Touch every page now, as MAP_POPULATE does on Linux: the timing is of memory, not of page faults. */
	for (size_t i = 0; p && i < size; i += 4096)
		p[i] = 0;
	return p;
}

void kit_mem_unmap(void *p, size_t size)
{
	(void)size;
	VirtualFree(p, 0, MEM_RELEASE);
}

void kit_os_online_cpus(int **ret, size_t *ret_n)
{
	DWORD_PTR proc = 0, sys = 0;
	int *v = cv_xcalloc(sizeof(DWORD_PTR) * 8, sizeof(*v));
	size_t n = 0;

	if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys))
		for (int i = 0; i < (int)(sizeof(DWORD_PTR) * 8); i++)
			if (proc & ((DWORD_PTR)1 << i))
				v[n++] = i;
	if (!n)
		v[n++] = 0;
	*ret = v;
	*ret_n = n;
}

bool kit_os_privileged(void)
{
	SID_IDENTIFIER_AUTHORITY nt = { SECURITY_NT_AUTHORITY };
	PSID admins = NULL;
	BOOL member = FALSE;

	/* CheckTokenMembership (XP and later): in the Administrators group, enabled. */
	if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0, 0,
				      &admins))
		return false;
	if (!CheckTokenMembership(NULL, admins, &member))
		member = FALSE;
	FreeSid(admins);
	return member != FALSE;
}

void kit_os_host(char *buf, size_t size)
{
	char name[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD n = sizeof(name);

	if (GetComputerNameA(name, &n) && n)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "unknown");
}

json_t *kit_win_json_path(const char *acp, bool *ret_lossy)
{
	int wn = acp ? MultiByteToWideChar(CP_ACP, MB_ERR_INVALID_CHARS, acp, -1, NULL, 0) : 0;
	wchar_t *w = NULL;
	char *u = NULL;
	json_t *j = NULL;
	int un;

	if (!acp)
		return json_null();
	if (wn > 0) {
		w = cv_xcalloc((size_t)wn, sizeof(*w));
		if (MultiByteToWideChar(CP_ACP, MB_ERR_INVALID_CHARS, acp, -1, w, wn) == wn &&
		    (un = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL)) > 0) {
			u = cv_xmalloc((size_t)un);
			if (WideCharToMultiByte(CP_UTF8, 0, w, -1, u, un, NULL, NULL) == un)
				j = json_string(u);
		}
	}
	if (!j) {
		char *clean = cv_str_sanitize(acp, strlen(acp), strlen(acp));

		*ret_lossy = true;
		j = json_string(clean);
		free(clean);
	}
	free(w);
	free(u);
	return j ? j : json_string("?");
}
