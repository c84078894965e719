# The module among httpd's other modules, against Tomcat 10 over AJP (the
# same items as t/ajp/httpd.t against our AJP test server): hop-by-hop
# headers named by Connection, both ways; a body that an input filter
# changes; an error document on a forwarded path.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Digest::SHA qw(sha256_hex);
use IO::Compress::Gzip qw(gzip $GzipError);
use OXB::Test qw(parse_dump raw_request have_tomcat);

plan tests => 28, sub { have_tomcat() };

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

# The client's Connection header: the headers it names stay here, a header
# RequestHeader set is forwarded even under a name the client listed.
{
    my ($status, $body) = raw("POST /tc/echo/hop HTTP/1.1", 'Connection: X-Secret, X-Added',
                              'X-Secret: client', 'X-Added: client', 'X-Kept: yes', 'Content-Length: 5', \'hello');
    ok t_cmp($status, 200, 'Tomcat: request with a Connection list');
    my $d = parse_dump($body);
    ok t_cmp($d->{route} // '', qr/^OX[12]$/, 'the servlet answered');
    ok t_cmp(scalar $d->{headers_named}->('x-secret'), 0, 'a header the client named in Connection is dropped');
    ok t_cmp(join(',', $d->{headers_named}->('x-added')), 'by-httpd', 'a header RequestHeader set is kept');
    ok t_cmp(join(',', $d->{headers_named}->('x-kept')), 'yes', 'other headers are kept');
    ok t_cmp(scalar $d->{headers_named}->('connection'), 0, 'Connection itself is not forwarded');
    ok t_cmp($d->{'body-length'}, 5, 'the body arrives');
}
# Tomcat's Connection header: what it names is dropped, the rest arrives.
{
    my $r = GET '/tc/hop?name=X-Hop';
    ok t_cmp($r->code, 200, 'Tomcat: response with a Connection list');
    ok t_cmp($r->content, "hop\n", 'its body');
    ok t_cmp($r->header('X-Hop'), undef, 'a response header Tomcat named in Connection is dropped');
    ok t_cmp($r->header('X-End-To-End'), 'kept', 'the others arrive');
}

# SetInputFilter DEFLATE: the servlet reads the inflated body, longer or
# shorter than the client's Content-Length, whole.
{
    my $plain = join('', map { sprintf("%015x\n", $_ * 16) } 0 .. 8191);    # 128 KiB, more than one packet
    my $noise = join('', map { chr(int(rand(256))) } 1 .. 1000);
    for my $case (['longer', $plain], ['shorter', $noise]) {
        my ($what, $data) = @$case;
        gzip(\$data => \my $zipped) or die $GzipError;
        die "not $what" unless ($what eq 'longer') == (length($data) > length($zipped));
        my ($status, $body) = raw("POST /tc/echo/inflate HTTP/1.1", 'Content-Encoding: gzip',
                                  'Content-Type: application/octet-stream', 'Content-Length: ' . length($zipped), \$zipped);
        ok t_cmp($status, 200, "Tomcat: gzip body through SetInputFilter DEFLATE, decoded $what than declared");
        my $d = parse_dump($body);
        ok t_cmp($d->{'body-length'}, length($data), "$what: the servlet reads the whole inflated body");
        ok t_cmp($d->{'body-sha256'}, sha256_hex($data), "$what: byte for byte");
        ok t_cmp(scalar $d->{headers_named}->('content-encoding'), 0, "$what: no Content-Encoding: gzip for it");
        my @cl = $d->{headers_named}->('content-length');
        ok !grep({ $_ == length($zipped) } @cl) or print "# $what: Content-Length @cl forwarded\n";
    }
}

# ErrorDocument on a path Tomcat serves: the client gets the error's status
# with Tomcat's document; after a POST the document request is a GET
# without the client's body.
{
    my ($status, $body) = raw("GET /tcerrdoc/x HTTP/1.1");
    ok t_cmp($status, 404, 'Tomcat error document: the error status stays');
    my $d = parse_dump($body);
    ok t_cmp($d->{uri}, '/echo/error-document', 'the error document came from Tomcat');
    ($status, $body) = raw("POST /tcerrdoc/x HTTP/1.1", 'Content-Type: text/plain', 'Content-Length: 11',
                           \'hello world');
    ok t_cmp($status, 404, 'after a POST, too');
    $d = parse_dump($body);
    ok t_cmp($d->{uri}, '/echo/error-document', 'from Tomcat');
    ok t_cmp($d->{method}, 'GET', 'fetched with GET');
    ok t_cmp($d->{'body-length'}, 0, 'without the client\'s body');
    ok t_cmp(scalar $d->{headers_named}->('content-length'), 0, 'and without its Content-Length');
}
