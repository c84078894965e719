# Tomcat does not hold a servlet to the Content-Length it declared: over AJP
# it passes on whatever is written. The client must never read the excess
# as a second response on its keep-alive connection, nor its next response
# as the missing rest.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use OXB::Test qw(have_tomcat error_log_mark wait_for_log two_requests);

plan tests => 9, sub { have_tomcat() };

for my $way (qw(longer shorter)) {
    my $mark = error_log_mark();
    my ($first, $bytes, $eof) = two_requests("/tc1/lying-length?way=$way", '/tc1/small');
    ok t_cmp($first ? $first->{status} : 'cut off', qr/^(502|cut off)$/, "$way: no complete 200");
    ok $bytes !~ /INJECTED/ && $bytes !~ /x{199}/ or print "# the client read the next response\n";
    ok t_cmp($eof ? 1 : 0, 1, "$way: the client connection is closed");
    my @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok(@lines == 1 && $lines[0] =~ /member OX1 .*malformed AJP: .*Content-Length/)
        or print "# log: ", @lines ? @lines : "(none)\n";
}

ok t_cmp(GET('/tc1/small')->code, 200, 'served again');
