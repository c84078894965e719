# t/ajp/flush.t for http:// members: what the backend has sent reaches the
# client while the backend goes on working: the head and the first chunk of
# a chunked response before the rest is written. The backend waits at a
# gate until the test has seen that (or given up), then sends the rest.
use strict;
use warnings;
use Apache::Test qw(plan);
use OXB::Test qw(arrives_before_backend_goes_on);

plan tests => 3;

# /hsolo has one member: the gates live in one test server process.
my $g = "hflush-$$-" . time;
arrives_before_backend_goes_on(
    ["/hsolo/pause-after-flush?gate=$g", sub { $_[0] =~ m{^HTTP/1\.1 200 [^\r]*\r\n.*\r\n\r\n.*before the pause\n}s },
     "before the pause\nafter the pause\n", "/hsolo/open?gate=$g"],
);
