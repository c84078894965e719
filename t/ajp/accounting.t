# Failure accounting: which failures put a member into its error window,
# which requests go to another member, and how much of it reaches the log.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET POST);
use OXB::Test qw(error_log_mark error_log_since);

plan tests => 20;

# Warnings and errors logged since $mark.
sub problems_since {
    my ($mark) = @_;
    return grep { /\[[a-z_]+:(warn|error|crit|alert|emerg)\]/ } error_log_since($mark);
}

# How many of the responses came from the member with route $route.
sub served_by {
    my ($route, @responses) = @_;
    return scalar grep { $_->code == 200 && ($_->header('X-Backend') // '') eq $route } @responses;
}

# A broken member first in a balancer with a working one: the first GET it
# breaks goes to the working member, and the broken one is avoided from
# then on (every GET is served, none gets 502), logged once.
sub broken_member {
    my ($prefix, $route, $what) = @_;
    my $mark = error_log_mark();
    my @r = map { GET("$prefix/echo") } 1 .. 8;
    ok t_cmp(served_by('OX2', @r), 8, "$prefix: every GET served by the working member");
    my @lines = problems_since($mark);
    print "# $_" for @lines;
    my @tries = grep { /OXB00010/ } @lines;
    ok t_cmp(scalar @tries, 1, "$prefix: the broken member failed one request");
    ok(($tries[0] // '') =~ /member $route .*: $what.*; trying another member$/);
    ok t_cmp(scalar(grep { /OXB00011: member $route / } @lines), 1, "$prefix: $route entered its error window");
}

broken_member('/closefirst', 'C1', qr/(backend closed the connection|send failed)/);
broken_member('/httpfirst', 'H1', qr/malformed AJP: packet does not start with 'AB'/);

# A POST the broken member read is not sent anywhere else (502), but the
# member is avoided all the same: the POSTs after it are served.
{
    my $mark = error_log_mark();
    my $first = POST('/closepost/echo', content => 'order=42');
    ok t_cmp($first->code, 502, 'the POST that reached the broken member gets 502');
    my @r = map { POST('/closepost/echo', content => "order=$_") } 1 .. 6;
    ok t_cmp(served_by('OX2', @r), 6, 'the POSTs after it are served by the working member');
    my @lines = problems_since($mark);
    print "# $_" for @lines;
    ok t_cmp(scalar(grep { /OXB00010: member C1 .*answering 502/ } @lines), 1, 'the failed POST logged once');
    ok t_cmp(scalar(grep { /OXB00011: member C1 / } @lines), 1, 'C1 entered its error window');
}

# One request that times out (timeout=1) gets 504, is not sent anywhere
# else, and does not take its member out: the next requests alternate.
{
    my $mark = error_log_mark();
    ok t_cmp(GET('/slowfirst/hang')->code, 504, 'the slow request gets 504');
    my @r = map { GET('/slowfirst/echo') } 1 .. 6;
    ok t_cmp(served_by('OX1', @r), 3, 'the slow member keeps its share');
    ok t_cmp(served_by('OX2', @r), 3, 'and so does the other');
    my @lines = problems_since($mark);
    print "# $_" for @lines;
    ok t_cmp(scalar(grep { /OXB00011/ } @lines), 0, 'no member entered its error window');
}

# Every member of a balancer down: each request still tries them (they may
# have come back), but each member is reported once per error window, not
# once per request.
{
    my $mark = error_log_mark();
    my @codes = map { GET('/alldown/echo')->code } 1 .. 50;
    ok t_cmp(scalar(grep { $_ == 503 } @codes), 50, 'every request answered 503');
    my @lines = problems_since($mark);
    print "# $_" for @lines;
    ok t_cmp(scalar(grep { /OXB00011/ } @lines), 2, 'each member entered its error window once');
    ok t_cmp(scalar(grep { /OXB00010/ } @lines), 2, 'each member failing is an error once, not per request');
    ok t_cmp(scalar @lines, 4, 'nothing else');
}
