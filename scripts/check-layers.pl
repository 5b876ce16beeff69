#!/usr/bin/perl
# check-layers.pl [TREE] - every #include of TREE/src against the layer
# rules of TREE/docs/ARCHITECTURE.md (the table is read from there, so the
# rules and their check cannot drift apart).  Prints one line per broken
# rule, "FILE:LINE: includes X: module A may not include B (rule)", and
# exits 1 if there is any; 2 if the rules cannot be read.
use strict;
use warnings;

my $tree = shift // '.';
my $doc = "$tree/docs/ARCHITECTURE.md";
open(my $fh, '<', $doc) or do { print STDERR "check-layers: $doc: $!\n"; exit 2 };
my (%may, %sys_only);
while (<$fh>) {
	# | `src/probe/` | what | util descriptor |
	if (/^\|\s*`src\/([a-z-]+)\/`\s*\|[^|]*\|\s*([a-z -]*?)\s*\|\s*$/) {
		$may{$1} = { map { $_ => 1 } split ' ', $2 };
	}
	# | `microhttpd.h` | server |
	elsif (/^\|\s*`([a-z0-9_.\/-]+\.h)`\s*\|\s*([a-z -]+?)\s*\|\s*$/) {
		$sys_only{$1} = { map { $_ => 1 } split ' ', $2 };
	}
}
close $fh;
if (!%may || !%sys_only) {
	print STDERR "check-layers: $doc: no layer table found\n";
	exit 2;
}

my %util_headers = map { $_ => 1 } qw(util root version covalid);
my $bad = 0;

sub module_of_header {
	my ($inc) = @_;
	return $util_headers{$1} ? 'util' : $1 if $inc =~ m{^covalid/([a-z-]+)\.h$};
	return $1 if $inc =~ m{^([a-z-]+)/[^/]+\.h$};
	return undef;
}

opendir(my $src, "$tree/src") or do { print STDERR "check-layers: $tree/src: $!\n"; exit 2 };
for my $mod (sort grep { !/^\./ && -d "$tree/src/$_" } readdir $src) {
	if (!$may{$mod}) {
		print "src/$mod/: no row in docs/ARCHITECTURE.md: every folder of src/ has its rules\n";
		$bad = 1;
		next;
	}
	# A module's platform folders (src/MOD/win/) are the module too.
	my @files;
	for my $sub ('', '/win') {
		opendir(my $d, "$tree/src/$mod$sub") or next;
		push @files, map { "src/$mod$sub/$_" } sort grep { /\.[ch]$/ } readdir $d;
		closedir $d;
	}
	for my $path (@files) {
		open(my $in, '<', "$tree/$path") or next;
		while (my $line = <$in>) {
			if ($line =~ /^\s*#\s*include\s*"([^"]+)"/) {
				my $inc = $1;
				my $to = module_of_header($inc);
				next if !defined $to || $to eq $mod;
				if ($inc =~ m{-internal\.h$}) {
					print "$path:$.: includes \"$inc\": a module's -internal.h is for its own files;",
					      " what $mod needs of $to belongs in include/covalid/$to.h (docs/ARCHITECTURE.md)\n";
					$bad = 1;
				} elsif (!$may{$mod}{$to}) {
					print "$path:$.: includes \"$inc\": module $mod may not include $to",
					      " (docs/ARCHITECTURE.md: $mod may include ",
					      join(' ', sort keys %{$may{$mod}}) || 'nothing', ")\n";
					$bad = 1;
				}
			} elsif ($line =~ /^\s*#\s*include\s*<([^>]+)>/ && $sys_only{$1} && $sys_only{$1}{win}) {
				# A Windows header: only in a module's win/ folder.
				if ($path !~ m{^src/[a-z-]+/win/}) {
					print "$path:$.: includes <$1>: only a win/ folder may (docs/ARCHITECTURE.md, Platforms)\n";
					$bad = 1;
				}
			} elsif ($line =~ /^\s*#\s*include\s*<([^>]+)>/ && $sys_only{$1} && !$sys_only{$1}{$mod}) {
				print "$path:$.: includes <$1>: only ", join(' ', sort keys %{$sys_only{$1}}),
				      " may (docs/ARCHITECTURE.md, guest side)\n";
				$bad = 1;
			}
		}
		close $in;
	}
}
closedir $src;
exit $bad;
