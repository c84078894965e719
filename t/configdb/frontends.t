# Two front ends on one configdb: the Apache::Test httpd (OXConfigDB added by
# a graceful restart) and a second httpd this test starts with its own
# configuration, both with the balancer cdb (OX1, OX2 and OX3, which is the
# BIG test server). poll=1: a change made with oxbalancectl, or on one front
# end's status page, is in force on both at the next poll.
#   drain OX1:   no new sessions on OX1 through either; OX1's sessions still reach OX1
#   disable OX1: each OX1 session reaches the same successor through either, spread over the others
#   enable OX1:  back
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time);
use OXB::Test qw(error_log_mark error_log_since);
use OXB::Status qw(status_url page_nonce post_action ua);
use OXB::ConfigDB qw(start_db ctl configdb_line use_configdb no_configdb start_frontend stop_frontend
                     frontend_json main_json until_true new_backends backend_of file_since polls_of
                     applied_on_all admin_in db_query);

plan tests => 56;

my $main = Apache::Test::config()->{vars}{port};
my $db = start_db();
my ($rc, $out) = ctl($db, 'init-schema');
ok t_cmp($rc, 0, 'init-schema') or print "# $out";

my $since_ms = int(time * 1000);
my $fe2 = start_frontend(extra => configdb_line($db));
my $mark = use_configdb($db);
my @ports = ($main, $fe2->{port});

# Whether every front end on PORTS shows ROUTE in STATE, at most 3 polls
# after POLLS.
sub admin_applied {
    my ($route, $state, $ports, @polls) = @_;
    return applied_on_all("$route $state", $ports, \@polls, sub { admin_in($_[0], 'cdb', $route) eq $state });
}

sub admin_everywhere {
    my ($route) = @_;
    return join ' ', map { admin_in(frontend_json($_), 'cdb', $route) } @ports;
}

# Both front ends have read the configdb.
for my $p (@ports) {
    my $t = until_true(10, sub { frontend_json($p)->{configdb}{state} eq 'up' });
    ok defined $t or print "# front end on $p never read the configdb\n";
}
ok t_cmp(admin_everywhere('OX1'), 'active active', 'OX1 active on both');

# ---- each front end announces the members it serves ------------------------------------
# As host:ServerRoot; oxbalancectl checks a change's route against them.
sub announced_cdb {
    my %by;
    for (split /\n/, db_query($db, "SELECT frontend, route FROM oxbalance_frontend_member WHERE balancer = 'cdb' "
                                    . "ORDER BY frontend, route")) {
        my ($fe, $route) = split /\t/;
        $by{$fe} .= ($by{$fe} ? ',' : '') . $route;
    }
    return \%by;
}
# (The main server announces its 100-odd members a statement each: under
# the sanitizers on a loaded machine that takes seconds.)
until_true(30, sub { my $a = announced_cdb(); keys %$a == 2 && !grep { $_ ne 'OX1,OX2,OX3' } values %$a });
my $ann = announced_cdb();
ok t_cmp(join(' ', map { $ann->{$_} } sort keys %$ann), 'OX1,OX2,OX3 OX1,OX2,OX3',
         'both front ends announced cdb\'s routes') or print "# ", join('; ', map { "$_ => $ann->{$_}" } keys %$ann), "\n";
ok t_cmp(scalar(grep { /:\Q$fe2->{dir}\E$/ } keys %$ann), 1, 'a front end is its host and ServerRoot');
# Each front end's status says it announced, under that name, how many:
# this database's announcement (an earlier test's may still show: a
# graceful restart keeps the block), once its rows are all written.
for my $p (@ports) {
    my ($a, $rows);
    until_true(30, sub {
        $a = frontend_json($p)->{configdb}{announcement};
        $rows = db_query($db, "SELECT COUNT(*) FROM oxbalance_frontend_member WHERE frontend = '$a->{frontend}'");
        chomp $rows;
        ($a->{last_ms} // 0) >= $since_ms && $a->{members} == $rows;
    });
    ok $a->{ok} && ($a->{last_ms} // 0) >= $since_ms && !defined $a->{failing_since} && $a->{members} == $rows
        or print "# $p: ", join(', ', map { "$_=" . ($a->{$_} // 'null') } sort keys %$a), "; rows $rows\n";
}
ok t_cmp(frontend_json($fe2->{port})->{configdb}{announcement}{frontend}, qr/:\Q$fe2->{dir}\E$/,
         'the second front end\'s status names it as it announced');

($rc, $out) = ctl($db, 'drain', 'cdb', 'OX4');
ok t_cmp($rc, 3, 'drain of a route no front end serves: exit 3') or print "# $out";
ok $out =~ /no front end serves route 'OX4' in balancer 'cdb' \(its routes: OX1, OX2, OX3\); nothing written \(2 front ends/
    or print "# $out";
ok t_cmp(db_query($db, "SELECT COUNT(*) FROM oxbalance_member_state WHERE route = 'OX4'"), "0\n", '... and nothing written');
($rc, $out) = ctl($db, 'drain', 'cbd', 'OX1');
ok t_cmp($rc, 3, 'a balancer no front end has: exit 3') or print "# $out";
ok $out =~ /no front end serves a balancer 'cbd' \(balancers: [^)]*\bcdb\b/ or print "# $out";
($rc, $out) = ctl($db, 'loadfactor', 'cdb', 'ox1', '5');
ok t_cmp($rc, 3, 'routes are matched as written (ox1 is not OX1)') or print "# $out";
# (--force: t/configdb/run; here the front ends would log the row, OXB00103.)
ok t_cmp(new_backends($_, 6), 'BIG=2,OX1=2,OX2=2', "new sessions on $_ go everywhere") for @ports;

# ---- drain -------------------------------------------------------------------------
($rc, $out) = ctl($db, 'drain', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl drain cdb OX1') or print "# $out";
ok t_cmp(admin_applied('OX1', 'draining', \@ports, polls_of(@ports)), 1, 'OX1 draining on both at the next poll');
for my $p (@ports) {
    ok t_cmp(new_backends($p, 6), 'BIG=3,OX2=3', "drained: no new session on OX1 through $p");
    ok t_cmp(backend_of($p, "d$_.OX1"), 'OX1', "drained: session $_ of OX1 still reaches OX1 through $p") for 1 .. 2;
}

# ---- disable -------------------------------------------------------------------------
($rc, $out) = ctl($db, 'disable', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl disable cdb OX1') or print "# $out";
ok t_cmp(admin_applied('OX1', 'disabled', \@ports, polls_of(@ports)), 1, 'OX1 disabled on both at the next poll');
my (%successor, @differ);
for my $i (1 .. 16) {
    my @where = map { backend_of($_, "s${i}x.OX1") } @ports;
    push @differ, "s${i}x: @where" if $where[0] ne $where[1];
    $successor{ $where[0] }++;
}
ok t_cmp(join('; ', @differ), '', 'each OX1 session has the same successor through both front ends');
ok t_cmp(join(',', sort keys %successor), 'BIG,OX2', 'successors spread over the other members, never OX1');

# ---- enable --------------------------------------------------------------------------
($rc, $out) = ctl($db, 'enable', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl enable cdb OX1') or print "# $out";
ok t_cmp(admin_applied('OX1', 'active', \@ports, polls_of(@ports)), 1, 'OX1 active on both at the next poll');
ok t_cmp(backend_of($_, 's1x.OX1'), 'OX1', "enabled: OX1's sessions are back on OX1 through $_") for @ports;
ok t_cmp(new_backends($_, 6), 'BIG=2,OX1=2,OX2=2', "enabled: new sessions on $_ everywhere again") for @ports;

# ---- forget: the row removed, every front end back to its configuration ---------------
($rc, $out) = ctl($db, 'drain', 'cdb', 'OX3');
ok t_cmp(admin_applied('OX3', 'draining', \@ports, polls_of(@ports)), 1, 'OX3 draining on both');
($rc, $out) = ctl($db, 'forget', 'cdb', 'OX3');
ok t_cmp($rc, 0, 'oxbalancectl forget cdb OX3') or print "# $out";
ok t_cmp(admin_applied('OX3', 'active', \@ports, polls_of(@ports)), 1, 'OX3 as configured (active) on both at the next poll');

# ---- a status page action on one front end, seen by the other -------------------------
my $url2 = status_url($fe2->{port});
my $nonce = page_nonce(ua()->get($url2)->content);
my @polls = polls_of(@ports);
my $r = post_action(url => $url2, nonce => $nonce, balancer => 'cdb', member => 'OX2', action => 'drain');
ok t_cmp($r->code, 200, 'drain OX2 on the second front end\'s page');
ok $r->content =~ /active -&gt; draining; written to the configdb/ or print "# ", $r->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
ok t_cmp(admin_applied('OX2', 'draining', \@ports, @polls), 1, 'OX2 draining on both at the next poll');
ok t_cmp(new_backends($main, 4), 'BIG=2,OX1=2', 'the first front end gives OX2 no new session');
($rc, $out) = ctl($db, 'history', 'cdb', 'OX2', '--json');
ok $out =~ /"changed_by_tool":"status-page"/ && $out =~ /"changed_by_client":"127\.0\.0\.1"/ && $out =~ /"new_admin_state":"draining"/ or print "# $out\n";

# And back, on the first front end's page.
$nonce = page_nonce(ua()->get(status_url())->content);
@polls = polls_of(@ports);
$r = post_action(nonce => $nonce, balancer => 'cdb', member => 'OX2', action => 'enable');
ok t_cmp($r->code, 200, 'enable OX2 on the first front end\'s page');
ok t_cmp(admin_applied('OX2', 'active', \@ports, @polls), 1, 'OX2 active on both at the next poll');

# A load factor set on a page reaches the other front end too.
@polls = polls_of($fe2->{port});
$r = post_action(nonce => $nonce, balancer => 'cdb', member => 'OX3', action => 'loadfactor', loadfactor => 9);
ok t_cmp($r->code, 200, 'load factor 9 for OX3');
ok t_cmp(applied_on_all('load factor 9 on the second front end', [$fe2->{port}], \@polls, sub {
    my ($b) = grep { $_->{name} eq 'cdb' } @{ $_[0]{balancers} };
    $b->{members}[2]{loadfactor} == 9;
}), 1, 'the load factor on the second front end at its next poll');
# 0: back to the configured value, everywhere.
($rc, $out) = ctl($db, 'loadfactor', 'cdb', 'OX3', '0');
my $t = until_true(5, sub {
    my ($b) = grep { $_->{name} eq 'cdb' } @{ frontend_json($fe2->{port})->{balancers} };
    $b->{members}[2]{loadfactor} == 1;
});
ok defined $t or print "# loadfactor 0 never gave the configured value back\n";

# ---- the logs --------------------------------------------------------------------------
my @main_log = error_log_since($mark);
my @fe2_log = file_since($fe2->{log}, 0);
ok t_cmp(scalar(grep { /OXB0010[15]/ } @main_log, @fe2_log), 0, 'no outage, no failed write');
ok t_cmp(scalar(grep { /OXB00104: configdb: balancer cdb member OX1 .*active -> draining.*oxbalancectl/ } @fe2_log), 1,
         'the second front end logs the drain once, with who did it');
ok !grep { /\Q$db->{password}\E/ } @main_log, @fe2_log;

# ---- a front end that may read the configdb but not announce -------------------------
# (a GRANT of SELECT only: the states are read, the announcement is refused)
my $fe3 = start_frontend(extra => configdb_line($db, user => 'oxreader'));
my $failing;
until_true(15, sub { $failing = frontend_json($fe3->{port})->{configdb}; $failing->{announcement}{failing_since} });
ok t_cmp($failing->{state}, 'up', 'a reader that cannot announce reads the configdb all the same');
ok !$failing->{announcement}{ok} && $failing->{announcement}{error} =~ /command denied/
    or print "# ", ($failing->{announcement}{error} // 'no error'), "\n";
ok ua()->get(status_url($fe3->{port}))->content =~ /class="note announce-error">This front end .* cannot announce its members since/
    or print "# the page does not say that it cannot announce\n";
ok ua()->get(status_url($fe3->{port}) . '?metrics')->content =~ /^oxbalance_configdb_announcement_ok 0$/m;
ok t_cmp(scalar(grep { /OXB00122: configdb: cannot announce this front end's members \(.*command denied/ }
                file_since($fe3->{log}, 0)), 1, 'said once in its error log');
stop_frontend($fe3);

stop_frontend($fe2);
no_configdb();
