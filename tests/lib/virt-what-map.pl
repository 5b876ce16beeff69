#!/usr/bin/perl
# virt-what-map.pl [--container] - maps virt-what's facts (one per line on
# stdin) to the id covalid reports, in systemd-detect-virt's vocabulary:
# the hypervisor id (systemd-detect-virt --vm), or with --container the
# container id (systemd-detect-virt --container).
# The table is documented in docs/probe.md ("Peers").
#
# Some facts name a cloud or a platform, not a hypervisor: virt-what prints
# `aws` from Amazon's SMBIOS on EC2 bare-metal instances as well as in
# guests ("AWS on baremetal or KVM", its script's own comment), and
# `alibaba_cloud` on Alibaba's bare-metal (EBM) instances; the hypervisor is
# then the kvm or xen fact printed beside them, and with none beside them
# there is none (systemd's detect_vm_dmi() says none on *.metal too).
# Hypervisors and containers systemd has no name for map to its catch-alls,
# vm-other and container-other.
use strict;
use warnings;

my $container = @ARGV && $ARGV[0] eq '--container';
my %facts = map { chomp; ($_ => 1) } grep { /\S/ } <STDIN>;

my @vm_rules = (
	# [ facts that must all be present, our id ]
	[ ['aws', 'kvm'], 'amazon' ],
	[ ['aws', 'xen'], 'xen' ],
	[ ['nutanix_ahv'], 'kvm' ],      # AHV is KVM-based
	[ ['upcloud'], 'kvm' ],          # UpCloud runs KVM
	[ ['google_cloud'], 'google' ],
	[ ['hyperv'], 'microsoft' ],
	[ ['virtualpc'], 'microsoft' ],  # systemd: SMBIOS "Microsoft Corporation"
	[ ['virtualbox'], 'oracle' ],
	[ ['parallels'], 'parallels' ],
	[ ['bhyve'], 'bhyve' ],
	[ ['xen'], 'xen' ],              # with xen-dom0, xen-domU, xen-hvm
	[ ['vmware'], 'vmware' ],
	[ ['ibm_systemz-zvm'], 'zvm' ],
	[ ['ibm_systemz-kvm'], 'kvm' ],
	[ ['ibm_power-kvm'], 'kvm' ],
	[ ['ibm_power-lpar_shared'], 'powervm' ],
	[ ['ibm_power-lpar_dedicated'], 'powervm' ],
	[ ['uml'], 'uml' ],
	[ ['qemu'], 'qemu' ],
	[ ['lkvm'], 'kvm' ],             # kvmtool, a KVM-only VMM
	[ ['kvm'], 'kvm' ],
	[ ['bochs'], 'bochs' ],
	[ ['apple'], 'apple' ],
	[ ['vmm'], 'vm-other' ],         # OpenBSD vmm: no systemd id
	[ ['virtage'], 'vm-other' ],     # Hitachi Virtage LPARs: no systemd id
	[ ['ldoms'], 'vm-other' ],       # SPARC logical domains: no systemd id
);
my @ct_rules = (
	[ ['docker'], 'docker' ],
	[ ['podman'], 'podman' ],
	[ ['lxc'], 'lxc' ],
	[ ['openvz'], 'openvz' ],
	[ ['systemd_nspawn'], 'systemd-nspawn' ],
	# container= names systemd does not translate become container-other
	# (its detect_container()): CRI-O, plain OCI runtimes, illumos LX
	# zones (container=zone); Linux-VServer it does not name either.
	[ ['crio'], 'container-other' ],
	[ ['oci'], 'container-other' ],
	[ ['illumos-lx'], 'container-other' ],
	[ ['linux_vserver-guest'], 'container-other' ],
);
for my $r ($container ? @ct_rules : @vm_rules) {
	if (!grep { !$facts{$_} } @{ $r->[0] }) {
		print "$r->[1]\n";
		exit 0;
	}
}
print "none\n";
