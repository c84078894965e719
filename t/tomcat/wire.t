# Wire compatibility with a real servlet container: Tomcat 10 behind the
# module, over AJP, with jvmRoute OX1 and OX2 (OX2 requires the secret).
use strict;
use warnings;
use Apache::Test qw(plan ok skip);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET HEAD);
use HTTP::Request ();
use OXB::Test qw(parse_dump have_tomcat curl base_url);

my @methods = qw(GET POST PUT DELETE OPTIONS TRACE PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK
                 REPORT SEARCH MKACTIVITY CHECKOUT PATCH);
plan tests => 27 + @methods, sub { have_tomcat() };

my $ua = Apache::TestRequest::user_agent(keep_alive => 1);

sub request {
    my ($method, $path, @headers) = @_;
    return $ua->request(HTTP::Request->new($method => Apache::TestRequest::resolve_url($path), [@headers]));
}

# What Tomcat makes of the forwarded request.
{
    my $r = GET '/tc/echo/x%20y?q=%C3%A4%20b&z=1', 'X-Custom' => 'v1';
    ok t_cmp($r->code, 200, 'GET reaches Tomcat');
    my $d = parse_dump($r->content);
    ok t_cmp($r->message, 'OK', 'status line "200 OK", not Tomcat\'s "200 200"');
    ok t_cmp($d->{method}, 'GET', 'method');
    ok t_cmp($d->{uri}, '/echo/x%20y', 'request URI stays encoded');
    ok t_cmp($d->{query}, 'q=%C3%A4%20b&z=1', 'query string');
    ok t_cmp($d->{protocol}, 'HTTP/1.1', 'protocol');
    ok t_cmp($d->{'remote-addr'}, '127.0.0.1', 'remote address');
    ok $d->{'remote-port'} =~ /^\d+$/ && $d->{'remote-port'} > 0;
    ok t_cmp($d->{'local-addr'}, '127.0.0.1', 'local address (AJP_LOCAL_ADDR)');
    ok t_cmp($d->{'server-port'}, Apache::Test::config()->{vars}{port}, 'server port');
    ok t_cmp($d->{'is-ssl'}, 0, 'not secure');
    ok t_cmp(join(',', $d->{headers_named}->('x-custom')), 'v1', 'custom header');
}

# Both members answer; OX2 only does because the module sends its secret.
{
    my %routes;
    for (1 .. 10) {
        my $r = GET '/tc/echo';
        $routes{ parse_dump($r->content)->{route} // 'none' } += ($r->code == 200);
    }
    ok t_cmp($routes{OX1}, 5, 'OX1 served half');
    ok t_cmp($routes{OX2}, 5, 'OX2 (secret required) served half');
}

for my $m (@methods) {
    my $r = request($m, '/tc/echo/m', 'Content-Length' => 0);
    ok t_cmp(parse_dump($r->content)->{method}, $m, "$m reaches the servlet");
}

# Sessions: Tomcat appends its jvmRoute to JSESSIONID.
{
    my $r = GET '/tc/login';
    my ($cookie) = grep { /^JSESSIONID=/ } $r->header('Set-Cookie');
    ok $cookie && $cookie =~ /^JSESSIONID=[0-9A-F]+\.(OX1|OX2);/;
    my @c = GET('/tc/cookies?n=3')->header('Set-Cookie');
    ok t_cmp(scalar @c, 3, 'repeated Set-Cookie from Tomcat');
}

# Statuses and HEAD.
ok t_cmp(GET('/tc/status?code=204')->code, 204, '204');
ok t_cmp(GET('/tc/status?code=304')->code, 304, '304');
ok t_cmp(GET('/tc/status?code=500')->code, 500, '500');
{
    my $r = HEAD '/tc/download?bytes=1000';
    ok t_cmp($r->header('Content-Length'), 1000, 'HEAD keeps Content-Length');
    ok t_cmp(length $r->content, 0, 'HEAD has no body');
}

# TLS client with a certificate: Tomcat sees a secure request and the
# certificate chain.
{
    my $tls = "$ENV{OXB_RUN_DIR}/tls";
    my ($rc, $out) = curl('--cacert', "$tls/ca.pem", '--cert', "$tls/client.pem", '--key', "$tls/client.key",
                          "https://localhost:$ENV{OXB_TLS_PORT}/tc/echo");
    my $d = parse_dump($out);
    ok t_cmp($d->{'is-ssl'}, 1, 'Tomcat: isSecure()');
    ok t_cmp($d->{scheme}, 'https', 'Tomcat: scheme https');
    my ($subject) = $d->{attr_named}->('jakarta.servlet.request.X509Certificate');
    ok $subject && $subject =~ /CN=oxb client/;
    my ($bits) = $d->{attr_named}->('jakarta.servlet.request.key_size');
    ok $bits && $bits >= 128;
}

# httpd's authentication is visible to Tomcat (tomcatAuthentication=false).
{
    my ($rc, $out) = curl('-u', 'alice:secret', base_url() . '/tc/echo/auth');
    ok t_cmp(parse_dump($out)->{'remote-user'}, 'alice', 'Tomcat: getRemoteUser()');
}

# ping=: Tomcat answers CPing with CPong before each request.
{
    my $ok = grep { GET('/tcping/echo')->code == 200 } 1 .. 5;
    ok t_cmp($ok, 5, 'Tomcat with ping=: answered');
}
