#!/usr/bin/perl
# bench/lib/interleave.pl - whole-process wall times of several commands,
# run in alternation (A B C A B C ...), not all runs of one and then all of
# the next: whatever else the machine does during the bench (a build, the
# CPU's clock, the page cache) falls on every command alike.
#
#   interleave.pl RUNS WARMUP NAME=COMMAND...
#
# COMMAND is split on blanks and executed directly (no shell), its output
# to /dev/null.  Each run is timed from before fork to after the wait, so
# every command carries the same fork/exec/wait cost (which /bin/true, run
# the same way, measures).  WARMUP rounds first, untimed.  Prints a line
# per command: "NAME median_s min_s max_s runs"; dies naming a command that
# could not be run or was killed (an exit status other than 0 is an answer).
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my ($runs, $warmup, @specs) = @ARGV;
die "usage: interleave.pl RUNS WARMUP NAME=COMMAND...\n" unless defined $warmup && @specs;
my (@names, @cmds, %times);
for (@specs) {
	my ($name, $cmd) = /^([^=]+)=(.+)$/ or die "interleave.pl: '$_' is not NAME=COMMAND\n";
	push @names, $name;
	push @cmds, [ split ' ', $cmd ];
}

sub run_once {
	my ($cmd) = @_;
	my $t0 = clock_gettime(CLOCK_MONOTONIC);
	my $pid = fork // die "interleave.pl: fork: $!\n";
	if ($pid == 0) {
		open STDOUT, '>', '/dev/null';
		open STDERR, '>', '/dev/null';
		{ no warnings 'exec'; exec { $cmd->[0] } @$cmd; }
		POSIX::_exit(127);
	}
	waitpid $pid, 0;
	my $t = clock_gettime(CLOCK_MONOTONIC) - $t0;
	# An exit status is an answer (systemd-detect-virt says "none" with 1);
	# a command not run, or killed, is not.
	die "interleave.pl: '@$cmd' did not run (status $?)\n" if ($? >> 8) == 127 || ($? & 127);
	return $t;
}

for my $round (1 .. $warmup + $runs) {
	for my $i (0 .. $#cmds) {
		my $t = run_once($cmds[$i]);
		push @{ $times{ $names[$i] } }, $t if $round > $warmup;
	}
}
for my $name (@names) {
	my @t = sort { $a <=> $b } @{ $times{$name} };
	my $n = @t;
	my $median = $n % 2 ? $t[ ($n - 1) / 2 ] : ($t[ $n / 2 - 1 ] + $t[ $n / 2 ]) / 2;
	printf "%s %.9f %.9f %.9f %d\n", $name, $median, $t[0], $t[-1], $n;
}
