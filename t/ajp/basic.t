# Requests through the module to our AJP test server: what the backend
# receives (method, URI, query, headers, attributes) and what the client
# gets back (status, headers, repeated Set-Cookie, Content-Length).
use strict;
use warnings;
use Apache::Test qw(plan ok skip);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET HEAD POST);
use HTTP::Request ();
use IO::Socket::INET ();
use OXB::Test qw(parse_dump);

my @webdav = qw(PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK REPORT SEARCH
                VERSION-CONTROL CHECKIN CHECKOUT UNCHECKOUT MKWORKSPACE UPDATE
                LABEL MERGE BASELINE-CONTROL MKACTIVITY ACL);
my @plain = qw(GET POST PUT DELETE OPTIONS);
my @stored = qw(PATCH FOO-BAR);

plan tests => 37 + 2 * (@webdav + @plain + @stored);

my $ua = Apache::TestRequest::user_agent(keep_alive => 1);

sub request {
    my ($method, $path, @headers) = @_;
    my $req = HTTP::Request->new($method => Apache::TestRequest::resolve_url($path), [@headers]);
    return $ua->request($req);
}

# A plain GET: the backend sees the request as the client sent it.
{
    my $r = GET '/ajp/echo/some/path?x=1&y=two', 'X-Custom' => 'hello';
    ok t_cmp($r->code, 200, 'GET through the balancer');
    my $d = parse_dump($r->content);
    ok t_cmp($d->{method}, 'GET', 'method');
    ok t_cmp($d->{uri}, '/echo/some/path', 'OXPass /ajp maps to / on the backend');
    ok t_cmp($d->{query}, 'x=1&y=two', 'query string as an attribute');
    ok t_cmp($d->{protocol}, 'HTTP/1.1', 'protocol');
    ok t_cmp($d->{'remote-addr'}, '127.0.0.1', 'remote address');
    ok t_cmp($d->{'is-ssl'}, '0', 'not TLS');
    my ($custom) = $d->{headers_named}->('x-custom');
    ok t_cmp($custom, 'hello', 'custom header forwarded');
    my ($host) = $d->{headers_named}->('host');
    ok $host && $host =~ /:\d+$/;
    my ($port) = $d->{attr_named}->('AJP_REMOTE_PORT');
    ok $port && $port =~ /^\d+$/ && $port > 0;
    my ($route) = $d->{attr_named}->('jvm_route');
    ok t_cmp($route, $r->header('X-Backend'), 'jvm_route names the member that answered');
    ok t_cmp(scalar $d->{headers_named}->('connection'), 0, 'hop-by-hop Connection header not forwarded');
}

# Encoded characters reach the backend exactly as the client wrote them.
{
    my $r = GET '/ajp/echo/a%20b%3Bc/%C3%A4?q=%C3%A4%20b%2Bc&x=%2F&empty=';
    my $d = parse_dump($r->content);
    ok t_cmp($d->{uri}, '/echo/a%20b%3Bc/%C3%A4', 'path stays %-encoded');
    ok t_cmp($d->{query}, 'q=%C3%A4%20b%2Bc&x=%2F&empty=', 'query stays %-encoded');
    my $r2 = GET '/ajp/echo?';
    ok t_cmp(parse_dump($r2->content)->{query}, '', 'an empty query is still a query');
    my $r3 = GET '/ajp/echo';
    ok !exists parse_dump($r3->content)->{query};
}

# Without a backend prefix the path is forwarded unchanged.
{
    my $r = GET '/echo/direct';
    ok t_cmp(parse_dump($r->content)->{uri}, '/echo/direct', 'OXPass without a backend prefix');
}

# Prefixes match on segment boundaries; `OXPass ... !` excludes.
ok t_cmp(GET('/ajpfoo/echo')->code, 404, '/ajp does not claim /ajpfoo');
ok t_cmp(GET('/ajp/skip/echo')->code, 404, 'OXPass /ajp/skip ! is not forwarded');

# Every method reaches the backend under its own name: the coded ones by
# code, the others as a stored method.
for my $m (@plain, @webdav, @stored) {
    my $r = request($m, '/ajp/echo/m', 'Content-Length' => 0);
    ok t_cmp($r->code, 200, "$m answered");
    ok t_cmp(parse_dump($r->content)->{method}, $m, "$m forwarded");
}

# HEAD: headers, including the backend's Content-Length, and no body.
{
    my $r = HEAD '/ajp/stream?bytes=1000';
    ok t_cmp($r->code, 200, 'HEAD');
    ok t_cmp($r->header('Content-Length'), 1000, 'HEAD keeps Content-Length');
    ok t_cmp(length($r->content), 0, 'HEAD has no body');
}

# Status codes pass through; 204 and 304 carry no body.
for my $code (204, 304, 500) {
    my $r = GET "/ajp/status?code=$code";
    ok t_cmp($r->code, $code, "status $code");
}
# The backend's own reason phrase is kept, also for a code httpd does not know.
{
    my $r = GET '/ajp/status?code=418';
    ok t_cmp($r->message, "I'm a teapot", 'reason phrase of a known code');
    $r = GET '/ajp/status?code=299';
    ok t_cmp($r->code . ' ' . $r->message, '299 Unknown', 'reason phrase of an unknown code');
}

# Repeated Set-Cookie headers stay separate.
{
    my $r = GET '/ajp/cookies?n=3';
    my @c = $r->header('Set-Cookie');
    ok t_cmp(scalar @c, 3, 'three Set-Cookie headers');
    ok t_cmp($c[2], 'c3=v3; Path=/', 'third cookie intact');
}

# The backend's Content-Length is kept (no chunking), even for a body that
# streams; without one a streamed response is chunked.
{
    my $r = GET '/ajp/stream?bytes=2000000';
    ok t_cmp($r->header('Content-Length'), 2000000, 'Content-Length kept');
    ok !defined $r->header('Client-Transfer-Encoding');
    my $r2 = GET '/ajp/stream?bytes=2000000&cl=0';
    # LWP reports the decoded transfer coding as Client-Transfer-Encoding.
    ok t_cmp($r2->header('Client-Transfer-Encoding'), 'chunked', 'no Content-Length: chunked');
    ok t_cmp(length($r2->content), 2000000, 'all bytes arrive');
}

# An HTTP/1.0 client asking for keep-alive keeps its connection through a
# streamed response, because the backend's Content-Length is passed on.
{
    my ($host, $port) = (Apache::Test::config()->{vars}{servername}, Apache::Test::config()->{vars}{port});
    my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or die "connect: $!";
    my @answers;
    for (1 .. 2) {
        print $s "GET /ajp/stream?bytes=300000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        my $head = '';
        $head .= getc($s) // last while $head !~ /\r\n\r\n$/;
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        my $body = '';
        read($s, $body, $len // 0);
        push @answers, [$head, length $body];
    }
    ok $answers[0][0] =~ /^Connection: Keep-Alive\r$/mi;
    ok t_cmp($answers[0][1], 300000, 'HTTP/1.0: whole body');
    ok $answers[1][0] =~ m{^HTTP/1\.1 200};
    ok t_cmp($answers[1][1], 300000, 'HTTP/1.0: second response on the same connection');
}
