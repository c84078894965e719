# What the backend has sent reaches the client while the backend goes on
# working: the whole response of a servlet that has not returned yet, and
# the head after a flush (an empty body chunk). The backend pauses 5 s; the
# client must have that part within 2 s (a sequence check, not a timing
# benchmark), and the rest once the backend is done.
use strict;
use warnings;
use Apache::Test qw(plan);
use OXB::Test qw(whole_response arrives_before_pause_ends);

plan tests => 6;

arrives_before_pause_ends(
    ['/ajp/pause-before-end?ms=5000', sub { my $r = whole_response($_[0]); $r && $r->{body} eq "whole body\n" },
     "whole body\n"],
    ['/ajp/pause-after-flush?ms=5000', sub { $_[0] =~ m{^HTTP/1\.1 200 [^\r]*\r\n.*\r\n\r\n}s }, "after the pause\n"],
);
