#!/usr/bin/perl
# virt-what-expected.pl TEST_SCRIPT - prints the facts virt-what must print
# for one of its test roots: the value of the `expected=` assignment in
# upstream's test script (tests/<case>/test.sh), which the script compares
# with virt-what's output as one string:
#
#     expected="kvm"            expected="xen          expected=""
#                               xen-hvm
#                               aws"
#
# The value is read as the shell reads the word, not as a line: double
# quotes keep everything but a backslash before $ ` " \ or a newline,
# single quotes keep everything, unquoted a backslash quotes the next
# character, and the word ends at unquoted white space, ';' or the end of
# the line.  An empty value is a fact too: virt-what prints nothing, the
# machine is bare metal.  Printed as it is, followed by one newline when
# not empty.
#
# Exit 2, with the reason on stderr, when there is no assignment, more than
# one, or a value the shell would expand ($, `): such a value is only known
# by running the script, which this never does.
use strict;
use warnings;

my ($file) = @ARGV;
die "usage: virt-what-expected.pl TEST_SCRIPT\n" unless defined $file;
open(my $fh, '<', $file) or do { print STDERR "$file: $!\n"; exit 2 };
my $text = do { local $/; <$fh> };
close $fh;

sub fail { print STDERR "$file: $_[0]\n"; exit 2 }

my @at;
while ($text =~ /^[ \t]*expected=/mg) { push @at, pos($text) }
fail("no expected= assignment") unless @at;
fail(scalar(@at) . " expected= assignments; which one applies depends on running the script") if @at > 1;

pos($text) = $at[0];
my $value = '';
while (1) {
	if ($text =~ /\G"((?:[^"\\]|\\.)*)"/gcs) {
		my $q = $1;
		fail("the expected value expands \$ or `; it is known only by running the script") if $q =~ /(?<!\\)[\$`]/;
		$q =~ s/\\([\$`"\\\n])/$1 eq "\n" ? '' : $1/ge;
		$value .= $q;
	} elsif ($text =~ /\G'([^']*)'/gc) {
		$value .= $1;
	} elsif ($text =~ /\G\\(.)/gcs) {
		$value .= $1 eq "\n" ? '' : $1;
	} elsif ($text =~ /\G([^\s"'\\\$`;&|<>()]+)/gc) {
		$value .= $1;
	} elsif ($text =~ /\G(?=[ \t]*(?:[;&|#\n]|\z))/gc) {
		last;
	} elsif ($text =~ /\G["']/gc) {
		fail("the expected value's quote is never closed");
	} else {
		fail("the expected value uses shell syntax this reader does not follow: '" .
		     substr($text, pos($text), 20) . "'");
	}
}
print $value, (length $value ? "\n" : '');
