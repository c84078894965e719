# A servlet that flushes and goes on working: what it flushed reaches the
# client within 2 s of a 5 s pause (the head alone, part of the body, or the
# whole response with its Content-Length), the rest afterwards.
use strict;
use warnings;
use Apache::Test qw(plan);
use OXB::Test qw(have_tomcat whole_response arrives_before_pause_ends);

plan tests => 9, sub { have_tomcat() };

arrives_before_pause_ends(
    ['/tc1/flush-sleep?ms=5000&what=body', sub { $_[0] =~ m{^HTTP/1\.1 200 .*\r\n\r\n.*flushed\n}s },
     "flushed\ndone\n"],
    ['/tc1/flush-sleep?ms=5000&what=whole', sub { my $r = whole_response($_[0]); $r && $r->{body} eq "flushed\n" },
     "flushed\n"],
    ['/tc1/flush-sleep?ms=5000&what=head', sub { $_[0] =~ m{^HTTP/1\.1 200 [^\r]*\r\n.*\r\n\r\n}s }, "done\n"],
);
