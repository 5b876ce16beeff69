#!/usr/bin/perl
# virt-what-map.pl [--container] - maps virt-what's facts (one per line on
# stdin) to the id covalid reports, in systemd-detect-virt's vocabulary:
# the hypervisor id (systemd-detect-virt --vm), or with --container the
# container id (systemd-detect-virt --container).
# The table is documented in docs/probe.md ("Peers").
#
# Every fact virt-what can print (virt-what.in, 1.27) is listed below,
# either as naming an id or as a qualifier that names none by itself; a
# fact not listed is an error (exit 2), never read as "none", so that a
# new virt-what fact is looked at before it is compared.  No facts at all
# is virt-what's word for bare metal: none.
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
my @facts = grep { length } map { my $f = $_; chomp $f; $f } <STDIN>;
my %facts = map { ($_ => 1) } @facts;

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
	[ ['powervm_lx86'], 'powervm' ], # x86 translation inside a PowerVM partition
	[ ['uml'], 'uml' ],
	[ ['qemu'], 'qemu' ],
	[ ['lkvm'], 'kvm' ],             # kvmtool, a KVM-only VMM
	[ ['kvm'], 'kvm' ],
	[ ['rhev'], 'kvm' ],             # RHEV-H and oVirt are KVM hosts
	[ ['ovirt'], 'kvm' ],
	[ ['vmm'], 'vm-other' ],         # OpenBSD vmm: no systemd id
	[ ['virtage'], 'vm-other' ],     # Hitachi Virtage LPARs: no systemd id
	[ ['ldoms'], 'vm-other' ],       # SPARC logical domains: no systemd id
	[ ['virt'], 'vm-other' ],        # ia64 timing test: "some sort of virt"
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
# Facts that name no id by themselves: the platform or cloud beside a
# hypervisor fact, or a detail of one.  ibm_systemz-lpar and -direct are
# Linux in a PR/SM partition or on the machine itself, where systemd
# (detect_vm_zvm(): no "VM00 Control Program") says none.
my @qualifiers = qw(
	aws alibaba_cloud alibaba_cloud-ebm redhat xen-dom0 xen-domU xen-hvm
	ibm_systemz ibm_systemz-lpar ibm_systemz-direct linux_vserver linux_vserver-host
	ldoms-control ldoms-guest ldoms-root ldoms-io
);

my %known = map { ($_ => 1) } @qualifiers, map { @{ $_->[0] } } @vm_rules, @ct_rules;
my @unknown = grep { !$known{$_} } @facts;
if (@unknown) {
	print STDERR "virt-what-map.pl: fact(s) not in the map: @unknown (docs/probe.md, \"Peers\")\n";
	exit 2;
}
for my $r ($container ? @ct_rules : @vm_rules) {
	if (!grep { !$facts{$_} } @{ $r->[0] }) {
		print "$r->[1]\n";
		exit 0;
	}
}
print "none\n";
