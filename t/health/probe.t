# Active health probes against our AJP test servers (balancers probed and
# probedsync: CPing every second, 500 ms timeout, 2 fails, 2 passes). One
# prober per server, whatever the number of httpd children and across a
# graceful restart; a node in two balancers has one probe stream and one
# health; a frozen or killed node is down within interval x fails +
# timeout, new and sticky traffic avoids it and no request fails; it is up
# again after `passes` good probes, without a user request. The child that
# runs the prober (the leader) killed (SIGKILL): another takes over within
# the lease's time, one probe per interval goes on, and a frozen node is
# still found down. The leader frozen (SIGSTOP): another takes over when
# its lease goes stale, and the old one stops when it wakes.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time sleep);
use OXB::Test qw(error_log_mark error_log_since wait_for_log server_pid child_pids);

plan tests => 32;

my $run = $ENV{OXB_RUN_DIR};
my $port = $ENV{OXB_PROBED_PORT};
my $node = "ajp://127.0.0.1:$port";
my $interval = 1;
my $timeout = 0.5;
my ($fails, $passes) = (2, 2);
# Scheduling on a loaded 2-core machine (and the sanitizer build) adds
# delay; the bound is the configuration's, plus this.
my $slack = 2;

sub pid_of {
    open my $fh, '<', "$run/PROBED.pid" or die "no PROBED.pid";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# The PROBED server's counters, asked through its own session route.
sub stats {
    my $r = GET '/probed/stats', Cookie => 'JSESSIONID=1.PR1';
    my %s = $r->content =~ /(\w+)=(\d+)/g;
    $s{backend} = $r->header('X-Backend') // 'none';
    return \%s;
}

sub backends {
    my ($path, @headers) = @_;
    my (%seen, $failed);
    for (1 .. 20) {
        my $r = GET $path, @headers;
        $failed++ if $r->code != 200;
        $seen{ $r->header('X-Backend') // 'none' }++;
    }
    return (\%seen, $failed // 0);
}

sleep 2;    # the prober has started and probed once

# One probe stream for the node, though two balancers list it and two httpd
# children run: about one CPing per interval. (With one child, one prober
# per child would pass too: the children are counted around it.)
{
    my @kids = child_pids();
    my $before = stats();
    ok t_cmp($before->{backend}, 'PROBED', 'the sticky request reached PROBED');
    sleep 5;
    my $probes = stats()->{cpings} - $before->{cpings};
    my @kids_after = child_pids();
    # About 5; two streams would make about 10. Fewer than 4 only means
    # probe rounds were late on a loaded machine.
    ok $probes >= 2 && $probes <= 6 or print STDERR "# $probes CPings in 5 s\n";
    ok @kids >= 2 && @kids_after >= 2 or print "# children: @kids, then @kids_after\n";
}

# Both nodes up: new sessions go to both.
{
    my ($seen, $failed) = backends('/probed/echo');
    ok $seen->{PROBED} && $seen->{PROBED2} or print "# ", join(' ', %$seen), "\n";
}

# Frozen (SIGSTOP): down within interval x fails + timeout.
my $requests_before = stats()->{requests};
{
    my $mark = error_log_mark();
    my $t0 = time;
    kill 'STOP', pid_of();
    my @lines = wait_for_log($mark, qr/OXB00043: node \Q$node\E is down/);
    my $took = time - $t0;
    ok scalar(grep { /OXB00043: node \Q$node\E is down: 2 cping probes failed in a row, the last: no CPONG/ } @lines)
        or print map { "# $_" } @lines;
    ok $took <= $interval * $fails + $timeout + $slack or print "# down after ${took}s\n";
}

# While it is down: new sessions and its own sessions go elsewhere, and no
# request fails; the other balancer that lists the node sees it down too.
{
    my ($seen, $failed) = backends('/probed/echo');
    ok t_cmp($failed, 0, 'no new-session request failed');
    ok t_cmp(join(',', keys %$seen), 'PROBED2', 'new sessions avoid the frozen node');
    ($seen, $failed) = backends('/probed/echo', Cookie => 'JSESSIONID=7.PR1');
    ok t_cmp($failed, 0, 'no request of its sessions failed');
    ok t_cmp(join(',', keys %$seen), 'PROBED2', 'its sessions went to the successor');
    ok t_cmp(GET('/probedsync/echo', Cookie => 'JSESSIONID=7.PR1')->code, 503,
             'the other balancer, PROBED its only member, sees it down');
}

# Thawed: up after `passes` good probes, without a user request.
{
    my $mark = error_log_mark();
    my $t0 = time;
    kill 'CONT', pid_of();
    my @lines = wait_for_log($mark, qr/OXB00044: node \Q$node\E is up again/);
    my $took = time - $t0;
    ok scalar(grep { /OXB00044: node \Q$node\E is up again: 2 cping probes passed in a row/ } @lines)
        or print map { "# $_" } @lines;
    ok $took <= $interval * $passes + $timeout + $slack or print "# up after ${took}s\n";
    my $after = stats();
    ok t_cmp($after->{requests} - $requests_before, 1, 'no user request was sent to it while it was down');
    my ($seen) = backends('/probed/echo');
    ok $seen->{PROBED} && $seen->{PROBED2} or print "# ", join(' ', %$seen), "\n";
}

# Killed: the same, with a refused connection; started again: up.
my $restarted;
END { kill 'TERM', $restarted if $restarted }
{
    my $mark = error_log_mark();
    kill 'KILL', pid_of();
    my @lines = wait_for_log($mark, qr/OXB00043: node \Q$node\E is down/);
    ok scalar(grep { /OXB00043: node \Q$node\E is down: .*connection refused/ } @lines)
        or print map { "# $_" } @lines;
    my ($seen, $failed) = backends('/probed/echo', Cookie => 'JSESSIONID=7.PR1');
    ok t_cmp($failed, 0, 'no request failed after the kill was detected');
    ok t_cmp(join(',', keys %$seen), 'PROBED2', 'all went to the live node');
    # None was even tried on it: no failed attempt is logged once it was
    # found down.
    @lines = error_log_since($mark);
    my ($down_at) = grep { $lines[$_] =~ /OXB00043: node \Q$node\E is down/ } 0 .. $#lines;
    my @tried = grep { /OXB00010: member \S+ \(\Q$node\E\)/ } @lines[$down_at + 1 .. $#lines];
    ok t_cmp(scalar @tried, 0, 'no request was sent to it after it was found down') or print map { "# $_" } @tried;

    $mark = error_log_mark();
    $restarted = fork // die "fork: $!";
    if (!$restarted) {
        open STDOUT, '>>', "$run/PROBED.log";
        open STDERR, '>&', \*STDOUT;
        exec $ENV{OXB_AJP_SERVER}, '--host', '127.0.0.1', '--port', $port, '--name', 'PROBED' or exit 127;
    }
    @lines = wait_for_log($mark, qr/OXB00044: node \Q$node\E is up again/);
    ok scalar(grep { /OXB00044: node \Q$node\E is up again/ } @lines);
    ok t_cmp(stats()->{backend}, 'PROBED', 'its sessions are served by it again');
}

# A graceful restart: still one probe stream.
{
    my $before = stats()->{cpings};
    kill 'USR1', server_pid();
    sleep 5;
    my $probes = stats()->{cpings} - $before;
    # One probe per second: about 5, two streams would make about 10. The
    # lower bound only says that probing goes on: a loaded machine (the
    # sanitizer run beside another) delays probes.
    ok $probes >= 2 && $probes <= 6 or print STDERR "# $probes CPings in 5 s across a graceful restart\n";
}

# The child that runs the prober crashes (SIGKILL): another takes over
# within the leader's lease time (httpd's parent frees the lease when it
# reaps the child, else it goes stale after 3 s; children look every
# 0.5 s), probes go on at one per interval, and a frozen node is still
# found down (and up again). The prober's process is the one
# the last OXB00046 (debug) names. PROBED is the one started again above.
{
    my ($pid) = (map { /OXB00046: this process \((\d+)\) probes/ ? $1 : () } error_log_since(0))[-1];
    my %kids = map { $_ => 1 } child_pids();
    ok $pid && $kids{$pid} or print "# prober pid ", $pid // 'none', ", children: ", join(' ', sort keys %kids), "\n";
    my $mark = error_log_mark();
    my $killed_at = time;
    kill 'KILL', $pid if $pid && $kids{$pid};
    my @lines = wait_for_log($mark, qr/OXB00046: this process \((?!\Q$pid\E\))\d+\) probes/);
    my $takeover = time - $killed_at;
    my ($taker) = map { /OXB00046: this process \((\d+)\) probes/ ? $1 : () } @lines;
    ok $taker && $taker != $pid or print "# no other process took over\n";
    ok $takeover <= 3 + 0.5 + $slack or print "# taken over after ${takeover}s\n";
    print "# taken over after ${takeover}s\n";
    sleep 1;
    my $before = stats()->{cpings};
    sleep 5;
    my $probes = stats()->{cpings} - $before;
    # As above: going on (a probe round can be late under load), and one
    # stream, not two.
    ok $probes >= 2 && $probes <= 6 or print STDERR "# $probes CPings in 5 s after the takeover\n";

    $mark = error_log_mark();
    my $t0 = time;
    kill 'STOP', $restarted;
    @lines = wait_for_log($mark, qr/OXB00043: node \Q$node\E is down/);
    my $took = time - $t0;
    ok scalar(grep { /OXB00043: node \Q$node\E is down/ } @lines) or print map { "# $_" } @lines;
    ok $took <= $interval * $fails + $timeout + $slack or print "# down after ${took}s\n";
    kill 'CONT', $restarted;
    @lines = wait_for_log($mark, qr/OXB00044: node \Q$node\E is up again/);
    ok scalar(grep { /OXB00044: node \Q$node\E is up again/ } @lines);
}

# The leader hangs (SIGSTOP): its lease goes stale and another child takes
# over after about 3 s (not at once: a fresh lease is nobody else's). When
# the old leader runs again it finds the lease gone, says so (OXB00120) and
# stops probing: one probe stream, not two.
{
    my ($pid) = (map { /OXB00046: this process \((\d+)\) probes/ ? $1 : () } error_log_since(0))[-1];
    my %kids = map { $_ => 1 } child_pids();
    my $mark = error_log_mark();
    my $t0 = time;
    kill 'STOP', $pid if $pid && $kids{$pid};
    my $taken = qr/OXB00046: this process \((?!\Q$pid\E\))\d+\) probes/;
    my @lines = wait_for_log($mark, $taken);
    my $took = time - $t0;
    ok scalar(grep { $_ =~ $taken } @lines) && $took >= 1.5 && $took <= 3 + 0.5 + $slack
        or print "# taken over after ${took}s: ", map({ "# $_" } @lines), "\n";
    print "# hung leader replaced after ${took}s\n";
    kill 'CONT', $pid if $pid && $kids{$pid};
    @lines = wait_for_log($mark, qr/OXB00120: this process \($pid\) no longer probes/);
    ok scalar grep { /OXB00120: this process \($pid\) no longer probes: process \d+ took over/ } @lines;
    sleep 1;
    my $before = stats()->{cpings};
    sleep 5;
    my $probes = stats()->{cpings} - $before;
    ok $probes >= 2 && $probes <= 6 or print STDERR "# $probes CPings in 5 s after the old leader woke\n";
}
