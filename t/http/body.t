# t/ajp/body.t for http:// members: request and response bodies stream
# through the module both ways over HTTP/1.1: sizes around the client's
# 16 KiB write buffer and 64 KiB read buffer, 50 MiB with Content-Length and
# chunked, downloads in each framing the backend may use, and an answer the
# backend sends before reading the body.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(POST);
use Digest::SHA qw(sha256_hex);
use OXB::Test qw(parse_dump pattern_sha256 pattern_bytes curl base_url pattern_program);

my @small = (1, 16_365, 16_366, 16_384, 16_385, 65_535, 65_536, 65_537, 100_000);
# The backend's response framing (our test server's /stream?te=) and what
# the client must be given for it.
my @downloads = (['length', qr/^Content-Length: 52428800\r?$/mi],
                 ['chunked', qr/^Transfer-Encoding: chunked\r?$/mi],
                 ['close', qr/^(?:Transfer-Encoding: chunked|Connection: close)\r?$/mi]);
plan tests => 3 * @small + 1 + 6 + 4 + 3 * @downloads + 3 + 1;

my $base = base_url();
my $pattern = pattern_program();
my $tmp = Apache::Test::config()->{vars}{t_dir} . '/tmp';
mkdir $tmp;
my $size = 50 * 1024 * 1024;
my $file = "$tmp/hbody-50m";
system("$pattern gen $size > $file") == 0 or die "cannot write $file";
my $sha = pattern_sha256($size);

# Small bodies, around the buffer sizes.
for my $n (@small) {
    my $body = pattern_bytes($n);
    my $r = POST '/hsolo/echo', content => $body;
    my $d = parse_dump($r->content);
    ok t_cmp($d->{framing}, 'length', "POST of $n bytes: sent with its length");
    ok t_cmp($d->{'body-length'}, $n, "POST of $n bytes: length");
    ok t_cmp($d->{'body-sha256'}, sha256_hex($body), "POST of $n bytes: content");
}

# An empty POST.
{
    my $r = POST '/hsolo/echo', content => '';
    ok t_cmp(parse_dump($r->content)->{'body-length'}, 0, 'empty POST');
}

sub upload {
    my ($method, $path, @extra) = @_;
    my ($rc, $out, $err) = curl('-X', $method, @extra, "$base$path");
    return ($rc, parse_dump($out), $err);
}

# 50 MiB with Content-Length, PUT and POST.
for my $method (qw(PUT POST)) {
    my ($rc, $d) = upload($method, '/hsolo/echo', '-T', $file);
    ok t_cmp($rc, 0, "$method 50 MiB: curl succeeded");
    ok t_cmp($d->{'body-length'}, $size, "$method 50 MiB: length");
    ok t_cmp($d->{'body-sha256'}, $sha, "$method 50 MiB: checksum");
}

# 50 MiB chunked (curl uploads stdin chunked): sent on chunked.
{
    my $out = `$pattern gen $size | curl --silent --show-error -T - '$base/hsolo/echo'`;
    my $d = parse_dump($out);
    ok t_cmp($d->{framing}, 'chunked', 'chunked 50 MiB: sent chunked');
    ok t_cmp($d->{'body-length'}, $size, 'chunked 50 MiB: length');
    ok t_cmp($d->{'body-sha256'}, $sha, 'chunked 50 MiB: checksum');
    ok !grep { $_->[0] eq 'content-length' } @{ $d->{header} };
}

# 50 MiB downloads in each framing.
for my $case (@downloads) {
    my ($te, $framing) = @$case;
    my $got = "$tmp/hdownload-$te";
    my ($rc, $headers) = curl('-D', '-', '-o', $got, "$base/hsolo/stream?bytes=$size&te=$te");
    ok t_cmp($rc, 0, "download te=$te: curl succeeded");
    ok t_cmp(system("$pattern check $size < $got"), 0, "download te=$te: every byte in place");
    ok($headers =~ $framing) or print "# headers: $headers\n";
    unlink $got;
}

# The backend answers before reading the body: the client gets the answer
# and the next request on the same client connection works.
{
    my $ua = Apache::TestRequest::user_agent(keep_alive => 1);
    my $r = $ua->post("$base/hsolo/early", Content => pattern_bytes(1_000_000));
    ok t_cmp($r->code, 200, 'early response');
    ok t_cmp($r->content, "early\n", 'early response body');
    my $r2 = $ua->get("$base/hsolo/echo");
    ok t_cmp($r2->code, 200, 'next request after an early response');
}

# A slow reader (curl --limit-rate) beside a fast one: httpd keeps what it
# could not write yet by reference into the receive blocks (as for AJP,
# t/ajp/body.t): every byte in place, in both framings.
{
    my $n = 12 * 1024 * 1024;
    my $rc = system('sh', '-c', "(curl --silent --show-error --limit-rate 6M '$base/hsolo/stream?bytes=$n&te=length' | $pattern check $n) & a=\$!; "
                              . "(curl --silent --show-error '$base/hsolo/stream?bytes=$n&te=chunked' | $pattern check $n) & b=\$!; "
                              . 'wait $a && wait $b');
    ok t_cmp($rc, 0, 'a slow and a fast download at once: every byte in place');
}
unlink $file;
