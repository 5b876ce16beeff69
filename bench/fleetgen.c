/*
 * fleetgen.c - the synthetic catalog and fleet bench/fleet.sh checks.
 *
 *   fleetgen CONFIGS MACHINES CATALOG.jsonl FLEET.jsonl [SEED]
 *
 * The catalog: CONFIGS configurations over 40 guest OS ids ("os00".."os39")
 * x 10 hypervisor ids, i.e. 400 (guest, hypervisor) pairs.  Configuration i
 * covers guest os(i % 40) on hypervisor((i / 40) % 10) and one guest
 * version statement: major (i / 400) % 250 + 1 and, by i % 4, an exact
 * minor (N.M), a closed range (N.M-N.M+3), a whole major (N.x) or a floor
 * (N.M+).  Architectures x86_64, or i686 too for one in three.  Microsoft
 * rows name host builds (6001, 6002 or 7601, 9600, 14393, 17763, 20348) and
 * require vmbus/storvsc/netvsc; other hypervisors state a host version or
 * "unspecified".  vCPU limits: a maximum (1..256), or for one in ten the
 * set {1, 2, 4}; memory up to 64 GiB.  Statuses: validated 60 %, supported
 * 30 %, supported_historical 5 %, not_supported 3 %, revoked 2 %.
 *
 * The fleet: MACHINES descriptors drawn from the same space, so that about
 * half match and the rest miss by one thing (version, vCPUs, build,
 * components) or come from pairs with no configuration at all: a machine
 * is configuration pick(CONFIGS)'s space, and one draw of ten decides
 * what, if anything, misses: 0-4 nothing, 5 the guest version (major
 * +300), 6 the vCPU count (3), 7 the host build (9999), 8 the components
 * (vmbus only), 9 the guest OS (one of ten no configuration names).
 * Each descriptor is real-size, 5 to 7 kB of compact JSON shaped like
 * `covalid probe --json` (features, 6 to 14 hypervisor evidence items,
 * container evidence, os-release fields, disks and NICs, integration
 * components and their evidence); the fields no verdict reads do not change
 * the verdict.
 * Deterministic for a given SEED (default 1).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static const char *const hvs[] = { "microsoft", "kvm", "vmware", "xen", "oracle",
				   "bhyve", "amazon", "google", "parallels", "acrn" };
static const char *const builds[] = { "6002", "7601", "9600", "14393", "17763", "20348" };

#define N_OS 40
#define N_HV 10

static void config(FILE *f, unsigned i)
{
	unsigned os = i % N_OS, hv = (i / N_OS) % N_HV, major = (i / (N_OS * N_HV)) % 250 + 1;
	unsigned minor = i % 10, st = pick(100);
	const char *status = st < 60 ? "validated" : st < 90 ? "supported" : st < 95 ? "supported_historical"
					     : st < 98 ? "not_supported" : "revoked";
	char version[64];

	switch (i % 4) {
	case 0: snprintf(version, sizeof(version), "%u.%u", major, minor); break;
	case 1: snprintf(version, sizeof(version), "%u.%u-%u.%u", major, minor, major, minor + 3); break;
	case 2: snprintf(version, sizeof(version), "%u.x", major); break;
	default: snprintf(version, sizeof(version), "%u.%u+", major, minor); break;
	}
	fprintf(f, "{\"type\":\"configuration\",\"id\":\"cfg-%07u\",\"status\":\"%s\","
		   "\"guest\":{\"vendor\":\"Vendor %u\",\"product\":\"OS %02u\",\"os_id\":\"os%02u\",\"version\":\"%s\","
		   "\"arch\":[\"x86_64\"%s]},",
		i, status, os % 7, os, os, version, i % 3 == 0 ? ",\"i686\"" : "");
	if (hv == 0)
		fprintf(f, "\"hypervisor\":{\"vendor\":\"Microsoft\",\"product\":\"Hyper-V %u\",\"ids\":[\"microsoft\"],"
			   "\"version\":\"%u\",\"host_version\":\"10.0\",\"builds\":[\"%s\",\"%s\"]},"
			   "\"required_components\":[\"vmbus\",\"storvsc\",\"netvsc\"],",
			i % 6, i % 6, builds[i % 6], i % 6 == 0 ? "6001" : builds[(i + 1) % 6]);
	else if (i % 2)
		fprintf(f, "\"hypervisor\":{\"vendor\":\"HV vendor %u\",\"product\":\"HV %s\",\"ids\":[\"%s\"],"
			   "\"version\":\"unspecified\"},", hv, hvs[hv], hvs[hv]);
	else
		fprintf(f, "\"hypervisor\":{\"vendor\":\"HV vendor %u\",\"product\":\"HV %s\",\"ids\":[\"%s\"],"
			   "\"version\":\"%u\",\"host_version\":\"%u.x\"},", hv, hvs[hv], hvs[hv], i % 5 + 1, i % 5 + 1);
	if (i % 10 == 0)
		fprintf(f, "\"limits\":{\"max_vcpus\":4,\"allowed_vcpus\":[1,2,4],\"max_memory_mib\":%u},", 4096u << pick(5));
	else
		fprintf(f, "\"limits\":{\"max_vcpus\":%u,\"max_memory_mib\":%u},", 1u << pick(9), 4096u << pick(5));
	fprintf(f, "\"validated_by\":[\"Vendor %u\",\"HV vendor %u\"],\"source\":\"fleetgen (synthetic)\"}\n", os % 7,
		hv);
}

/*
 * The bulk of a real descriptor (`covalid probe --json`, compact): what the
 * probe says besides the fields a verdict reads.  Shaped after the fixtures
 * hyperv-nested, azure-ubuntu2204 and kvm-hyperv-enlightened: a feature
 * list, evidence lists with cpuid/DMI/sysfs items, os-release fields, disks
 * and NICs, integration components with their evidence.
 */
static const char *const hv_features =
	"\"hyperv:AccessVpRunTimeReg\",\"hyperv:AccessPartitionReferenceCounter\",\"hyperv:AccessSynicRegs\","
	"\"hyperv:AccessSyntheticTimerRegs\",\"hyperv:AccessIntrCtrlRegs\",\"hyperv:AccessHypercallMsrs\","
	"\"hyperv:AccessVpIndex\",\"hyperv:AccessPartitionReferenceTsc\",\"hyperv:AccessGuestIdleReg\","
	"\"hyperv:AccessFrequencyRegs\",\"hyperv:AccessPartitionId\",\"hyperv:PostMessages\",\"hyperv:SignalEvents\","
	"\"hyperv:GuestDebugging\",\"hyperv:XmmHypercallInput\",\"hyperv:GuestIdleState\",\"hyperv:NumaDistanceQuery\","
	"\"hyperv:TimerFrequencies\",\"hyperv:SyntheticMachineCheck\",\"hyperv:ExtendedGvaRangesForFlush\","
	"\"hyperv-rec:HypercallForRemoteFlush\",\"hyperv-rec:MsrForApicAccess\",\"hyperv-rec:RelaxedTiming\","
	"\"hyperv-rec:SyntheticClusterIpi\",\"hyperv-rec:ExProcessorMasks\",\"hyperv-hw:MsrBitmaps\","
	"\"hyperv-hw:ArchitecturalPerfCounters\",\"hyperv-hw:SecondLevelAddressTranslation\"";
static const char *const kvm_features =
	"\"kvm:clocksource\",\"kvm:nop_io_delay\",\"kvm:clocksource2\",\"kvm:async_pf\",\"kvm:steal_time\","
	"\"kvm:pv_eoi\",\"kvm:pv_unhalt\",\"kvm:pv_tlb_flush\",\"kvm:async_pf_vmexit\",\"kvm:pv_send_ipi\","
	"\"kvm:poll_control\",\"kvm:pv_sched_yield\",\"kvm:async_pf_int\",\"kvm:clocksource_stable\"";

/* Hypervisor evidence items; a descriptor carries the first 6 to 14. */
static const char *const hv_evidence[] = {
	"{\"source\":\"cpuid:0x00000000\",\"value\":\"GenuineIntel\",\"meaning\":\"CPU vendor\",\"suggests\":null}",
	"{\"source\":\"cpuid:0x00000001\",\"value\":\"ecx bit 31 set\",\"meaning\":\"hypervisor present bit\",\"suggests\":\"vm\"}",
	"{\"source\":\"cpuid:0x40000000\",\"value\":\"signature '%s', max leaf 0x4000000b\",\"meaning\":\"hypervisor signature of %s\",\"suggests\":\"%s\"}",
	"{\"source\":\"cpuid:0x40000001\",\"value\":\"interface 'Hv#1'\",\"meaning\":\"Hyper-V interface Hv#1: the TLFS hypercall ABI is offered\",\"suggests\":null}",
	"{\"source\":\"cpuid:0x40000002\",\"value\":\"version 10.0 build 20348 service pack 0 branch 0 number 0\",\"meaning\":\"host Hyper-V version (the host build follows the Windows Server release)\",\"suggests\":null}",
	"{\"source\":\"cpuid:0x40000003\",\"value\":\"privileges eax=0x00000e7f [AccessVpRunTimeReg, AccessPartitionReferenceCounter, AccessSynicRegs, AccessSyntheticTimerRegs, AccessIntrCtrlRegs, AccessHypercallMsrs, AccessVpIndex, AccessPartitionReferenceTsc, AccessGuestIdleReg, AccessFrequencyRegs] ebx=0x002bb9ff [AccessPartitionId, PostMessages, SignalEvents]; features edx=0x0000e3b2 [GuestDebugging, XmmHypercallInput, GuestIdleState, NumaDistanceQuery, TimerFrequencies]\",\"meaning\":\"partition privileges and features\",\"suggests\":null}",
	"{\"source\":\"cpuid:0x40000004\",\"value\":\"recommendations eax=0x00000c2c [HypercallForRemoteFlush, MsrForApicAccess, RelaxedTiming, SyntheticClusterIpi, ExProcessorMasks] spinlock retries 0x00000fff\",\"meaning\":\"enlightenments the hypervisor recommends\",\"suggests\":null}",
	"{\"source\":\"cpuid:0x40000005\",\"value\":\"max virtual processors 3840, max logical processors 1024, interrupt vectors 171\",\"meaning\":\"hypervisor implementation limits\",\"suggests\":null}",
	"{\"source\":\"/sys/class/dmi/id/product_name\",\"value\":\"Virtual Machine\",\"meaning\":null,\"suggests\":null}",
	"{\"source\":\"/sys/class/dmi/id/sys_vendor\",\"value\":\"%s\",\"meaning\":null,\"suggests\":null}",
	"{\"source\":\"/sys/class/dmi/id/bios_vendor\",\"value\":\"%s\",\"meaning\":null,\"suggests\":null}",
	"{\"source\":\"/sys/class/dmi/id/product_version\",\"value\":\"7.0\",\"meaning\":null,\"suggests\":null}",
	"{\"source\":\"/sys/class/dmi/id/bios_version\",\"value\":\"UEFI Release v4.1\",\"meaning\":\"firmware names '%s'\",\"suggests\":\"%s\"}",
	"{\"source\":\"/sys/devices/system/clocksource/clocksource0/current_clocksource\",\"value\":\"tsc\",\"meaning\":\"the paravirtual clock of %s\",\"suggests\":\"%s\"}",
};

static const char *const uuids[] = { "f8b3781b-1e82-4818-a1c3-63d806ec15bb", "000d3a6e-4f1c-000d-3a6e-4f1c000d3a6e",
				     "242ff919-07db-4180-9c2e-b86cb68c8c55", "525074dc-8985-46e2-8057-a307dc18a502" };

static void machine(FILE *f, unsigned configs)
{
	unsigned i = pick(configs), os = i % N_OS, hv = (i / N_OS) % N_HV, major = (i / (N_OS * N_HV)) % 250 + 1;
	unsigned minor = i % 10, miss = pick(10);
	unsigned vcpus = 1u << pick(4), memory = 1024u << pick(4);
	const char *arch = "x86_64", *build = builds[i % 6];
	const char *comps = "\"vmbus\",\"storvsc\",\"netvsc\"";
	unsigned n_ev, gminor;

	/* Half hit a configuration's space exactly; the rest miss by one thing. */
	switch (miss) {
	case 5: major += 300; break;            /* a guest version nobody validated */
	case 6: vcpus = 3; break;               /* not in any set, often above a max */
	case 7: build = "9999"; break;          /* an unknown host build */
	case 8: comps = "\"vmbus\""; break;     /* missing drivers */
	case 9: os = N_OS + pick(10); break;    /* a guest OS with no configuration */
	default: break;
	}
	gminor = minor + pick(2);
	n_ev = 6 + pick(9);
	/* The fields a verdict reads (as before), in the probe's member order. */
	fprintf(f, "{\"schema\":\"covalid.descriptor/1\",\"probed_at\":\"2026-11-%02uT%02u:%02u:%02uZ\",\"root\":null,"
		   "\"hypervisor\":{\"id\":\"%s\",\"product\":\"%s %s\",\"version\":\"%s\",\"version_source\":\"cpuid\","
		   "\"build\":%s%s%s,\"cloud\":null,\"nested\":false,\"features\":[%s],\"evidence\":[",
		pick(28) + 1, pick(24), pick(60), pick(60), hvs[hv], hv == 0 ? "Windows Server" : "Platform",
		hv == 0 ? "Hyper-V" : hvs[hv], hv == 0 ? "10.0" : "3.1", hv == 0 ? "\"" : "", hv == 0 ? build : "null",
		hv == 0 ? "\"" : "", hv == 0 ? hv_features : kvm_features);
	for (unsigned e = 0; e < n_ev; e++) {
		if (e)
			fputc(',', f);
		fprintf(f, hv_evidence[e], hvs[hv], hvs[hv], hvs[hv]);
	}
	fprintf(f, "],\"conflicts\":[]},\"container\":{\"id\":\"none\",\"evidence\":["
		   "{\"source\":\"/proc/1/cgroup\",\"value\":\"0::/init.scope\",\"meaning\":\"PID 1 in the root cgroup\",\"suggests\":null},"
		   "{\"source\":\"/run/systemd/container\",\"value\":null,\"meaning\":\"absent\",\"suggests\":null},"
		   "{\"source\":\"/.dockerenv\",\"value\":null,\"meaning\":\"absent: not a Docker container\",\"suggests\":null},"
		   "{\"source\":\"/run/.containerenv\",\"value\":null,\"meaning\":\"absent: not a Podman container\",\"suggests\":null},"
		   "{\"source\":\"/proc/self/mountinfo\",\"value\":\"/ on /dev/sda1 type ext4\",\"meaning\":\"the root is a block device, not an overlay\",\"suggests\":null}]},"
		   "\"guest\":{\"kernel\":\"6.1.0-%u-amd64\",\"arch\":\"%s\",\"os\":{\"id\":\"os%02u\",\"version\":\"%u.%u\","
		   "\"name\":\"Operating System %02u\",\"pretty\":\"Operating System %02u %u.%u (release %u)\","
		   "\"osinfo\":\"os%02u-%u.%u\",\"source\":\"/etc/os-release\",\"service_pack\":null,\"edition\":null}},"
		   "\"vm\":{\"vcpus\":%u,\"vcpus_possible\":%u,\"memory_mib\":%u,\"firmware\":\"uefi\",\"disks\":["
		   "{\"name\":\"sda\",\"driver\":\"%s\",\"bus\":\"%s\",\"model\":null},"
		   "{\"name\":\"sdb\",\"driver\":\"%s\",\"bus\":\"%s\",\"model\":\"Virtual Disk\"},"
		   "{\"name\":\"sdc\",\"driver\":\"%s\",\"bus\":\"%s\",\"model\":\"Virtual Disk\"},"
		   "{\"name\":\"sr0\",\"driver\":\"ata_piix\",\"bus\":\"pci\",\"model\":\"Virtual DVD-ROM\"}],"
		   "\"nics\":[{\"name\":\"eth0\",\"driver\":\"%s\",\"bus\":\"%s\",\"model\":null}]},",
		pick(30) + 1, arch, os, major, gminor, os, os, major, gminor, pick(1000), os, major, gminor, vcpus, vcpus,
		memory, hv == 0 ? "hv_storvsc" : "virtio_blk", hv == 0 ? "vmbus" : "virtio",
		hv == 0 ? "hv_storvsc" : "virtio_blk", hv == 0 ? "vmbus" : "virtio",
		hv == 0 ? "hv_storvsc" : "virtio_blk", hv == 0 ? "vmbus" : "virtio", hv == 0 ? "hv_netvsc" : "virtio_net",
		hv == 0 ? "vmbus" : "virtio");
	fprintf(f, "\"integration\":{\"expected\":[\"vmbus\",\"storvsc\",\"netvsc\",\"utils\",\"balloon\"],"
		   "\"present\":[%s],\"missing\":[\"utils\",\"balloon\"],\"recommended\":[\"kvp_daemon\",\"vss_daemon\"],"
		   "\"recommended_missing\":[\"kvp_daemon\"],\"unbound\":[],\"evidence\":[",
		hv == 0 ? comps : "");
	for (unsigned e = 0; e < 4; e++)
		fprintf(f, "%s{\"source\":\"/sys/bus/vmbus/devices/%s/driver\",\"value\":\"hv_%s\","
			   "\"meaning\":\"%s: hv_%s bound to %s\",\"suggests\":null}",
			e ? "," : "", uuids[e], (const char *const[]){ "storvsc", "netvsc", "utils", "balloon" }[e],
			(const char *const[]){ "storvsc", "netvsc", "utils", "balloon" }[e],
			(const char *const[]){ "storvsc", "netvsc", "utils", "balloon" }[e], uuids[e]);
	for (unsigned e = 0; e < 8; e++)
		fprintf(f, ",{\"source\":\"/proc/modules\",\"value\":\"%s %u %u - Live 0x0000000000000000\","
			   "\"meaning\":\"kernel module %s loaded\",\"suggests\":null}",
			(const char *const[]){ "hv_vmbus", "hv_storvsc", "hv_netvsc", "hv_utils", "hv_balloon", "hyperv_keyboard",
					       "hv_sock", "hyperv_drm" }[e], 20480 + 4096 * e, e % 3,
			(const char *const[]){ "hv_vmbus", "hv_storvsc", "hv_netvsc", "hv_utils", "hv_balloon", "hyperv_keyboard",
					       "hv_sock", "hyperv_drm" }[e]);
	fprintf(f, "]},\"notes\":[\"probed without root: some sources were not readable\"]}\n");
}

int main(int argc, char **argv)
{
	unsigned long configs, machines;
	FILE *cat, *fleet;

	if (argc < 5) {
		fprintf(stderr, "usage: fleetgen CONFIGS MACHINES CATALOG.jsonl FLEET.jsonl [SEED]\n");
		return 2;
	}
	configs = strtoul(argv[1], NULL, 10);
	machines = strtoul(argv[2], NULL, 10);
	if (argc > 5)
		rng ^= strtoull(argv[5], NULL, 10) * 0x9e3779b97f4a7c15ull;
	if (!configs || configs > 10000000 || machines > 100000000) {
		fprintf(stderr, "fleetgen: CONFIGS must be 1..10000000, MACHINES at most 100000000\n");
		return 2;
	}
	cat = fopen(argv[3], "w");
	fleet = fopen(argv[4], "w");
	if (!cat || !fleet) {
		perror("fleetgen");
		return 2;
	}
	for (unsigned i = 0; i < configs; i++)
		config(cat, i);
	for (unsigned long i = 0; i < machines; i++)
		machine(fleet, (unsigned)configs);
	if (fclose(cat) != 0 || fclose(fleet) != 0) {
		perror("fleetgen");
		return 1;
	}
	return 0;
}
