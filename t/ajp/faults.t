# Every backend fault gives the client the right status, is logged exactly
# once with the member and a message id, and leaves httpd serving.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use OXB::Test qw(curl base_url error_log_mark error_log_since wait_for_log);

my @garbage = qw(magic type headers-count string-overrun chunk-overrun body-before-headers
                 bad-status crlf-header double-headers zero-length end-before-headers unterminated
                 bad-content-length two-content-lengths two-equal-content-lengths);
plan tests => 4 * @garbage + 31;

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
    ok(($lines[0] // '') =~ /member \Q$member\E \(ajp:\/\/127\.0\.0\.1:\d+\): $what/)
        or print "# log: ", ($lines[0] // "(none)");
    ok t_cmp(GET('/one/echo')->code, 200, "served again after $path");
}

# Nothing listens: 503.
fault('/dead/echo', 503, 'D1', qr/connection refused .*answering 503/);

# No answer within timeout=2: 504.
fault('/one/hang', 504, 'S1', qr/read timed out: waiting for the backend.*answering 504/);

# Malformed AJP of every kind: 502, never a crash or a hang.
for my $kind (@garbage) {
    fault("/one/garbage?kind=$kind", 502, 'S1', qr/malformed AJP: .*answering 502/);
}

# A packet longer than the packet size is refused without being read.
fault('/one/oversized', 502, 'S1', qr/malformed AJP: packet larger than the packet size/);

# A packet cut short, and a connection closed without an answer.
fault('/one/truncated', 502, 'S1', qr/backend closed the connection/);
fault('/one/close', 502, 'S1', qr/backend closed the connection/);

# Reset in the middle of the body: the status is already out, so the client
# must see a broken transfer (curl: partial file), never a complete-looking one.
{
    my $mark = error_log_mark();
    my ($rc, $out) = curl('-o', '/dev/null', '-w', '%{http_code} %{size_download}', "$base/one/reset?after=100000");
    ok $rc != 0;
    my ($code, $size) = split ' ', $out;
    ok t_cmp($code, 200, 'reset mid-body: the status was already sent');
    ok t_cmp($size, 100000, 'reset mid-body: the 100,000 bytes sent before the reset were relayed, no more');
    my @lines = grep { /OXB00010/ } wait_for_log($mark, qr/OXB00010/);
    ok t_cmp(scalar @lines, 1, 'reset mid-body logged once');
    ok(($lines[0] // '') =~ /member S1 .*backend closed the connection.*response aborted/);
    ok t_cmp(GET('/one/echo')->code, 200, 'served again after a reset');
}

# A member that refuses is skipped: every request is served by the other
# one, and the refusal is logged once: the error window is shared by every
# httpd child, so the others skip the member without trying it.
{
    my $mark = error_log_mark();
    my @routes = map { GET('/deadfirst/echo')->header('X-Backend') // 'none' } 1 .. 8;
    ok t_cmp(scalar(grep { $_ eq 'OX2' } @routes), 8, 'all requests served by the live member');
    my @lines = wait_for_log($mark, qr/OXB00011/);
    my @tries = grep { /OXB00010/ } @lines;
    my @states = grep { /OXB00011/ } @lines;
    ok t_cmp(scalar @tries, 1, 'the refusal is logged once, not once per request or process');
    ok t_cmp(scalar @states, scalar @tries, 'each refusal put the member in error state');
    ok(($tries[0] // '') =~ /member D1 .*connection refused.*trying another member/);
    ok(($states[0] // '') =~ /member D1 \(.*\) is in error state for 60s/);
}
