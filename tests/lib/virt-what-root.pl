#!/usr/bin/perl
# virt-what-root.pl CASE_DIR OUT_DIR - turns one of virt-what's test roots
# into a root `covalid probe --root` reads.  virt-what's roots hold their
# own proc/, sys/, dev/ and run/ files plus shell scripts standing in for
# the tools it runs: sbin/dmidecode (prints a dmidecode dump),
# sbin/virt-what-cpuid-helper (prints the CPUID hypervisor signature) and
# sbin/uname (prints the architecture).  Those scripts are read, never
# executed: what each would print is worked out from its text (see
# stub_output), then the dump becomes sys/class/dmi/id/* and the SMBIOS
# type 0 entry, the signature cpuid.txt, the architecture
# proc/sys/kernel/arch.  A script this reader cannot follow is an error,
# not a guess.
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
sub spew {
	my ($f, $s) = @_;
	my ($d) = $f =~ m{^(.*)/};
	make_path($d) if $d;
	open(my $fh, '>', $f) or die "$f: $!\n";
	binmode $fh;
	print $fh $s;
	close $fh;
}

# The files of the root, as they are (not sbin/ or the test's own files).
find({ no_chdir => 1, wanted => sub {
	return if $File::Find::name eq $case;
	my $rel = substr($File::Find::name, length($case) + 1);
	return if $rel =~ m{^(sbin|expected|test\.sh|Makefile\.am|Makefile\.in|Makefile)(/|$)};
	if (-l $_) { symlink(readlink($_), "$out/$rel") }
	elsif (-d $_) { make_path("$out/$rel") }
	else { copy($_, "$out/$rel") or die "$rel: $!\n" }
} }, $case);

# shell_words(TEXT, WHERE) - the words of one simple command, as the shell
# splits and unquotes them: '...' is literal (so 'bhyve bhyve ' keeps its
# trailing space), "..." keeps everything but \ before $ ` " \ and
# newline, a bare \ quotes the next character.  Expansions ($, `) and
# operators are not followed: the caller is told, not guessed at.
sub shell_words {
	my ($s, $where) = @_;
	my @words;
	my ($w, $in_word) = ('', 0);
	pos($s) = 0;
	while (pos($s) < length($s)) {
		if ($s =~ /\G[ \t]+/gc) {
			push @words, $w if $in_word;
			($w, $in_word) = ('', 0);
		} elsif ($s =~ /\G'([^']*)'/gc) {
			$w .= $1; $in_word = 1;
		} elsif ($s =~ /\G"((?:[^"\\]|\\.)*)"/gcs) {
			my $q = $1;
			die "$where: a \$ or ` expansion inside double quotes; not followed\n" if $q =~ /(?<!\\)[\$`]/;
			$q =~ s/\\([\$`"\\\n])/$1 eq "\n" ? '' : $1/ge;
			$w .= $q; $in_word = 1;
		} elsif ($s =~ /\G\\(.)/gcs) {
			$w .= $1 eq "\n" ? '' : $1; $in_word = 1;
		} elsif (!$in_word && $s =~ /\G#/gc) {
			last;
		} elsif ($s =~ /\G([^ \t'"\\\$`;&|<>()#]+|#)/gc) {
			$w .= $1; $in_word = 1;
		} else {
			die "$where: unsupported shell syntax at '" . substr($s, pos($s), 20) . "'\n";
		}
	}
	push @words, $w if $in_word;
	return @words;
}

# stub_output(FILE) - what one of the root's sbin/ scripts prints: the
# commands these stubs use are `cat <<'EOF'` (a quoted here-document:
# literal; an unquoted one only when there is nothing in it to expand),
# `echo [-n] WORDS`, `printf TEXT` without conversions or escapes, and
# `exit N`, after which nothing more runs.
# Returns undef when the file does not exist.
sub stub_output {
	my ($file) = @_;
	my $text = slurp($file);
	return undef unless defined $text;
	my @lines = split /\n/, $text, -1;
	pop @lines if @lines && $lines[-1] eq '';
	my $output = '';
	for (my $i = 0; $i < @lines; $i++) {
		my $line = $lines[$i];
		my $where = "$file:" . ($i + 1);
		next if $line =~ /^\s*(#.*)?$/;
		if ($line =~ /^\s*cat\s*<<\s*(?:'(\w+)'|"(\w+)"|\\(\w+)|(\w+))\s*$/) {
			my ($end, $quoted) = ($1 // $2 // $3 // $4, !defined $4);
			my $j = $i + 1;
			$j++ while $j < @lines && $lines[$j] ne $end;
			die "$where: here-document without its $end line\n" if $j >= @lines;
			my $body = join('', map { "$_\n" } @lines[$i + 1 .. $j - 1]);
			# An unquoted delimiter expands $, ` and \ in the text.
			die "$where: an unquoted here-document whose text the shell would expand; not followed\n"
				if !$quoted && $body =~ /[\$`\\]/;
			$output .= $body;
			$i = $j;
		} elsif ($line =~ /^\s*printf\s+(.*)$/) {
			my @w = shell_words($1, $where);
			die "$where: printf with arguments or a format to interpret; not followed\n"
				if @w != 1 || $w[0] =~ /[%\\]/;
			$output .= $w[0];
		} elsif ($line =~ /^\s*echo(?:\s+(.*))?$/) {
			my @w = shell_words($1 // '', $where);
			my $nl = "\n";
			if (@w && $w[0] eq '-n') { shift @w; $nl = '' }
			# dash's echo would read backslashes in them, bash's would not.
			die "$where: a backslash left in echo's words; shells disagree on it\n" if grep { /\\/ } @w;
			$output .= join(' ', @w) . $nl;
		} elsif ($line =~ /^\s*exit(\s+\d+)?\s*$/) {
			last;
		} else {
			die "$where: unsupported command '$line'\n";
		}
	}
	return $output;
}

# $(command) keeps everything but the trailing newlines.
sub captured { my ($s) = @_; return undef unless defined $s; $s =~ s/\n+\z//; return $s }

# ---- dmidecode ----
# Sections of the dump: "Handle 0x0000, DMI type 0, 24 bytes" then the
# title ("BIOS Information") and "Key: Value" lines one level deeper
# (dmidecode 2.7 and older put "DMI type" on its own line and indent the
# title: the indentation is read, not assumed).  dmidecode prints "Not
# Specified" for a string the entry does not have (dmi_string(), index 0),
# which sysfs shows as an empty file.
my $dmi = captured(stub_output("$case/sbin/dmidecode"));
if (defined $dmi) {
	my %file_of = (
		'BIOS Information' => { 'Vendor' => 'bios_vendor', 'Version' => 'bios_version' },
		'System Information' => { 'Manufacturer' => 'sys_vendor', 'Product Name' => 'product_name',
					  'Version' => 'product_version' },
		'Base Board Information' => { 'Manufacturer' => 'board_vendor', 'Product Name' => 'board_name' },
		'Chassis Information' => { 'Manufacturer' => 'chassis_vendor', 'Asset Tag' => 'chassis_asset_tag' },
	);
	my ($type, $length, $title, $indent, %seen, %bios);
	for my $line (split /\n/, $dmi) {
		if ($line =~ /^Handle 0x[0-9A-Fa-f]+(?:, DMI type (\d+), (\d+) bytes)?/) {
			$seen{type0} = 1 if defined $type && $type == 0;
			($type, $length, $title) = ($1, $2, undef);
			next;
		}
		if ($line =~ /^\s*DMI type (\d+), (\d+) bytes/) { ($type, $length) = ($1, $2); next }
		next unless defined $type;
		my ($lead, $rest) = $line =~ /^(\t*)(.*?)\s*$/;
		next if $rest eq '';
		if (!defined $title) { ($title, $indent) = ($rest, length $lead); next }
		next if length($lead) <= $indent;
		if ($type == 0 && !$seen{'type0'}) {
			$bios{length} //= $length;
			$bios{vm} = 1 if length($lead) == $indent + 2 && $rest eq 'System is a virtual machine';
		}
		next unless length($lead) == $indent + 1 && $file_of{$title};
		my ($key, $value) = $rest =~ /^([^:]+):\s*(.*)$/ or next;
		my $file = $file_of{$title}{$key} or next;
		next if $seen{$file}++ || $value =~ /^<(OUT OF SPEC|BAD INDEX)>$/;
		spew("$out/sys/class/dmi/id/$file", $value eq 'Not Specified' ? "\n" : "$value\n");
	}
	# The type 0 entry as /sys/firmware/dmi/entries/0-0/raw holds it,
	# carrying the one fact covalid reads there and the dump shows: BIOS
	# characteristics extension byte 2 (offset 0x13) bit 4, which dmidecode
	# prints as "System is a virtual machine" whenever the entry is long
	# enough to have the byte (dmi_bios_characteristics_x2()).  Other bytes
	# are zero: the dump is not turned back into the whole table.
	if (defined $bios{length} && $bios{length} > 0x13 && $bios{length} < 256) {
		my @raw = (0) x $bios{length};
		@raw[0, 1] = (0, $bios{length});
		$raw[0x13] = 1 << 4 if $bios{vm};
		spew("$out/sys/firmware/dmi/entries/0-0/raw", pack('C*', @raw) . "\0\0");
	}
}

# ---- uname ----
my $arch = captured(stub_output("$case/sbin/uname"));
$arch = undef if defined $arch && $arch !~ /^\S+$/;
spew("$out/proc/sys/kernel/arch", "$arch\n") if defined $arch && !-e "$out/proc/sys/kernel/arch";

# ---- CPUID ----
# The helper prints a hypervisor's signature, exactly as virt-what compares
# it ("bhyve bhyve " with its space).  Current helpers print only
# signatures they know and nothing otherwise; old ones printed whatever
# leaf 0x40000000 held, which on bare metal is junk ("@", "?").  A printable
# string of 4 to 12 characters is taken as a signature; anything else means
# none.  Leaf 1's hypervisor bit is set with a signature, else as the
# kernel showed it ("hypervisor" in cpuinfo's flags) where cpuinfo has
# flags, else clear: the root says no hypervisor answered.  Only x86 has
# CPUID (the helper prints nothing elsewhere): by uname, or without one by
# an x86 cpuinfo.
my $cpuinfo = slurp("$case/proc/cpuinfo") // '';
my $x86 = defined $arch ? $arch =~ /^(x86_64|amd64|i[3-6]86)$/ : $cpuinfo =~ /^(vendor_id|flags)\s*:/m;
my $sig = captured(stub_output("$case/sbin/virt-what-cpuid-helper"));
if ($x86 && defined $sig) {
	$sig = '' unless $sig =~ /^[\x20-\x7e]{4,12}$/;
	my ($flags) = $cpuinfo =~ /^flags\s*:(.*)$/m;
	my $hv = length($sig) || (defined $flags && $flags =~ /(^|\s)hypervisor(\s|$)/);
	my $lines = "CPU:\n";
	$lines .= sprintf("   0x00000001 0x00: eax=0x00000000 ebx=0x00000000 ecx=0x%08x edx=0x00000000\n",
			  $hv ? 0x80000000 : 0);
	$lines .= sprintf("   0x40000000 0x00: eax=0x40000001 ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
			  unpack('V3', pack('a12', $sig)))
		if length $sig;
	spew("$out/cpuid.txt", $lines);
}
