# The module among httpd's other modules, against our AJP test server: the
# request target read once (exclusions hold for every spelling, the forms
# RFC 9112 allows), hop-by-hop headers named by Connection (both ways, and
# only the client's), input filters that change the body, error documents
# on forwarded paths, and <IfModule mod_oxbalance.c>.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Digest::SHA qw(sha256_hex);
use IO::Compress::Gzip qw(gzip $GzipError);
use OXB::Test qw(parse_dump raw_request error_log_mark wait_for_log);

plan tests => 81;

my $cfg = Apache::Test::config();
my $host = $cfg->{vars}{servername};
my $port = $cfg->{vars}{port};

sub raw {
    my ($line, @headers) = @_;
    my $body = '';
    if (@headers && ref $headers[-1] eq 'SCALAR') { $body = ${ pop @headers } }
    my $req = "$line\r\nHost: $host:$port\r\n" . join('', map { "$_\r\n" } @headers) . "Connection: close\r\n\r\n$body";
    return raw_request($port, $req);
}

# `OXPass /ajp/skip !` holds whatever the spelling: the exclusion is matched
# on the path as the backend would resolve it, and httpd serves the request
# itself (nothing there: 404).
for my $path ('/ajp/skip/echo', '/ajp;a/skip/echo', '/ajp/skip;b/echo', '/%61jp/skip/echo', '//ajp//skip/echo',
              '/ajp/./skip/echo', '/ajp/x/../skip/echo') {
    my ($status, $body, $resp) = raw("GET $path HTTP/1.1");
    ok !($resp =~ /^X-Backend: /mi) or print "# $path was forwarded\n";
    ok t_cmp($status, 404, "$path: served by httpd");
}
# ... and other spellings of a forwarded prefix are forwarded to the same
# backend path.
{
    # (Tomcat reads "/;x/echo/a" as "/echo/a"; our test server dispatches
    # on the raw URI, so this only shows that the request went there.)
    my ($status, $body, $resp) = raw("GET /ajp;x/echo/a HTTP/1.1");
    ok $resp =~ /^X-Backend: /mi or print "# not forwarded: $status\n";
    ok $resp =~ /^X-OXB-Route: member=/mi;
    ($status, $body) = raw("GET /%61jp/echo/a HTTP/1.1");
    ok t_cmp(parse_dump($body)->{uri}, '/echo/a', 'an encoded prefix maps like the plain one');
}

# Prefixes and backend prefixes join on a segment boundary whatever their
# trailing '/' (issue 13: `OXPass /appsuite/api/ oxcluster /ajax` sent
# /appsuite/api/login as /ajaxlogin).
for my $p ('/appsuite/api', '/appsuite2/api') {
    my ($status, $body) = raw("GET $p/login?action=login HTTP/1.1");
    ok t_cmp($status, 200, "$p/login is forwarded");
    ok t_cmp(parse_dump($body)->{uri}, '/echo/login', "$p/login arrives as /echo/login");
}

# Absolute-form: the authority is the host the backend is told about, the
# path is what is forwarded.
{
    my ($status, $body) = raw("GET http://ox.example.com:8080/ajp/echo/abs?q=1 HTTP/1.1");
    ok t_cmp($status, 200, 'absolute-form target');
    my $d = parse_dump($body);
    ok t_cmp($d->{uri}, '/echo/abs', 'its path is forwarded');
    ok t_cmp($d->{query}, 'q=1', 'its query too');
    ok t_cmp(join(',', $d->{headers_named}->('host')), 'ox.example.com:8080', 'its authority is the Host');
    ($status) = raw("GET http:/ajp/echo/abs HTTP/1.1");
    ok t_cmp($status, 400, 'a scheme without an authority is refused');
    ($status, $body) = raw("OPTIONS * HTTP/1.1");
    ok $status > 0 && $status < 500 && $body !~ /^method: /m;
}

# Hop-by-hop headers named by the client's Connection header end here; a
# header a module set after the request was read is forwarded, even under
# a name the client listed; Host and Content-Length cannot be taken away.
{
    my ($status, $body) = raw("POST /ajp/echo/hop HTTP/1.1", 'Connection: X-Secret, X-Added, Content-Length, Host',
                              'X-Secret: client', 'X-Added: client', 'X-Kept: yes', 'Content-Length: 5', \'hello');
    ok t_cmp($status, 200, 'request with a Connection list');
    my $d = parse_dump($body);
    ok t_cmp(scalar $d->{headers_named}->('x-secret'), 0, 'a header the client named in Connection is dropped');
    ok t_cmp(join(',', $d->{headers_named}->('x-added')), 'by-httpd', 'a header RequestHeader set is kept');
    ok t_cmp(join(',', $d->{headers_named}->('x-kept')), 'yes', 'other headers are kept');
    ok t_cmp($d->{'body-length'}, 5, 'Content-Length cannot be named away: the body arrives');
    ok t_cmp(scalar $d->{headers_named}->('host'), 1, 'Host cannot be named away');
}
{
    my $r = GET '/ajp/headers?n=1&connection=X-Hop';
    ok t_cmp($r->code, 200, 'response with a Connection list');
    ok t_cmp($r->header('X-Hop'), undef, 'a response header the backend named in Connection is dropped');
    ok t_cmp($r->header('X-H1'), 'x' x 10, 'the others arrive');
}

# An input filter that changes the body: the body reaches the backend as
# httpd's filters deliver it, not as the client's Content-Length said:
# longer (64 KiB of text) or shorter (random bytes, which gzip makes
# longer), to an ajp:// and to an http:// member.
{
    my $plain = join('', map { sprintf("%015x\n", $_ * 16) } 0 .. 4095);    # 64 KiB
    my $noise = join('', map { chr(int(rand(256))) } 1 .. 1000);
    for my $case (['/ajp', 'longer', $plain], ['/ajp', 'shorter', $noise],
                  ['/h', 'longer', $plain], ['/h', 'shorter', $noise]) {
        my ($prefix, $what, $data) = @$case;
        gzip(\$data => \my $zipped) or die $GzipError;
        die "not $what" unless ($what eq 'longer') == (length($data) > length($zipped));
        my ($status, $body) = raw("POST $prefix/echo/inflate HTTP/1.1", 'Content-Encoding: gzip',
                                  'Content-Type: application/octet-stream', 'Content-Length: ' . length($zipped), \$zipped);
        ok t_cmp($status, 200, "$prefix: gzip body through SetInputFilter DEFLATE, decoded $what than declared");
        my $d = parse_dump($body);
        ok t_cmp($d->{'body-length'}, length($data), "$prefix, $what: the backend gets the whole inflated body");
        ok t_cmp($d->{'body-sha256'}, sha256_hex($data), "$prefix, $what: byte for byte");
        ok t_cmp(scalar $d->{headers_named}->('content-encoding'), 0, "$prefix, $what: no Content-Encoding: gzip for it");
        my @cl = $d->{headers_named}->('content-length');
        ok !grep({ $_ == length($zipped) } @cl) or print "# $prefix, $what: Content-Length @cl forwarded\n";
    }
}

# ErrorDocument on a forwarded path: the client gets the error's status with
# the backend's document; after a POST the document request has no body.
{
    my $mark = error_log_mark();
    my ($status, $body) = raw("GET /dead/errdoc/x HTTP/1.1");
    ok t_cmp($status, 503, 'the error status stays');
    my $d = parse_dump($body);
    ok t_cmp($d->{uri}, '/echo/error-document', 'the error document came from the backend');
    ($status, $body) = raw("POST /dead/errdoc/x HTTP/1.1", 'Content-Type: text/plain', 'Content-Length: 11',
                           \'hello world');
    ok t_cmp($status, 503, 'after a POST, too');
    $d = parse_dump($body);
    ok t_cmp($d->{method}, 'GET', 'the error document is fetched with GET');
    ok t_cmp($d->{'body-length'}, 0, 'without the consumed body');
    ok t_cmp(scalar $d->{headers_named}->('content-length'), 0, 'and without its Content-Length');
    my @lines = wait_for_log($mark, qr/OXB00010/);
    ok !grep { /OXB00012/ } @lines;
}

# The module answers to its conventional name.
{
    my $r = GET '/ifmodule/echo/x';
    ok t_cmp($r->code, 200, '<IfModule mod_oxbalance.c> is true');
    ok t_cmp(parse_dump($r->content)->{uri}, '/echo/x', 'and its block is in force');
}

# mod_proxy's spelling of a balancer with a path.
{
    my $r = GET '/mp/echo/x';
    ok t_cmp(parse_dump($r->content)->{uri}, '/echo/x', 'balancer://ajp: the prefix is replaced by the root');
    $r = GET '/mp2/x';
    ok t_cmp(parse_dump($r->content)->{uri}, '/echo/x', 'balancer://ajp/echo: the prefix is replaced by /echo');
}

# OXRouteHeader On names the default header; a name names its own.
{
    my $r = GET '/ajp/echo/x';
    ok $r->header('X-OXB-Route') && $r->header('X-OXB-Route') =~ /^member=OX[12]; route=-; reason=new$/
        or print "# X-OXB-Route: ", $r->header('X-OXB-Route') // 'none', "\n";
    ok t_cmp($r->header('On'), undef, 'no header named On');
    my $allowed = $ENV{OXB_ACL_ALLOWED_PORT};
    my ($status, $body, $resp) = raw_request($allowed, "GET /ajp/echo/x HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n");
    ok t_cmp($status, 200, 'a virtual host with its own route header');
    ok $resp =~ /^X-Custom-Route: member=/mi;
    ok $resp !~ /^X-OXB-Route:/mi;
}

# The server port the backend is told is the port the client connected to,
# as mod_proxy_ajp sends it, whatever the Host header says (OX builds
# redirect URLs from it).
{
    for my $h ('localhost', 'localhost:1234') {
        my ($status, $body) = raw_request($port, "GET /ajp/echo/x HTTP/1.1\r\nHost: $h\r\nConnection: close\r\n\r\n");
        ok t_cmp(parse_dump($body)->{'server-port'}, $port, "server port with Host: $h");
    }
}

# mod_proxy_balancer's environment variables, for mod_headers and friends.
{
    my $r = GET '/ajp/echo/env', Cookie => 'JSESSIONID=123.OX2';
    ok t_cmp($r->header('X-Env'),
             "name=balancer://ajp worker=ajp://127.0.0.1:$ENV{OXB_AJP2_PORT} wroute=OX2 sticky=JSESSIONID sroute=OX2 changed=(null)",
             'a sticky request');
    $r = GET '/ajp/echo/env';
    ok $r->header('X-Env') =~ m{^name=balancer://ajp worker=ajp://127\.0\.0\.1:\d+ wroute=OX[12] sticky=JSESSIONID sroute=\(null\) changed=\(null\)$}
        or print "# ", $r->header('X-Env') // 'none', "\n";
    # A failover: the session's member is down (nothing listens), or
    # disabled; the request goes to the other member and says so.
    $r = GET "/envfail/echo/env-notes$$", Cookie => 'JSESSIONID=123.EF1';
    ok t_cmp($r->header('X-Env'),
             "name=balancer://envfail worker=ajp://127.0.0.1:$ENV{OXB_AJP2_PORT} wroute=EF2 sticky=JSESSIONID sroute=EF1 changed=1",
             'a failover from a member that is down sets BALANCER_ROUTE_CHANGED=1');
    $r = GET '/envmove/echo/env', Cookie => 'JSESSIONID=123.EM1';
    ok t_cmp($r->header('X-Env'),
             "name=balancer://envmove worker=ajp://127.0.0.1:$ENV{OXB_AJP2_PORT} wroute=EM2 sticky=JSESSIONID sroute=EM1 changed=1",
             'a session of a disabled member: BALANCER_ROUTE_CHANGED=1');
    $r = GET '/envmove/echo/env', Cookie => 'JSESSIONID=123.EM2';
    ok $r->header('X-Env') =~ / wroute=EM2 .* sroute=EM2 changed=\(null\)$/
        or print "# ", $r->header('X-Env') // 'none', "\n";
}

# CustomLog ... env=BALANCER_WORKER_ROUTE logs forwarded requests only.
{
    my $log = Apache::Test::vars('t_logs') . '/balancer_env_log';
    my $tag = "clog$$";
    # (the ones that must not be logged first: by the time the forwarded
    # one's line is there, theirs would be too)
    GET "/ajp/skip/$tag-excluded";
    GET "/not-forwarded/$tag-local";
    GET "/envmove/echo/$tag-sticky", Cookie => 'JSESSIONID=1.EM1';
    my @lines;
    for (1 .. 100) {    # httpd logs after the response is sent
        open my $fh, '<', $log or last;
        @lines = grep { /\Q$tag\E/ } <$fh>;
        last if @lines;
        select undef, undef, undef, 0.05;
    }
    ok t_cmp(join('', @lines), "EM2 1 /envmove/echo/$tag-sticky\n",
             'the CustomLog env= line logged the forwarded request (with its route and the change), nothing else');
}

# The notes for LogFormat (%{oxbalance-member}n ...) name the member that
# answered, after a failover too: the envfail request above tried EF1
# first, and the second attempt's notes replaced the first's.
{
    my $log = Apache::Test::vars('t_logs') . '/access_log';
    my $tag = "notes$$";
    my @lines;
    for (1 .. 100) {
        open my $fh, '<', $log or last;
        @lines = grep { /\Q$tag\E/ } <$fh>;
        last if @lines;
        select undef, undef, undef, 0.05;
    }
    ok t_cmp(join('', map { /( member=\S+ route=\S+ reason=\S+)$/ ? "$1\n" : "? $_" } @lines),
             " member=EF2 route=EF1 reason=failover\n", 'logged with the member that answered');
}
