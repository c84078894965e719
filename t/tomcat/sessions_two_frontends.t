# Sessions survive a rolling update through two front ends on one configdb:
# the Apache::Test httpd and a second httpd (OXB::ConfigDB's start_frontend)
# both have OXConfigDB (poll=1) on one private MariaDB and the balancer
# tcfront of the three Tomcats (OX1..OX3, OX-style sessions in their shared
# store, /oxs/* of the test webapp). 200 users log in; every user's browser
# alternates between the two front ends for every request, as behind a
# round-robin LVS. Then, with oxbalancectl against the configdb:
#   drain OX1:   both front ends show it at the next poll; no new session
#                on OX1 through either; OX1's sessions still reach OX1
#                through both, data intact (the counter goes on);
#   disable OX1: both at the next poll; each OX1 session's next request is
#                served on a successor and re-issued with its route, and the
#                same session with its old OX1 cookie (a second tab) through
#                the other front end reaches the same successor; successors
#                spread over OX2 and OX3, so agreeing is not trivial;
#   kill OX1:    every session goes on through both front ends, also with
#                a stale OX1 cookie; nobody gets 401;
#   and back:    OX1 started, enabled (both at the next poll), new
#                sessions reach it through both; the moved ones stay put.
# Controls: an unknown session id gets 401 through either front end.
# Named to run after sessions_survive.t and before webdav.t, wire.t and
# zz_failover.t; it restores what it changes all the same (END).
use strict;
use warnings;
use Apache::Test qw(ok);
use Apache::TestUtil qw(t_cmp);
use IO::Socket::INET ();
use LWP::UserAgent ();
use Time::HiRes qw(time sleep);
use OXB::Test qw(session_store_plan);
use OXB::ConfigDB qw(start_db ctl configdb_line use_configdb no_configdb start_frontend stop_frontend
                     frontend_json until_true file_since stop_db polls_of applied_on_all admin_in);

session_store_plan(38);

my $t0 = time;
my @nodes = qw(OX1 OX2 OX3);
my $ox1_base = "$ENV{OXB_RUN_DIR}/tomcat-OX1";
my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
my ($requests, %status) = (0);

# ---- two front ends on one configdb ---------------------------------------------------------
my $db = start_db();
my ($rc, $out) = ctl($db, 'init-schema');
ok t_cmp($rc, 0, 'init-schema') or print "# $out";
my $tcfront = "<OXBalancer tcfront>\n    OXHealthCheck off\n"
    . "    OXMember ajp://127.0.0.1:$ENV{OXB_TOMCAT_OX1_AJP} route=OX1 packetsize=65536\n"
    . "    OXMember ajp://127.0.0.1:$ENV{OXB_TOMCAT_OX2_AJP} route=OX2 packetsize=65536 secret=$ENV{OXB_TOMCAT_SECRET}\n"
    . "    OXMember ajp://127.0.0.1:$ENV{OXB_TOMCAT_OX3_AJP} route=OX3 packetsize=65536\n"
    . "</OXBalancer>\nOXPass /tcfront tcfront /\nOXRouteHeader On\n";
my $fe2 = start_frontend(extra => $tcfront . configdb_line($db));
use_configdb($db);
my @ports = (Apache::Test::config()->{vars}{port}, $fe2->{port});
my @fe_name = ('front end 1', 'front end 2');

# Whether both front ends show OX1 in STATE, at most 3 polls after POLLS.
sub applied_on_both {
    my ($state, @polls) = @_;
    return applied_on_all("OX1 $state on both front ends", \@ports, \@polls, sub { admin_in($_[0], 'tcfront', 'OX1') eq $state });
}

sub admin_on_both {
    my ($route) = @_;
    return join ' ', map { admin_in(frontend_json($_), 'tcfront', $route) } @ports;
}

for my $i (0, 1) {
    ok defined until_true(10, sub { frontend_json($ports[$i])->{configdb}{state} eq 'up' })
        or print "# $fe_name[$i] never read the configdb\n";
}

# ---- one user's browser ---------------------------------------------------------------------
# { user, id, cookie => "id.ROUTE", counter, created, node (served last),
#   served (data requests that succeeded), login_fe, next (the front end
#   it uses next: 0 or 1) }

sub answer {
    my ($r) = @_;
    my %body = ($r->content // '') =~ /(\w+)=(\S+)/g;
    my ($set) = join(',', $r->header('Set-Cookie')) =~ /JSESSIONID=([^;,]*)/;
    my ($reason) = ($r->header('X-OXB-Route') // '') =~ /reason=(\w+)/;
    return { %body, code => $r->code, text => $r->content // '', set => $set, reason => $reason // '-' };
}

sub get {
    my ($fe, $path, $cookie) = @_;
    $requests++;
    return answer($ua->get("http://127.0.0.1:$ports[$fe]/tcfront$path", $cookie ? (Cookie => "JSESSIONID=$cookie") : ()));
}

sub login {
    my ($user, $fe) = @_;
    my $a = get($fe, "/oxs/login?user=$user");
    return undef unless $a->{code} == 200 && ($a->{set} // '') =~ /^(\d+)\.(OX\d)$/ && $a->{node} eq $2;
    return { user => $user, id => $1, cookie => $a->{set}, counter => 0, created => $2, node => $2, served => 0,
             login_fe => $fe, next => 1 - $fe };
}

# The session's next data request through front end $fe (default: its
# next one), with its cookie or $cookie (a stale one). Returns the answer
# and what is wrong with it ('' if nothing): not 200, another user's or a
# reset counter, a cookie re-issued with another id or route than the node
# that served it, or served by a node other than the cookie's without a
# re-issue. A good answer moves the browser on (counter, cookie, node).
sub use_session {
    my ($s, %o) = @_;
    my $fe = $o{fe} // $s->{next};
    $s->{next} = 1 - $fe;
    my $a = get($fe, '/oxs/data', $o{cookie} // $s->{cookie});
    $status{ $a->{code} }++;
    my $node = $a->{node} // '?';
    my $sent_route = ($o{cookie} // $s->{cookie}) =~ s/^\d+\.//r;
    my $err = $a->{code} != 200 ? "status $a->{code} through $fe_name[$fe]: $a->{text}"
        : ($a->{user} // '') ne $s->{user} ? "another user's session: $a->{text}"
        : ($a->{counter} // -1) != $s->{counter} + 1 ? "counter $a->{counter}, expected " . ($s->{counter} + 1)
        : ($a->{created} // '') ne $s->{created} ? "created on $a->{created}, not $s->{created}"
        : defined $a->{set} && $a->{set} ne "$s->{id}.$node" ? "re-issued as $a->{set} by $node"
        : !defined $a->{set} && $node ne $sent_route ? "served by $node for a cookie of $sent_route, not re-issued"
        : '';
    $err &&= "$err ($fe_name[$fe])";
    if ($a->{code} == 200 && ($a->{user} // '') eq $s->{user}) {
        # The store's counter, so that one failure is reported once.
        $s->{counter} = $a->{counter};
        if (!$err) {
            $s->{cookie} = $a->{set} if defined $a->{set};
            $s->{node} = $node;
            $s->{served}++;
        }
    }
    return ($a, $err);
}

# One request of every session in @$list (two with `both`: one through each
# front end), then $check->($session, $answer, $node_before) for what else
# is wrong. Returns the number of bad sessions; prints the first few.
sub round {
    my ($what, $list, $check, %o) = @_;
    my $bad = 0;
    for my $s (@$list) {
        my $err = '';
        for (1 .. ($o{both} ? 2 : 1)) {
            my $before = $s->{node};
            my ($a, $e) = use_session($s);
            $err ||= $e || ($check ? $check->($s, $a, $before) : '');
        }
        next unless $err;
        print "# $what: $s->{user}: $err\n" if ++$bad <= 5;
    }
    return $bad;
}

# Requests that must stay on their node with their cookie.
sub stays {
    my ($s, $a, $before) = @_;
    return $a->{node} ne $before ? "moved from $before to $a->{node}" : defined $a->{set} ? 're-issued' : '';
}

sub per_node {
    my %n = map { $_ => 0 } @nodes;
    $n{ $_->{node} }++ for @_;
    return \%n;
}
sub figures { my ($n) = @_; join ', ', map { "$_ $n->{$_}" } sort keys %$n }
sub check { my ($cond, $name) = @_; ok t_cmp($cond ? 'yes' : 'no', 'yes', $name) }

# $n logins, alternating between the front ends.
sub logins {
    my ($prefix, $n) = @_;
    return grep { defined } map { login("$prefix$_", $_ % 2) } 1 .. $n;
}

sub ox1_pid {
    open my $fh, '<', "$ox1_base/tomcat.pid" or return undef;
    chomp(my $pid = <$fh> // '');
    return $pid;
}

sub start_ox1 {
    # OXB_TOMCAT_SESSION_DB (t/run-apache-tests) gives it the session store.
    return system("$ENV{OXB_TOP}/t/tomcat/oxb-tomcat", 'start', '--base', $ox1_base, '--route', 'OX1',
                  '--ajp-port', $ENV{OXB_TOMCAT_OX1_AJP}, '--http-port', $ENV{OXB_TOMCAT_OX1_HTTP},
                  '--packet-size', 65536) == 0;
}

# Whatever happens, the tests after this one get OX1 back, running and
# active (OXB::ConfigDB's END then removes OXConfigDB, the second front end
# and the database).
my ($killed, $acted) = (0, 0);
END {
    local $?;
    start_ox1() if $killed && system("$ENV{OXB_TOP}/t/tomcat/oxb-tomcat", 'status', '--base', $ox1_base) != 0;
    if ($acted) {
        ctl($db, 'enable', 'tcfront', 'OX1');
        until_true(5, sub { admin_on_both('OX1') eq 'active active' });
    }
}

# ---- controls --------------------------------------------------------------------------------
for my $fe (0, 1) {
    my $a = get($fe, '/oxs/data', '1234567890123456789.OX1');
    ok t_cmp("$a->{code} $a->{text}", qr/^401 login required/, "control: an unknown session gets 401 through $fe_name[$fe]");
}
ok t_cmp(admin_on_both('OX1'), 'active active', 'OX1 active on both front ends');

# ---- 200 users log in ----------------------------------------------------------------------------
my @users = logins('fe', 200);
my $n_before = per_node(@users);
print "# 200 logins (alternating front ends): ", figures($n_before), "\n";
ok t_cmp(scalar @users, 200, '200 users logged in');
check $n_before->{OX1} >= 20 && $n_before->{OX2} >= 20 && $n_before->{OX3} >= 20, 'sessions on OX1, OX2 and OX3';
ok t_cmp(round('first request', \@users, \&stays, both => 1), 0,
         'every session through both front ends: on its own node, data intact');
my @ox1 = grep { $_->{node} eq 'OX1' } @users;
my %ox1_cookie = map { $_->{user} => $_->{cookie} } @ox1;

# ---- drain ---------------------------------------------------------------------------------------
$acted = 1;
($rc, $out) = ctl($db, 'drain', 'tcfront', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl drain tcfront OX1') or print "# $out";
ok t_cmp(applied_on_both('draining', polls_of(@ports)), 1, 'draining on both front ends at the next poll');
ok t_cmp(round('draining', \@users, sub {
    my ($s, $a, $before) = @_;
    return stays(@_) || ($a->{reason} ne 'sticky' ? "reason $a->{reason}" : '');
}, both => 1), 0, "draining: every session (OX1's on OX1) through both front ends, sticky, data intact");
my @late = logins('drain', 30);
my $n = per_node(@late);
print "# 30 logins while OX1 drains: ", figures($n), "\n";
ok t_cmp(scalar @late, 30, 'draining: 30 new logins');
ok t_cmp($n->{OX1}, 0, 'draining: none on OX1 through either front end');
check $n->{OX2} > 0 && $n->{OX3} > 0, 'draining: new sessions on OX2 and OX3';

# ---- disable -------------------------------------------------------------------------------------
($rc, $out) = ctl($db, 'disable', 'tcfront', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl disable tcfront OX1') or print "# $out";
ok t_cmp(applied_on_both('disabled', polls_of(@ports)), 1, 'disabled on both front ends at the next poll');
my (%moved_to, @differ);
my $bad = 0;
for my $s (@users, @late) {
    my $err;
    if ($s->{node} eq 'OX1') {
        my $fe = $s->{next};
        my ($a, $e) = use_session($s, fe => $fe);
        $err = $e || ($a->{node} eq 'OX1' ? 'still on OX1'
                      : ($a->{set} // '') ne "$s->{id}.$a->{node}" ? 'not re-issued with the new route'
                      : $a->{reason} ne 'failover' ? "reason $a->{reason}" : '');
        # The same session's old cookie through the other front end.
        my ($b, $e2) = use_session($s, fe => 1 - $fe, cookie => $ox1_cookie{ $s->{user} });
        $err ||= $e2;
        if (!$err) {
            $moved_to{ $a->{node} }++;
            push @differ, "$s->{user}: $a->{node} through $fe_name[$fe], $b->{node} through $fe_name[1 - $fe]"
                if $a->{node} ne $b->{node};
        }
    } else {
        my $before = $s->{node};
        my ($a, $e) = use_session($s);
        $err = $e || stays($s, $a, $before);
    }
    print "# disabled: $s->{user}: $err\n" if $err && ++$bad <= 5;
}
my $moved = 0;
$moved += $_ for values %moved_to;
print "# OX1 disabled: ", scalar @ox1, " OX1 sessions, $moved moved: ", figures(\%moved_to), "\n";
print "# $_\n" for @differ[0 .. ($#differ < 4 ? $#differ : 4)];
ok t_cmp($bad, 0, 'disabled: every session succeeds, data intact');
ok t_cmp($moved, scalar @ox1, "disabled: every OX1 session moved, re-issued with its new node's route");
ok t_cmp(scalar @differ, 0, 'disabled: the same successor through both front ends (also with the old cookie)');
check +($moved_to{OX2} // 0) > 0 && ($moved_to{OX3} // 0) > 0, 'disabled: successors spread over OX2 and OX3';
ok t_cmp(round('after the move', [@users, @late], \&stays), 0,
         'disabled: the next request of every session sticks to its node, no new cookie');
my @off = logins('off', 30);
push @late, @off;
ok t_cmp(per_node(@off)->{OX1}, 0, 'disabled: no new login on OX1 through either front end');

# ---- OX1 killed -----------------------------------------------------------------------------------
{
    my $pid = ox1_pid();
    $killed = 1;
    kill 'KILL', $pid if $pid;
    until_true(5, sub { !kill 0, $pid });
    check !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{OXB_TOMCAT_OX1_AJP}, Timeout => 2),
        "OX1 is gone (its AJP port refuses)";
}
ok t_cmp(round('OX1 killed', [@users, @late], \&stays, both => 1), 0,
         'OX1 killed: every session through both front ends on its node, data intact');
{
    my ($stale_bad, @stale_differ) = (0);
    for my $s (@ox1) {
        my @where;
        for my $fe (0, 1) {
            my ($a, $err) = use_session($s, fe => $fe, cookie => $ox1_cookie{ $s->{user} });
            $err ||= $a->{node} eq 'OX1' ? 'served by OX1?' : !defined $a->{set} ? 'not re-issued' : '';
            push @where, $a->{node} // '?';
            print "# stale cookie: $s->{user}: $err\n" if $err && ++$stale_bad <= 5;
        }
        push @stale_differ, "$s->{user}: @where" if $where[0] ne $where[1];
    }
    ok t_cmp($stale_bad, 0, "OX1 killed: each OX1 session's old cookie works through both front ends");
    ok t_cmp(join('; ', @stale_differ), '', 'OX1 killed: the old cookie reaches the same node through both');
}

# ---- OX1 back and enabled ----------------------------------------------------------------------------
check start_ox1(), 'OX1 started again';
$killed = 0;
# The first front end probes OX1 (balancer tcprobed; health is the node's).
my $up = until_true(20, sub {
    my ($b) = grep { $_->{name} eq 'tcfront' } @{ frontend_json($ports[0])->{balancers} };
    $b->{members}[0]{health} eq 'up';
});
check defined $up, 'OX1 up again (health on the first front end)';
($rc, $out) = ctl($db, 'enable', 'tcfront', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl enable tcfront OX1') or print "# $out";
ok t_cmp(applied_on_both('active', polls_of(@ports)), 1, 'active on both front ends at the next poll');
$acted = 0;
my @back = logins('back', 30);
my %back_ox1;
$back_ox1{ $_->{login_fe} }++ for grep { $_->{node} eq 'OX1' } @back;
print "# 30 logins after OX1 is back: ", figures(per_node(@back)), "\n";
check $back_ox1{0} && $back_ox1{1}, 'enabled: new sessions on OX1 through both front ends';
ok t_cmp(round('OX1 back', [@users, @late, @back], \&stays), 0, 'enabled: every session stays on its node, data intact');

# ---- figures ------------------------------------------------------------------------------------------
my $miscounted = grep { $_->{counter} != $_->{served} } @users, @late, @back;
ok t_cmp($miscounted, 0, "every session's counter counts each of its requests, across nodes and front ends");
my $failed = 0;
$failed += $status{$_} for grep { $_ != 200 } keys %status;
print "# figures: sessions per node before: ", figures($n_before), "; OX1 sessions moved: $moved (",
    figures(\%moved_to), "); per node at the end: ", figures(per_node(@users)), "; session requests: ",
    join(', ', map { "$_ $status{$_}" } sort keys %status), "; failed $failed; $requests requests in ",
    sprintf('%.1f', time - $t0), " s\n";
ok t_cmp($status{401} // 0, 0, 'nobody was asked to log in again (no 401)');
ok t_cmp($failed, 0, 'no session request failed');

# ---- restore ---------------------------------------------------------------------------------------------
my @log = file_since($fe2->{log}, 0);
ok t_cmp(scalar(grep { /OXB00104: configdb: balancer tcfront member OX1 .*-> disabled.*oxbalancectl/ } @log), 1,
         'the second front end logs the disable once, with who did it');
stop_frontend($fe2);
no_configdb();
stop_db($db);
my ($tcfront_main) = grep { $_->{name} eq 'tcfront' } @{ frontend_json($ports[0])->{balancers} };
ok t_cmp(join(' ', map { $_->{admin} } @{ $tcfront_main->{members} }), 'active active active',
         'without OXConfigDB: every member active on the first front end');
