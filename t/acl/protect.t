# OXProtect end to end: every spelling of the protected SOAP paths, sent
# byte for byte over a raw socket (no client library normalises the path),
# from a client that is not allowed, must never reach Tomcat's protected
# servlet; from an allowed client the legitimate spellings do.
#
# The configuration this test expects (t/conf/extra.conf.in):
#   OXPass /servlet tomcat
#   OXPass /webservices tomcat
#   OXProtect /servlet/axis2/services 10.99.0.0/16
#   OXProtect /webservices 10.99.0.0/16
#   on the main port: OXTrustedProxy without 127.0.0.1 (forged headers count
#   for nothing), so the test client 127.0.0.1 is NOT allowed;
#   on the port in $ENV{OXB_ACL_ALLOWED_PORT}: the same, with 127.0.0.1
#   allowed.
# OXPass /tc tomcat / (from the older tests) is used too: "/tc" + spelling
# forwards the spelling's bytes to Tomcat unchanged, so the ACL must decide on
# what Tomcat resolves from the bytes forwarded, not only on the client's
# path (/tc/webservices/y is /webservices/y at the backend).
#
# What must happen to each spelling is in t/acl/spellings.pl (403 denied,
# 400 refused as ambiguous, 404 not the protected resource). The fuzz seeds
# (t/fuzz/corpus: the raw paths of t/unit/test_acl.cc's table) are sent too:
# none may reach the servlet; a seed that names the root ("/", "/x/..") may
# get 200 (t/htdocs/index.html, Tomcat's root page), 400 or 404, every other
# one 400, 403 or 404 (names_root below).
use strict;
use warnings;
use Apache::Test qw(plan ok skip);
use Apache::TestUtil qw(t_cmp);
use OXB::Test qw(have_tomcat raw_request);

my $cfg = Apache::Test::config();
my $t_dir = $cfg->{vars}{t_dir};
my @spellings = do "$t_dir/acl/spellings.pl" or die "cannot read $t_dir/acl/spellings.pl: " . ($@ || $!);

my @corpus;
{
    my $dir = "$t_dir/fuzz/corpus";
    opendir my $d, $dir or die "cannot read $dir: $!";
    for my $f (sort grep { !/^\./ } readdir $d) {
        open my $fh, '<:raw', "$dir/$f" or die "$dir/$f: $!";
        local $/;
        my $raw = <$fh> // '';
        # A request line cannot carry these; an empty target is sent as it is.
        next if $raw =~ /[\x00-\x1f\x7f ]/;
        push @corpus, $raw;
    }
}

my $allowed_port = $ENV{OXB_ACL_ALLOWED_PORT};
# Spellings that are not the legitimate one but that Tomcat maps to the
# protected servlet, and whose path httpd still routes with OXPass /servlet
# or /webservices: from an allowed client they must arrive (a control that
# the spellings of the 403 class really are the protected resource).
my @controls = ('/servlet/foo/..;/axis2/services/x', '/servlet/axis2;x/services/x', '/servlet/%61xis2/services/x',
                '/webservices/./y', '//webservices/y', '/servlet/x/..;/..;/webservices/y');
my @legit = ('/servlet/axis2/services/x', '/webservices/y');

my @slash = grep { $_->[0] =~ m{^/} } @spellings;
my @corpus_slash = grep { m{^/} } @corpus;
# Other request-target forms (RFC 9112 3.2), sent raw: [target, accepted
# statuses (undef: any below 500), why].
my @forms = (
    # the review's bypass: httpd reads "http:/x" as the path "/x" and decodes
    # it in place before the handler runs; it must never be forwarded
    ['http:/ajax/%252e%252e/webservices/AdminService', [400], 'scheme without authority (the review\'s bypass)'],
    ['http:/servlet/%252e%252e/webservices/y',        [400], 'scheme without authority'],
    ['http:/webservices/y',                           [400], 'scheme without authority, plain'],
    ['HTTP:/webservices/y',                           [400], 'scheme without authority, upper case'],
    ['https:/webservices/y',                          [400], 'https scheme without authority'],
    ['http:webservices/y',                            [400], 'scheme without authority or slash'],
    ['http:///webservices/y',                         [400], 'empty authority'],
    ['ftp://localhost/webservices/y',                 [400], 'another scheme'],
    ['http://u:p@localhost/webservices/y',            [400], 'credentials in the authority'],
    ['localhost:80',                                  [400], 'authority-form outside CONNECT'],
    ['webservices/y',                                 [400], 'relative path'],
    ['/webservices/y#x',                              [400, 403], 'fragment'],
    ['*',                                             [400], 'asterisk-form outside OPTIONS'],
    # what these spellings are in origin-form, they are in absolute-form
    ['http://localhost/ajax/%252e%252e/webservices/AdminService', [404], 'absolute-form, double-encoded dots'],
    ['/ajax/%252e%252e/webservices/AdminService',    [404], 'origin-form, double-encoded dots'],
);

plan tests => 2 * @spellings + 2 * @slash + 2 * @corpus + 2 * @corpus_slash + 8 + 2 * (@legit + @controls)
    + 4 * @slash + 2 * @forms + 2 + 1,
    sub { have_tomcat() };

my $host = $cfg->{vars}{servername};
my $port = $cfg->{vars}{port};

# One request on its own connection; returns (status, body). The path goes
# out exactly as given.
sub raw_get {
    my ($to_port, $path, @headers) = @_;
    my $req = "GET $path HTTP/1.1\r\nHost: $host\r\n" . join('', map { "$_\r\n" } @headers) . "Connection: close\r\n\r\n";
    my ($status, $body) = raw_request($to_port, $req);
    return ($status, $body);
}

sub shown { my $p = shift; $p =~ s/([^\x21-\x7e])/sprintf('\\x%02x', ord $1)/ge; return $p }

my %accept = (403 => [403], 400 => [400, 404], 404 => [404]);

# Sends $path from the non-allowed client: the servlet is never reached, and
# the status is one of @$ok (with $ok undef: any status below 500).
sub denied {
    my ($path, $ok, $why, @headers) = @_;
    my ($status, $body) = raw_get($port, $path, @headers);
    my $p = shown($path);
    ok !($body =~ /PROTECTED RESOURCE REACHED/) or print "# REACHED the protected servlet: $p ($why): $body";
    my $good = $ok ? grep { $_ == $status } @$ok : $status >= 100 && $status < 500;
    ok($good ? 1 : 0) or print "# $p ($why): status $status, expected ", ($ok ? "@$ok" : 'below 500'), "\n";
}

# The table: each spelling as it is, with the status its class demands.
for my $row (@spellings) {
    my ($path, $class, $why) = @$row;
    denied($path, $accept{$class}, $why);
}

# The same spellings behind OXPass /tc, whose bytes reach Tomcat unchanged:
# denied (403) or refused (400/404), never forwarded to the servlet.
for my $row (@slash) {
    my ($path, $class, $why) = @$row;
    denied("/tc$path", [400, 403, 404], "/tc + $why");
}

# The same spellings in absolute-form: the authority is the host, the path
# is what is checked and forwarded, so each keeps its class.
for my $row (@slash) {
    my ($path, $class, $why) = @$row;
    denied("http://$host$path", $accept{$class}, "absolute-form, $why");
}

# With a scheme but no authority: refused, never forwarded ("http:" followed
# by "//x/y" is an absolute-form naming host x: any status below 500).
for my $row (@slash) {
    my ($path, $class, $why) = @$row;
    denied("http:$path", $path =~ m{^//} ? undef : [400], "scheme without authority, $why");
}

for my $row (@forms) {
    my ($target, $ok, $why) = @$row;
    denied($target, $ok, $why);
}

# Internal redirects are checked like requests: an error document on a
# protected path is not served to a client that may not see it.
denied('/errdoc-protected/missing', [403, 404], 'ErrorDocument naming a protected path');

# Whether a fuzz seed names the root ("/", "/x/..", "/%2e", "" or above
# the root), with /tc's prefix taken off: only dot segments, no other escape,
# no ';', '\', '?' or '#'. Such a seed is harmless: httpd's index or
# Tomcat's root page (200), httpd's refusal of a path above the root or of
# an empty target (400), or nothing at /tc/ (404). Every other seed is a
# spelling of some path under a protected or unknown prefix: denied (403),
# refused as ambiguous (400) or not found (404), never 200.
sub names_root {
    my ($path) = @_;
    $path =~ s{^/tc(?=/)}{};
    return 0 if $path =~ /[;\\?#]|%(?!2e)/i;
    my @out;
    for my $seg (split m{/}, $path, -1) {
        (my $s = $seg) =~ s/%2e/./gi;
        next if $s eq '' || $s eq '.';
        if ($s eq '..') { pop @out; next }
        push @out, $s;
    }
    return !@out;
}

# Every fuzz seed, as it is and behind /tc.
for my $path (@corpus) {
    denied($path, names_root($path) ? [200, 400, 404] : [400, 403, 404], 'fuzz seed');
}
for my $path (@corpus_slash) {
    denied("/tc$path", names_root("/tc$path") ? [200, 400, 404] : [400, 403, 404], 'fuzz seed behind /tc');
}

# The answer is httpd's 403 with the documented body, "Forbidden".
{
    my ($status, $body) = raw_get($port, '/webservices/y');
    ok t_cmp($body, "Forbidden\n", 'the 403 body');
}

# Forged client addresses from a peer that is not a trusted proxy change
# nothing.
denied('/webservices/y', [403], 'forged X-Forwarded-For', 'X-Forwarded-For: 10.99.1.1');
denied('/servlet/axis2/services/x', [403], 'forged Forwarded', 'Forwarded: for=10.99.1.1');
denied('/webservices/y', [403], 'forged X-Forwarded-For chain', 'X-Forwarded-For: 10.99.1.1, 10.99.1.2',
       'Forwarded: for="10.99.1.1"');
denied('/tc/webservices/y', [403], 'forged X-Forwarded-For behind /tc', 'X-Forwarded-For: 10.99.1.1');

# From the allowed port, the legitimate spellings and the controls arrive.
if ($allowed_port) {
    for my $path (@legit, @controls) {
        my ($status, $body) = raw_get($allowed_port, $path);
        ok t_cmp($status, 200, "allowed client: $path");
        ok $body =~ m{^PROTECTED RESOURCE REACHED route=OX[12] path=} or print "# $path: $body\n";
    }
} else {
    skip 'OXB_ACL_ALLOWED_PORT is not set', 0 for 1 .. 2 * (@legit + @controls);
}
