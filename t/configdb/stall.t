# A slow database, and one poller per server. The Apache::Test httpd with
# OXConfigDB (poll=1) on a private MariaDB:
# - one poller per httpd server: with two or more children, at most one
#   connection of the module's user on the server at any time, and the
#   polls counter grows by about one per poll interval, not one per child;
# - mariadbd frozen (SIGSTOP: the kernel accepts connections, nothing
#   answers): proxied requests answer as usual (each within a bound far
#   below the database timeouts, 2 s connect, 3 s read), probes go on (the
#   probed server's CPing count grows), the status page shows the outage in
#   ?json, a page action returns within its 2 s wait saying it is queued
#   (or not written), a graceful restart while the poller's thread is stuck
#   in a poll (it has a connection to the server open: ss) completes and
#   httpd serves after it, and the outage is not logged again after it;
# - thawed: an oxbalancectl change issued during the stall (which waited
#   for the server) applies, the configdb's state wins over the page's
#   unwritten change, and the end of the outage is logged once;
# - a graceful restart while the poller writes a page change (the table
#   locked): the old generation's leader finishes the write before its
#   process ends.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);
use OXB::Test qw(error_log_mark error_log_since wait_for_log server_pid child_pids);
use OXB::Status qw(status_url page_nonce post_action ua);
use OXB::ConfigDB qw(start_db freeze_db thaw_db db_query ctl use_configdb no_configdb main_json until_true
                     backend_of);

plan tests => 35;

my $main = Apache::Test::config()->{vars}{port};
my $db = start_db();
my ($rc, $out) = ctl($db, 'init-schema');
ok t_cmp($rc, 0, 'init-schema') or print "# $out";
my $since_ms = int(time * 1000);
my $mark = use_configdb($db);

sub configdb { main_json()->{configdb} }
sub admin_of {
    my ($route) = @_;
    my ($b) = grep { $_->{name} eq 'cdb' } @{ main_json()->{balancers} };
    my ($m) = grep { ($_->{route} // '') eq $route } @{ $b->{members} };
    return $m->{admin};
}
sub count { my ($re, @lines) = @_; return scalar grep { $_ =~ $re } @lines }
# The probed AJP server's CPing count (t/health/probe.t's balancer probed,
# CPing every second), asked through its own session route.
sub cpings {
    my %s = GET('/probed/stats', Cookie => 'JSESSIONID=1.PR1')->content =~ /(\w+)=(\d+)/g;
    return $s{cpings} // -1;
}

ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# never up\n";
# The announcement after the first good read opens a write connection for
# a moment (and closes it): counted below only once it is over. (An
# earlier test's may still show: a graceful restart keeps the block.)
until_true(30, sub {
    my $a = configdb()->{announcement};
    ($a->{last_ms} // 0) >= $since_ms || ($a->{failing_since_ms} // 0) >= $since_ms;
});

# ---- one poller per httpd server -------------------------------------------------------
my @children = child_pids();
ok @children >= 2 or print "# httpd children: @children\n";
my ($most, $least) = (0, 99);
for (1 .. 15) {
    my $n = db_query($db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '$db->{user}'");
    chomp $n;
    $most = $n if $n > $most;
    $least = $n if $n < $least;
    sleep 0.2;
}
ok t_cmp("$least..$most", '1..1', "the module's connections to MariaDB over 3 s (one, kept between polls)");
my ($p0, $t0) = (configdb()->{polls}, time);
sleep 5;
my ($p1, $t1) = (configdb()->{polls}, time);
# One poller: one poll a second at most (plus one for the edges); one per
# child would be @children times that.
ok $p1 - $p0 >= 2 && $p1 - $p0 <= ($t1 - $t0) + 1 or printf "# %d polls in %.1f s\n", $p1 - $p0, $t1 - $t0;

# A state to keep through the stall.
($rc, $out) = ctl($db, 'drain', 'cdb', 'OX1');
ok defined until_true(5, sub { admin_of('OX1') eq 'draining' }) or print "# never draining\n";

# ---- the database freezes ----------------------------------------------------------------------
$mark = error_log_mark();
my $cp0 = cpings();
freeze_db($db);
my $frozen_at = time;
# Requests during at least two poll intervals: each answered at once.
my (@bad, $slowest);
$slowest = 0;
for my $i (1 .. 25) {
    my $t = time;
    my $r = ua()->get("http://127.0.0.1:$main/cdb/echo");
    my $took = time - $t;
    $slowest = $took if $took > $slowest;
    push @bad, sprintf('%d: %d in %.2f s', $i, $r->code, $took) if $r->code != 200 || $took > 1.0;
    sleep 0.2;
}
ok t_cmp(join('; ', @bad), '', 'frozen: every request answered within 1 s') or printf "# slowest %.2f s\n", $slowest;
ok t_cmp(backend_of($main, 'f1.OX1'), 'OX1', "frozen: OX1's sessions still reach it (draining, as read)");
ok defined until_true(15, sub { configdb()->{state} eq 'outage' }) or print "# no outage shown\n";
my $c = configdb();
ok $c->{last_error} =~ /127\.0\.0\.1:$db->{port}/ or print "# last_error: ", $c->{last_error} // 'null', "\n";
ok t_cmp(admin_of('OX1'), 'draining', 'the last state read stays in force');
my $cp1 = cpings();
ok $cp1 - $cp0 >= 3 or printf "# %d CPings in %.0f s of stall\n", $cp1 - $cp0, time - $frozen_at;

# ---- a page action; a graceful restart while the poller's thread hangs in a poll --------
my $nonce = page_nonce(ua()->get(status_url())->content);
my $t = time;
my $r = post_action(nonce => $nonce, balancer => 'cdb', member => 'OX2', action => 'drain');
my $took = time - $t;
ok t_cmp($r->code, 200, 'the page action is answered');
ok $took <= 3.5 or printf "# the page took %.1f s\n", $took;
ok $r->content =~ /queued for the configdb, but not written within 2 s|NOT written to the configdb/
    or print "# ", $r->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
ok defined until_true(15, sub { configdb()->{write_failures} > 0 })
    or print "# the page's change was never tried\n";
ok t_cmp(admin_of('OX2'), 'draining', "the page's change is in force here meanwhile");
# The poller's thread is in a database call while it has a connection to the
# server open (between polls it has none: the failed one was closed).
sub poller_in_call {
    my @conns = grep { /\S/ } `ss -Htn state established dst 127.0.0.1:$db->{port}`;
    return scalar @conns;
}
ok defined until_true(15, \&poller_in_call) or print "# the poller never seen in a database call\n";
my $polls_before = configdb()->{polls};
my $restart_mark = error_log_mark();
kill 'USR1', server_pid();
my $t_restart = time;
ok scalar(grep { /resuming normal operations/ } wait_for_log($restart_mark, qr/resuming normal operations/))
    or print "# the graceful restart did not complete\n";
my $up = until_true(15, sub { ua()->get("http://127.0.0.1:$main/cdb/echo")->code == 200 && configdb() });
ok defined $up or print "# httpd does not serve after the graceful restart\n";
printf "# serving again %.1f s after the restart signal\n", time - $t_restart;
ok t_cmp(admin_of('OX2'), 'draining', "the page's change is still in force (shared memory kept)");
# The new generation's poller runs and still finds the database frozen.
ok defined until_true(20, sub { configdb()->{polls} >= $polls_before + 2 })
    or print "# polls: $polls_before -> ", configdb()->{polls}, "\n";
ok t_cmp(configdb()->{state}, 'outage', 'still an outage after the restart');
my @log = error_log_since($mark);
ok t_cmp(count(qr/OXB00101/, @log), 1, 'the outage is logged once, also across the graceful restart');

# An operator's change while it hangs: oxbalancectl waits for the server.
my $ctl_out = "$db->{top}/ctl-during-stall.out";
my $ctl_pid = fork // die "fork: $!";
if (!$ctl_pid) {
    { exec "$ENV{OXB_OXBALANCECTL} --write 127.0.0.1:$db->{port}/configdb --user $db->{user} "
        . "--password-file $db->{pwfile} --timeout 120 drain cdb OX3 >$ctl_out 2>&1" };
    _exit(127);  # no END blocks in a child
}

sleep 1;    # it has connected and waits for the server's greeting

# ---- thawed ------------------------------------------------------------------------------------------
thaw_db($db);
my $ctl_status;
until_true(30, sub {
    return 0 if waitpid($ctl_pid, WNOHANG) != $ctl_pid;
    $ctl_status = $?;
    return 1;
});
ok defined $ctl_status && $ctl_status == 0 or print "# oxbalancectl: ", do { open my $fh, '<', $ctl_out; local $/; <$fh> // '' };
ok defined until_true(15, sub { configdb()->{state} eq 'up' && admin_of('OX3') eq 'draining' })
    or print "# the change made during the stall does not apply\n";
ok t_cmp(admin_of('OX1'), 'draining');
ok t_cmp(admin_of('OX2'), 'active', "the configdb wins over the page's unwritten change");
@log = error_log_since($mark);
ok t_cmp(count(qr/OXB00102/, @log), 1, 'the end of the outage is logged once');
ok t_cmp(count(qr/OXB00105/, @log), 1, 'the failed write is logged once');

# ---- a graceful restart while a page change is being written --------------------------------
# The state table is locked, so the poller's write of a page action waits
# on the lock. The page answers after its 2 s wait (queued); then a
# graceful restart ends the old generation, whose leader (the poller's
# process) has no request left to finish, and 0.4 s later the lock goes
# (its session killed), well within the write's 3 s read timeout. The old
# leader waits for the write before its process ends: the change is in the
# table, and nothing ended "during the write" (OXB00130: the old
# generation's process used to be cut off in the middle of it).
{
    my $mark2 = error_log_mark();
    my $sleeping = "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(20)%'";
    my $locker = fork // die "fork: $!";
    if (!$locker) {
        eval { db_query($db, 'LOCK TABLES oxbalance_member_state WRITE; DO SLEEP(20); UNLOCK TABLES') };
        _exit(0);
    }
    ok defined until_true(10, sub { db_query($db, $sleeping) =~ /^\d+$/m }) or print "# the table was never locked\n";
    my $nonce2 = page_nonce(ua()->get(status_url())->content);
    my $r2 = post_action(nonce => $nonce2, balancer => 'cdb', member => 'OX2', action => 'disable');
    ok $r2->content =~ /queued for the configdb, but not written within 2 s/
        or print "# ", $r2->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
    kill 'USR1', server_pid();
    sleep 0.4;
    my ($id) = db_query($db, $sleeping) =~ /^(\d+)$/m;
    db_query($db, "KILL $id") if $id;
    waitpid $locker, 0;
    ok defined until_true(15, sub {
        db_query($db, "SELECT admin_state FROM oxbalance_member_state WHERE balancer = 'cdb' AND route = 'OX2'")
            =~ /^disabled$/m }) or print "# the page's change is not in the table\n";
    ok defined until_true(15, sub { configdb()->{state} eq 'up' && admin_of('OX2') eq 'disabled' })
        or print "# the change is not in force after the restart\n";
    my @lines = error_log_since($mark2);
    ok t_cmp(count(qr/OXB00130/, @lines), 0, 'no write was cut off by the restart') or print map { "# $_" } @lines;
}

no_configdb();
