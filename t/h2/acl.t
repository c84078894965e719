# OXProtect for HTTP/2 clients (mod_http2), over h2c and h2 over TLS:
# every spelling of the protected SOAP paths in t/acl/spellings.pl, sent as
# the :path pseudo-header byte for byte, from a client that is not allowed,
# gets what its class demands (403 denied; 400 or 404 refused; 404 not the
# protected resource) and exactly what the same bytes get as an HTTP/1.1
# request target; none reaches Tomcat's protected servlet (with Tomcat:
# also behind OXPass /tc, whose bytes reach Tomcat unchanged). A forged
# X-Forwarded-For changes nothing. From the allowed port (h2c) the
# legitimate spellings and the controls of t/acl/protect.t pass the ACL.
use strict;
use warnings;
# mod_http2 serves no HTTP/2 under the prefork MPM (it says so at start).
BEGIN { if (($ENV{OXB_MPM} // "event") eq "prefork") { print "1..0 # SKIP mod_http2 does not run under prefork\n"; exit 0 } }
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::H2;
use OXB::Test qw(have_tomcat raw_request);

my $cfg = Apache::Test::config();
my @spellings = do "$cfg->{vars}{t_dir}/acl/spellings.pl" or die "cannot read t/acl/spellings.pl: " . ($@ || $!);
my @legit = ('/servlet/axis2/services/x', '/webservices/y');
my @controls = ('/servlet/foo/..;/axis2/services/x', '/servlet/axis2;x/services/x', '/servlet/%61xis2/services/x',
                '/webservices/./y', '//webservices/y', '/servlet/x/..;/..;/webservices/y');
my @modes = qw(h2c tls);
my $tc = have_tomcat();
plan tests => (@spellings * ($tc ? 2 : 1) + 2) * @modes + @legit + @controls;

my %accept = (403 => [403], 400 => [400, 404], 404 => [404]);
my $reached = qr/PROTECTED RESOURCE REACHED/;

sub shown { my $p = shift; $p =~ s/([^\x21-\x7e])/sprintf('\\x%02x', ord $1)/ge; return $p }

# The HTTP/1.1 answer to the same bytes on the same (h2c) port, for
# comparison.
my %h1;
for my $row (@spellings) {
    my ($status) = raw_request($ENV{OXB_H2C_PORT}, "GET $row->[0] HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    $h1{ $row->[0] } = $status;
}

# Sends GETs for @$paths on $h2, at most 50 streams at a time; returns the
# stream records in order.
sub get_all {
    my ($h2, $paths, @headers) = @_;
    my @out;
    for (my $i = 0; $i < @$paths; $i += 50) {
        my @batch = @$paths[$i .. ($i + 49 < $#$paths ? $i + 49 : $#$paths)];
        my @ids = map { $h2->request(path => $_, headers => [@headers]) } @batch;
        $h2->wait_done(\@ids, 60);
        push @out, map { $h2->stream($_) } @ids;
    }
    return @out;
}

for my $mode (@modes) {
    my $h2 = OXB::H2->connect_to($mode);
    my @got = get_all($h2, [map { $_->[0] } @spellings]);
    for my $i (0 .. $#spellings) {
        my ($path, $class, $why) = @{ $spellings[$i] };
        my $s = $got[$i];
        my $status = $s->status // 'none';
        my $good = grep { $_ eq $status } @{ $accept{$class} };
        ok($good && $s->complete && $s->body !~ $reached && $status eq ($h1{$path} // '-'))
            or print "# $mode: ", shown($path), " ($why, class $class): ", $s->describe,
                     ", HTTP/1.1 got ", $h1{$path} // '-', ($s->body =~ $reached ? ', REACHED the servlet' : ''), "\n";
    }
    if ($tc) {
        my @behind = get_all($h2, [map { "/tc$_->[0]" } @spellings]);
        for my $i (0 .. $#spellings) {
            my $s = $behind[$i];
            my $status = $s->status // 'none';
            ok(($status eq '400' || $status eq '403' || $status eq '404') && $s->body !~ $reached)
                or print "# $mode: /tc", shown($spellings[$i][0]), ": ", $s->describe, "\n";
        }
    }
    # A forged client address from a peer that is no trusted proxy.
    my ($forged) = get_all($h2, ['/webservices/y'], 'x-forwarded-for' => '10.99.1.1');
    ok t_cmp($forged->status, 403, "$mode: forged X-Forwarded-For");
    ok t_cmp($forged->body, "Forbidden\n", "$mode: the 403 body");
    $h2->close;
}

# The allowed client: past the ACL (to Tomcat's servlet, or without Tomcat
# to httpd's 404: no OXPass for these prefixes then).
{
    my $h2 = OXB::H2->new(mode => 'h2c', port => $ENV{OXB_ACL_ALLOWED_PORT});
    my @paths = (@legit, @controls);
    my @got = get_all($h2, \@paths);
    for my $i (0 .. $#paths) {
        my $s = $got[$i];
        if ($tc) {
            ok(($s->status // 0) == 200 && $s->body =~ /^PROTECTED RESOURCE REACHED route=OX[12] path=/)
                or print "# allowed client: $paths[$i]: ", $s->describe, "\n";
        } else {
            ok t_cmp($s->status, 404, "allowed client, no Tomcat: $paths[$i] passes the ACL");
        }
    }
    $h2->close;
}
