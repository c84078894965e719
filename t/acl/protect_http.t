# OXProtect for http:// members: every hostile spelling of the protected SOAP
# paths, sent byte for byte, forwarded under an OXPass rule whose balancer
# has http:// members, must never reach the backend. The ACL decides on the
# path as Grizzly (OX App Suite's HTTP server) resolves the bytes forwarded
# (libox/acl/grizzly_normalizer.h), not only as Tomcat does.
#
# The configuration this test expects (t/conf/extra.conf.in):
#   OXPass /hone hone /      hone: our HTTP test server HX1 only, no probes
#   OXPass /hmixed hmixed /  hmixed: an ajp:// and an http:// member
#   OXPass /ajp ajp /        ajp: AJP test servers only (the control)
#   OXProtect /servlet/axis2/services and /webservices for 10.99.0.0/16, so
#   the test client 127.0.0.1 is not allowed.
# "/hone" + spelling forwards the spelling's bytes to HX1; HX1 counts every
# request it reads (/stats), so "never reaches the backend" is checked by
# its counter, besides the status (400 or 403, or httpd's own 404 for the
# spellings its core refuses) and the absence of the X-OXB-Route header that
# names the member a request went to (OXRouteHeader On).
#
# The spellings: the 403 and 400 rows of t/acl/spellings.pl, and the ones
# only Grizzly resolves to a protected path (@grizzly below). The control:
# the Grizzly-only ones go through to an ajp:// balancer (Tomcat's model
# does not protect them), so it is the Grizzly model that blocks them here.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::Test qw(raw_request);

my $cfg = Apache::Test::config();
my $t_dir = $cfg->{vars}{t_dir};
my @spellings = do "$t_dir/acl/spellings.pl" or die "cannot read $t_dir/acl/spellings.pl: " . ($@ || $!);
my @hostile = map { [$_->[0], $_->[2]] } grep { $_->[1] != 404 && $_->[0] =~ m{^/} } @spellings;

# Resolved under a protected prefix by Grizzly (or refused as ambiguous by
# its model): [raw path, what Grizzly makes of it, whether Tomcat's model
# protects it too].
my @grizzly = (
    ['/x/.../webservices/y',                    q{"..." acts as ".." in normalizeBytes: /webservices/y}, 0],
    ['/x/%2e%2e%2e/webservices/y',              q{the same, encoded}, 0],
    ['/x/././webservices/y',                    q{"/./" leaves normalizeBytes in slash-dot: /webservices/y}, 0],
    ['/x/%2e/%2e/webservices/y',                q{the same, encoded}, 0],
    ['/web/.//services/y',                      q{"/.//" removes a slash: /webservices/y}, 0],
    ['/webservices/..;x/y',                     q{"..;x" is a name to Grizzly: /webservices/..;x/y}, 0],
    ['/webservices/y/..;/..;/z',                q{names, not dot segments: under /webservices}, 0],
    ['/webservices/x/../..;/y',                 q{/webservices/..;/y}, 0],
    ['/servlet/axis2/services/..;/x',           q{/servlet/axis2/services/..;/x}, 0],
    ['/webservices;jsessionid=1/../x',          q{parseSessionId cuts to the end: /webservices}, 0],
    ['/servlet/axis2/services;jsessionid=1/x',  q{parseSessionId cuts to the end: /servlet/axis2/services}, 1],
    ['/webservices;JSESSIONID=1',               q{another session parameter spelling: refused}, 1],
);
# Legitimate requests through the same rule: they must arrive (the counter
# works, and the Grizzly model does not refuse what OX clients send).
my @legit = ('/echo/a+b', '/echo/x;jsessionid=1.OX1', '/echo/webservices', '/echo/a/b/..', '/echo/%C3%A4');

plan tests => 3 * @hostile + 3 * @grizzly + 2 * @hostile + 2 * @grizzly + @grizzly + 2 * @legit + 3;

my $host = $cfg->{vars}{servername};
my $port = $cfg->{vars}{port};
my $hx1 = $ENV{OXB_HTTP1_PORT} or die "OXB_HTTP1_PORT is not set";

sub raw_get {
    my ($to_port, $path) = @_;
    my $req = "GET $path HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
    return raw_request($to_port, $req);
}

sub shown { my $p = shift; $p =~ s/([^\x21-\x7e])/sprintf('\\x%02x', ord $1)/ge; return $p }

# HX1's request counter, read directly (the read itself counts one).
sub hx1_requests {
    my ($status, $body) = raw_get($hx1, '/stats');
    die "HX1 /stats: $status" unless $status == 200;
    my ($n) = $body =~ /requests=(\d+)/;
    my ($bad) = $body =~ /bad-requests=(\d+)/;
    return $n + $bad;
}

# Blocked by the module: 400 or 403 (or httpd core's 404 for %2F and %00),
# never answered by the backend.
sub blocked {
    my ($path, $why) = @_;
    my ($status, $body, $resp) = raw_get($port, $path);
    my $p = shown($path);
    ok(($status == 400 || $status == 403 || $status == 404) ? 1 : 0) or print "# $p ($why): status $status\n";
    ok($resp !~ /^X-OXB-Route: member=/mi ? 1 : 0) or print "# $p ($why): went to a member: $resp\n";
    return $status;
}

# 1. An http://-only balancer: none reaches HX1.
my $before = hx1_requests();
for my $row (@hostile, @grizzly) {
    my ($path, $why) = @$row;
    blocked("/hone$path", $why);
    my $after = hx1_requests();
    ok t_cmp($after - $before, 1, "/hone" . shown($path) . " did not reach the http:// member");
    $before = $after;
}

# 2. A balancer of both kinds: the strictest of both models.
for my $row (@hostile, @grizzly) {
    my ($path, $why) = @$row;
    blocked("/hmixed$path", $why);
}

# 3. The control: an ajp:// balancer lets the Grizzly-only spellings through
# to its member (Tomcat resolves them outside the protected prefixes), so the
# test above fails if the Grizzly model is not applied.
for my $row (@grizzly) {
    my ($path, $why, $tomcat_blocks) = @$row;
    my ($status, $body, $resp) = raw_get($port, "/ajp$path");
    my $went = $resp =~ /^X-OXB-Route: member=/mi ? 1 : 0;
    ok t_cmp($went, $tomcat_blocks ? 0 : 1, "/ajp" . shown($path) . ($tomcat_blocks ? ' blocked' : ' forwarded') .
        " for an ajp:// balancer (status $status)");
}

# 4. Legitimate paths arrive, once each.
$before = hx1_requests();
for my $path (@legit) {
    my ($status, $body) = raw_get($port, "/hone$path");
    ok t_cmp($status, 200, "/hone$path answered");
    my $after = hx1_requests();
    ok t_cmp($after - $before, 2, "/hone$path reached the http:// member once");
    $before = $after;
}
my ($status, $body, $resp) = raw_get($port, '/hone/echo/x;jsessionid=1.OX1');
ok t_cmp($status, 200, 'a final jsessionid passes');
ok t_cmp(($body =~ /^request-line: (.*?)\r?$/m)[0], 'GET /echo/x;jsessionid=1.OX1 HTTP/1.1', 'forwarded byte for byte');
ok t_cmp(($resp =~ /^X-OXB-Route: (member=\w+)/mi)[0], 'member=HS1', 'to the http:// member');
