# A servlet that flushes and goes on working: what it flushed (the head
# alone, part of the body, or the whole response with its Content-Length)
# reaches the client while the servlet still waits at a gate; the rest
# once the test has opened it.
use strict;
use warnings;
use Apache::Test qw(plan);
use OXB::Test qw(have_tomcat whole_response arrives_before_backend_goes_on);

plan tests => 9, sub { have_tomcat() };

my $g = "flush-$$-" . time;
my $path = sub { "/tc1/flush-sleep?what=$_[0]&gate=$g-$_[0]" };
my $open = sub { "/tc1/flush-sleep?open=$g-$_[0]" };
arrives_before_backend_goes_on(
    [$path->('body'), sub { $_[0] =~ m{^HTTP/1\.1 200 .*\r\n\r\n.*flushed\n}s }, "flushed\ndone\n", $open->('body')],
    [$path->('whole'), sub { my $r = whole_response($_[0]); $r && $r->{body} eq "flushed\n" }, "flushed\n",
     $open->('whole')],
    [$path->('head'), sub { $_[0] =~ m{^HTTP/1\.1 200 [^\r]*\r\n.*\r\n\r\n}s }, "done\n", $open->('head')],
);
