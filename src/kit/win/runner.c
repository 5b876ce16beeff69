/*
 * win/runner.c - the runner's process part on Windows (kit-internal.h,
 * kit_os_*).  Windows has no fork(): each check runs in a new process of
 * this very executable (GetModuleFileName), started with the hidden
 * command `kit __child ID TMPDIR OPTIONS` (kit_child_main, runner.c),
 * whose one JSON result object arrives on a pipe standing for its stdout.
 * The parent reads the pipe while it waits for the process, up to the
 * check's limit; a process still running then is ended with
 * TerminateProcess().  A crash (an unhandled exception: its code is the
 * exit code) or a hang is "error", as on Linux.
 *
 * The child judges against the descriptor the parent probed: the parent
 * writes it once into the run's directory (KIT_CHILD_DESCRIPTOR).
 */
#include <windows.h>

#include "covalid/descriptor.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

/* Appends arg quoted by the rules CommandLineToArgvW and the C runtime
 * read it back with: backslashes are literal except before a quote. */
static void quote_arg(struct cv_buf *b, const char *arg)
{
	/* No space before the program's name: the C runtime would read an empty argv[0]. */
	(void)!cv_buf_puts(b, b->len ? " \"" : "\"");
	for (const char *p = arg;; p++) {
		size_t slashes = 0;

		while (*p == '\\') {
			slashes++;
			p++;
		}
		if (!*p) {
			/* Doubled before the closing quote. */
			for (size_t i = 0; i < slashes * 2; i++)
				(void)!cv_buf_puts(b, "\\");
			break;
		}
		if (*p == '"') {
			for (size_t i = 0; i < slashes * 2 + 1; i++)
				(void)!cv_buf_puts(b, "\\");
		} else
			for (size_t i = 0; i < slashes; i++)
				(void)!cv_buf_puts(b, "\\");
		(void)!cv_buf_append(b, p, 1);
	}
	(void)!cv_buf_puts(b, "\"");
}

/* s (the ANSI code page, as argv and the A calls have it) in UTF-16; NULL
 * if it does not convert. */
static wchar_t *wide_of_acp(const char *s)
{
	int n = MultiByteToWideChar(CP_ACP, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return NULL;
	w = cv_xcalloc((size_t)n, sizeof(*w));
	if (MultiByteToWideChar(CP_ACP, MB_ERR_INVALID_CHARS, s, -1, w, n) != n)
		w = cv_free(w);
	return w;
}

/* w in the ANSI code page; NULL if a character of it has no place there
 * (the A calls would see '?' or a look-alike instead). */
static char *acp_of_wide(const wchar_t *w)
{
	BOOL lossy = FALSE;
	int n = WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, NULL, 0, NULL, &lossy);
	char *s;

	if (n <= 0 || lossy)
		return NULL;
	s = cv_xmalloc((size_t)n);
	if (WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, s, n, NULL, &lossy) != n || lossy)
		s = cv_free(s);
	return s;
}

/* The descriptor file of the run, written once. */
static int write_descriptor(const struct kit_ctx *ctx, char *why, size_t why_size)
{
	char *path = cv_xasprintf("%s\\%s", ctx->tmpdir, KIT_CHILD_DESCRIPTOR), *json = NULL;
	int r = 0;

	if (GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES) {
		json = descriptor_to_json(ctx->d, false);
		r = json ? cv_write_file_atomic(path, json, strlen(json), 0600) : -ENOMEM;
		if (r < 0)
			snprintf(why, why_size, "cannot write %s: %s", path, strerror(-r));
	}
	free(json);
	free(path);
	return r;
}

/* The name of the exceptions a crashed check most likely died of. */
static const char *exception_name(DWORD code)
{
	switch (code) {
	case EXCEPTION_ACCESS_VIOLATION: return "access violation";
	case EXCEPTION_STACK_OVERFLOW: return "stack overflow";
	case EXCEPTION_ILLEGAL_INSTRUCTION: return "illegal instruction";
	case EXCEPTION_INT_DIVIDE_BY_ZERO: return "integer division by zero";
	case EXCEPTION_PRIV_INSTRUCTION: return "privileged instruction";
	case EXCEPTION_IN_PAGE_ERROR: return "in-page error";
	case 0xC0000409: return "stack buffer overrun"; /* STATUS_STACK_BUFFER_OVERRUN */
	default: return "unhandled exception";
	}
}

/* Reads what is in the pipe now, never waiting; 1 if it ended (every
 * writer closed it), 0 if not, -1 too big. */
static int drain(HANDLE rd, struct cv_buf *out)
{
	char chunk[8192];

	for (;;) {
		DWORD avail = 0, got = 0;

		if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
			return 1; /* broken: every writer closed it */
		if (!avail)
			return 0;
		/* avail bytes are there: this ReadFile returns at once. */
		if (!ReadFile(rd, chunk, avail < sizeof(chunk) ? avail : sizeof(chunk), &got, NULL))
			return 1;
		if (!got)
			return 1;
		if (cv_buf_append(out, chunk, got) < 0)
			return -1;
	}
}

/* After the child's exit, how long its last bytes may take to be read.
 * The pipe normally breaks at once (the child held the only write end),
 * but the handles are inheritable: a process started meanwhile by anyone
 * with bInheritHandles could hold a copy and keep the pipe open for ever,
 * so the runner reads what is there until the pipe breaks or this
 * deadline passes, and never blocks on it. */
#define FINAL_DRAIN_S 1.0

int kit_os_run_child(const struct kit_check *c, const struct kit_ctx *ctx, double limit, struct cv_buf *out, char *why,
		     size_t why_size)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	STARTUPINFOW si = { .cb = sizeof(si) };
	PROCESS_INFORMATION pi = { 0 };
	HANDLE rd = NULL, wr = NULL;
	struct cv_buf cmd;
	struct cv_strv args;
	/* The program's path in UTF-16 (its folder may have any name: a user
	 * profile's), the arguments in the ANSI code page the child's C
	 * runtime reads them back in (kit_child_args: ids, options, the run's
	 * directory, all from this process's argv or the A calls). */
	wchar_t exe[32768], *wargs = NULL, *wcmd = NULL;
	size_t nexe, nargs;
	double deadline = kit_now() + limit;
	bool timed_out = false, too_big = false;
	DWORD code = 0, n;
	int r = -1;

	cv_strv_init(&args);
	cv_buf_init(&cmd, 32768); /* CreateProcess's limit on a command line */
	n = GetModuleFileNameW(NULL, exe, CV_ELEMENTSOF(exe));
	if (!n || n >= CV_ELEMENTSOF(exe)) {
		snprintf(why, why_size, "cannot tell this program's path (GetModuleFileName: error %lu)",
			 (unsigned long)GetLastError());
		goto out;
	}
	if (write_descriptor(ctx, why, why_size) < 0)
		goto out;
	kit_child_args(c, ctx, &args);
	/* argv[0]: a Windows path holds no '"' and does not end in '\\', so
	 * quotes around it are the whole of the quoting rules. */
	(void)!cv_buf_puts(&cmd, "\"x\"");
	for (size_t i = 0; i < args.n; i++)
		quote_arg(&cmd, args.v[i]);
	if (!(wargs = wide_of_acp((const char *)cmd.data + 3))) {
		snprintf(why, why_size, "the child's arguments are not in the ANSI code page");
		goto out;
	}
	nexe = wcslen(exe);
	nargs = wcslen(wargs);
	wcmd = cv_xcalloc(nexe + nargs + 3, sizeof(*wcmd));
	wcmd[0] = L'"';
	memcpy(wcmd + 1, exe, nexe * sizeof(*wcmd));
	wcmd[nexe + 1] = L'"';
	memcpy(wcmd + nexe + 2, wargs, nargs * sizeof(*wcmd));
	if (!CreatePipe(&rd, &wr, &sa, 0) || !SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0)) {
		snprintf(why, why_size, "cannot create a pipe: error %lu", (unsigned long)GetLastError());
		goto out;
	}
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = INVALID_HANDLE_VALUE;
	si.hStdOutput = wr;
	si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
	/* No error box for a crash: the child's crash is a result, not a
	 * question to a person.  The child inherits the error mode. */
	SetErrorMode(SetErrorMode(0) | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	fflush(stdout);
	fflush(stderr);
	if (!CreateProcessW(exe, wcmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
		snprintf(why, why_size, "cannot start this program again (CreateProcess: error %lu)",
			 (unsigned long)GetLastError());
		goto out;
	}
	CloseHandle(wr);
	wr = NULL;
	for (;;) {
		double left = deadline - kit_now();
		int d = drain(rd, out);

		if (d < 0) {
			too_big = true;
			break;
		}
		if (WaitForSingleObject(pi.hProcess, 0) == WAIT_OBJECT_0) {
			double until = kit_now() + FINAL_DRAIN_S;

			while ((d = drain(rd, out)) == 0 && kit_now() < until)
				Sleep(10);
			too_big = d < 0;
			break;
		}
		if (left <= 0) {
			timed_out = true;
			break;
		}
		WaitForSingleObject(pi.hProcess, left < 0.01 ? (DWORD)(left * 1000) + 1 : 10);
	}
	if (timed_out || too_big) {
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, INFINITE);
	}
	if (!GetExitCodeProcess(pi.hProcess, &code))
		code = (DWORD)-1;
	if (timed_out)
		snprintf(why, why_size, "timed out after %.0f s: terminated", limit);
	else if (too_big)
		snprintf(why, why_size, "its result was larger than 4 MiB");
	else if (code >= 0xC0000000UL)
		snprintf(why, why_size, "crashed: exception 0x%08lX (%s)", (unsigned long)code, exception_name(code));
	else if (code != 0 || out->len == 0)
		snprintf(why, why_size, "exited with status %lu without a result", (unsigned long)code);
	else
		r = 0;
out:
	if (pi.hProcess)
		CloseHandle(pi.hProcess);
	if (pi.hThread)
		CloseHandle(pi.hThread);
	if (rd)
		CloseHandle(rd);
	if (wr)
		CloseHandle(wr);
	cv_buf_release(&cmd);
	cv_strv_release(&args);
	free(wargs);
	free(wcmd);
	return r;
}

/*
 * The child's crash is its result: the process ends at once with the
 * exception's code, which the parent names.  Without this filter Windows
 * Error Reporting (or wine's debugger) would take seconds over it first,
 * and the check's time limit could run out before the crash is seen.
 */
static LONG WINAPI end_at_once(EXCEPTION_POINTERS *e)
{
	TerminateProcess(GetCurrentProcess(), e && e->ExceptionRecord ? e->ExceptionRecord->ExceptionCode : 1);
	return EXCEPTION_EXECUTE_HANDLER;
}

void kit_os_child_setup(void)
{
	SetErrorMode(SetErrorMode(0) | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	SetUnhandledExceptionFilter(end_at_once);
}

static int make_dir(const char *parent, char **ret, char **ret_error);

int kit_os_mkdtemp(const char *parent, char **ret, char **ret_error)
{
	wchar_t wtmp[MAX_PATH + 1], wshort[MAX_PATH + 1];
	char *tmp = NULL;
	DWORD n;
	int r;

	if (!parent) {
		/* GetTempPath: %TMP%, %TEMP%, %USERPROFILE% or the Windows
		 * directory.  The kit's paths are in the ANSI code page (its
		 * argv, the C runtime's files): a folder whose name has no place
		 * there (a profile named in another script) is taken by its
		 * short 8.3 name, which is. */
		n = GetTempPathW(CV_ELEMENTSOF(wtmp), wtmp);
		if (!n || n >= CV_ELEMENTSOF(wtmp)) {
			*ret_error = cv_xasprintf("cannot find the temporary directory (GetTempPath: error %lu)",
						  (unsigned long)GetLastError());
			return -ENOENT;
		}
		while (n > 3 && (wtmp[n - 1] == L'\\' || wtmp[n - 1] == L'/'))
			wtmp[--n] = L'\0';
		tmp = acp_of_wide(wtmp);
		if (!tmp) {
			n = GetShortPathNameW(wtmp, wshort, CV_ELEMENTSOF(wshort));
			if (n && n < CV_ELEMENTSOF(wshort))
				tmp = acp_of_wide(wshort);
		}
		if (!tmp) {
			*ret_error = cv_xasprintf("the temporary directory's name has characters outside the ANSI code "
						  "page and no short name: give --dir");
			return -EILSEQ;
		}
		parent = tmp;
	}
	r = make_dir(parent, ret, ret_error);
	free(tmp);
	return r;
}

/* A new directory of the kit's, covalid-kit.PID.N, in parent. */
static int make_dir(const char *parent, char **ret, char **ret_error)
{
	for (unsigned i = 0; i < 100; i++) {
		char *dir = cv_xasprintf("%s\\covalid-kit.%lu.%lu", parent, (unsigned long)GetCurrentProcessId(),
					 (unsigned long)(GetTickCount() + i * 7919));

		if (CreateDirectoryA(dir, NULL)) {
			*ret = dir;
			return 0;
		}
		free(dir);
		if (GetLastError() != ERROR_ALREADY_EXISTS) {
			*ret_error = cv_xasprintf("%s: cannot make the kit's directory: error %lu", parent,
						  (unsigned long)GetLastError());
			return -EIO;
		}
	}
	*ret_error = cv_xasprintf("%s: cannot make the kit's directory: every name was taken", parent);
	return -EEXIST;
}

void kit_os_rmtree(const char *dir)
{
	char *pattern = cv_xasprintf("%s\\*", dir);
	WIN32_FIND_DATAA f;
	HANDLE h = FindFirstFileA(pattern, &f);

	if (h != INVALID_HANDLE_VALUE) {
		do {
			char *path;

			if (strcmp(f.cFileName, ".") == 0 || strcmp(f.cFileName, "..") == 0)
				continue;
			path = cv_xasprintf("%s\\%s", dir, f.cFileName);
			/* A reparse point is removed, not followed. */
			if ((f.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
			    !(f.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
				kit_os_rmtree(path);
			else {
				SetFileAttributesA(path, FILE_ATTRIBUTE_NORMAL);
				if (f.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
					RemoveDirectoryA(path);
				else
					DeleteFileA(path);
			}
			free(path);
		} while (FindNextFileA(h, &f));
		FindClose(h);
	}
	RemoveDirectoryA(dir);
	free(pattern);
}
