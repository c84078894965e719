# 50 MiB through Tomcat both ways, with 64 KiB AJP packets; small bodies
# around the packet boundaries; a chunked upload.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(POST);
use Digest::SHA qw(sha256_hex);
use OXB::Test qw(parse_dump have_tomcat pattern_sha256 pattern_bytes curl base_url pattern_program);

my @small = (1, 65529, 65530, 65531, 200_000);
plan tests => 2 * @small + 18, sub { have_tomcat() };

my $base = base_url();
my $pattern = pattern_program();
my $tmp = Apache::Test::config()->{vars}{t_dir} . '/tmp';
mkdir $tmp;
my $size = 50 * 1024 * 1024;
my $file = "$tmp/tomcat-body-50m";
system("$pattern gen $size > $file") == 0 or die;
my $sha = pattern_sha256($size);

for my $n (@small) {
    my $body = pattern_bytes($n);
    my $d = parse_dump((POST '/tc/echo', content => $body)->content);
    ok t_cmp($d->{'body-length'}, $n, "Tomcat POST $n bytes: length");
    ok t_cmp($d->{'body-sha256'}, sha256_hex($body), "Tomcat POST $n bytes: content");
}

for my $method (qw(PUT POST)) {
    my ($rc, $out) = curl('-X', $method, '-T', $file, "$base/tc/echo");
    my $d = parse_dump($out);
    ok t_cmp($d->{'body-length'}, $size, "Tomcat $method 50 MiB: length");
    ok t_cmp($d->{'body-sha256'}, $sha, "Tomcat $method 50 MiB: checksum");
}

{
    my $d = parse_dump(scalar `$pattern gen $size | curl --silent -T - '$base/tc/echo'`);
    ok t_cmp($d->{'body-length'}, $size, 'Tomcat chunked 50 MiB: length');
    ok t_cmp($d->{'body-sha256'}, $sha, 'Tomcat chunked 50 MiB: checksum');
}

for my $cl (1, 0) {
    my $got = "$tmp/tomcat-download";
    my ($rc, $headers) = curl('-D', '-', '-o', $got, "$base/tc/download?bytes=$size&cl=$cl");
    ok t_cmp($rc, 0, "Tomcat download cl=$cl");
    ok t_cmp(system("$pattern check $size < $got"), 0, "Tomcat download cl=$cl: every byte in place");
    ok $cl ? $headers =~ /^Content-Length: $size\r?$/mi : $headers =~ /^Transfer-Encoding: chunked\r?$/mi;
    unlink $got;
}

# The body echoed back by the servlet (request and response streaming at
# the same time, through GET_BODY_CHUNK and SEND_BODY_CHUNK interleaved).
{
    my $got = "$tmp/tomcat-post-echo";
    my ($rc) = curl('-X', 'POST', '-T', $file, '-o', $got, "$base/tc/post-echo");
    ok t_cmp(system("$pattern check $size < $got"), 0, 'Tomcat post-echo 50 MiB: the body came back intact');
    unlink $got;
}
# Sent ahead four packets deep (sendahead=262144): the same bodies arrive
# intact, also while the servlet echoes them back as it reads.
for my $method (qw(PUT POST)) {
    my ($rc, $out) = curl('-X', $method, '-T', $file, "$base/tcahead/echo");
    my $d = parse_dump($out);
    ok t_cmp("$d->{'body-length'} $d->{'body-sha256'}", "$size $sha", "sent ahead: Tomcat $method 50 MiB intact");
}
{
    my $got = "$tmp/tomcat-post-echo-ahead";
    curl('-X', 'POST', '-T', $file, '-o', $got, "$base/tcahead/post-echo");
    ok t_cmp(system("$pattern check $size < $got"), 0, 'sent ahead: post-echo 50 MiB came back intact');
    unlink $got;
}
# A servlet that reads part of the body and answers leaves packets sent
# ahead unread; Tomcat then closes that connection. The request after each is
# a POST, which is never retried: it must find a usable connection. (That such
# a connection is never pooled is test_ajp_exchange's send_ahead_unread_not_reusable.)
{
    my $body = pattern_bytes(1024 * 1024);
    my (@part, @next);
    for (1 .. 5) {
        my $d = parse_dump((POST '/tcahead/echo?read=100000', content => $body)->content);
        push @part, $d->{'body-length'} // 'none';
        my $r = POST '/tcahead/echo', content => 'after';
        push @next, $r->code . ' ' . (parse_dump($r->content)->{'body-length'} // 'none');
    }
    ok t_cmp("@part", join(' ', (100000) x 5), 'body read in part: each answer right');
    ok t_cmp("@next", join(' ', ('200 5') x 5), 'body read in part: the POST after each is answered');
}
unlink $file;
