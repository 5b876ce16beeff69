#!/usr/bin/perl
# virt-what-map.pl - maps virt-what's facts (one per line on stdin) to the
# hypervisor id covalid reports (systemd-detect-virt's vocabulary).
# The table is documented in docs/probe.md ("Peers").
use strict;
use warnings;

my %facts = map { chomp; ($_ => 1) } grep { /\S/ } <STDIN>;
my @rules = (
	# [ facts that must all be present, our id ]
	[ ['aws', 'kvm'], 'amazon' ],
	[ ['aws', 'xen'], 'xen' ],
	[ ['aws'], 'amazon' ],
	[ ['nutanix_ahv'], 'kvm' ],
	[ ['alibaba_cloud'], 'kvm' ],
	[ ['upcloud'], 'kvm' ],
	[ ['google_cloud'], 'google' ],
	[ ['hyperv'], 'microsoft' ],
	[ ['virtualbox'], 'oracle' ],
	[ ['parallels'], 'parallels' ],
	[ ['bhyve'], 'bhyve' ],
	[ ['xen'], 'xen' ],
	[ ['vmware'], 'vmware' ],
	[ ['ibm_systemz-zvm'], 'zvm' ],
	[ ['ibm_systemz-kvm'], 'kvm' ],
	[ ['ibm_power-kvm'], 'kvm' ],
	[ ['ibm_power-lpar_shared'], 'powervm' ],
	[ ['ibm_power-lpar_dedicated'], 'powervm' ],
	[ ['uml'], 'uml' ],
	[ ['qemu'], 'qemu' ],
	[ ['lkvm'], 'kvm' ],
	[ ['kvm'], 'kvm' ],
	[ ['bochs'], 'bochs' ],
	[ ['apple'], 'apple' ],
);
for my $r (@rules) {
	if (!grep { !$facts{$_} } @{ $r->[0] }) {
		print "$r->[1]\n";
		exit 0;
	}
}
print "none\n";
