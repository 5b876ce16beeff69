#!/usr/bin/perl
# fault-proxy.pl - a TCP relay that damages one direction of each
# connection, for the kit's network tests (tests/t/t2002-kit-peer-netns.sh):
# the path between the kit and `covalid kit peer` made to corrupt or drop
# data where TCP's own checksum does not see it (a checksum offload gone
# wrong, a NIC that loses the rest of a stream).
#
#   fault-proxy.pl LISTEN_HOST LISTEN_PORT TARGET_PORT FAULT
#
# TARGET is 127.0.0.1:TARGET_PORT.  FAULT is one of
#   flip-down:N   byte N (from 0) of what the target sends is XORed with 0x01
#   flip-up:N     the same for what the client sends
#   cut-down:N    after N bytes from the target, both connections are closed
# Prints "ready" once listening.  Each connection is served by a child;
# every socket has a 30 s idle limit, so nothing here can hang a test.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($host, $port, $target, $fault) = @ARGV;
die "usage: fault-proxy.pl LISTEN_HOST LISTEN_PORT TARGET_PORT flip-down:N|flip-up:N|cut-down:N\n"
	unless defined $fault && $fault =~ /^(flip-down|flip-up|cut-down):(\d+)$/;
my ($kind, $at) = ($1, $2);

my $server = IO::Socket::INET->new(LocalAddr => $host, LocalPort => $port, Listen => 16, ReuseAddr => 1)
	or die "fault-proxy.pl: cannot listen on $host:$port: $!\n";
$SIG{CHLD} = 'IGNORE';
$| = 1;
print "ready\n";

while (1) {
	my $client = $server->accept or next;
	my $pid = fork;
	if (!defined $pid) { close $client; next; }
	if ($pid) { close $client; next; }
	close $server;
	relay($client);
	exit 0;
}

sub relay {
	my ($client) = @_;
	my $up = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $target) or return;
	my $sel = IO::Select->new($client, $up);
	my %seen = (down => 0, up => 0);
	while (1) {
		my @ready = $sel->can_read(30) or return;
		for my $from (@ready) {
			my $dir = $from == $up ? 'down' : 'up';
			my $to = $from == $up ? $client : $up;
			my $n = sysread($from, my $buf, 65536);
			return if !defined $n;
			if ($n == 0) {
				# One side ended its stream: end it on the other.
				shutdown($to, 1);
				$sel->remove($from);
				return if !$sel->count;
				next;
			}
			if ($kind eq 'cut-down' && $dir eq 'down') {
				if ($seen{down} + $n > $at) {
					$buf = substr($buf, 0, $at - $seen{down});
					syswrite_all($to, $buf);
					return; # both closed on exit
				}
			}
			if ($kind eq "flip-$dir" && $seen{$dir} <= $at && $at < $seen{$dir} + $n) {
				my $i = $at - $seen{$dir};
				substr($buf, $i, 1) = chr(ord(substr($buf, $i, 1)) ^ 0x01);
			}
			$seen{$dir} += $n;
			syswrite_all($to, $buf) or return;
		}
	}
}

sub syswrite_all {
	my ($fh, $buf) = @_;
	while (length $buf) {
		my $w = syswrite($fh, $buf);
		return 0 if !defined $w;
		substr($buf, 0, $w) = '';
	}
	return 1;
}
