# http:// members: requests through the module to our HTTP test servers
# (HX1, HX2): what the backend receives, bodies both ways in every framing,
# connection reuse, stickiness, failover, and a balancer of both kinds.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use HTTP::Request ();
use Digest::SHA qw(sha256_hex);
use OXB::Test qw(parse_dump pattern_bytes curl);

plan tests => 40;

my $ua = Apache::TestRequest::user_agent(keep_alive => 1);
my $base = Apache::TestRequest::resolve_url('');

sub req {
    my ($method, $path, $content, @headers) = @_;
    my $r = HTTP::Request->new($method => "$base$path", [@headers]);
    $r->content($content) if defined $content;
    return $ua->request($r);
}

# What the backend receives.
{
    my $r = req(GET => '/h/echo/a%20b/%C3%A4?x=1&y=%2F', undef, 'X-Custom' => 'hello', Host => 'mail.example.com');
    ok t_cmp($r->code, 200, 'GET through an http:// member');
    my $d = parse_dump($r->content);
    ok t_cmp($d->{'request-line'}, 'GET /echo/a%20b/%C3%A4?x=1&y=%2F HTTP/1.1', 'request line: mapped, still %-encoded');
    ok t_cmp(join('|', $d->{headers_named}->('host')), 'mail.example.com', 'Host preserved');
    ok t_cmp(join('|', $d->{headers_named}->('x-custom')), 'hello', 'end-to-end header forwarded');
    ok t_cmp(join('|', $d->{headers_named}->('x-forwarded-for')), '127.0.0.1', 'X-Forwarded-For set');
    ok t_cmp(join('|', $d->{headers_named}->('x-forwarded-host')), 'mail.example.com', 'X-Forwarded-Host set');
    ok t_cmp(scalar(() = $d->{headers_named}->('connection')), 0, 'no Connection header from the client');
    ok t_cmp($d->{framing}, 'none', 'a GET has no body framing');
    ok t_cmp($r->header('X-Backend'), qr/^HX[12]$/, 'answered by an HTTP test server');
}

# Request bodies: Content-Length and chunked, byte for byte.
{
    my $body = pattern_bytes(1_000_000);
    my $r = req(POST => '/hone/echo', $body, 'Content-Type' => 'application/octet-stream');
    my $d = parse_dump($r->content);
    ok t_cmp($d->{framing}, 'length', 'Content-Length body sent with its length');
    ok t_cmp($d->{'body-length'}, 1_000_000, 'length');
    ok t_cmp($d->{'body-sha256'}, sha256_hex($body), 'bytes');
    my ($rc, $out) = curl('-sS', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'hello chunked world',
                          "${base}/hone/echo");
    $d = parse_dump($out);
    ok t_cmp($d->{framing}, 'chunked', 'a chunked body goes chunked');
    ok t_cmp($d->{'body-length'}, 19, 'chunked length');
    ($rc, $out) = curl('-sS', '-H', 'Expect: 100-continue', '--data-binary', 'x' x 2000, "${base}/hone/echo");
    $d = parse_dump($out);
    ok t_cmp($d->{'body-length'}, 2000, 'Expect: 100-continue body arrives');
    ok t_cmp($d->{expect}, '(none)', 'Expect is answered by httpd, not forwarded');
}

# Response bodies in every framing.
for my $te (qw(length chunked close)) {
    my $r = req(GET => "/hone/stream?bytes=300000&chunk=7000&te=$te");
    ok t_cmp($r->code, 200, "te=$te: 200");
    ok t_cmp(sha256_hex($r->content), sha256_hex(pattern_bytes(300000)), "te=$te: bytes");
}
# A body in chunks of a byte (and just under and at the size from which
# pieces go by reference): gathered, whole and in order.
for my $chunk (1, 127, 128) {
    my $r = req(GET => "/hone/stream?bytes=70000&chunk=$chunk&te=chunked");
    ok t_cmp(sha256_hex($r->content), sha256_hex(pattern_bytes(70000)), "chunks of $chunk bytes: bytes");
}
{
    my $r = req(HEAD => '/hone/stream?bytes=5000');
    ok t_cmp($r->code, 200, 'HEAD');
    ok t_cmp(length($r->content), 0, 'HEAD has no body');
    ok t_cmp(req(GET => '/hone/status?code=204')->code, 204, '204');
    ok t_cmp(req(GET => '/hone/status?code=304')->code, 304, '304');
}

# One backend connection carries request after request.
{
    my @conn = map { my $r = req(GET => '/hone/conn'); [$r->header('X-Conn-Id'), $r->header('X-Conn-Requests')] } 1 .. 5;
    my %ids = map { $_->[0] => 1 } @conn;
    ok t_cmp(scalar(keys %ids) <= 2 ? 1 : 0, 1, 'keep-alive: at most one connection per httpd child');
    ok t_cmp($conn[-1][1] > 1 ? 1 : 0, 1, 'a connection carried several requests');
}

# Stickiness by the route in JSESSIONID, as for AJP.
{
    my $r = req(GET => '/h/session');
    my ($cookie) = ($r->header('Set-Cookie') // '') =~ /^(JSESSIONID=[^;]+)/;
    my $member = $r->header('X-Backend');
    ok $cookie && $cookie =~ /\.\Q$member\E$/;
    my %seen;
    $seen{ req(GET => '/h/echo', undef, Cookie => $cookie)->header('X-Backend') }++ for 1 .. 10;
    ok t_cmp(join(',', keys %seen), $member, 'every request of the session on its member');
    my %spread;
    $spread{ req(GET => '/h/echo')->header('X-Backend') }++ for 1 .. 10;
    ok t_cmp(scalar keys %spread, 2, 'new sessions spread over both');
}

# Failover: a dead member, one that accepts and closes, one that answers garbage.
for my $prefix (qw(hdeadfirst hclosefirst hgarbagefirst)) {
    my %by;
    $by{ req(GET => "/$prefix/echo")->header('X-Backend') // 'none' }++ for 1 .. 4;
    ok t_cmp(join(',', keys %by), 'HX2', "$prefix: every GET answered by the working member");
}

# Both kinds in one balancer, sticky to each.
{
    my $r1 = req(GET => '/hmixed/echo', undef, Cookie => 'JSESSIONID=1.OX1');
    my $r2 = req(GET => '/hmixed/echo', undef, Cookie => 'JSESSIONID=2.HX2');
    ok t_cmp($r1->header('X-Backend'), 'OX1', 'mixed: the AJP member keeps its session');
    ok t_cmp($r2->header('X-Backend'), 'HX2', 'mixed: the HTTP member keeps its session');
    ok t_cmp(join('|', parse_dump($r1->content)->{attr_named}->('jvm_route')), 'OX1', 'AJP attributes go to the AJP member');
}
