# Failure accounting: which failures put a member into its error window,
# which requests go to another member, and how much of it reaches the log.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use OXB::Test qw(error_log_mark error_log_since);

plan tests => 4;

# Warnings and errors logged since $mark.
sub problems_since {
    my ($mark) = @_;
    return grep { /\[[a-z_]+:(warn|error|crit|alert|emerg)\]/ } error_log_since($mark);
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
