#!/usr/bin/perl
# rawhttp.pl - send bytes to an HTTP server exactly as given and say what
# came back, for the hostile-HTTP tests (t4004).  No HTTP library: a
# library would fix the very framing the tests break.
#
#   rawhttp.pl [options] HOST:PORT REQUEST
#
# REQUEST is the bytes to send; \r, \n, \t, \0, \xHH and \\ are unescaped,
# and {N*STRING} repeats STRING N times (for floods of parameters or
# headers).  Prints one line per answer read, "STATUS" (e.g. "400"), then
# "CLOSED" if the server closed the connection or "OPEN" if it was still
# open when the wait ended.  A server that sent nothing at all before the
# wait ended prints "TIMEOUT".
#
#   --half-close     shut down our sending side after the request
#   --wait S         seconds to wait for answers (default 5)
#   --drip S         send the request one byte every S seconds (slowloris)
#   --from ADDR      bind to this local address first (e.g. 127.0.0.2)
#   --body-of N      print the body of answer N (1-based) after the lines
#   --append FILE    append FILE's bytes, as they are, to the request
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use Getopt::Long;

my ($half, $wait, $drip, $from, $body_of, $append) = (0, 5, 0, undef, 0, undef);
GetOptions('half-close' => \$half, 'wait=f' => \$wait, 'drip=f' => \$drip, 'from=s' => \$from,
	   'body-of=i' => \$body_of, 'append=s' => \$append) or die "rawhttp.pl: bad options\n";
my ($hp, $req) = @ARGV;
defined $req or die "usage: rawhttp.pl [options] HOST:PORT REQUEST\n";

$req =~ s/\{(\d+)\*([^}]*)\}/$2 x $1/ge;
$req =~ s/\\(r|n|t|0|x[0-9a-fA-F]{2}|\\)/
	$1 eq 'r' ? "\r" : $1 eq 'n' ? "\n" : $1 eq 't' ? "\t" : $1 eq '0' ? "\0" :
	$1 eq '\\' ? "\\" : chr(hex(substr($1, 1)))/ge;
if (defined $append) {
	open(my $f, '<:raw', $append) or die "rawhttp.pl: $append: $!\n";
	local $/;
	$req .= <$f>;
}

my %o = (PeerAddr => $hp, Timeout => 10);
$o{LocalAddr} = $from if defined $from;
my $s = IO::Socket::INET->new(%o) or die "rawhttp.pl: connect $hp: $!\n";
$SIG{PIPE} = 'IGNORE';
if ($drip > 0) {
	for my $c (split //, $req) {
		last unless defined syswrite($s, $c);
		sleep $drip;
	}
} else {
	my $off = 0;
	while ($off < length $req) {
		my $n = syswrite($s, $req, length($req) - $off, $off);
		last unless defined $n;	# the server closed on us: read what it said
		$off += $n;
	}
}
$s->shutdown(1) if $half;

# Does $b hold whole answers and nothing more?
sub whole {
	my ($b) = @_;
	return 0 if $b eq '';
	while ($b =~ s/\AHTTP\/1\.[01] \d{3}[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n//) {
		my $len = $1 =~ /^content-length:\s*(\d+)/mi ? $1 : 0;
		return 0 if length($b) < $len;
		$b = substr($b, $len);
	}
	return $b eq '';
}

# Read until the server closes or the wait ends; once what came is whole
# answers, half a second more of silence ends the wait (the connection is
# then open, waiting for another request).
my $buf = '';
my $sel = IO::Select->new($s);
my $end = time + $wait;
my $closed = 0;
while ((my $left = $end - time) > 0) {
	$left = 0.5 if $left > 0.5 && whole($buf);
	last unless $sel->can_read($left);
	my $n = sysread($s, $buf, 65536, length $buf);
	if (!$n) { $closed = 1; last }
}
if ($buf eq '') {
	print $closed ? "CLOSED\n" : "TIMEOUT\n";
	exit 0;
}
my @bodies;
while ($buf =~ s/\AHTTP\/1\.[01] (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n//) {
	my ($status, $head) = ($1, $2);
	my $len = $head =~ /^content-length:\s*(\d+)/mi ? $1 : 0;
	push @bodies, substr($buf, 0, $len);
	$buf = substr($buf, $len);
	print "$status\n";
}
print "GARBAGE\n" if $buf ne '';
print $closed ? "CLOSED\n" : "OPEN\n";
print $bodies[$body_of - 1], "\n" if $body_of && defined $bodies[$body_of - 1];
