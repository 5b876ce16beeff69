/*
 * win/service.c - the agent as a Windows service: `covalid.exe agent
 * service install --state DIR` registers "covalid-agent" (automatic start,
 * LocalSystem) to run `covalid.exe agent run --service --state DIR`; the
 * service control manager starts it, StartServiceCtrlDispatcher hands the
 * thread to the service main, which runs agent_run() until
 * SERVICE_CONTROL_STOP (or shutdown) calls agent_stop().  Only the APIs of
 * Windows Server 2003 (RegisterServiceCtrlHandler, not the Ex form's
 * newer controls).
 */
#include <windows.h>

#include "agent/agent-internal.h"
#include "util/cv.h"

#define SERVICE_NAME "covalid-agent"

static const struct agent_run_options *svc_opt;
static SERVICE_STATUS_HANDLE svc_handle;
static SERVICE_STATUS svc_status;
static int svc_result;

static void set_state(DWORD state, DWORD code)
{
	svc_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	svc_status.dwCurrentState = state;
	svc_status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
	svc_status.dwWin32ExitCode = code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
	svc_status.dwServiceSpecificExitCode = code;
	svc_status.dwWaitHint = state == SERVICE_STOP_PENDING ? 20000 : 0;
	SetServiceStatus(svc_handle, &svc_status);
}

static void WINAPI svc_control(DWORD control)
{
	if (control == SERVICE_CONTROL_STOP || control == SERVICE_CONTROL_SHUTDOWN) {
		set_state(SERVICE_STOP_PENDING, 0);
		agent_stop();
	} else {
		SetServiceStatus(svc_handle, &svc_status);
	}
}

static void WINAPI svc_main(DWORD argc, LPSTR *argv)
{
	(void)argc;
	(void)argv;
	svc_handle = RegisterServiceCtrlHandlerA(SERVICE_NAME, svc_control);
	if (!svc_handle)
		return;
	set_state(SERVICE_RUNNING, 0);
	svc_result = agent_run(svc_opt, NULL);
	set_state(SERVICE_STOPPED, svc_result < 0 && svc_result != -EAGAIN ? (DWORD)-svc_result : 0);
}

int agent_service_main(const struct agent_run_options *opt, char **ret_why)
{
	static char name[] = SERVICE_NAME;
	SERVICE_TABLE_ENTRYA table[] = { { name, svc_main }, { NULL, NULL } };
	struct agent_run_options o = *opt;

	o.once = false;
	svc_opt = &o;
	if (!StartServiceCtrlDispatcherA(table)) {
		DWORD e = GetLastError();

		if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
			return agent_fail(ret_why, -EINVAL, "agent run --service: not started by the service control manager "
							    "(install it with: covalid agent service install --state DIR)");
		return agent_fail(ret_why, -EINVAL, "agent run --service: StartServiceCtrlDispatcher failed (error %lu)",
				  (unsigned long)e);
	}
	return svc_result == -EAGAIN ? 0 : svc_result;
}

static const char *win_error(DWORD e)
{
	switch (e) {
	case ERROR_ACCESS_DENIED: return "access denied (run as an administrator)";
	case ERROR_SERVICE_EXISTS: return "the service exists already (uninstall it first)";
	case ERROR_SERVICE_DOES_NOT_EXIST: return "no such service";
	case ERROR_SERVICE_MARKED_FOR_DELETE: return "the service is marked for deletion (reboot, or close the Services console)";
	default: return "the service control manager refused";
	}
}

int agent_service_install(const char *state_dir, char **ret_why)
{
	char exe[MAX_PATH], dir[MAX_PATH], *cmd = NULL;
	SC_HANDLE scm = NULL, svc = NULL;
	SERVICE_DESCRIPTIONA desc;
	static char text[] = "Reports this machine's configuration and health to the covalid server.";
	DWORD n;
	int r;

	n = GetModuleFileNameA(NULL, exe, sizeof(exe));
	if (n == 0 || n >= sizeof(exe))
		return agent_fail(ret_why, -EIO, "agent service install: cannot find covalid.exe's own path");
	n = GetFullPathNameA(state_dir, sizeof(dir), dir, NULL);
	if (n == 0 || n >= sizeof(dir) || strchr(dir, '"'))
		return agent_fail(ret_why, -EINVAL, "--state %s: not a usable path", state_dir);
	r = agent_sys_check_private_dir(dir, ret_why);
	if (r < 0)
		return r;
	cmd = cv_xasprintf("\"%s\" agent run --service --state \"%s\"", exe, dir);
	scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
	if (!scm) {
		r = agent_fail(ret_why, -EACCES, "agent service install: %s", win_error(GetLastError()));
		goto out;
	}
	svc = CreateServiceA(scm, SERVICE_NAME, "covalid monitoring agent", SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
			     SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL, NULL);
	if (!svc) {
		DWORD e = GetLastError();

		r = agent_fail(ret_why, e == ERROR_SERVICE_EXISTS ? -EEXIST : -EACCES, "agent service install: %s",
			       win_error(e));
		goto out;
	}
	desc.lpDescription = text;
	(void)ChangeServiceConfig2A(svc, SERVICE_CONFIG_DESCRIPTION, &desc);
	r = 0;
out:
	if (svc)
		CloseServiceHandle(svc);
	if (scm)
		CloseServiceHandle(scm);
	free(cmd);
	return r;
}

int agent_service_uninstall(char **ret_why)
{
	SC_HANDLE scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT), svc = NULL;
	SERVICE_STATUS st;
	int r = 0;

	if (!scm)
		return agent_fail(ret_why, -EACCES, "agent service uninstall: %s", win_error(GetLastError()));
	svc = OpenServiceA(scm, SERVICE_NAME, SERVICE_STOP | DELETE | SERVICE_QUERY_STATUS);
	if (!svc) {
		DWORD e = GetLastError();

		r = agent_fail(ret_why, e == ERROR_SERVICE_DOES_NOT_EXIST ? -ENOENT : -EACCES, "agent service uninstall: %s",
			       win_error(e));
		goto out;
	}
	(void)ControlService(svc, SERVICE_CONTROL_STOP, &st);
	if (!DeleteService(svc))
		r = agent_fail(ret_why, -EACCES, "agent service uninstall: %s", win_error(GetLastError()));
out:
	if (svc)
		CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return r;
}
