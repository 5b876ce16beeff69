#!/usr/bin/perl
# slowloris.pl - hold many connections open with request heads that never
# end, a header line at a time, as the slowloris attack does; say how the
# server dealt with them.  For t4004; loopback only, bounded in time.
#
#   slowloris.pl HOST:PORT FROM-ADDR COUNT EVERY-SECONDS FOR-SECONDS [EARLY]
#
# Prints one line: "opened=N refused=R cut=C open=O last_cut=S", where
# refused are connections the server closed (or never accepted) within
# EARLY seconds (default 0.5; less than the server's head deadline); cut
# are those it closed later; open those still open when FOR-SECONDS ran out; last_cut the
# seconds after the start at which the last one was cut.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);

my ($hp, $from, $count, $every, $for, $early) = @ARGV;
defined $for or die "usage: slowloris.pl HOST:PORT FROM COUNT EVERY FOR [EARLY]\n";
$early //= 0.5;
$SIG{PIPE} = 'IGNORE';

my $t0 = time;
my (@socks, %born);
my ($refused, $cut, $last_cut) = (0, 0, 0);
for (1 .. $count) {
	my $s = IO::Socket::INET->new(PeerAddr => $hp, LocalAddr => $from, Timeout => 2);
	if (!$s) { $refused++; next }
	$s->blocking(0);
	syswrite($s, "GET /healthz HTTP/1.1\r\nHost: slow\r\n");
	$born{fileno $s} = time;
	push @socks, $s;
}
my $opened = @socks;
my $sel = IO::Select->new(@socks);
my $next = time + $every;
while ($sel->count && time - $t0 < $for) {
	for my $s ($sel->can_read(0.05)) {
		my $buf;
		my $n = sysread($s, $buf, 4096);
		next if !defined $n && $!{EAGAIN};
		# Anything read, or the end, means the server is done with it.
		if (time - $born{fileno $s} < $early) { $refused++ } else { $cut++; $last_cut = time - $t0 }
		$sel->remove($s);
		close $s;
	}
	if (time >= $next) {
		syswrite($_, "X-Slow: a\r\n") for $sel->handles;
		$next += $every;
	}
}
printf "opened=%d refused=%d cut=%d open=%d last_cut=%.1f\n", $opened, $refused, $cut, scalar($sel->count),
	$last_cut;
