# Real Tomcats through their HTTP/1.1 connectors (http:// members), as OX
# App Suite nodes are reached: bodies both ways, the client's identity,
# sessions sticky by jvmRoute, and a servlet that lies about its
# Content-Length never desynchronises the client.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Digest::SHA qw(sha256_hex);
use LWP::UserAgent ();
use OXB::Test qw(have_tomcat base_url curl pattern_bytes two_requests raw_connect raw_read);

plan tests => 18, sub { have_tomcat() };

my $base = base_url();
my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 30);

sub dump_of { my %d = $_[0] =~ /^([a-z0-9-]+): ?(.*)$/mg; return \%d }

# Downloads with and without Content-Length, every byte in place.
for my $cl (1, 0) {
    my $r = $ua->get("$base/tchttp1/download?bytes=3M&cl=$cl");
    ok t_cmp($r->code, 200, "download cl=$cl");
    ok t_cmp(sha256_hex($r->content), sha256_hex(pattern_bytes(3 * 1024 * 1024)), "download cl=$cl: bytes");
}

# Uploads: Content-Length and chunked.
{
    my $body = pattern_bytes(2_000_000);
    my $r = $ua->post("$base/tchttp1/echo", Content_Type => 'application/octet-stream', Content => $body);
    my $d = dump_of($r->content);
    ok t_cmp($d->{'body-length'}, 2_000_000, 'upload length');
    ok t_cmp($d->{'body-sha256'}, sha256_hex($body), 'upload bytes');
    my ($rc, $out) = curl('-sS', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'x' x 100_000, "$base/tchttp1/echo");
    ok t_cmp(dump_of($out)->{'body-length'}, 100_000, 'chunked upload');
}

# What Tomcat makes of the request: scheme, client address (through
# X-Forwarded-For only if Tomcat's RemoteIpValve were configured; here the
# header itself), Host.
{
    my $r = $ua->get("$base/tchttp1/echo/x?a=1", Host => 'mail.example.com', 'X-Forwarded-For' => '10.9.9.9');
    my $d = dump_of($r->content);
    ok t_cmp($d->{uri}, '/echo/x', 'path mapped');
    ok t_cmp($d->{query}, 'a=1', 'query');
    ok t_cmp($d->{'server-name'}, 'mail.example.com', 'Host preserved');
    ok t_cmp($r->content =~ /^header: x-forwarded-for: 127\.0\.0\.1$/mi ? 1 : 0, 1, 'a forged X-Forwarded-For is replaced');
}

# Sessions: jvmRoute in the cookie, every request of a session on its node.
{
    my %routes;
    my @cookies;
    for (1 .. 8) {
        my $r = LWP::UserAgent->new->get("$base/tchttp/login");
        my ($id) = join(',', $r->header('Set-Cookie')) =~ /JSESSIONID=([^;,]+)/;
        my ($route) = ($id // '') =~ /\.(\w+)$/;
        $routes{$route // 'none'}++;
        push @cookies, "JSESSIONID=$id" if $id;
    }
    ok t_cmp(join(',', sort keys %routes), 'OX1,OX2', 'new sessions on both nodes');
    my $stuck = 0;
    for my $c (@cookies) {
        my ($route) = $c =~ /\.(\w+)$/;
        my $ok = 1;
        for (1 .. 3) {
            my $w = $ua->get("$base/tchttp/whoami", Cookie => $c)->content;
            $ok &&= $w =~ /route=\Q$route\E / && $w =~ /valid=true/;
        }
        $stuck += $ok;
    }
    ok t_cmp($stuck, scalar @cookies, 'every session stays on its node, valid');
}

# A servlet that writes more or less than its Content-Length. Longer: the
# client gets the 5 declared bytes, then its next request's own answer, never
# the injected response. Shorter: a broken response (connection closed),
# never the next response read as the missing rest.
{
    my ($first, $bytes, $eof) = two_requests('/tchttp1/lying-length?way=longer', '/tchttp1/small');
    ok t_cmp($first && $first->{status}, 200, 'longer: the declared response');
    ok $bytes !~ /INJECTED/ && scalar(() = $bytes =~ m{HTTP/1\.1 \d{3}}g) == 2;
    # Tomcat keeps its connection open after a short body: the missing
    # bytes never come, and the member's timeout (3 s) ends the response.
    local $SIG{PIPE} = 'IGNORE';
    my $s = raw_connect();
    print $s "GET /tchttp1/lying-length?way=shorter HTTP/1.1\r\nHost: localhost\r\n\r\n";
    print $s "GET /tchttp1/small HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ($bytes, $eof) = raw_read($s, 10);
    close $s;
    ok t_cmp($eof ? 1 : 0, 1, 'shorter: the client connection is closed');
    ok $bytes !~ /x{199}/ or print "# the client read the next response\n";
}
ok t_cmp(GET('/tchttp1/small')->code, 200, 'served again');
