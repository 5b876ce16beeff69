#!/usr/bin/perl
# virt-what-root.pl CASE_DIR OUT_DIR - turns one of virt-what's test roots
# into a root `covalid probe --root` reads.  virt-what's roots hold their
# own proc/ and sys/ files plus scripts standing in for the tools it runs:
# sbin/dmidecode (prints a dmidecode dump), sbin/virt-what-cpuid-helper
# (prints the CPUID hypervisor signature) and sbin/uname (prints the
# architecture).  Those are read as text, never executed: the dump becomes
# sys/class/dmi/id/*, the signature cpuid.txt, the architecture
# proc/sys/kernel/arch.
use strict;
use warnings;
use File::Copy qw(copy);
use File::Find;
use File::Path qw(make_path);

my ($case, $out) = @ARGV;
die "usage: virt-what-root.pl CASE_DIR OUT_DIR\n" unless $case && $out && -d $case;
$case =~ s{/+$}{};
make_path($out);

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return undef; local $/; my $s = <$fh>; close $fh; return $s }
sub spew { my ($f, $s) = @_; my ($d) = $f =~ m{^(.*)/}; make_path($d) if $d; open(my $fh, '>', $f) or die "$f: $!\n"; print $fh $s; close $fh }

# The files of the root, as they are (not sbin/ or the test's own files).
find({ no_chdir => 1, wanted => sub {
	return if $File::Find::name eq $case;
	my $rel = substr($File::Find::name, length($case) + 1);
	return if $rel =~ m{^(sbin|expected|test\.sh)(/|$)};
	if (-l $_) { symlink(readlink($_), "$out/$rel") }
	elsif (-d $_) { make_path("$out/$rel") }
	else { copy($_, "$out/$rel") or die "$rel: $!\n" }
} }, $case);

# What a shell script prints: the text of its here-document, or its echo.
sub script_output {
	my ($text) = @_;
	return undef unless defined $text;
	if ($text =~ /<<\s*'?(\w+)'?\s*\n(.*?)^\1\s*$/ms) { return $2 }
	my @echo = $text =~ /^\s*echo\s+(?:-e\s+)?"?(.*?)"?\s*$/mg;
	return join("\n", @echo);
}

my $dmi = script_output(slurp("$case/sbin/dmidecode"));
if (defined $dmi && $dmi =~ /\S/) {
	my %want = (
		'BIOS Information' => { 'Vendor' => 'bios_vendor', 'Version' => 'bios_version' },
		'System Information' => { 'Manufacturer' => 'sys_vendor', 'Product Name' => 'product_name',
					  'Version' => 'product_version' },
		'Base Board Information' => { 'Manufacturer' => 'board_vendor' },
		'Chassis Information' => { 'Asset Tag' => 'chassis_asset_tag' },
	);
	my $section = '';
	my %seen;
	for my $line (split /\n/, $dmi) {
		if ($line =~ /^(\S.*?)\s*$/ && $line !~ /^Handle /) { $section = $1; next }
		next unless $want{$section};
		if ($line =~ /^\t([^\t:]+):\s*(.*?)\s*$/ && $want{$section}{$1}) {
			my $file = $want{$section}{$1};
			next if $seen{$file}++;
			spew("$out/sys/class/dmi/id/$file", "$2\n");
		}
	}
}

# The helper prints leaf 0x40000000's bytes whatever is there; on bare
# metal that is junk ("@", "?").  Only a printable signature of four or
# more characters is taken as a hypervisor's; anything else means the
# hypervisor bit is clear.
# A helper that prints nothing on a machine whose cpuinfo is not x86's
# (arm64 has no CPUID) means no CPUID at all, not a clear bit.
my $cpuinfo = slurp("$case/proc/cpuinfo") // '';
my $sig = script_output(slurp("$case/sbin/virt-what-cpuid-helper"));
$sig = undef if defined $sig && $sig !~ /\S/ && !($cpuinfo =~ /^(vendor_id|flags)\s*:/m);
if (defined $sig) {
	$sig =~ s/\s+$//;
	$sig = '' unless $sig =~ /^[\x20-\x7e]{4,12}$/;
	my @regs = unpack('V3', pack('a12', $sig));
	my $lines = "CPU:\n";
	$lines .= sprintf("   0x00000001 0x00: eax=0x00000000 ebx=0x00000000 ecx=0x%08x edx=0x00000000\n",
			  length($sig) ? 0x80000000 : 0);
	$lines .= sprintf("   0x40000000 0x00: eax=0x40000001 ebx=0x%08x ecx=0x%08x edx=0x%08x\n", @regs)
		if length $sig;
	spew("$out/cpuid.txt", $lines);
}

my $uname = script_output(slurp("$case/sbin/uname"));
if (defined $uname && $uname =~ /^(\S+)/) {
	spew("$out/proc/sys/kernel/arch", "$1\n") unless -e "$out/proc/sys/kernel/arch";
}
