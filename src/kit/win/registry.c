/*
 * win/registry.c - every check of the validation kit on Windows, in run
 * order (docs/kit.md, "Windows").  Linux's ids where the check applies,
 * with the measured fields Linux's records, so that src/testlog/derive.c
 * judges either log by one rule; Windows's own ids (windows.*) where the
 * measurement is Windows's alone.  The lookups over the table are
 * checks.c's, shared.
 */
#include "kit/kit-internal.h"
#include "util/cv.h"

static const struct kit_check checks[] = {
	{ { "env.fingerprint", "hypervisor detected and consistent with the log's claim",
	    "the hypervisor probed now (CPUID, SMBIOS, devices), against the descriptor the log claims",
	    "a hypervisor is detected, with the same id and product as claimed", false, false },
	  kit_check_env_fingerprint, 20 },
	{ { "cpu.topology", "every processor present is online",
	    "processors in the system affinity mask (GetProcessAffinityMask) against GetSystemInfo's count",
	    "online = present; and = --expect-vcpus when given", false, false },
	  kit_check_cpu_topology, 10 },
	{ { "cpu.all_vcpus_execute", "every processor executes at a comparable rate",
	    "iterations of a busy loop on a thread pinned to each processor (SetThreadAffinityMask)",
	    "each processor reaches >= 50% of the median rate", false, false },
	  kit_check_cpu_all_vcpus_execute, 30 },
	{ { "time.monotonic", "QueryPerformanceCounter never goes backwards",
	    "successive QueryPerformanceCounter readings on each processor over the interval", "zero inversions", false,
	    false },
	  kit_check_time_monotonic, 30 },
	{ { "time.cross_cpu_warp", "time never goes backwards between processors",
	    "threads on different processors exchanging QueryPerformanceCounter timestamps under a lock",
	    "zero backward steps", false, false },
	  kit_check_time_cross_cpu_warp, 30 },
	{ { "time.timer_latency", "timers wake neither early nor very late",
	    "wake-up of repeated Sleep(1) at 1 ms timer resolution (timeBeginPeriod) against QueryPerformanceCounter",
	    "no wake-up earlier than 1 ms less one timer period; maximum overshoot < 40 ms", false, false },
	  kit_check_time_timer_latency, 30 },
	{ { "time.sync", "the clock agrees with another host's",
	    "with --peer, the offset to the peer's clock (the Windows Time service's state is not read)",
	    "with --peer, |offset| <= 128 ms (NTP's step threshold); skipped otherwise", false, false },
	  kit_check_time_sync, 40 },
	{ { "time.reference", "the clock keeps time with another host's",
	    "NTP-style four-timestamp exchanges with `covalid kit peer` at --peer over the interval: offset, delay, drift in ppm",
	    "|drift| <= 500 ppm (skipped without --peer)", false, false },
	  kit_check_time_reference, 45 },
	{ { "kernel.pv_drivers", "the hypervisor's integration components are loaded, bound and signed",
	    "each era-true expected component's service or driver, the device it is bound to, and its file's signature "
	    "(the probe's Service Control Manager, SetupDi and WinVerifyTrust readings)",
	    "each expected component present (a driver: running and bound to a present device) and not unsigned", false,
	    false },
	  kit_check_kernel_pv_drivers, 20 },
	{ { "windows.services", "the integration services run",
	    "the state of the Hyper-V integration services, QEMU-GA and VMTools that the descriptor expects or recommends",
	    "every expected one running (recommended ones are reported; skipped when none is expected)", false, false },
	  kit_check_windows_services, 10 },
	{ { "windows.event_log", "the System log shows no crash, disk, NTFS or driver error",
	    "System event log records since boot (OpenEventLog/ReadEventLog): bugchecks, unexpected shutdowns, disk, "
	    "Ntfs and integration driver errors",
	    "none (skipped where the System log cannot be read or holds no record)", false, false },
	  kit_check_windows_event_log, 30 },
	{ { "mem.size", "the guest sees the memory it was given",
	    "physical memory (GlobalMemoryStatusEx, through the descriptor) against --expect-memory",
	    "90-100% of the expected memory", false, false },
	  kit_check_mem_size, 10 },
	{ { "mem.pattern", "memory holds what is written",
	    "write/verify passes of several patterns over a bounded share of available memory", "zero mismatches", false,
	    false },
	  kit_check_mem_pattern, 60 },
	{ { "storage.io_integrity", "storage returns what was written",
	    "write-through unbuffered writes (FILE_FLAG_WRITE_THROUGH | FILE_FLAG_NO_BUFFERING), FlushFileBuffers and "
	    "read-back with checksums in --dir or %TEMP%; the volume, its file system and the disk it says it is",
	    "zero mismatches (skipped on a RAM disk or a network volume)", false, false },
	  kit_check_storage_io_integrity, 60 },
	{ { "storage.inventory", "disks and what they are",
	    "physical disks with vendor, product and bus (IOCTL_STORAGE_QUERY_PROPERTY)",
	    "each expected paravirtual storage component present (skipped with no disk visible)", false, false },
	  kit_check_storage_inventory, 10 },
	{ { "net.inventory", "network adapters and their drivers",
	    "adapters bound to TCP/IP (GetAdaptersInfo) with their driver service", "at least one adapter", false,
	    false },
	  kit_check_net_inventory, 10 },
	{ { "net.loopback_integrity", "TCP carries data intact",
	    "a checksummed transfer over loopback TCP (Winsock); throughput", "checksums match", false, false },
	  kit_check_net_loopback_integrity, 60 },
	{ { "net.peer_transfer", "TCP carries data intact both ways through the NIC",
	    "checksummed transfers to and from `covalid kit peer` at --peer HOST:PORT; the adapter and driver they cross, "
	    "throughput each way",
	    "every byte arrives, digests match both ways (skipped without --peer, or with a peer on this host)", false,
	    false },
	  kit_check_net_peer_transfer, 90 },
	{ { "selftest.crash", "self-test: a check that crashes",
	    "nothing: it dies of an access violation", "recorded as error; the run goes on", false, true },
	  kit_check_selftest_crash, 10 },
	{ { "selftest.hang", "self-test: a check that hangs",
	    "nothing: it sleeps forever", "terminated at its time limit and recorded as error", false, true },
	  kit_check_selftest_hang, 2 },
};

const struct kit_check *kit_table(size_t *ret_n)
{
	*ret_n = CV_ELEMENTSOF(checks);
	return checks;
}
