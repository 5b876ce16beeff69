/*
 * registry.c - every check of the validation kit, in run order: its id,
 * what it measures, its pass criterion, whether it needs root, and the
 * time its child gets before it is killed (docs/kit.md lists the same).
 *
 * Linux's table; Windows's is src/kit/win/registry.c, and the lookups
 * both share are in checks.c.
 *
 * Criteria are drawn from Microsoft's LISA (Linux Integration Services
 * Automation), Red Hat's certification suite, kvm-unit-tests and the
 * kernel's timer selftests (tools/testing/selftests/timers).
 */
#include "kit/kit-internal.h"
#include "util/cv.h"

static const struct kit_check checks[] = {
	{ { "env.fingerprint", "hypervisor detected and consistent with the log's claim",
	    "the hypervisor probed now, against the descriptor the log claims",
	    "a hypervisor is detected, with the same id and product as claimed", false, false },
	  kit_check_env_fingerprint, 20 },
	{ { "cpu.topology", "every vCPU present is online",
	    "online, present and possible CPUs (/sys/devices/system/cpu)",
	    "online = present; and = --expect-vcpus when given", false, false },
	  kit_check_cpu_topology, 10 },
	{ { "cpu.all_vcpus_execute", "every vCPU executes at a comparable rate",
	    "iterations of a busy loop on a worker pinned to each vCPU; steal time from /proc/stat",
	    "each vCPU reaches >= 50% of the median rate", false, false },
	  kit_check_cpu_all_vcpus_execute, 30 },
	{ { "cpu.feature_consistency", "every vCPU reports the same CPU features",
	    "CPUID leaves 0, 1, 7, 0xd, 0x80000001 and the hypervisor range on each vCPU, per-CPU fields masked",
	    "identical on all vCPUs", false, false },
	  kit_check_cpu_feature_consistency, 20 },
	{ { "time.monotonic", "CLOCK_MONOTONIC and CLOCK_BOOTTIME never go backwards",
	    "successive readings of both clocks on each vCPU over the interval",
	    "zero inversions", false, false },
	  kit_check_time_monotonic, 30 },
	{ { "time.cross_cpu_warp", "time never goes backwards between vCPUs",
	    "threads on different vCPUs exchanging CLOCK_MONOTONIC timestamps under a lock",
	    "zero backward steps", false, false },
	  kit_check_time_cross_cpu_warp, 30 },
	{ { "time.clocksource", "the clocksource suits the hypervisor",
	    "current and available clocksources", "the current one is in the allow-list for the detected hypervisor",
	    false, false },
	  kit_check_time_clocksource, 10 },
	{ { "time.vdso", "clock_gettime is served by the vDSO",
	    "mean cost of clock_gettime(CLOCK_MONOTONIC) through libc and through the raw syscall",
	    "vDSO < 200 ns and >= 3x faster than the syscall", false, false },
	  kit_check_time_vdso, 20 },
	{ { "time.rate_skew", "the monotonic clock runs at the raw clock's rate",
	    "CLOCK_MONOTONIC against CLOCK_MONOTONIC_RAW over the interval, in ppm",
	    "|skew| <= 500 ppm (the kernel's maximum frequency correction)", false, false },
	  kit_check_time_rate_skew, 30 },
	{ { "time.timer_latency", "timers wake neither early nor very late",
	    "wake-up of repeated 1 ms sleeps (clock_nanosleep)",
	    "no early wake-up; maximum overshoot < 40 ms", false, false },
	  kit_check_time_timer_latency, 30 },
	{ { "time.sync", "the clock is synchronised (NTP/PTP)",
	    "the kernel's synchronisation state (adjtimex, read only) and PTP clocks; with --peer, the offset to the peer's clock",
	    "synchronised, where readable (skipped with the reason otherwise); with --peer, |offset| <= 128 ms (NTP's step threshold)",
	    false, false },
	  kit_check_time_sync, 40 },
	{ { "time.reference", "the clock keeps time with another host's",
	    "NTP-style four-timestamp exchanges with `covalid kit peer` at --peer over the interval: offset, delay, drift in ppm",
	    "|drift| <= 500 ppm (the kernel's maximum frequency correction) (skipped without --peer)", false, false },
	  kit_check_time_reference, 45 },
	{ { "irq.timer_delivery", "timer interrupts reach every vCPU",
	    "local timer interrupt counts per CPU in /proc/interrupts before and after a busy interval",
	    "the count increases on every vCPU", false, false },
	  kit_check_irq_timer_delivery, 20 },
	{ { "kernel.health", "the kernel is healthy",
	    "the taint flags and the readable kernel log",
	    "not tainted; no Call Trace, soft lockup, RCU stall or NULL pointer dereference", false, false },
	  kit_check_kernel_health, 20 },
	{ { "kernel.pv_drivers", "the hypervisor's integration components are bound",
	    "each era-true expected component's device and driver on its bus (vmbus, virtio, pci, xen); the Hyper-V "
	    "utility services' devices, drivers and channel events; the KVP daemon",
	    "each expected component bound to a device the host offers (balloons only where offered); each "
	    "offered Hyper-V utility service bound to hv_utils and answering (recommended agents never fail)",
	    false, false },
	  kit_check_kernel_pv_drivers, 20 },
	{ { "mem.size", "the guest sees the memory it was given",
	    "MemTotal against --expect-memory", "90-100% of the expected memory", false, false },
	  kit_check_mem_size, 10 },
	{ { "mem.pattern", "memory holds what is written",
	    "write/verify passes of several patterns over a bounded share of available memory",
	    "zero mismatches", false, false },
	  kit_check_mem_pattern, 60 },
	{ { "storage.io_integrity", "storage returns what was written",
	    "O_DIRECT writes with fsync and read-back with checksums on a filesystem of the paravirtual disk (or --dir), "
	    "its device, driver and filesystem (buffered + fsync where O_DIRECT is refused); throughput and latency",
	    "zero mismatches (skipped where the only writable places are tmpfs, ramfs or an overlay on them)", false,
	    false },
	  kit_check_storage_io_integrity, 60 },
	{ { "storage.inventory", "block devices and their drivers",
	    "block devices with driver, paravirtual driver, size and queue settings",
	    "each expected paravirtual storage component drives a disk (skipped with no block device visible)", false,
	    false },
	  kit_check_storage_inventory, 10 },
	{ { "net.inventory", "network interfaces and their drivers",
	    "interfaces with driver, MTU, speed, state and offloads", "at least one interface with a driver (skipped in a container)",
	    false, false },
	  kit_check_net_inventory, 10 },
	{ { "net.loopback_integrity", "TCP carries data intact",
	    "a checksummed transfer over loopback TCP; throughput", "checksums match", false, false },
	  kit_check_net_loopback_integrity, 60 },
	{ { "net.peer_transfer", "TCP carries data intact both ways through the NIC",
	    "checksummed transfers to and from `covalid kit peer` at --peer HOST:PORT; the interface and driver they cross, "
	    "throughput and TCP retransmits each way",
	    "every byte arrives, digests match both ways (skipped without --peer)", false, false },
	  kit_check_net_peer_transfer, 90 },
	{ { "platform.security", "CPU vulnerabilities are mitigated",
	    "/sys/devices/system/cpu/vulnerabilities/* and the NX flag", "none reports Vulnerable; NX on", false, false },
	  kit_check_platform_security, 10 },
	{ { "firmware.smbios", "SMBIOS tables are present with a valid UUID",
	    "the SMBIOS system UUID (/sys/class/dmi/id/product_uuid)", "present, well-formed, not all zeros or ones (needs root)",
	    true, false },
	  kit_check_firmware_smbios, 10 },
	{ { "selftest.crash", "self-test: a check that crashes",
	    "nothing: it dies of SIGSEGV", "recorded as error; the run goes on", false, true },
	  kit_check_selftest_crash, 10 },
	{ { "selftest.hang", "self-test: a check that hangs",
	    "nothing: it sleeps forever", "killed at its time limit and recorded as error", false, true },
	  kit_check_selftest_hang, 2 },
};

const struct kit_check *kit_table(size_t *ret_n)
{
	*ret_n = CV_ELEMENTSOF(checks);
	return checks;
}
