# Client identity to the backend: X-Forwarded-For, -Proto and -Host are set
# by us; a client's own values are replaced, a trusted proxy's kept (the
# OXTrustedProxy list the ACL uses), and behind a trusted proxy the backend's
# remote address and HTTPS indicator follow what the proxy reported.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use LWP::UserAgent ();
use OXB::Test qw(parse_dump);

plan tests => 30;

my $ua = LWP::UserAgent->new(timeout => 20);
my $direct = Apache::TestRequest::resolve_url('/echo/fwd');
my $proxy = "http://127.0.0.1:$ENV{OXB_ACL_PROXY_PORT}/echo/fwd";

my @forged = (
    'X-Forwarded-For' => '10.99.1.1',
    'X-Forwarded-Proto' => 'https',
    'X-Forwarded-Host' => 'evil.example',
    'Forwarded' => 'for=10.99.2.2;proto=https',
);

sub dump_of {
    my ($url, @h) = @_;
    my $r = $ua->get($url, @h);
    return ($r->code, parse_dump($r->content));
}

# A client that is not a trusted proxy: its claims are replaced.
my ($code, $d) = dump_of($direct, Host => 'mail.example.com', @forged);
ok t_cmp($code, 200, 'untrusted client: answered');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '127.0.0.1', 'X-Forwarded-For is the peer only');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Proto')), 'http', 'X-Forwarded-Proto is our scheme');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Host')), 'mail.example.com', 'X-Forwarded-Host is the Host');
ok t_cmp(scalar(() = $d->{headers_named}->('Forwarded')), 0, 'a client\'s Forwarded header is dropped');
ok t_cmp($d->{'remote-addr'}, '127.0.0.1', 'remote address: the peer');
ok t_cmp($d->{'is-ssl'}, '0', 'a forged X-Forwarded-Proto does not make the request HTTPS');

# The same claims under names in other cases (header names are
# case-insensitive; httpd keeps them as sent): replaced and dropped alike.
($code, $d) = dump_of($direct, ':x-forwarded-for' => '10.99.1.1', ':X-FORWARDED-PROTO' => 'https',
                      ':FORWARDED' => 'for=10.99.2.2');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '127.0.0.1', 'x-forwarded-for in lower case: replaced');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Proto')), 'http', 'X-FORWARDED-PROTO in upper case: replaced');
ok t_cmp(scalar(() = $d->{headers_named}->('Forwarded')), 0, 'FORWARDED in upper case: dropped');

# No headers at all: ours are there anyway.
($code, $d) = dump_of($direct);
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '127.0.0.1', 'X-Forwarded-For without client headers');

# Through a trusted proxy (127.0.0.1 on that virtual host): kept, and the
# hop to us appended.
($code, $d) = dump_of($proxy, Host => 'mail.example.com', @forged);
ok t_cmp($code, 200, 'trusted proxy: answered');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '10.99.1.1, 127.0.0.1',
         'X-Forwarded-For: the proxy\'s list plus the hop to us');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Proto')), 'https', 'the proxy\'s scheme is kept');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Host')), 'evil.example', 'the proxy\'s host is kept');
ok t_cmp(join('|', $d->{headers_named}->('Forwarded')), 'for=10.99.2.2;proto=https', 'Forwarded passes a trusted proxy');
# Both headers name different clients: the ACL does not know the client,
# and neither is the backend told one of them.
ok t_cmp($d->{'remote-addr'}, '127.0.0.1', 'disagreeing headers: the peer stays the remote address');
($code, $d) = dump_of($proxy, 'X-Forwarded-For' => '10.99.1.1', 'X-Forwarded-Proto' => 'https');
ok t_cmp($d->{'remote-addr'}, '10.99.1.1', 'the backend\'s remote address is the client the ACL saw');
ok t_cmp($d->{'is-ssl'}, '1', 'TLS offloaded in front of a trusted proxy: HTTPS indicator set');

# The same rule for http:// members (our HTTP test server's dump).
($code, $d) = dump_of(Apache::TestRequest::resolve_url('/h/echo/fwd'), Host => 'mail.example.com', @forged);
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '127.0.0.1', 'http:// member: a client\'s X-Forwarded-For replaced');
ok t_cmp(scalar(() = $d->{headers_named}->('Forwarded')), 0, 'http:// member: a client\'s Forwarded dropped');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Proto')), 'http', 'http:// member: a client\'s X-Forwarded-Proto replaced');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Host')), 'mail.example.com',
         'http:// member: a client\'s X-Forwarded-Host replaced by the Host');
($code, $d) = dump_of("http://127.0.0.1:$ENV{OXB_ACL_PROXY_PORT}/h/echo/fwd", @forged);
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '10.99.1.1, 127.0.0.1',
         'http:// member behind a trusted proxy: its list plus the hop');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-Proto')), 'https', 'http:// member: the proxy\'s scheme');

# The response side, http:// members: a header the backend names in its
# Connection list is hop-by-hop and goes no further, nor does the list.
{
    my $r = $ua->get(Apache::TestRequest::resolve_url('/h/headers?n=1&connection=X-Hop'));
    ok t_cmp($r->code, 200, 'http:// member: response with a Connection list');
    ok t_cmp($r->header('X-Hop'), undef, 'http:// member: a response header the backend named in Connection is dropped');
    ok t_cmp($r->header('X-H1'), 'x' x 10, 'http:// member: the others arrive');
    ok(($r->header('Connection') // '') !~ /x-hop/i);    # nor the backend's Connection list
}

# Turned off for one virtual host: nothing of ours.
my $off = "http://127.0.0.1:$ENV{OXB_ACL_ALLOWED_PORT}/echo/fwd";
($code, $d) = dump_of($off, 'X-Forwarded-For' => '10.99.1.1');
ok t_cmp(join('|', $d->{headers_named}->('X-Forwarded-For')), '10.99.1.1',
         'OXAddForwardedHeaders Off: the client\'s header passes untouched');
