# What the backend has sent reaches the client while the backend goes on
# working: the whole response of a servlet that has not returned yet, and
# the head after a flush (an empty body chunk). The backend waits at a gate
# until the test has seen that (or given up), then sends the rest.
use strict;
use warnings;
use Apache::Test qw(plan);
use OXB::Test qw(whole_response arrives_before_backend_goes_on);

plan tests => 6;

# /big has one member: the gates live in one test server process.
my $g = "flush-$$-" . time;
arrives_before_backend_goes_on(
    ["/big/pause-before-end?gate=$g-1", sub { my $r = whole_response($_[0]); $r && $r->{body} eq "whole body\n" },
     "whole body\n", "/big/open?gate=$g-1"],
    ["/big/pause-after-flush?gate=$g-2", sub { $_[0] =~ m{^HTTP/1\.1 200 [^\r]*\r\n.*\r\n\r\n}s },
     "after the pause\n", "/big/open?gate=$g-2"],
);
