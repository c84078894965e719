# t/ajp/faults.t for http:// members: every backend fault gives the client
# the right status, is logged exactly once with the member and a message id,
# and leaves httpd serving. The same table of faults as there, each spelled
# as our HTTP test server's fault menu has it.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET POST);
use OXB::Test qw(curl base_url error_log_mark wait_for_log);

# [path, status, member, what the OXB00010 line says]
my $malformed = qr/malformed HTTP response: .*answering 502/;
my @faults = (
    # Nothing listens: 503.
    ['/hdead/echo', 503, 'HD7', qr/connection refused .*answering 503/],
    # No answer within timeout=2: 504.
    ['/hone/hang', 504, 'HS1', qr/read timed out: waiting for the backend.*answering 504/],
    # Closed without an answer; a head cut short by the close.
    ['/hone/close', 502, 'HS1', qr/backend closed the connection.*answering 502/],
    # Malformed heads of every kind: 502, never a crash or a hang.
    (map { ["/hone/bad?kind=$_", 502, 'HS1', $malformed] }
     qw(status-line obs-fold bare-lf bare-cr space-before-colon no-colon nul-in-header huge-head many-headers
        two-cl two-cl-equal cl-sign cl-te te-gzip)),
);
plan tests => 4 * @faults + 18;

my $base = base_url();

# Sends $path, expects $status, exactly one OXB00010 line naming $member that
# matches $what, and a working request right after.
sub fault {
    my ($path, $status, $member, $what) = @_;
    my $mark = error_log_mark();
    my $r = GET $path;
    ok t_cmp($r->code, $status, "$path answers $status");
    my @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok t_cmp(scalar @lines, 1, "$path logged once");
    ok(($lines[0] // '') =~ /member \Q$member\E \(http:\/\/[^)]+:\d+\): $what/)
        or print "# log: ", ($lines[0] // "(none)\n");
    ok t_cmp(GET('/hone/echo')->code, 200, "served again after $path");
}
fault(@$_) for @faults;

# Reset in the middle of the body: the status is already out, so the client
# must see a broken transfer: fewer bytes than the Content-Length (curl:
# partial file, exit code 18), never a complete-looking response.
{
    my $mark = error_log_mark();
    my ($rc, $out) = curl('-o', '/dev/null', '-D', '-', '-w', '%{http_code} %{size_download}',
                          "$base/hone/reset?after=100000");
    ok t_cmp($rc, 18, 'reset mid-body: curl reports a partial transfer');
    my ($code, $size) = $out =~ /(\d{3}) (\d+)\z/;
    my ($cl) = $out =~ /^Content-Length: (\d+)\r?$/mi;
    ok t_cmp($code, 200, 'reset mid-body: the status was already sent');
    ok t_cmp($size, 100000, 'reset mid-body: the 100,000 bytes sent before the reset were relayed, no more');
    # Fewer bytes than the Content-Length the client was given.
    ok(defined $cl && $size < $cl) or print "# headers: $out\n";
    my @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok t_cmp(scalar @lines, 1, 'reset mid-body logged once');
    ok(($lines[0] // '') =~ /member HS1 .*backend closed the connection.*response aborted/)
        or print "# log: ", ($lines[0] // "(none)\n");
}

# A member that refuses is skipped: every request is served by the other
# one, and the refusal is logged once (the error window is shared by every
# httpd child), with the OXB00011 error-state line.
{
    my $mark = error_log_mark();
    my @routes = map { GET('/hdeadfirst2/echo')->header('X-Backend') // 'none' } 1 .. 8;
    ok t_cmp(scalar(grep { $_ eq 'HX2' } @routes), 8, 'all requests served by the live member');
    my @lines = wait_for_log($mark, qr/OXB00011/);
    my @tries = grep { /OXB00010/ } @lines;
    my @states = grep { /OXB00011/ } @lines;
    ok t_cmp(scalar @tries, 1, 'the refusal is logged once, not once per request or process');
    ok t_cmp(scalar @states, scalar @tries, 'each refusal put the member in error state');
    ok(($tries[0] // '') =~ /member HD8 .*connection refused.*trying another member/)
        or print "# log: ", ($tries[0] // "(none)\n");
    ok(($states[0] // '') =~ /member HD8 \(http:\/\/127\.0\.0\.8:\d+\) is in error state for 60s/)
        or print "# log: ", ($states[0] // "(none)\n");
}

# A node that answers a response head and dies before its body (the
# connection closed right after the head): nothing of it reached the client
# (a head alone is held a moment for its body), so a GET goes to the other
# member, without the first one's headers; a POST, which the node may have
# acted on, is not sent again: 502. The sessions are HHC1's, so HHC1 is
# tried first.
{
    my $mark = error_log_mark();
    my $r = GET '/hheadclose/echo', Cookie => 'JSESSIONID=hc1.HHC1';
    ok t_cmp($r->code, 200, 'head then close: the GET is answered');
    ok t_cmp($r->header('X-Backend'), 'HX2', '... by the other member');
    ok t_cmp(scalar(grep { /lost\.HHC1/ } $r->header('Set-Cookie')), 0, '... without the dead node\'s cookie');
    my @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok t_cmp(scalar @lines, 1, 'head then close: logged once');
    ok(($lines[0] // '') =~ /member HHC1 .*backend closed the connection.*trying another member/)
        or print "# log: ", ($lines[0] // "(none)\n");

    $mark = error_log_mark();
    $r = POST '/hheadclose/echo', Cookie => 'JSESSIONID=hc2.HHC1', content => 'not twice';
    ok t_cmp($r->code, 502, 'head then close: a POST is not sent again: 502');
    @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok(($lines[0] // '') =~ /member HHC1 .*backend closed the connection.*answering 502/)
        or print "# log: ", ($lines[0] // "(none)\n");
}
