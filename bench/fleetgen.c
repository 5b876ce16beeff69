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
 * components) or come from pairs with no configuration at all.
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

static void machine(FILE *f, unsigned configs)
{
	unsigned i = pick(configs), os = i % N_OS, hv = (i / N_OS) % N_HV, major = (i / (N_OS * N_HV)) % 250 + 1;
	unsigned minor = i % 10, miss = pick(10);
	unsigned vcpus = 1u << pick(4), memory = 1024u << pick(4);
	const char *arch = "x86_64", *build = builds[i % 6];
	const char *comps = "\"vmbus\",\"storvsc\",\"netvsc\"";

	/* Half hit a configuration's space exactly; the rest miss by one thing. */
	switch (miss) {
	case 5: major += 300; break;            /* a guest version nobody validated */
	case 6: vcpus = 3; break;               /* not in any set, often above a max */
	case 7: build = "9999"; break;          /* an unknown host build */
	case 8: comps = "\"vmbus\""; break;     /* missing drivers */
	case 9: os = N_OS + pick(10); break;    /* a guest OS with no configuration */
	default: break;
	}
	fprintf(f, "{\"schema\":\"covalid.descriptor/1\",\"hypervisor\":{\"id\":\"%s\",\"version\":\"%s\","
		   "\"build\":%s%s%s},\"container\":{\"id\":\"none\"},"
		   "\"guest\":{\"os\":{\"id\":\"os%02u\",\"version\":\"%u.%u\"},\"kernel\":\"6.1.0\",\"arch\":\"%s\"},"
		   "\"vm\":{\"vcpus\":%u,\"memory_mib\":%u,\"firmware\":\"uefi\"},"
		   "\"integration\":{\"present\":[%s]}}\n",
		hvs[hv], hv == 0 ? "10.0" : "3.1", hv == 0 ? "\"" : "", hv == 0 ? build : "null", hv == 0 ? "\"" : "", os,
		major, minor + pick(2), arch, vcpus, memory, hv == 0 ? comps : "");
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
