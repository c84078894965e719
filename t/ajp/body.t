# Request and response bodies stream through the module both ways: sizes
# around the AJP packet boundaries, 50 MiB with Content-Length and chunked,
# downloads with and without Content-Length, and 64 KiB packets.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET POST);
use Digest::SHA qw(sha256_hex);
use OXB::Test qw(parse_dump pattern_sha256 pattern_bytes curl base_url pattern_program);

my @small = (1, 8185, 8186, 8187, 16372, 16373, 100_000);
plan tests => 2 * @small + 30;

my $base = base_url();
my $pattern = pattern_program();
my $tmp = Apache::Test::config()->{vars}{t_dir} . '/tmp';
mkdir $tmp;
my $size = 50 * 1024 * 1024;
my $file = "$tmp/body-50m";
system("$pattern gen $size > $file") == 0 or die "cannot write $file";
my $sha = pattern_sha256($size);

# Small bodies, around the 8186-byte body chunk of an 8 KiB packet.
for my $n (@small) {
    my $body = pattern_bytes($n);
    my $r = POST '/ajp/echo', content => $body;
    my $d = parse_dump($r->content);
    ok t_cmp($d->{'body-length'}, $n, "POST of $n bytes: length");
    ok t_cmp($d->{'body-sha256'}, sha256_hex($body), "POST of $n bytes: content");
}

# An empty POST.
{
    my $r = POST '/ajp/echo', content => '';
    ok t_cmp(parse_dump($r->content)->{'body-length'}, 0, 'empty POST');
}

sub upload {
    my ($method, $path, @extra) = @_;
    my ($rc, $out, $err) = curl('-X', $method, @extra, "$base$path");
    return ($rc, parse_dump($out), $err);
}

# 50 MiB with Content-Length, PUT and POST.
for my $method (qw(PUT POST)) {
    my ($rc, $d) = upload($method, '/ajp/echo', '-T', $file);
    ok t_cmp($rc, 0, "$method 50 MiB: curl succeeded");
    ok t_cmp($d->{'body-length'}, $size, "$method 50 MiB: length");
    ok t_cmp($d->{'body-sha256'}, $sha, "$method 50 MiB: checksum");
}

# 50 MiB chunked (curl uploads stdin chunked): the backend is told nothing
# about the length and asks until the empty packet.
{
    my $out = `$pattern gen $size | curl --silent --show-error -T - '$base/ajp/echo'`;
    my $d = parse_dump($out);
    ok t_cmp($d->{'body-length'}, $size, 'chunked 50 MiB: length');
    ok t_cmp($d->{'body-sha256'}, $sha, 'chunked 50 MiB: checksum');
    ok !grep { $_->[0] eq 'content-length' } @{ $d->{header} };
}

# 50 MiB downloads, with and without the backend's Content-Length.
for my $cl (1, 0) {
    my $got = "$tmp/download-$cl";
    my ($rc, $headers) = curl('-D', '-', '-o', $got, "$base/ajp/stream?bytes=$size&cl=$cl");
    ok t_cmp($rc, 0, "download cl=$cl: curl succeeded");
    ok t_cmp(system("$pattern check $size < $got"), 0, "download cl=$cl: every byte in place");
    if ($cl) {
        ok $headers =~ /^Content-Length: $size\r?$/mi;
    } else {
        ok $headers =~ /^Transfer-Encoding: chunked\r?$/mi;
    }
    unlink $got;
}

# The backend answers before reading the body: the client gets the answer
# and the next request on the same client connection works.
{
    my $ua = Apache::TestRequest::user_agent(keep_alive => 1);
    my $r = $ua->post("$base/ajp/early", Content => pattern_bytes(1_000_000));
    ok t_cmp($r->code, 200, 'early response');
    ok t_cmp($r->content, "early\n", 'early response body');
    my $r2 = $ua->get("$base/ajp/echo");
    ok t_cmp($r2->code, 200, 'next request after an early response');
}

# 64 KiB packets (packetsize=65536 against a backend with packetSize 65536).
{
    my ($rc, $d) = upload('PUT', '/big/echo', '-T', $file);
    ok t_cmp($d->{'body-length'}, $size, '64 KiB packets: upload length');
    ok t_cmp($d->{'body-sha256'}, $sha, '64 KiB packets: upload checksum');
    my $got = "$tmp/download-big";
    my ($rc2) = curl('-o', $got, "$base/big/stream?bytes=$size");
    ok t_cmp($rc2, 0, '64 KiB packets: download');
    ok t_cmp(system("$pattern check $size < $got"), 0, '64 KiB packets: every byte in place');
    unlink $got;
    my $body = pattern_bytes(65530);
    my $r = POST '/big/echo', content => $body;
    ok t_cmp(parse_dump($r->content)->{'body-sha256'}, sha256_hex($body), '64 KiB packets: one-packet body');
}

# Slow readers (curl --limit-rate): httpd keeps what it could not write yet
# by reference into the backend connection's receive blocks while the
# module reads on into others, and reuses a block once httpd let it go.
# Two at once (8 KiB and 64 KiB packets), then a fast download on the
# connections they leave in the pool: every byte in place.
{
    my $n = 12 * 1024 * 1024;
    my $slow = "curl --silent --show-error --limit-rate 6M";
    my $rc = system('sh', '-c', "($slow '$base/ajp/stream?bytes=$n' | $pattern check $n) & a=\$!; "
                              . "($slow '$base/big/stream?bytes=$n' | $pattern check $n) & b=\$!; "
                              . 'wait $a && wait $b');
    ok t_cmp($rc, 0, 'two slow downloads at once: every byte in place');
    ok t_cmp(system("curl --silent --show-error '$base/ajp/stream?bytes=$n' | $pattern check $n"), 0,
             'a fast download after them: every byte in place');
}

# HTTP/1.1 over TLS: body pieces smaller than a TLS record (8 KiB packets)
# are gathered into record-sized buffers before mod_ssl, larger ones (64 KiB
# packets) go as they are: every byte in place, with and without the
# backend's Content-Length, and for a slow reader.
{
    my $n = 12 * 1024 * 1024;
    my $https = "https://localhost:$ENV{OXB_TLS_PORT}";
    my $c = "curl --silent --show-error --cacert '$ENV{OXB_RUN_DIR}/tls/ca.pem'";
    for my $case (['/ajp/stream', 'cl=1', '8 KiB packets'], ['/ajp/stream', 'cl=0', '8 KiB packets, chunked'],
                  ['/big/stream', 'cl=1', '64 KiB packets']) {
        my ($path, $q, $what) = @$case;
        ok t_cmp(system("$c '$https$path?bytes=$n&$q' | $pattern check $n"), 0, "TLS, $what: every byte in place");
    }
    ok t_cmp(system("$c --limit-rate 6M '$https/ajp/stream?bytes=$n' | $pattern check $n"), 0,
             'TLS, a slow reader: every byte in place');
}
unlink $file;
