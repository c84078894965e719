# Sessions survive a drain, end to end: 200 users log in to three real
# Tomcats (OX1..OX3) whose sessions live in a shared MariaDB, as OX keeps
# them with distributed session storage (/oxs/* in the test webapp). Then
# OX1 goes through a rolling update on balancer tcsurvive, through the
# status page: drained (its sessions stay, no new ones), disabled (its
# sessions move to OX2/OX3 and are re-issued with their route, then stick
# there), killed (every session goes on, also with a stale OX1 cookie),
# started and enabled again (new sessions reach it; moved ones stay).
# Every request must succeed with the session's data intact (the counter
# goes on), and nobody may be asked to log in again (401).
#
# Controls, so that the test can fail: an unknown session id and a logged
# out one get 401 through the same path; Tomcat's own (per-node) sessions
# of OX1 are lost on the successor, which is what the shared store prevents.
use strict;
use warnings;
use Apache::Test qw(ok);
use Apache::TestUtil qw(t_cmp);
use IO::Socket::INET ();
use LWP::UserAgent ();
use Time::HiRes qw(time sleep);
use OXB::Test qw(base_url session_store_plan);
use OXB::Status qw(status_url ua page_nonce post_action get_json member_of);

session_store_plan(28);

my $t0 = time;
my $base = base_url() . '/tcsurvive';
my $run = $ENV{OXB_RUN_DIR};
my $ox1_base = "$run/tomcat-OX1";
my @nodes = qw(OX1 OX2 OX3);
# A new connection for every request: one request after another goes
# through whichever httpd child takes it.
my $client = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
my $requests = 0;
my %status;    # of every session request after login (use_session)

# One user's browser: the cookie it holds, what it expects next.
#   { user, cookie => "id.ROUTE", id, created (node), counter, node (where
#     it was served last), served (its data requests that succeeded) }
sub parse {
    my ($r) = @_;
    my %b = ($r->content // '') =~ /(\w+)=(\S+)/g;
    my ($set) = join(',', $r->header('Set-Cookie')) =~ /JSESSIONID=([^;,]*)/;
    my ($reason) = ($r->header('X-OXB-Route') // '') =~ /reason=(\w+)/;
    return { code => $r->code, body => $r->content // '', set => $set, reason => $reason // '-', %b };
}

sub login {
    my ($user) = @_;
    $requests++;
    my $p = parse($client->get("$base/oxs/login?user=$user"));
    return undef unless $p->{code} == 200 && defined $p->{set} && $p->{set} =~ /^(\d+)\.(\w+)$/;
    return { user => $user, cookie => $p->{set}, id => $1, counter => 0, node => $2, created => $2, served => 0 };
}

# The session's next request, as its browser sends it (or with $cookie, a
# stale one). Checks that it succeeds with the session's data and takes a
# re-issued cookie, as a browser does. Returns the parsed answer and an
# error text ('' when all is well).
sub use_session {
    my ($s, $cookie) = @_;
    $requests++;
    my $p = parse($client->get("$base/oxs/data", Cookie => 'JSESSIONID=' . ($cookie // $s->{cookie})));
    my $node = $p->{node} // '-';
    $status{ $p->{code} }++;
    my $err = '';
    if ($p->{code} != 200) {
        $err = "status $p->{code}: $p->{body}";
    } elsif (($p->{user} // '') ne $s->{user} || ($p->{counter} // -1) != $s->{counter} + 1
             || ($p->{created} // '') ne $s->{created}) {
        $err = "data changed: expected user=$s->{user} counter=" . ($s->{counter} + 1) . " created=$s->{created}, got $p->{body}";
    } elsif (defined $p->{set} && $p->{set} ne "$s->{id}.$node") {
        $err = "re-issued as $p->{set} by $node";
    } elsif ($node ne ((defined $p->{set} ? $p->{set} : $cookie // $s->{cookie}) =~ s/^\d+\.//r)) {
        $err = "served by $node but the cookie names another node and was not re-issued";
    }
    if (!$err) {
        $s->{counter} = $p->{counter};
        $s->{cookie} = $p->{set} if defined $p->{set};
        $s->{node} = $node;
        $s->{served}++;
    } elsif ($p->{code} == 200 && ($p->{user} // '') eq $s->{user}) {
        # Served, but not as it should be: the failure is reported once,
        # the next step expects the counter that the store has now.
        $s->{counter} = $p->{counter} // $s->{counter};
    }
    return ($p, $err);
}

# The next request of every session in @$sessions: use_session's checks,
# then $check->($session, $answer, $node_before), which returns what else is
# wrong ('' if nothing). Returns the number of failures; prints the first few.
sub round {
    my ($what, $sessions, $check) = @_;
    my $bad = 0;
    for my $s (@$sessions) {
        my $before = $s->{node};
        my ($p, $err) = use_session($s);
        $err ||= $check->($s, $p, $before) // '';
        next unless $err;
        print "# $what: $s->{user}: $err\n" if ++$bad <= 5;
    }
    return $bad;
}

# ok() of Test.pm compares two arguments; this is a named truth check.
sub check {
    my ($cond, $name) = @_;
    return ok t_cmp($cond ? 'yes' : 'no', 'yes', $name);
}

sub per_node {
    my %n = map { $_ => 0 } @nodes;
    $n{ $_->{node} }++ for @_;
    return \%n;
}

sub figures {
    my ($n) = @_;
    return join ', ', map { "$_ $n->{$_}" } sort keys %$n;
}

# Posts drain/disable/enable for OX1 as the status page's form does; true
# if the page took it and now shows that state.
sub admin_action {
    my ($action) = @_;
    my %state = (drain => 'draining', disable => 'disabled', enable => 'active');
    my $nonce = page_nonce(ua()->get(status_url())->content);
    my $r = post_action(nonce => $nonce, balancer => 'tcsurvive', member => 'OX1', action => $action);
    return $r->code == 200 && member_of(get_json(), 'tcsurvive', 'OX1')->{admin} eq $state{$action};
}

sub ox1_pid {
    open my $fh, '<', "$ox1_base/tomcat.pid" or return undef;
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

sub start_ox1 {
    # OXB_TOMCAT_SESSION_DB (from t/run-apache-tests) gives it the store.
    system("$ENV{OXB_TOP}/t/tomcat/oxb-tomcat", 'start', '--base', $ox1_base, '--route', 'OX1',
           '--ajp-port', $ENV{OXB_TOMCAT_OX1_AJP}, '--http-port', $ENV{OXB_TOMCAT_OX1_HTTP},
           '--packet-size', 65536) == 0;
}

# Whatever happens, the tests after this one get OX1 back, enabled.
my ($killed, $acted) = (0, 0);
END {
    local $?;    # the test's exit status
    if ($killed && system("$ENV{OXB_TOP}/t/tomcat/oxb-tomcat", 'status', '--base', $ox1_base) != 0) {
        start_ox1();
    }
    eval { admin_action('enable') } if $acted;
}

# --- Before: the store answers, and it really can say "log in again".
{
    my $p = parse($client->get("$base/oxs/data", Cookie => 'JSESSIONID=1234567890123456789.OX1'));
    ok t_cmp("$p->{code} $p->{body}", qr/^401 login required/, 'control: an unknown session id gets 401');
    my $s = login('leaver');
    my $out = $s && $client->get("$base/oxs/logout", Cookie => "JSESSIONID=$s->{cookie}")->content;
    my $after = $s && parse($client->get("$base/oxs/data", Cookie => "JSESSIONID=$s->{cookie}"));
    ok t_cmp($after && "$after->{code} $out", "401 logged out\n", 'control: a logged-out session gets 401');
}

# --- 200 users log in; each node gets some.
my @users;
{
    my $failed = 0;
    for my $i (1 .. 200) {
        my $s = login(sprintf 'user%03d', $i);
        $s ? push @users, $s : $failed++;
    }
    my $n = per_node(@users);
    print "# 200 logins: ", figures($n), "\n";
    ok t_cmp($failed, 0, '200 users logged in');
    check $n->{OX1} >= 20 && $n->{OX2} >= 20 && $n->{OX3} >= 20, 'new sessions spread over OX1, OX2 and OX3';
    my $bad = round('first request', \@users, sub {
        my ($s, $p, $before) = @_;
        return $p->{node} ne $before ? "served by $p->{node}" : defined $p->{set} ? 're-issued' : '';
    });
    ok t_cmp($bad, 0, "every session's first request on its own node, counter 1");
}
my @ox1 = grep { $_->{node} eq 'OX1' } @users;
my %ox1_cookie = map { $_->{user} => $_->{cookie} } @ox1;
my $n_before = per_node(@users);

# Tomcat's own sessions on OX1 (per node, in memory): the control for what
# happens to a session without the shared store.
my @native;
{
    my $ua = LWP::UserAgent->new(keep_alive => 0);
    for (1 .. 30) {
        my $r = $ua->get("$base/login");
        my ($id) = join(',', $r->header('Set-Cookie')) =~ /JSESSIONID=([^;,]+\.OX1)\b/;
        push @native, $id if $id;
        last if @native == 3;
    }
}

# --- Drain OX1: every session stays where it is; no new session on OX1.
my @late;
{
    $acted = 1;
    check admin_action('drain'), 'OX1 draining (status page)';
    my $bad = round('draining', \@users, sub {
        my ($s, $p, $before) = @_;
        return $p->{node} ne $before ? "moved from $before to $p->{node}"
             : defined $p->{set} ? 're-issued' : $p->{reason} ne 'sticky' ? "reason $p->{reason}" : '';
    });
    ok t_cmp($bad, 0, 'draining: every session served by its node (OX1 ones on OX1), data intact');
    my @new = grep { defined } map { login("late$_") } 1 .. 30;
    my $n = per_node(@new);
    print "# 30 logins while OX1 drains: ", figures($n), "\n";
    ok t_cmp(scalar @new, 30, 'draining: 30 new logins');
    ok t_cmp($n->{OX1}, 0, 'draining: none on OX1');
    check $n->{OX2} > 0 && $n->{OX3} > 0, 'draining: new sessions on OX2 and OX3';
    push @late, @new;
}

# --- Disable OX1: its sessions move, are re-issued, and stick to their new node.
my %moved_to;
{
    check admin_action('disable'), 'OX1 disabled (status page)';
    my $bad = round('disabled', [@users, @late], sub {
        my ($s, $p, $before) = @_;
        if ($before eq 'OX1') {
            return "still on OX1" if $p->{node} eq 'OX1';
            return "not re-issued" unless defined $p->{set} && $p->{set} eq "$s->{id}.$p->{node}";
            return "reason $p->{reason}" unless $p->{reason} eq 'failover';
            $moved_to{ $p->{node} }++;
            return '';
        }
        return $p->{node} ne $before ? "moved from $before to $p->{node}" : defined $p->{set} ? 're-issued' : '';
    });
    my $moved = 0;
    $moved += $_ for values %moved_to;
    print "# OX1 disabled: ", scalar(@ox1), " OX1 sessions, $moved moved: ", figures(\%moved_to), "\n";
    ok t_cmp($bad, 0, 'disabled: every session succeeds, data intact');
    ok t_cmp($moved, scalar @ox1, "disabled: all OX1 sessions moved, re-issued with their new node's route");
    check +($moved_to{OX2} // 0) > 0 && ($moved_to{OX3} // 0) > 0, 'disabled: OX1 sessions spread over OX2 and OX3';
    my $bad2 = round('after the move', [@ox1], sub {
        my ($s, $p, $before) = @_;
        return $p->{node} ne $before ? "moved on from $before to $p->{node}"
             : defined $p->{set} ? 're-issued again' : $p->{reason} ne 'sticky' ? "reason $p->{reason}" : '';
    });
    ok t_cmp($bad2, 0, 'disabled: the next request sticks to the new node (reason=sticky, no new cookie)');
    my $lost = 0;
    for my $id (@native) {
        my %w = $client->get("$base/whoami", Cookie => "JSESSIONID=$id")->content =~ /(\w+)=(\S+)/g;
        $lost++ if ($w{route} // 'OX1') ne 'OX1' && ($w{valid} // '') eq 'false';
    }
    print "# Tomcat's own OX1 sessions lost on the successor: $lost of ", scalar(@native), "\n";
    check @native && $lost == @native, "control: Tomcat's own OX1 sessions are lost on the successor";
    my @new = grep { defined } map { login("off$_") } 1 .. 30;
    ok t_cmp(per_node(@new)->{OX1}, 0, 'disabled: no new login on OX1');
    push @late, @new;
}

# --- OX1 goes away (killed): nobody notices.
{
    my $pid = ox1_pid();
    $killed = 1;
    kill 'KILL', $pid if $pid;
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.05 }
    check !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{OXB_TOMCAT_OX1_HTTP}, Timeout => 2),
        'OX1 is gone (its port refuses)';
    my @all = (@users, @late);
    my $bad = round('OX1 stopped', \@all, sub {
        my ($s, $p, $before) = @_;
        return $p->{node} ne $before ? "moved from $before to $p->{node}" : '';
    });
    ok t_cmp($bad, 0, 'OX1 stopped: every session succeeds on its node, data intact');
    # A stale cookie naming OX1 (a second tab, or a front end that missed
    # the re-issue): served elsewhere, re-issued again, data intact.
    my $stale_bad = 0;
    for my $s (@ox1) {
        my ($p, $err) = use_session($s, $ox1_cookie{ $s->{user} });
        $err ||= $p->{node} eq 'OX1' ? 'served by OX1?' : !defined $p->{set} ? 'not re-issued' : '';
        $stale_bad++ if $err;
        print "# stale cookie: $s->{user}: $err\n" if $err && $stale_bad <= 5;
    }
    ok t_cmp($stale_bad, 0, "OX1 stopped: each OX1 session's old cookie still works, on another node");
    my $health = member_of(get_json(), 'tcsurvive', 'OX1')->{health};
    print "# OX1's health as the balancer sees it now: $health\n";
}

# --- OX1 is back and enabled: new sessions reach it; moved ones stay put.
{
    check start_ox1(), 'OX1 started again';
    $killed = 0;
    # OX1's health is its node's, probed by tcprobed: wait until it is up.
    my $up = 0;
    for (1 .. 100) {
        last if $up = member_of(get_json(), 'tcsurvive', 'OX1')->{health} eq 'up';
        sleep 0.1;
    }
    check $up, 'OX1 up again (health)';
    check admin_action('enable'), 'OX1 enabled (status page)';
    my @new = grep { defined } map { login("back$_") } 1 .. 30;
    my $n = per_node(@new);
    print "# 30 logins after OX1 is back: ", figures($n), "\n";
    check $n->{OX1} > 0, 'enabled: new sessions on OX1 again';
    my $bad = round('OX1 back', [@users, @late, @new], sub {
        my ($s, $p, $before) = @_;
        return $p->{node} ne $before ? "moved from $before to $p->{node}" : defined $p->{set} ? 're-issued' : '';
    });
    ok t_cmp($bad, 0, 'enabled: every session stays on its node, data intact');
    my $n_after = per_node(@users);
    # use_session checked each step; this checks the sum, and that every
    # one of the 200 went through all five rounds.
    my $miscounted = grep { $_->{counter} != $_->{served} } @users, @late;
    $miscounted += grep { $_->{served} < 5 } @users;
    ok t_cmp($miscounted, 0, "every session's counter counts each of its requests, across all nodes");
    my $failed = 0;
    $failed += $status{$_} for grep { $_ != 200 } keys %status;
    print "# figures: sessions per node before: ", figures($n_before), "; OX1 sessions moved: ", scalar @ox1,
        " (", figures(\%moved_to), "); per node at the end: ", figures($n_after),
        "; session requests: ", join(', ', map { "$_ $status{$_}" } sort keys %status),
        "; failed $failed; $requests requests in ", sprintf('%.1f', time - $t0), "s\n";
    ok t_cmp($status{401} // 0, 0, 'nobody was asked to log in again (no 401)');
    ok t_cmp($failed, 0, 'no session request failed');
}
