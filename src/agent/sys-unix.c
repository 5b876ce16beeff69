/*
 * sys-unix.c - the agent's system calls on Linux (Windows's: win/sys.c):
 * host name, identity sources, permissions of the state, time, sleep;
 * and the Windows service mode's absence.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "covalid/root.h"
#include "util/cv.h"

char *agent_sys_hostname(void)
{
	char h[256];

	if (gethostname(h, sizeof(h) - 1) < 0 || !h[0])
		return cv_xstrdup("localhost");
	h[sizeof(h) - 1] = '\0';
	return cv_xstrdup(h);
}

const char *agent_sys_os(void)
{
	return "linux";
}

/*
 * /etc/machine-id (systemd's, or dbus's var/lib/dbus/machine-id on older
 * systems: RHEL 5 has only the latter) and DMI's product_uuid, readable
 * by root only.  Both through the root, so a fixture is a machine too.
 */
int agent_sys_identity(const char *root, char **ret, char **ret_why)
{
	struct cv_root *r = NULL;
	char *id = NULL, *uuid = NULL;
	int e;

	e = cv_root_open(root, &r);
	if (e < 0)
		return agent_fail(ret_why, e, "%s: not a directory", root ? root : "/");
	if (cv_root_read_line(r, "etc/machine-id", &id) < 0 || !*id) {
		id = cv_free(id);
		if (cv_root_read_line(r, "var/lib/dbus/machine-id", &id) < 0 || !*id)
			id = cv_free(id);
	}
	if (cv_root_read_line(r, "sys/class/dmi/id/product_uuid", &uuid) < 0 || !cv_uuid_well_formed(uuid) ||
	    cv_uuid_all(uuid, '0') || cv_uuid_all(uuid, 'f'))
		uuid = cv_free(uuid);
	cv_root_free(r);
	if (!id && !uuid)
		return agent_fail(ret_why, -ENOENT,
				  "no machine identity: neither /etc/machine-id nor DMI's product_uuid is readable");
	for (char *p = uuid; p && *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	*ret = cv_xasprintf("%s\n%s", id ? id : "", uuid ? uuid : "");
	free(id);
	free(uuid);
	return 0;
}

int agent_sys_check_private_dir(const char *dir, char **ret_why)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return agent_fail(ret_why, -errno, "state directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return agent_fail(ret_why, -ENOTDIR, "state directory %s: not a directory", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return agent_fail(ret_why, -EPERM, "state directory %s: others may write it (mode %04o); chmod 700 it",
				  dir, (unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return agent_fail(ret_why, -EPERM, "state directory %s: owned by uid %u, not by this user", dir,
				  (unsigned)st.st_uid);
	return 0;
}

int agent_sys_check_private_file(const char *path, char **ret_why)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return agent_fail(ret_why, -errno, "%s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return agent_fail(ret_why, -EPERM, "%s: others may read it (mode %04o), and it holds a credential; chmod 600 it",
				  path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int64_t agent_sys_wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void agent_sys_sleep_ms(int64_t ms)
{
	/* In slices, so that agent_stop() from a signal handler is seen soon
	 * even where nanosleep() is restarted. */
	while (ms > 0 && !agent_stopping()) {
		int64_t step = ms < 200 ? ms : 200;
		struct timespec ts = { .tv_sec = step / 1000, .tv_nsec = (long)(step % 1000) * 1000000 };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

int agent_service_install(const char *state_dir, char **ret_why)
{
	(void)state_dir;
	return agent_fail(ret_why, -ENOSYS, "agent service: Windows only (on Linux: contrib/systemd/covalid-agent.service)");
}

int agent_service_uninstall(char **ret_why)
{
	return agent_fail(ret_why, -ENOSYS, "agent service: Windows only (on Linux: contrib/systemd/covalid-agent.service)");
}

int agent_service_main(const struct agent_run_options *opt, char **ret_why)
{
	(void)opt;
	return agent_fail(ret_why, -ENOSYS, "agent run --service: Windows only");
}
