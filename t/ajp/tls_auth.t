# What the backend learns about the client connection: TLS (is_ssl, cipher,
# key size, session, client certificate, protocol) and httpd's
# authentication (remote_user, auth_type).
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::Test qw(parse_dump curl base_url);

plan tests => 13;

my $tls = "$ENV{OXB_RUN_DIR}/tls";
my $https = "https://localhost:$ENV{OXB_TLS_PORT}";
my @client_cert = ('--cacert', "$tls/ca.pem", '--cert', "$tls/client.pem", '--key', "$tls/client.key");

{
    my ($rc, $out, $err) = curl(@client_cert, "$https/ajp/echo");
    ok t_cmp($rc, 0, 'TLS request answered') or print "# $err";
    my $d = parse_dump($out);
    ok t_cmp($d->{'is-ssl'}, 1, 'is_ssl set');
    my ($cipher) = $d->{attr_named}->('ssl_cipher');
    ok $cipher && $cipher =~ /^[A-Z0-9_-]+$/;
    my ($bits) = $d->{attr_named}->('ssl_key_size');
    ok $bits && $bits >= 128;
    my ($cert) = $d->{attr_named}->('ssl_cert');
    ok $cert && $cert =~ /BEGIN CERTIFICATE/;
    my ($proto) = $d->{attr_named}->('AJP_SSL_PROTOCOL');
    ok $proto && $proto =~ /^TLSv1\.[23]$/;
    ok t_cmp($d->{'server-port'}, $ENV{OXB_TLS_PORT}, 'server port of the TLS vhost');
}

# Without a client certificate: TLS attributes, but no certificate.
{
    my ($rc, $out) = curl('--cacert', "$tls/ca.pem", "$https/ajp/echo");
    my $d = parse_dump($out);
    ok t_cmp($d->{'is-ssl'}, 1, 'is_ssl without a client certificate');
    ok t_cmp(scalar $d->{attr_named}->('ssl_cert'), 0, 'no certificate attribute');
}

# Plain HTTP: no TLS attributes at all.
{
    my ($rc, $out) = curl(base_url() . '/ajp/echo');
    my $d = parse_dump($out);
    ok t_cmp(scalar(grep { $_->[0] =~ /^ssl_/ } @{ $d->{attr} }), 0, 'no TLS attributes over plain HTTP');
}

# httpd authenticated the client: the backend is told who.
{
    my ($rc, $out) = curl('-u', 'alice:secret', base_url() . '/ajp/echo/auth');
    my $d = parse_dump($out);
    ok t_cmp(join(',', $d->{attr_named}->('remote_user')), 'alice', 'remote_user');
    ok t_cmp(join(',', $d->{attr_named}->('auth_type')), 'Basic', 'auth_type');
    my ($rc2, $out2) = curl('-o', '/dev/null', '-w', '%{http_code}', base_url() . '/ajp/echo/auth');
    ok t_cmp($out2, 401, 'unauthenticated request stopped by httpd');
}
