# A strict HTTP client: every malformed backend response gives a 502 (or,
# once the response began, an aborted one), the backend connection is never
# reused, nothing of it is passed on as a second response, and the next
# request on the same client connection is answered correctly.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use Time::HiRes qw(sleep);
use OXB::Test qw(raw_connect raw_read whole_response error_log_mark error_log_since);

# Refused before any byte reaches the client: 502.
my @before = qw(status-line http09 obs-fold bare-lf bare-cr space-before-colon no-colon huge-head many-headers
                two-cl two-cl-equal cl-te te-gzip cl-sign nul-in-header);
# Refused in the body, after the head went out: an aborted response.
# (The -late kinds send their first body bytes 200 ms before the fault
# shows, so those are passed on and the response must be cut off.)
my @in_body = qw(bad-chunk overflow-chunk chunk-no-crlf chunk-0x shorter bad-chunk-late shorter-late);

plan tests => 2 * @before + 3 * @in_body + 13;

# One client connection: the bad request, then a good one. Returns the raw
# bytes the client got and whether the connection was closed after the first.
sub bad_then_good {
    my ($bad) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $s = raw_connect();
    print $s "GET $bad HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my ($bytes, $eof) = raw_read($s, 5, \&whole_response);
    my $second = '';
    if (!$eof) {
        print $s "GET /hone/echo/next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        ($second) = raw_read($s, 5);
    }
    close $s;
    return ($bytes, $second, $eof);
}

for my $kind (@before) {
    my ($first, $second) = bad_then_good("/hone/bad?kind=$kind");
    ok t_cmp(($first =~ m{\AHTTP/1\.1 (\d{3})})[0], 502, "$kind: 502");
    ok t_cmp(($second =~ m{\AHTTP/1\.1 (\d{3})})[0] // 'closed', 200, "$kind: the next request on the connection is answered");
}

my %cut_off;
for my $kind (@in_body) {
    my ($first, $second, $eof) = bad_then_good("/hone/bad?kind=$kind");
    my ($status) = $first =~ m{\AHTTP/1\.1 (\d{3})};
    # The head may have been passed on already: then the client must see a
    # broken response: the connection closed, and a body visibly short of
    # its end (no last chunk, fewer bytes than Content-Length), never a
    # complete-looking one.
    my $broken = ($status // 0) != 502;
    ok(!$broken || $eof) or print "# $kind: status ", $status // 'none', ", connection kept\n";
    ok(!$broken || !defined whole_response($first))
        or print "# $kind: a complete-looking response: ", $first =~ s/\r/\\r/gr =~ s/\n/\\n/gr, "\n";
    ok($first !~ /HTTP\/1\.1 200 OK.*HTTP\/1\.1/s);
    $cut_off{$kind} = $broken ? 1 : 0;
}
# At least these were cut off mid-body (not refused with a 502), so the
# checks above saw an incomplete response: a Content-Length one and a
# chunked one.
ok t_cmp(join(',', map { "$_=" . ($cut_off{$_} // 'none') } qw(shorter-late bad-chunk-late)), 'shorter-late=1,bad-chunk-late=1',
         'mid-body faults after the head went out');

# The extra bytes come 200 ms after a complete response (longer-late), when
# the connection sits in the pool: the next request on the same client
# connection (so the same httpd child and pool) must not get them as its
# response. Taking a pooled connection that has become readable drops it.
{
    local $SIG{PIPE} = 'IGNORE';
    my $s = raw_connect();
    print $s "GET /hone/bad?kind=longer-late HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my ($first, $eof) = raw_read($s, 5, \&whole_response);
    my $r1 = whole_response($first);
    ok t_cmp($r1 ? "$r1->{status} $r1->{body}" : 'incomplete', '200 hello', 'longer-late: the declared response');
    ok !$eof;
    sleep 0.6;
    print $s "GET /hone/echo/late-next HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my ($second) = raw_read($s, 5, \&whole_response);
    my $r2 = whole_response($second);
    ok t_cmp($r2 ? $r2->{status} : 'incomplete', 200, 'longer-late: the next request is answered');
    # ... by its own response, and the late bytes reach no client.
    ok(($r2 ? $r2->{body} : '') =~ m{^uri: /echo/late-next$}m) or print "# second: $second\n";
    ok(($first . $second) !~ /INJECTED/);
    close $s;
}

# A body past its Content-Length that looks like a second response: the
# client gets the 5 declared bytes, never the injected response.
{
    my ($first, $second) = bad_then_good('/hone/bad?kind=longer');
    ok t_cmp(($first =~ m{\AHTTP/1\.1 (\d{3})})[0], 200, 'longer: the declared response');
    my $both = $first . $second;
    ok t_cmp(scalar(() = $both =~ m{HTTP/1\.1 \d{3}}g), 2, 'longer: exactly two responses for two requests');
    ok $second =~ m{\AHTTP/1\.1 200} && $second =~ /uri: \/echo\/next/;
    ok $both !~ /INJECTED|SMUGGLED/i;
}

# Timeouts and closes: the status mod_proxy would give, and one log line.
{
    my $mark = error_log_mark();
    my $r = Apache::TestRequest::GET('/hone/hang');
    ok t_cmp($r->code, 504, 'a member that does not answer within timeout=: 504');
    ok t_cmp(Apache::TestRequest::GET('/hone/close')->code, 502, 'a member that closes: 502');
    my @lines = grep { /OXB00010: member HS1 / } error_log_since($mark);
    ok t_cmp(scalar @lines, 2, 'one log line per failed request');
}
