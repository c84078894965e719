# A backend is trusted for nothing it says about framing. A body longer than
# its Content-Length must not reach a keep-alive client as a second,
# injected response; a shorter one must not make the client read its next
# response as this body. Both abort the response and close the client
# connection. Raw sockets: LWP would hide what the connection carries next.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use OXB::Test qw(error_log_mark wait_for_log raw_connect raw_read whole_response two_requests);

plan tests => 15;

# Exactly one OXB00010 since $mark, naming the rule the backend broke.
sub logged_once {
    my ($mark, $what, $name) = @_;
    my @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok t_cmp(scalar @lines, 1, "$name: logged once");
    ok(($lines[0] // '') =~ /member OX\d \(ajp:[^)]*\): malformed AJP: \Q$what\E/)
        or print "# log: ", ($lines[0] // "(none)\n");
}

# Content-Length: 5, then "hello" and a whole second response.
{
    my $mark = error_log_mark();
    my ($first, $bytes, $eof) = two_requests('/ajp/longer', '/ajp/conn');
    # 502, or (had the head gone out already) a cut-off response: never a
    # complete one.
    ok t_cmp($first ? $first->{status} : 'cut off', qr/^(502|cut off)$/, 'longer: no complete 200');
    ok $bytes !~ /INJECTED/ or print "# the client read the injected response\n";
    ok t_cmp(scalar(() = $bytes =~ m{^HTTP/1\.1 }mg), 1, 'longer: one response on the connection');
    ok t_cmp($eof ? 1 : 0, 1, 'longer: the client connection is closed');
    logged_once($mark, 'response body longer than its Content-Length', 'longer');
}

# Content-Length: 100, then 6 bytes and END_RESPONSE.
{
    my $mark = error_log_mark();
    my ($first, $bytes, $eof) = two_requests('/ajp/shorter', '/ajp/conn');
    ok t_cmp($first ? $first->{status} : 'cut off', qr/^(502|cut off)$/, 'shorter: no complete 200');
    ok !$first || $first->{body} !~ m{HTTP/1\.1} or print "# the next response was read as the body\n";
    ok t_cmp(scalar(() = $bytes =~ m{^HTTP/1\.1 }mg), 1, 'shorter: one response on the connection');
    ok t_cmp($eof ? 1 : 0, 1, 'shorter: the client connection is closed');
    logged_once($mark, 'response ended before its Content-Length', 'shorter');
}

# HEAD keeps its Content-Length with no body (the body a backend sends
# anyway is dropped), and the client connection stays open.
{
    my $s = raw_connect();
    print $s "HEAD /ajp/stream?bytes=1000&head-body=1 HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my ($bytes) = raw_read($s, 5, sub { $_[0] =~ /\r\n\r\n/ });
    print $s "GET /ajp/conn HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my ($more) = raw_read($s, 5, \&whole_response);
    close $s;
    ok $bytes =~ m{^HTTP/1\.1 200 .*\r\nContent-Length: 1000\r\n}s;
    my $next = whole_response($more);
    ok t_cmp($next && $next->{status}, 200, 'HEAD with a body anyway: the next response follows cleanly');
}

ok t_cmp(GET('/ajp/conn')->code, 200, 'served again');
