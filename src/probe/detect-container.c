/*
 * detect-container.c - is this a container, and whose.
 *
 * The order and the vocabulary are systemd's detect_container()
 * (src/basic/virt.c): OpenVZ's /proc files, WSL's kernel release, proot's
 * tracer, the files container managers leave (/run/host/container-manager,
 * /run/systemd/container), PID 1's environment, then /run/.containerenv
 * (podman) and /.dockerenv (docker); then virt-what's additions
 * (/.dockerinit of old docker, a Linux-VServer context in
 * /proc/self/status); then systemd's last resort, a cgroup namespace
 * (container-other); then cgroup paths of PID 1 and of the probe itself,
 * only as hints.
 */
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

static void say(struct probe_ctx *ctx, const char *source, const char *value, const char *meaning,
		const char *id)
{
	evidence_add(&ctx->d->container.evidence, source, value, meaning, id);
	if (id && !ctx->d->container.id)
		ctx->d->container.id = cv_xstrdup(id);
}

/* Maps a container manager's self-description to systemd's vocabulary.
 * "oci" names a format, not a manager: some images hard-code it, so
 * systemd's detect_container() asks podman's and docker's marker files
 * before settling for container-other, and so does this. */
static const char *manager_id(struct probe_ctx *ctx, const char *v)
{
	static const struct {
		const char *name, *id;
	} t[] = {
		{ "lxc", "lxc" }, { "lxc-libvirt", "lxc-libvirt" }, { "systemd-nspawn", "systemd-nspawn" },
		{ "docker", "docker" }, { "podman", "podman" }, { "rkt", "rkt" }, { "wsl", "wsl" },
		{ "proot", "proot" }, { "pouch", "pouch" },
	};

	if (strcmp(v, "oci") == 0) {
		if (cv_root_exists(ctx->root, "run/.containerenv"))
			return "podman";
		if (cv_root_exists(ctx->root, ".dockerenv"))
			return "docker";
		return "container-other";
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(t); i++)
		if (strcmp(t[i].name, v) == 0)
			return t[i].id;
	return "container-other";
}

/*
 * systemd's container interface (docs/CONTAINER_INTERFACE.md) has the
 * manager write its name, "a short string", newline-terminated, to
 * /run/host/container-manager (and /run/systemd/container).  A file that
 * holds anything else (several lines, spaces, a script) is not a name: it
 * is recorded, not believed, and the next source decides.  systemd would
 * take its first line as an unknown name (container-other); skipping it
 * lets PID 1's container= variable, the same fact from the same manager,
 * answer instead.
 */
static bool manager_name_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64)
		return false;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

static void manager_file(struct probe_ctx *ctx, const char *path)
{
	char *v = probe_read_value(ctx, path);
	char *src;

	if (!v)
		return;
	src = cv_xasprintf("/%s", path);
	if (manager_name_valid(v))
		say(ctx, src, v, "written by the container manager", manager_id(ctx, v));
	else {
		evidence_add(&ctx->d->container.evidence, src, v,
			     "not a container manager's name (one short word); not believed", NULL);
		probe_note(ctx, "%s: not a container manager's name; ignored", src);
	}
	free(src);
	free(v);
}

/*
 * Linux-VServer (a kernel patch) adds "VxID:" to /proc/<pid>/status: the
 * security context a process runs in, 0 for the host.  virt-what reads
 * the probe's own; systemd has no name for VServer guests.
 */
static void vserver(struct probe_ctx *ctx)
{
	char *text, *line, *v;

	if (cv_root_read(ctx->root, "proc/self/status", PROBE_SMALL_MAX, &text, NULL) < 0)
		return;
	line = strstr(text, "\nVxID:");
	if (line) {
		uint64_t xid;

		line += strlen("\nVxID:");
		v = cv_strstrip(cv_xstrndup(line, strcspn(line, "\n")));
		if (cv_parse_u64(v, 10, &xid) == 0) {
			if (xid != 0)
				say(ctx, "/proc/self/status", v, "VxID: a Linux-VServer guest context", "container-other");
			else
				evidence_add(&ctx->d->container.evidence, "/proc/self/status", v,
					     "VxID 0: the host context of a Linux-VServer kernel", NULL);
		}
		free(v);
	}
	free(text);
}

/*
 * proot runs its guest under ptrace, without namespaces: systemd looks for
 * a tracer (TracerPid in /proc/self/status) whose command is proot.
 */
static void proot(struct probe_ctx *ctx)
{
	char *text, *line, *pid, *path, *comm;
	uint64_t tracer;

	if (cv_root_read(ctx->root, "proc/self/status", PROBE_SMALL_MAX, &text, NULL) < 0)
		return;
	line = strstr(text, "\nTracerPid:");
	if (line) {
		line += strlen("\nTracerPid:");
		pid = cv_strstrip(cv_xstrndup(line, strcspn(line, "\n")));
		if (cv_parse_u64(pid, 10, &tracer) == 0 && tracer != 0) {
			path = cv_xasprintf("proc/%llu/comm", (unsigned long long)tracer);
			comm = probe_read_value(ctx, path);
			if (comm && cv_startswith(comm, "proot")) {
				char *src = cv_xasprintf("/%s", path);

				say(ctx, src, comm, "the probe is traced by proot", "proot");
				free(src);
			}
			free(comm);
			free(path);
		}
		free(pid);
	}
	free(text);
}

static void pid1_environ(struct probe_ctx *ctx)
{
	char *env;
	size_t len;
	int r;

	r = cv_root_read(ctx->root, "proc/1/environ", PROBE_SMALL_MAX, &env, &len);
	if (r < 0) {
		if (r == -EACCES || r == -EPERM)
			probe_note(ctx, "/proc/1/environ: permission denied (reading it needs ptrace rights over PID 1); "
				   "a container manager's container= variable was not checked");
		return;
	}
	for (size_t off = 0; off < len;) {
		const char *e = env + off;
		size_t n = strnlen(e, len - off);

		if (n > 10 && strncmp(e, "container=", 10) == 0) {
			char *v = cv_xstrndup(e + 10, n - 10);

			say(ctx, "/proc/1/environ", e, "PID 1 was started by a container manager", manager_id(ctx, v));
			free(v);
			break;
		}
		off += n + 1;
	}
	free(env);
}

/*
 * A cgroup namespace: the hierarchy mounted at /sys/fs/cgroup is not the
 * host's but a subtree of it, which container managers arrange and hosts
 * do not.  systemd's running_in_cgroupns(), the last thing
 * detect_container() asks, answering container-other: on cgroup v2 (the
 * mount has cgroup.controllers) the root cgroup lacks cgroup.events and
 * cgroup.type, which every nested one has (cgroup.events alone where the
 * kernel predates cgroup.type, i.e. has no /sys/kernel/cgroup/features);
 * on v1, systemd's hierarchy has release_agent only at its root.
 */
static bool cgroup_namespace(struct probe_ctx *ctx, const char **ret_why)
{
	struct cv_root *r = ctx->root;

	if (!cv_root_exists(r, "proc/self/ns/cgroup"))
		return false;
	if (cv_root_exists(r, "sys/fs/cgroup/cgroup.controllers")) {
		if (!cv_root_exists(r, "sys/fs/cgroup/cgroup.events"))
			return false;
		if (cv_root_exists(r, "sys/fs/cgroup/cgroup.type")) {
			*ret_why = "cgroup v2: /sys/fs/cgroup/cgroup.type, which only a nested cgroup has";
			return true;
		}
		if (!cv_root_exists(r, "sys/kernel/cgroup/features")) {
			*ret_why = "cgroup v2 on an older kernel: /sys/fs/cgroup/cgroup.events, which only a nested cgroup has";
			return true;
		}
		return false;
	}
	if (cv_root_exists(r, "sys/fs/cgroup/systemd") && !cv_root_exists(r, "sys/fs/cgroup/systemd/release_agent")) {
		*ret_why = "cgroup v1: systemd's hierarchy without release_agent, which only its root has";
		return true;
	}
	return false;
}

static void cgroup_hint(struct probe_ctx *ctx, const char *path)
{
	static const struct {
		const char *needle, *id;
	} t[] = {
		{ "/docker/", "docker" }, { "/docker-", "docker" }, { "/libpod-", "podman" },
		{ "/lxc/", "lxc" }, { "/lxc.payload", "lxc" }, { "/kubepods", "container-other" },
	};
	char *text;

	if (cv_root_read(ctx->root, path, PROBE_SMALL_MAX, &text, NULL) < 0)
		return;
	for (size_t i = 0; i < CV_ELEMENTSOF(t); i++)
		if (strstr(text, t[i].needle)) {
			char *v = cv_xasprintf("contains '%s'", t[i].needle);

			char *src = cv_xasprintf("/%s", path);

			evidence_add(&ctx->d->container.evidence, src, v,
				     "a container's cgroup (a hint: hosts running containers show these too)", t[i].id);
			free(src);
			if (!ctx->d->container.id)
				ctx->d->container.id = cv_xstrdup(t[i].id);
			free(v);
			break;
		}
	free(text);
}

void probe_container(struct probe_ctx *ctx)
{
	char *v;

	if (cv_root_exists(ctx->root, "proc/vz") && !cv_root_exists(ctx->root, "proc/bc"))
		say(ctx, "/proc/vz", "present without /proc/bc", "an OpenVZ container", "openvz");

	v = probe_read_value(ctx, "proc/sys/kernel/osrelease");
	if (v) {
		if (strstr(v, "Microsoft") || strstr(v, "WSL"))
			say(ctx, "/proc/sys/kernel/osrelease", v, "the kernel of Windows Subsystem for Linux", "wsl");
		free(v);
	}

	proot(ctx);
	manager_file(ctx, "run/host/container-manager");
	manager_file(ctx, "run/systemd/container");
	pid1_environ(ctx);
	if (cv_root_exists(ctx->root, "run/.containerenv"))
		say(ctx, "/run/.containerenv", "present", "podman marks its containers with this file", "podman");
	if (cv_root_exists(ctx->root, ".dockerenv"))
		say(ctx, "/.dockerenv", "present", "docker marks its containers with this file", "docker");
	if (cv_root_exists(ctx->root, ".dockerinit"))
		say(ctx, "/.dockerinit", "present", "docker before 1.10 marked its containers with this file", "docker");
	vserver(ctx);
	if (!ctx->d->container.id) {
		const char *why = NULL;

		if (cgroup_namespace(ctx, &why))
			say(ctx, "/sys/fs/cgroup", "a cgroup namespace", why, "container-other");
	}
	cgroup_hint(ctx, "proc/1/cgroup");
	cgroup_hint(ctx, "proc/self/cgroup");

	if (!ctx->d->container.id)
		ctx->d->container.id = cv_xstrdup("none");
}
