# A child killed (SIGKILL) while it holds a request must not leave that
# request counted: with bybusyness over two idle members (balancer busy),
# new sessions are spread over both again once the parent has settled the
# dead child's in-flight count (OXB00070). Without that, the killed request's
# member looks busy until the next restart and gets no new session at all.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use IO::Socket::INET ();
use Time::HiRes qw(sleep);
use OXB::Test qw(error_log_mark error_log_since wait_for_log child_holding server_pid);

plan tests => 20;

my $port = Apache::Test::config()->{vars}{port};

# Ten new sessions (no cookie) one after the other: how many each test
# backend (X-Backend: OX1, OX2) served.
sub spread {
    my %served = (OX1 => 0, OX2 => 0);
    $served{ GET('/busy/echo')->header('X-Backend') // 'none' }++ for 1 .. 10;
    return \%served;
}

# Requests both test backends have read, each counting itself: asked of each
# through its own route in balancer ajp.
sub backend_requests {
    my $n = 0;
    for my $route (qw(OX1 OX2)) {
        my $body = GET('/ajp/stats', Cookie => "JSESSIONID=1.$route")->content // '';
        $n += $1 if $body =~ /requests=(\d+)/;
    }
    return $n;
}

# Sends a request for /busy/hang on a connection of its own and waits until
# a backend has it (so a member counts it in flight). Returns the socket and
# the child that holds the request.
sub hang {
    my $before = backend_requests();
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die "connect: $!";
    print $sock "GET /busy/hang HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $arrived = 0;
    for my $poll (1 .. 100) {
        # Each poll reads two more requests: its own.
        if (backend_requests() - $before - 2 * $poll >= 1) { $arrived = 1; last }
        sleep 0.05;
    }
    return ($sock, child_holding($sock->sockport), $arrived);
}

# Kills the child and waits for the parent to settle it.
sub kill_child {
    my ($pid) = @_;
    my $mark = error_log_mark();
    kill 'KILL', $pid;
    return grep { /OXB00070: process $pid ended with 1 request\(s\) in flight/ }
        wait_for_log($mark, qr/OXB00070: process $pid /);
}

my $s = spread();
ok($s->{OX1} >= 4 && $s->{OX2} >= 4) or print "# before: OX1 $s->{OX1}, OX2 $s->{OX2}\n";

my ($sock, $child, $arrived) = hang();
ok $arrived;
ok defined $child;
$s = spread();
ok(($s->{OX1} == 10) != ($s->{OX2} == 10)) or print "# while one member is busy: OX1 $s->{OX1}, OX2 $s->{OX2}\n";

ok t_cmp(scalar kill_child($child), 1, 'the parent released the killed child\'s request');
$s = spread();
ok($s->{OX1} >= 4 && $s->{OX2} >= 4) or print "# after the kill: OX1 $s->{OX1}, OX2 $s->{OX2}\n";
close $sock;

# Counting goes on exactly after a settlement: a new request in flight
# (whichever child holds it) makes its member busy again, and its child's
# death frees it again.
($sock, $child, $arrived) = hang();
ok $arrived;
ok defined $child;
$s = spread();
ok(($s->{OX1} == 10) != ($s->{OX2} == 10)) or print "# while one member is busy: OX1 $s->{OX1}, OX2 $s->{OX2}\n";
ok t_cmp(scalar kill_child($child), 1, 'the parent released the second killed child\'s request');
$s = spread();
ok($s->{OX1} >= 4 && $s->{OX2} >= 4) or print "# after the second kill: OX1 $s->{OX1}, OX2 $s->{OX2}\n";
close $sock;

# A graceful restart: the new generation counts on a fresh block, the old
# generation's children on the old one. An old child killed while it still
# holds a request owns no row in the new block, so its death takes nothing
# off the new generation's counts: a request in flight in a new child keeps
# its member busy.
my ($old_sock, $old_child, $old_arrived) = hang();
ok($old_arrived && defined $old_child);
my $mark = error_log_mark();
kill 'USR1', server_pid();
wait_for_log($mark, qr/resuming normal operations/);
$s = spread();
ok($s->{OX1} >= 4 && $s->{OX2} >= 4) or print "# new generation: OX1 $s->{OX1}, OX2 $s->{OX2}\n";
($sock, $child, $arrived) = hang();
ok($arrived && defined $child && $child != $old_child);
$s = spread();
ok(($s->{OX1} == 10) != ($s->{OX2} == 10)) or print "# while one member is busy: OX1 $s->{OX1}, OX2 $s->{OX2}\n";
my $busy_member = $s->{OX1} == 10 ? 'OX2' : 'OX1';

$mark = error_log_mark();
kill 'KILL', $old_child;
# Reaped once it is gone from the process table; the parent settles right
# after reaping, in the same turn of its loop.
for (1 .. 200) { last unless kill 0, $old_child; sleep 0.05 }
sleep 0.2;
ok t_cmp(scalar(grep { /OXB00070: process $old_child / } error_log_since($mark)), 0,
         'the old generation\'s child settles nothing in the new block');
$s = spread();
ok t_cmp($s->{$busy_member}, 0, 'the new generation\'s request in flight still counts');
close $old_sock;

ok t_cmp(scalar kill_child($child), 1, 'the parent released the new generation\'s killed child\'s request');
$s = spread();
ok($s->{OX1} >= 4 && $s->{OX2} >= 4) or print "# after the third kill: OX1 $s->{OX1}, OX2 $s->{OX2}\n";
close $sock;

# The other children served on throughout.
ok t_cmp(GET('/busy/echo')->code, 200, 'httpd serves after the kills');
