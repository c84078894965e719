# A node found down by probes, whose probing a graceful restart turns off,
# takes traffic again after that restart: only the prober finds a node up
# again, and nobody probes it now (health comes from failed requests only,
# as `OXHealthCheck off` says). The node, PROBEOFF, answers requests all
# along; its probe asks for /status?code=503, so it fails.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(sleep);
use OXB::Test qw(error_log_mark error_log_since wait_for_log server_pid);
use OXB::Status qw(get_json member_of);

plan tests => 9;

my $conf = "$ENV{OXB_RUN_DIR}/probeoff.conf";
my $port = $ENV{OXB_PROBEOFF_PORT};
my $node = "ajp://127.0.0.1:$port";

sub configure {
    my ($health, $member_params) = @_;
    open my $fh, '>', $conf or die;
    print $fh "<OXBalancer probeoff>\n    OXHealthCheck $health\n"
        . "    OXMember $node route=PO1 $member_params\n</OXBalancer>\n";
    close $fh;
    my $mark = error_log_mark();
    kill 'USR1', server_pid();
    wait_for_log($mark, qr/AH00493|resuming normal operations/);
    return $mark;
}

# The first answer of the new generation that is not $old, within 10 s.
sub status_becomes_not {
    my ($old) = @_;
    my $code;
    for (1 .. 100) {
        $code = GET('/probeoff/echo')->code;
        last if $code != $old;
        sleep 0.1;
    }
    return $code;
}

# Not probed: the node serves.
my $r = GET('/probeoff/echo');
ok t_cmp($r->code, 200, 'not probed: served');
ok t_cmp($r->header('X-Backend'), 'PROBEOFF', 'by PROBEOFF');

# Probed with a probe that fails: down, and with no other member, 503 (a
# node that probes found down is no last resort).
my $mark = configure('http uri=/status?code=503 interval=1 timeout=500ms fails=1 passes=1', '');
my @lines = wait_for_log($mark, qr/OXB00043: node \Q$node\E is down/);
ok scalar(grep { /OXB00043: node \Q$node\E is down: 1 http probes failed in a row, the last: unexpected status 503/ } @lines)
    or print map { "# $_" } @lines;
ok t_cmp(status_becomes_not(200), 503, 'found down: no request is sent to it');

# A graceful restart with its probing off on the member (hcmethod=off): up
# at once, and served, without any probe or request having to find out.
$mark = configure('http uri=/status?code=503 interval=1 timeout=500ms fails=1 passes=1', 'hcmethod=off');
ok t_cmp(status_becomes_not(503), 200, 'no longer probed: served again');
$r = GET('/probeoff/echo');
ok t_cmp($r->header('X-Backend'), 'PROBEOFF', 'by PROBEOFF');
my $m = member_of(get_json(), 'probeoff', 'PO1');
ok t_cmp($m && $m->{health}, 'up', 'the status page shows it up');
ok !($m && $m->{probe}) or print "# probe: ", join(' ', %{ $m->{probe} }), "\n";
my @up = grep { /OXB00044: node \Q$node\E/ } error_log_since($mark);
ok t_cmp(scalar @up, 0, 'no probe found it up: it is up because nobody probes it');

# Back to the start (OXHealthCheck off) for whatever runs next.
configure('off', '');
