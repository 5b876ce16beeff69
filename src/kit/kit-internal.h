/*
 * kit-internal.h - what the kit's runner and its checks share.
 *
 * A check is a function filling a struct kit_out in a child process.  Its
 * decision is a separate pure function (kit_decide_*) over measured
 * values, so that tests can feed it recorded values, failing ones
 * included (tests/unit/test-kit-*.c).
 */
#ifndef COVALID_KIT_INTERNAL_H
#define COVALID_KIT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "covalid/kit.h"
#include "covalid/util.h"

struct cv_strv;
struct descriptor;

/*
 * Fault injection for the checks' live tests (tests/unit/test-kit-*.c):
 * what a check reads its clock through, what happens to its file between
 * write and read-back, and what it sends on a socket through.  The runner
 * never sets any (ctx->faults is NULL): every check then uses
 * clock_gettime(), leaves the file alone and calls send().  Hooks may be
 * called from several threads at once.
 */
struct kit_faults {
	/* time.monotonic, time.cross_cpu_warp, time.rate_skew, and CLOCK_REALTIME
	 * for time.reference and time.sync's peer offset: a reading of c in ns,
	 * or KIT_CLOCK_MISSING for a clock this kernel does not have
	 * (clock_gettime() answers EINVAL: CLOCK_BOOTTIME before 2.6.39,
	 * CLOCK_MONOTONIC_RAW before 2.6.28). */
	int64_t (*clock_ns)(clockid_t c, void *userdata);
	/* storage.io_integrity: the file written, fsync'd and closed, before it is read back; 0 or -errno. */
	int (*after_write)(const char *path, void *userdata);
	/* net.loopback_integrity, net.peer_transfer: send(2) on the sending side;
	 * kit_peer_serve_faulty(): the peer's GET data. */
	ssize_t (*send)(int fd, const void *buf, size_t n, int flags, void *userdata);
	/* net.peer_transfer, time.reference, time.sync: a peer on this very
	 * host counts as another host (tests on loopback; see kit_peer_is_local). */
	bool local_peer_counts;
	void *userdata;
};

#define KIT_CLOCK_MISSING INT64_MIN

struct kit_ctx {
	const struct kit_options *opt;
	const struct descriptor *d; /* the probe's descriptor, taken at the start of the run */
	const char *tmpdir;         /* private, removed after the run */
	int *cpus;                  /* online CPU numbers */
	size_t n_cpus;
	bool root;                  /* running as root */
	const struct kit_faults *faults; /* NULL but in tests */
	/*
	 * Where storage.io_integrity, storage.inventory and kernel.pv_drivers
	 * read /proc, /sys and /var from: NULL for this machine, else a
	 * fixture directory (covalid/root.h), in tests only.  With a fixture,
	 * storage.io_integrity still writes for real, in tmpdir, and judges
	 * the filesystem by the fixture's mount table.
	 */
	const char *sysroot;
};

/* What a check reports. */
struct kit_out {
	enum kit_status status;
	char reason[512];
	json_t *measured;  /* object, created by the runner */
	json_t *threshold; /* object, created by the runner */
};

/* A pure decision: status and reason. */
struct kit_verdict {
	enum kit_status status;
	char reason[512];
};

typedef void (*kit_fn)(const struct kit_ctx *ctx, struct kit_out *out);

struct kit_check {
	struct kit_check_info info;
	kit_fn fn;
	double timeout_s; /* hard limit for the child (full run; quick runs use a third) */
};

/* The table of checks, hidden ones included: Linux's (registry.c) or
 * Windows's (win/registry.c); the lookups over it are checks.c's. */
const struct kit_check *kit_table(size_t *ret_n);

/* ---- the runner's parts (runner.c: every system; the kit_os_* ones are
 * each system's own: runner-unix.c, win/runner.c) ---- */

/* The most a child's result may be. */
#define KIT_RESULT_MAX (4 * 1024 * 1024)
/* The file in the run's directory holding the descriptor a `kit __child` judges against. */
#define KIT_CHILD_DESCRIPTOR ".covalid-descriptor.json"
/* Runs c and returns its result: one JSON object, as a child writes it. */
char *kit_child_result(const struct kit_check *c, const struct kit_ctx *ctx);
/* The arguments of the `covalid kit __child ...` command running c, from "kit" on. */
void kit_child_args(const struct kit_check *c, const struct kit_ctx *ctx, struct cv_strv *ret);
/*
 * Runs c in a child process for at most limit_s seconds: 0 with the
 * child's output (kit_child_result's object) in out, or -1 with why it
 * has none in why (it crashed, overran and was killed, could not start).
 */
int kit_os_run_child(const struct kit_check *c, const struct kit_ctx *ctx, double limit_s, struct cv_buf *out,
		     char *why, size_t why_size);
/* Made once at the start of a `kit __child` (kit_child_main): Windows's
 * ends the process at an unhandled exception with its code at once. */
void kit_os_child_setup(void);
/* This machine's name ("unknown" when it has none). */
void kit_os_host(char *buf, size_t size);
/* The run's private directory under parent (NULL: the system's default
 * place); 0, or -errno with *ret_error. */
int kit_os_mkdtemp(const char *parent, char **ret, char **ret_error);
/* Windows (win/util.c): a path as the ANSI ("A") calls and the C
 * runtime's argv give it, in the ANSI code page, as a JSON string in
 * UTF-8; never NULL: bytes that do not convert become '?' and *ret_lossy
 * is set (else left alone). */
json_t *kit_win_json_path(const char *acp, bool *ret_lossy);
void kit_os_rmtree(const char *dir);
/* The processors checks run on (numbers for kit_pin). */
void kit_os_online_cpus(int **ret, size_t *ret_n);
/* root on Linux, an administrator on Windows. */
bool kit_os_privileged(void);
/* The wall clock (CLOCK_REALTIME) in ns since the epoch; 0 or -errno. */
int kit_realtime_ns(int64_t *ret);
/* Sleeps until kit_now() reaches t. */
void kit_sleep_until(double t);
/* Memory the system could give without swapping, in bytes; 0 unknown. */
uint64_t kit_mem_available(void);
/* size bytes of private memory, every page faulted in; NULL if refused. */
void *kit_mem_map(size_t size);
void kit_mem_unmap(void *p, size_t size);
/* COVALID_KIT_SELFTEST=1: the hidden self-test checks are listed and run. */
bool kit_selftest(void);

void kit_set(struct kit_out *out, enum kit_status s, const char *fmt, ...) CV_PRINTF(3, 4);
void kit_verdict_set(struct kit_verdict *v, enum kit_status s, const char *fmt, ...) CV_PRINTF(3, 4);
void kit_apply(struct kit_out *out, const struct kit_verdict *v);
/* The measuring interval: quick or full. */
double kit_interval(const struct kit_ctx *ctx, double quick_s, double full_s);
/* Pins the calling thread to one CPU; -errno. */
int kit_pin(int cpu);
/* Runs fn(arg_i) on one thread pinned to each CPU of ctx and joins them. */
int kit_on_each_cpu(const struct kit_ctx *ctx, void *(*fn)(void *), void *args, size_t arg_size);
double kit_now(void); /* CLOCK_MONOTONIC seconds (Windows: QueryPerformanceCounter) */
/* time.cross_cpu_warp's clock (check-warp.c), in ns: CLOCK_MONOTONIC
 * through a test's faults on Linux (check-time.c), QueryPerformanceCounter
 * on Windows (win/check-time.c); and its name for the log, NULL where it is
 * the one the check's description names (CLOCK_MONOTONIC). */
int64_t kit_warp_clock_ns(const struct kit_faults *f);
const char *kit_warp_clock_name(void);
/* cpu.all_vcpus_execute's worker (kit_on_each_cpu): iterations of a busy loop over interval seconds. */
struct kit_spin {
	double interval;
	uint64_t iterations;
	double elapsed;
};
void *kit_spin_worker(void *p);
/* A double rounded to 6 significant digits, for logs. */
double kit_round(double v);
/* Median of n values (sorts a copy). */
double kit_median(const double *v, size_t n);
/* JSON of a string that may be NULL (null), and of a string list. */
json_t *kit_json_str(const char *s);
json_t *kit_json_strv(const struct cv_strv *v);
/* Reads a small file of the live system; NULL if absent. */
char *kit_read(const char *path);
/* Whether a kernel release ("2.6.18-92.el5", uname -r) is older than
 * version ("2.6.22"); false if either does not parse. */
bool kit_kernel_before(const char *release, const char *version);
/* cpu.topology's counts on kernels without the cpu/online and cpu/present
 * lists (RHEL 5's 2.6.18 has none): cpuN lines of /proc/stat, cpuN directories of
 * /sys/devices/system/cpu; -1 if unreadable. */
int kit_cpus_online_from_stat(void);
int kit_cpus_present_from_dirs(void);
/* Whether the kernel's vDSO has clock_gettime (vdso.c): 1 yes, 0 no,
 * -ENOENT no vDSO mapped, -EPROTO cannot tell. */
int kit_vdso_clock_gettime(void);

/*
 * The data stream of the transfers: xorshift64 words from
 * KIT_STREAM_SEED, the same in the kit and in the peer (peer.c), so that
 * either end can check what the other sent.  Fills words words, moving *x.
 */
#define KIT_STREAM_SEED UINT64_C(0x2545f4914f6cdd1d)
void kit_stream_fill(uint64_t *x, uint64_t *buf, size_t words);

/* kit_peer_serve() with faults (tests only): GET data goes out through faults->send. */
int kit_peer_serve_faulty(const char *listen_addr, volatile int *stop, void (*ready)(void *ud, int port), void *ud,
			  const struct kit_faults *faults) CV_WUR;

/*
 * The client side of the peer protocol (check-net.c), for the checks that
 * talk to `covalid kit peer` (net.peer_transfer, time.reference,
 * time.sync).  kit_peer_connect: "HOST:PORT" or "[V6]:PORT" to a
 * connected TCP socket with 10 s send and receive timeouts, connect()
 * bounded likewise; its numeric address into addr; the fd, -EINVAL for a
 * malformed peer, or -errno.  kit_peer_read_line: one answer line,
 * without its newline, of at most size - 1 bytes; 0, -ENODATA when the
 * peer closed before a byte, or -errno (-ETIMEDOUT).
 */
int kit_peer_connect(const char *peer, char *addr, size_t size) CV_WUR;
int kit_peer_read_line(int fd, char *line, size_t size) CV_WUR;
int kit_peer_send_all(const struct kit_faults *f, int fd, const void *p, size_t n) CV_WUR;
/*
 * Whether the peer connected on fd is this host (this network namespace):
 * its address is a loopback one or one of this host's own.  The data then
 * never crosses a NIC and the peer's clock is the guest's: the peer
 * checks skip, unless faults->local_peer_counts (tests).
 */
bool kit_peer_is_local(const struct kit_faults *f, int fd);
/* recv() of at most n bytes: the count (0 at the end), -ETIMEDOUT after
 * the socket's timeout, or -errno. */
ssize_t kit_peer_recv(int fd, void *buf, size_t n);
void kit_peer_close(int fd);
/* No Nagle delay (the TIME exchanges). */
void kit_peer_nodelay(int fd);
/* TCP segments the connection retransmitted: an integer, or null where the system does not say. */
json_t *kit_peer_retransmits(int fd);
/* The numeric address forms kit_peer_connect writes, "[V6]:PORT" included, fit in this. */
#define KIT_ADDR_MAX 80
/* The interface a connected socket leaves through, and its driver. */
struct kit_route {
	char ifname[64];     /* "eth0"; Windows: the adapter's description */
	char local[64];      /* the local address, numeric */
	char *driver;        /* "virtio_net", "netkvm"; NULL: unknown */
	const char *source;  /* where driver was read: "ethtool", "sysfs", "registry" */
};
/* 0 or -errno (-ENODEV: no interface holds the local address). */
int kit_peer_route(const struct kit_ctx *ctx, int fd, struct kit_route *ret);
/* The integration component a NIC driver is ("hv_netvsc", "netkvm" -> ...); NULL if none. */
const char *kit_nic_component(const char *driver);
/* Sends bytes of the kit_stream_fill() stream on fd and returns their BLAKE2b-256 digest (peer-client.c). */
#define KIT_DIGEST_BYTES 32
int kit_send_stream(const struct kit_faults *f, int fd, uint64_t bytes, unsigned char digest[KIT_DIGEST_BYTES]) CV_WUR;
#define KIT_LOCAL_PEER_REASON "the peer at %s is this host (%s): no NIC is crossed and its clock is the guest's; run `covalid kit peer` on another host"

/* The checks, by family (check-*.c). */
void kit_check_env_fingerprint(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_cpu_topology(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_cpu_all_vcpus_execute(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_cpu_feature_consistency(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_monotonic(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_cross_cpu_warp(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_clocksource(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_vdso(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_rate_skew(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_timer_latency(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_sync(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_reference(const struct kit_ctx *ctx, struct kit_out *out);
/* time.sync's part against --peer (check-reference.c): records the offset
 * and turns v into a fail beyond KIT_PEER_OFFSET_MAX_MS, an error when the
 * peer cannot be asked.  Nothing without --peer. */
void kit_time_sync_peer(const struct kit_ctx *ctx, struct kit_out *out, struct kit_verdict *v);
void kit_check_irq_timer_delivery(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_kernel_health(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_kernel_pv_drivers(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_mem_size(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_mem_pattern(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_storage_io_integrity(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_storage_inventory(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_net_inventory(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_net_loopback_integrity(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_net_peer_transfer(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_platform_security(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_firmware_smbios(const struct kit_ctx *ctx, struct kit_out *out);
/* Windows's own (src/kit/win/check-system.c). */
void kit_check_windows_event_log(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_windows_services(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_selftest_crash(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_selftest_hang(const struct kit_ctx *ctx, struct kit_out *out);

/* ---- decisions (pure; tested with recorded values) ---- */

void kit_decide_fingerprint(const char *claimed_id, const char *probed_id, const char *claimed_product,
			    const char *probed_product, struct kit_verdict *v);
void kit_decide_topology(int online, int present, int expect, struct kit_verdict *v);
/*
 * cpu.topology's "present" on Windows (win/check-cpu.c): the processors
 * the firmware gives the machine, counted in the bytes of its ACPI MADT
 * (GetSystemFirmwareTable('ACPI', 'APIC')): the Processor Local APIC
 * (type 0) and Processor Local x2APIC (type 9) entries whose Enabled flag
 * is set (ACPI 6.5, 5.2.12.2 and 5.2.12.12), the analog of Linux's
 * cpu/present.  Every length and the checksum are checked: 0, or
 * -EBADMSG with why saying what is wrong with the table.
 */
int kit_madt_enabled_cpus(const void *table, size_t size, unsigned *ret_enabled, char *why, size_t why_size);
/* Each rate must reach min_fraction of the median. */
void kit_decide_rates(const double *rates, size_t n, double min_fraction, struct kit_verdict *v);
void kit_decide_feature_consistency(size_t n_cpus, size_t n_differing, const char *first_difference,
				    struct kit_verdict *v);
void kit_decide_inversions(uint64_t inversions, uint64_t samples, struct kit_verdict *v);
void kit_decide_warps(uint64_t warps, uint64_t exchanges, double max_warp_ns, struct kit_verdict *v);
/* Allow-list of clocksources per hypervisor id. */
bool kit_clocksource_allowed(const char *hypervisor, const char *clocksource, const char **ret_allowed);
void kit_decide_clocksource(const char *hypervisor, const char *clocksource, struct kit_verdict *v);
void kit_decide_vdso(double vdso_ns, double syscall_ns, struct kit_verdict *v);
void kit_decide_rate_skew(double ppm, double bound_ppm, struct kit_verdict *v);
void kit_decide_timer_latency(uint64_t early, double max_overshoot_ms, struct kit_verdict *v);
void kit_decide_sync(int adjtimex_state, long status_bits, long maxerror_us, struct kit_verdict *v);
void kit_decide_timer_delivery(const uint64_t *before, const uint64_t *after, size_t n_cpus, struct kit_verdict *v);
void kit_decide_health(uint64_t tainted, size_t n_signatures, const char *first_signature, bool log_readable,
		       struct kit_verdict *v);
/* Fails on missing components (era-true, docs/probe.md); unbound ones among them are named. */
void kit_decide_pv_drivers(const char *hypervisor, const struct cv_strv *missing, const struct cv_strv *unbound,
			   struct kit_verdict *v);
/* One direction of a transfer: bytes sent, bytes that arrived, digests equal. */
struct kit_transfer {
	uint64_t bytes, arrived;
	bool digests_match;
	const char *stalled; /* why it stopped early (a timeout), or NULL */
};
void kit_decide_peer_transfer(const struct kit_transfer *up, const struct kit_transfer *down, struct kit_verdict *v);
/* drift in ppm, measured to +-uncertainty_ppm from points offset samples:
 * fails when beyond bound_ppm whatever the error, passes when within it
 * whatever the error, errs in between (the network cannot tell). */
void kit_decide_reference(double drift_ppm, double uncertainty_ppm, size_t points, double bound_ppm,
			  struct kit_verdict *v);
void kit_decide_peer_offset(double offset_ms, double bound_ms, struct kit_verdict *v);
void kit_decide_mem_size(uint64_t memtotal_mib, uint64_t expect_mib, struct kit_verdict *v);
void kit_decide_mismatches(uint64_t mismatches, uint64_t checked, const char *what, struct kit_verdict *v);
void kit_decide_security(size_t n_vulnerable, const char *first_vulnerable, bool nx_known, bool nx,
			 struct kit_verdict *v);
void kit_decide_smbios(bool root, bool present, const char *uuid, struct kit_verdict *v);

/* windows.event_log: what counts in the System log since boot (win/check-system.c). */
enum kit_event_kind { KIT_EVENT_BUGCHECK, KIT_EVENT_SHUTDOWN, KIT_EVENT_DISK, KIT_EVENT_NTFS, KIT_EVENT_DRIVER, KIT_EVENT__MAX };
extern const char *const kit_event_kinds[KIT_EVENT__MAX]; /* "bugcheck", ..., measured.counts' keys */
/* Fails on any counted event, even in a log read only in part; else
 * skips when unreadable (why the log, or the rest of it since boot,
 * could not be read; NULL when it was read whole). */
void kit_decide_event_log(const char *unreadable, const uint64_t counts[KIT_EVENT__MAX], const char *earliest,
			  uint64_t read, struct kit_verdict *v);
/* windows.services: fails when an expected one is not running; skips when none is expected. */
void kit_decide_services(const char *hypervisor, size_t checked, const struct cv_strv *not_running,
			 struct kit_verdict *v);

/* ---- disks and integration components (blockdev.c, check-components.c) ---- */

struct cv_root;

struct kit_mount {
	char *point;  /* unescaped */
	char *fstype;
	char *source; /* "/dev/sda1", "tmpfs", "overlay" */
	char *super;  /* super-block options (mountinfo), or the options (/proc/mounts) */
	unsigned major, minor; /* 0:0 where unknown */
	bool rw;
};

struct kit_mounts {
	struct kit_mount *v;
	size_t n;
};

/* proc/self/mountinfo, else proc/mounts, of root; -errno if neither is readable. */
int kit_mounts_read(struct cv_root *root, struct kit_mounts *ret);
void kit_mounts_release(struct kit_mounts *m);
/* The mount holding path (absolute); NULL if none. */
const struct kit_mount *kit_mounts_find(const struct kit_mounts *m, const char *path);

/* proc, sysfs, cgroup, devtmpfs, ...: not a place anyone writes data to. */
bool kit_fs_is_kernel_interface(const char *fstype);

enum kit_backing {
	KIT_BACKING_DISK,   /* a block device */
	KIT_BACKING_MEMORY, /* tmpfs, ramfs, or an overlay whose upper directory is on one */
	KIT_BACKING_OTHER,  /* network, FUSE, kernel interfaces, read-only images */
};

/* What a write to mnt lands on; *ret_what describes it ("overlay on tmpfs
 * (/run/live/overlay)"), *ret_backing is the disk-backed mount (the
 * overlay's upper one) when the answer is KIT_BACKING_DISK. */
enum kit_backing kit_mount_backing(const struct kit_mounts *m, const struct kit_mount *mnt, char **ret_what,
				   const struct kit_mount **ret_backing);

struct kit_blockdev {
	char *name;            /* the block device: "sda1", "dm-0" */
	char *disk;            /* its whole disk (under device-mapper, the first slave's): "sda" */
	char *driver;          /* the nearest driver bound on the disk's device path: "sd", "virtio_blk" */
	char *controller;      /* the next one up, its controller's: "ata_piix", "hv_storvsc", "virtio-pci" */
	char *pv_driver;       /* the paravirtual one on that path: "hv_storvsc"; NULL if none */
	const char *component; /* its integration component: "storvsc"; NULL if none */
};

int kit_blockdev_by_devnum(struct cv_root *root, unsigned maj, unsigned min, struct kit_blockdev *ret);
int kit_blockdev_by_name(struct cv_root *root, const char *name, struct kit_blockdev *ret);
int kit_blockdev_of_mount(struct cv_root *root, const struct kit_mount *m, struct kit_blockdev *ret);
void kit_blockdev_release(struct kit_blockdev *b);
/* The storage integration component a driver belongs to ("hv_storvsc" -> "storvsc"); NULL if none. */
const char *kit_storage_component(const char *driver);
bool kit_is_storage_component(const char *component);
/* Those components (decide.c). */
size_t kit_storage_components(const char *const **ret);
/* ctx->root opened (the live system when NULL). */
int kit_root_open(const struct kit_ctx *ctx, struct cv_root **ret);

/* storage.inventory: fails when an expected storage component drives no disk. */
void kit_decide_storage_inventory(size_t n_devices, const struct cv_strv *missing, const char *seen,
				  struct kit_verdict *v);

/* kernel.pv_drivers: one expected component, or one Hyper-V utility service, as found. */
enum kit_comp_state {
	KIT_COMP_BOUND,           /* a device of it is bound to its driver */
	KIT_COMP_PRESENT,         /* a bus, a module binding no device, an agent: present */
	KIT_COMP_NOT_SHOWN,       /* its module is loaded; the kernel shows no binding (pre-driver-model hv_utils) */
	KIT_COMP_NOT_OFFERED,     /* the host offers no such device, and need not (balloon, a utility service) */
	KIT_COMP_UNBOUND,         /* its driver is registered, bound to no device */
	KIT_COMP_OFFERED_UNBOUND, /* the host offers the device; no driver of it is bound to it */
	KIT_COMP_ABSENT,          /* neither a device nor a driver */
	KIT_COMP_SILENT,          /* bound, but it never signalled the host (vmbus channel events 0) */
	KIT_COMP_UNSIGNED,        /* Windows: its driver file is not signed (win/check-system.c) */
	KIT_COMP__MAX,
};

struct kit_component {
	const char *name;       /* "storvsc", "utils/heartbeat" */
	enum kit_comp_state state;
	const char *detail;     /* what was seen, for the reason; may be NULL */
};

const char *kit_comp_state_name(enum kit_comp_state s); /* "bound", "offered_unbound", ... */
bool kit_comp_state_fails(enum kit_comp_state s);
void kit_decide_components(const char *hypervisor, const struct kit_component *c, size_t n, struct kit_verdict *v);

/* Bounds the checks use, stated in the log as thresholds. */
#define KIT_VDSO_MAX_NS 200.0
#define KIT_VDSO_MIN_SPEEDUP 3.0
#define KIT_RATE_SKEW_PPM 500.0
/* time.reference: the kernel's MAXFREQ, 500 ppm (include/linux/timex.h,
 * "max frequency error"), the most NTP may correct a clock's rate by. */
#define KIT_REFERENCE_DRIFT_PPM 500.0
/* time.sync against --peer: NTP's step threshold STEPT, 128 ms (RFC 5905
 * appendix A.1.1): a clock further off is stepped, not slewed. */
#define KIT_PEER_OFFSET_MAX_MS 128.0
#define KIT_TIMER_MAX_OVERSHOOT_MS 40.0
#define KIT_EXECUTE_MIN_FRACTION 0.5
#define KIT_MEM_SIZE_MIN 0.90

#endif
