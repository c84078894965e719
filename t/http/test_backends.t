# The HTTP test backends that t/run-apache-tests starts, talked to directly
# (no httpd in between): a check of the wiring (OXB_HTTP*_PORT, names, modes)
# and that OXB::Test::parse_dump reads their /echo dump, so a failure in the
# http:// member tests is not a fixture problem.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use IO::Socket::INET ();
use OXB::Test qw(parse_dump raw_request);
use OXB::WebSocket ();

plan tests => 12;

for my $m ([OXB_HTTP1_PORT => 'HX1'], [OXB_HTTP2_PORT => 'HX2']) {
    my ($var, $name) = @$m;
    my ($status, $body, $raw) = raw_request($ENV{$var},
        "POST /echo/x?q=1 HTTP/1.1\r\nHost: backend\r\nX-Custom: v\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
    ok t_cmp($status, 200, "$var: /echo answers");
    ok t_cmp(($raw =~ /\r\nX-Backend: (\S+)\r\n/)[0], $name, "$var: X-Backend $name");
    my $d = parse_dump($body);
    ok t_cmp(join(' ', map { $d->{$_} // '' } qw(method uri query framing body-length)), 'POST /echo/x q=1 length 3',
             "$var: parse_dump reads the dump");
    ok t_cmp(join(',', $d->{headers_named}->('x-custom')), 'v', "$var: headers by name");
}

my $ws = OXB::WebSocket->connect('127.0.0.1', $ENV{OXB_HTTP2_PORT}, '/ws?hello=1');
ok t_cmp($ws->status, 101, 'HX2: WebSocket handshake');
ok t_cmp(join(' ', $ws->recv_message(5)), 'text hello from HX2', 'HX2: hello message');
$ws->close;

my ($status, undef, $raw) = raw_request($ENV{OXB_HTTPCLOSE_PORT}, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
ok t_cmp(length $raw, 0, 'OXB_HTTPCLOSE_PORT: closes without an answer');
($status, undef, $raw) = raw_request($ENV{OXB_HTTPGARBAGE_PORT}, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
ok(length $raw > 0 && $status == 0);
print "# OXB_HTTPGARBAGE_PORT: an answer that is no HTTP\n";
