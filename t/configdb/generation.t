# A graceful restart while the old generation's configdb poller is still
# in a database call, or while old children still serve requests (long
# downloads, WebSockets): the old children live on until their calls and
# requests end, but nothing they read may reach the new generation.
# The Apache::Test httpd with OXConfigDB (poll=1):
# - on database A, frozen while the poller reads it; a graceful restart
#   moves OXConfigDB to database B: the new generation reads B and stays
#   "up"; the old poller's read of A, which gives up at its 2 s connect
#   timeout, logs no outage and starts none (the block keeping the state
#   outlives the restart);
# - then OXConfigDB removed while old children serve requests held at the
#   backend (a gate of the BIG test server), and the database stopped:
#   nothing reads it any more (no outage logged); the held requests end
#   normally when their gate opens.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use OXB::Test qw(error_log_since);
use OXB::Status qw(ua);
use OXB::ConfigDB qw(start_db stop_db freeze_db thaw_db ctl use_configdb no_configdb main_json until_true);

plan tests => 11;

my $main = Apache::Test::config()->{vars}{port};
my ($db, $other) = (start_db(), start_db());
for my $d ($db, $other) {
    my ($rc, $out) = ctl($d, 'init-schema');
    ok t_cmp($rc, 0, "init-schema on $d->{port}") or print "# $out";
}

sub configdb { main_json()->{configdb} }
# Whether a process has a connection to database D open: the poller is in
# a call (between polls it has none).
sub in_call {
    my ($d) = @_;
    return scalar grep { /\S/ } `ss -Htn state established dst 127.0.0.1:$d->{port}`;
}

# Requests that stay at the backend until their gates (GATE-1 ...) open
# (the servlet has flushed its head), enough of them that every child
# serves one; returns how many heads came, and the sockets.
sub hold {
    my ($gate) = @_;
    my @held;
    for my $i (1 .. 10) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $main, Timeout => 10) or die "connect: $!";
        print $s "GET /big/pause-after-flush?gate=$gate-$i HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        push @held, $s;
    }
    my %head;
    my $sel = IO::Select->new(@held);
    my $t0 = time;
    while (keys %head < @held && time - $t0 < 10) {
        for my $s ($sel->can_read(1)) {
            my $buf = '';
            sysread($s, $buf, 4096) or next;
            $head{ fileno $s } .= $buf;
        }
    }
    my $ok = grep { ($head{ fileno $_ } // '') =~ /^HTTP\/1\.1 200 .*\r\n\r\n/s } @held;
    return ($ok, @held);
}

# Opens the gates (a gate lets one request on); returns how many held
# responses then end normally.
sub finish {
    my ($gate, @held) = @_;
    ua()->get("http://127.0.0.1:$main/big/open?gate=$gate-$_") for 1 .. @held;
    my $done = 0;
    for my $s (@held) {
        local $/;
        my $rest = <$s> // '';
        $done++ if $rest =~ /after the pause\n\r\n0\r\n\r\n$/;
        close $s;
    }
    return $done;
}

# ---- database A frozen while the poller reads it; a graceful restart moves to B -------
use_configdb($db);
ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# database A never read\n";
freeze_db($db);
# The poller's next read (at most a poll later) hangs in its connect, 2 s
# until the greeting's timeout: 1.3 s after the freeze it hangs.
sleep 1.3;
ok in_call($db) or print "# the poller is not in a call to A\n";
my $mark = use_configdb($other);
my $polls = configdb()->{polls};
my $down = 0;
# The new generation polls B; the old poller's read of A gives up meanwhile.
until_true(5, sub {
    my $c = configdb();
    $down ||= $c->{state} eq 'up' ? 0 : "$c->{state}: " . ($c->{last_error} // '');
    0;
});
ok t_cmp($down, 0, 'up all along after the restart');
ok configdb()->{polls} >= $polls + 3 or print "# polls $polls -> ", configdb()->{polls}, "\n";
my @late = grep { /OXB00101/ } error_log_since($mark);
ok t_cmp(scalar @late, 0, "no outage from the old generation's late read") or print map { "# $_" } @late;
thaw_db($db);
stop_db($db);

# ---- OXConfigDB removed while the old children are busy -------------------------------------
my $gate = "gen$$";
my ($heads, @held) = hold($gate);
ok t_cmp($heads, 10, 'ten requests held at the backend, their heads sent');
$mark = no_configdb();
ok t_cmp(main_json()->{configdb}, undef, 'no configdb on the status page');
stop_db($other);   # a poller still running fails to read now, and says so
sleep 3;
my @failed = grep { /OXB0010[15]|OXB00110/ } error_log_since($mark);
ok t_cmp(scalar @failed, 0, 'nothing reads the configdb any more') or print map { "# $_" } @failed;
ok t_cmp(finish($gate, @held), 10, 'the held requests end normally');
