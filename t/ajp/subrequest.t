# Subrequests and internal redirects onto forwarded paths, against our AJP
# test server: an SSI page (mod_include) that includes an OXPass path gets
# the backend's bytes, and one that includes a protected path or a refused
# spelling gets nothing from a backend (no request reaches it); a POST that
# per-directory mod_rewrite redirects onto an OXPass path is forwarded with
# its body. (The ErrorDocument redirect, which has no body, is in httpd.t.)
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Digest::SHA qw(sha256_hex);
use IO::Compress::Gzip qw(gzip $GzipError);
use OXB::Test qw(parse_dump raw_request raw_connect);

plan tests => 38;

my $cfg = Apache::Test::config();
my $host = $cfg->{vars}{servername};
my $port = $cfg->{vars}{port};

sub raw {
    my ($line, @headers) = @_;
    my $body = '';
    if (@headers && ref $headers[-1] eq 'SCALAR') { $body = ${ pop @headers } }
    my $req = "$line\r\nHost: $host:$port\r\n" . join('', map { "$_\r\n" } @headers) . "Connection: close\r\n\r\n$body";
    return raw_request($port, $req);
}

# Requests each AJP test server has seen (balancer `one` is AJP1 alone,
# `other` AJP2 alone; the /stats request counts itself).
sub seen {
    my ($one) = GET('/one/stats')->content =~ /requests=(\d+)/;
    my ($two) = GET('/other/stats')->content =~ /requests=(\d+)/;
    return ($one // -1) + ($two // -1);
}

# An included OXPass path: the subrequest is forwarded as a GET with the
# path and query of the include, and no body, whatever the page's request
# was.
{
    my $before = seen();
    my $r = GET '/ssi/echo.shtml';
    ok t_cmp(seen() - $before, 3, 'the include reached a backend once');
    ok t_cmp($r->code, 200, 'SSI page with an included OXPass path');
    my $c = $r->content;
    ok $c =~ /\Abefore / && $c =~ / after\n\z/ or print "# $c\n";
    my $d = parse_dump($c =~ s/\Abefore //r);
    ok t_cmp($d->{method}, 'GET', 'the include is a GET');
    ok t_cmp($d->{uri}, '/echo/ssi', 'its path, under the rule\'s backend prefix');
    ok t_cmp($d->{query}, 'a=1&b=%20c', 'its query, as written in the page');
    ok t_cmp($d->{'body-length'}, 0, 'no body');

    my ($status, $body) = raw("POST /ssi/echo.shtml HTTP/1.1", 'Content-Type: text/plain', 'Content-Length: 11',
                              \'hello world');
    ok t_cmp($status, 200, 'the page after a POST');
    $d = parse_dump($body =~ s/\Abefore //r);
    ok t_cmp($d->{method}, 'GET', 'the include is still a GET');
    ok t_cmp($d->{'body-length'}, 0, 'without the page request\'s body');
    ok t_cmp(scalar $d->{headers_named}->('content-length'), 0, 'nor its Content-Length');
}

# A protected path, a spelling of it, a spelling Tomcat would resolve above
# the root and an excluded path, included: the page says the include
# failed and no backend saw a request.
for my $case (['protected', 'the protected path'], ['protected-spelled', 'another protected path, spelled with ..;'],
              ['refused', 'a refused spelling'], ['excluded', 'an excluded path']) {
    my ($page, $what) = @$case;
    my $before = seen();
    my $r = GET "/ssi/$page.shtml";
    my $after = seen();
    ok t_cmp($r->code, 200, "SSI page including $what");
    ok t_cmp($after - $before, 2, "$what: no request reached a backend");
    my $c = $r->content;
    ok $c !~ /^method: /m && $c =~ /error occurred while processing this directive/
        or print "# $c\n";
}

# A POST that a per-directory rewrite rule redirects onto an OXPass path is
# the client's request under another path: forwarded with its body, and the
# connection goes on with the next request.
{
    my $s = raw_connect();
    my $body = join('', map { chr(($_ * 7) % 256) } 0 .. 99_999);
    print $s "POST /rw/to-echo HTTP/1.1\r\nHost: $host:$port\r\nContent-Type: application/octet-stream\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n$body";
    print $s "GET /ajp/echo/next HTTP/1.1\r\nHost: $host:$port\r\nConnection: close\r\n\r\n";
    my $resp = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 30;
        while (sysread($s, my $chunk, 65536)) { $resp .= $chunk }
        alarm 0;
    };
    close $s;
    my @resp = split m{(?=^HTTP/1\.1 \d{3} )}m, $resp;
    ok t_cmp(scalar @resp, 2, 'two responses on the connection');
    my ($status) = ($resp[0] // '') =~ m{\AHTTP/1\.1 (\d{3})};
    ok t_cmp($status, 200, 'POST redirected by mod_rewrite');
    my $d = parse_dump($resp[0] // '');
    ok t_cmp($d->{method}, 'POST', 'reaches the backend as a POST');
    ok t_cmp($d->{uri}, '/echo/rewritten', 'under the rewritten path');
    ok t_cmp($d->{'body-length'}, length($body), 'with the whole body');
    ok t_cmp($d->{'body-sha256'}, sha256_hex($body), 'byte for byte');
    ok t_cmp(join(',', $d->{headers_named}->('content-length')), length($body), 'and its Content-Length');
    ok t_cmp(parse_dump($resp[1] // '')->{uri}, '/echo/next', 'the next request on the connection is served');
}

# ... checked like a client's target: onto a protected path it is denied
# and reaches no backend. Onto a path with SetInputFilter DEFLATE the body
# goes as httpd's filters deliver it: mod_deflate inflates initial requests
# only, so the backend gets the client's gzip bytes, still labelled gzip.
{
    my $before = seen();
    my ($status) = raw("POST /rw/to-protected HTTP/1.1", 'Content-Type: text/plain', 'Content-Length: 5', \'hello');
    ok t_cmp($status, 403, 'a POST rewritten onto a protected path is denied');
    ok t_cmp(seen() - $before, 2, 'and reaches no backend');

    my $noise = join('', map { chr(int(rand(256))) } 1 .. 1000);
    gzip(\$noise => \my $zipped) or die $GzipError;
    my $body;
    ($status, $body) = raw("POST /rw/to-inflate HTTP/1.1", 'Content-Encoding: gzip',
                           'Content-Type: application/octet-stream', 'Content-Length: ' . length($zipped), \$zipped);
    ok t_cmp($status, 200, 'a gzip POST rewritten onto a path with SetInputFilter DEFLATE');
    my $d = parse_dump($body);
    ok t_cmp($d->{uri}, '/echo/inflate/rewritten', 'reaches the rewritten path');
    ok t_cmp($d->{'body-length'}, length($zipped), 'with the body as the filters deliver it');
    ok t_cmp($d->{'body-sha256'}, sha256_hex($zipped), 'byte for byte');
    ok t_cmp(join(',', $d->{headers_named}->('content-encoding')), 'gzip', 'and the label that goes with it');
}
