# A read replica, at module level: the Apache::Test httpd with OXConfigDB
# on an OX-style configdb.properties whose readUrl and writeUrl name two
# private MariaDB servers (each with its own password). They do not
# replicate, so each holds a state of its own and the routing is visible:
#   read host:  cdb OX1 draining     write host: cdb OX1 disabled
# - the read host's state is in force (status page JSON, and new sessions
#   and OX1's sessions behave as for a drain, not a disable);
# - a status page action is written to the write host only (its row and
#   history row there, nothing on the read host); the next read, from the
#   read host, does not have it;
# - the read host stopped: at the next poll the write host's state is in
#   force. It is no outage (the status page and ?json say "up", no failed
#   poll), but it is said: OXB00110 once, naming the read host, and the
#   page's last error; OXB00104 for each member whose state differs on the
#   write host; OXB00111 once when the read host answers again;
# - control: with the write host stopped too it is an outage, logged once,
#   naming both hosts; the write host back, its state is read again;
# - the read host back: its state is in force again.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::Test qw(error_log_mark error_log_since);
use OXB::Status qw(status_url page_nonce post_action ua);
use OXB::ConfigDB qw(start_db stop_db restart_db db_query ctl use_configdb no_configdb main_json until_true
                     new_backends backend_of polls_of applied_on_all admin_in);

plan tests => 43;

my $main = Apache::Test::config()->{vars}{port};
my $read = start_db();
my $write = start_db();
for my $db ($read, $write) {
    my ($rc, $out) = ctl($db, 'init-schema');
    ok t_cmp($rc, 0, "init-schema on 127.0.0.1:$db->{port}") or print "# $out";
}

sub admin_of { my ($route, $doc) = @_; return admin_in($doc // main_json(), 'cdb', $route) }
sub admins { my ($doc) = @_; join ' ', map { "$_=" . admin_of($_, $doc) } qw(OX1 OX2 OX3) }
sub configdb { main_json()->{configdb} }
sub count { my ($re, @lines) = @_; return scalar grep { $_ =~ $re } @lines }
sub rows_of {
    my ($db, $route) = @_;
    my $state = db_query($db, "SELECT CONCAT(COALESCE(admin_state, '-'), '/', changed_by_tool) FROM oxbalance_member_state"
        . " WHERE balancer = 'cdb' AND route = '$route'");
    my $history = db_query($db, "SELECT COUNT(*) FROM oxbalance_member_state_history WHERE balancer = 'cdb' AND route = '$route'");
    chomp($state, $history);
    return "state=" . ($state eq '' ? 'none' : $state) . " history=$history";
}

# A different state on each server.
my ($rc, $out) = ctl($read, 'drain', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'read host: drain cdb OX1') or print "# $out";
($rc, $out) = ctl($write, 'disable', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'write host: disable cdb OX1') or print "# $out";

my $props = "$read->{top}/configdb.properties";
open my $fh, '>', $props or die "$props: $!";
print $fh <<"PROPS";
# configdb.properties as OX writes it: a replica to read, the primary to write
readUrl=jdbc:mysql://127.0.0.1:$read->{port}/configdb
readProperty.1=user=$read->{user}
readProperty.2=password=$read->{password}
writeUrl=jdbc:mysql://127.0.0.1:$write->{port}/configdb?useSSL=false
writeProperty.1=user=$write->{user}
writeProperty.2=password=$write->{password}
PROPS
close $fh;
my $start_mark = use_configdb(undef, line => "OXConfigDB $props poll=1\n");

# ---- reads go to the read host -----------------------------------------------------------
ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# never up: ", configdb()->{last_error} // '', "\n";
my $c = configdb();
ok t_cmp("$c->{read_host} $c->{write_host}", "127.0.0.1:$read->{port}/configdb 127.0.0.1:$write->{port}/configdb",
         'the status page names both hosts from the properties file');
ok defined until_true(5, sub { admin_of('OX1') eq 'draining' }) or print "# OX1 is ", admin_of('OX1'), "\n";
ok t_cmp(admins(), 'OX1=draining OX2=active OX3=active', "the read host's state is in force, not the write host's");
ok t_cmp(new_backends($main, 4), 'BIG=2,OX2=2', 'drained (read host): no new session on OX1');
ok t_cmp(backend_of($main, 'r1.OX1'), 'OX1', "drained, not disabled: OX1's sessions still reach OX1");

# ---- a status page action goes to the write host -----------------------------------------
my $before_read = rows_of($read, 'OX2');
my @polls = polls_of($main);
my $nonce = page_nonce(ua()->get(status_url())->content);
my $r = post_action(nonce => $nonce, balancer => 'cdb', member => 'OX2', action => 'drain');
ok t_cmp($r->code, 200, 'drain OX2 on the status page');
ok $r->content =~ /active -&gt; draining; written to the configdb/ or print "# ", $r->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
ok t_cmp(rows_of($write, 'OX2'), 'state=draining/status-page history=1', 'the write host has the row and its history row');
ok t_cmp(rows_of($read, 'OX2'), 'state=none history=0', 'the read host has neither');
ok t_cmp($before_read, 'state=none history=0');
ok t_cmp(db_query($read, 'SELECT COUNT(*) FROM oxbalance_member_state_history'), "1\n",
         "the read host's history: only its own drain of OX1");
# No replication here: the next read, from the read host, has no row for
# OX2, so the configured value is back in force.
ok t_cmp(applied_on_all("OX2 back to the read host's value", [$main], \@polls, sub { admin_of('OX2', $_[0]) eq 'active' }),
         1, "the read host's value in force at the next poll");

# ---- the read host stops: reads fall back to the write host --------------------------------
my $polls = configdb()->{polls};
my $failures = configdb()->{poll_failures};
# The block in shared memory outlives a graceful restart: last_error may
# hold an earlier test's error; it must not change.
my $error_time = configdb()->{last_error_time_ms};
my $mark = error_log_mark();
stop_db($read);
ok t_cmp(applied_on_all("read host stopped: the write host's state", [$main], [$polls],
                        sub { admins($_[0]) eq 'OX1=disabled OX2=draining OX3=active' }),
         1, "the read host stopped: the write host's state in force at the next poll") or print "# now: ", admins(), "\n";
ok t_cmp(backend_of($main, 'r1.OX1'), qr/^(OX2|BIG)$/, "disabled (write host): OX1's sessions go to a successor");
ok t_cmp(new_backends($main, 4), 'BIG=4', 'new sessions avoid OX1 (disabled) and OX2 (draining)');
# A few polls more: not an outage at any of them.
my $outage_seen = 0;
until_true(3, sub { $outage_seen ||= configdb()->{state} eq 'up' ? 0 : 1; 0 });
ok t_cmp($outage_seen, 0, 'a fallback is no outage: the state stays "up"');
$c = configdb();
ok $c->{polls} >= $polls + 3 or print "# polls $polls -> $c->{polls}\n";
ok t_cmp($c->{poll_failures}, $failures, 'no failed poll counted');
ok $c->{last_error_time_ms} > ($error_time // 0) or print "# no error recorded for the read host\n";
ok +($c->{last_error} // '') =~ /^read host: .*:$read->{port}\b/ or print "# $c->{last_error}\n";
my @log = error_log_since($mark);
ok t_cmp(count(qr/OXB0010[1235]/, @log), 0, 'no outage, recovery or failed write logged');
ok t_cmp(count(qr/OXB00110: configdb: the read host fails .*:$read->{port}\b.*reading from the write host/, @log), 1,
         'the fallback is logged once, naming the read host');
# What is logged: the members whose state differs on the write host, once
# each, as changes (with who made them there), nothing about the read host.
ok t_cmp(join('', map { /OXB00104: configdb: balancer cdb member (OX\d) .*: (admin state \w+ -> \w+) \(set by .* with (\S+)\)/
                            ? "$1 $2 ($3); " : () } @log),
         'OX1 admin state draining -> disabled (oxbalancectl); OX2 admin state active -> draining (status-page); ',
         'the changes are logged once each, as the write host has them');
ok t_cmp(count(qr/\b$read->{port}\b/, @log), 1, 'the read host is named once');

# ---- control: the write host stops too: an outage, naming both ------------------------------
$mark = error_log_mark();
stop_db($write);
ok defined until_true(10, sub { configdb()->{state} eq 'outage' }) or print "# no outage with both hosts down\n";
$c = configdb();
ok $c->{last_error} =~ /configdb read host 127\.0\.0\.1:$read->{port}: cannot connect/
    && $c->{last_error} =~ /configdb write host 127\.0\.0\.1:$write->{port}: cannot connect/ or print "# $c->{last_error}\n";
ok t_cmp(admins(), 'OX1=disabled OX2=draining OX3=active', 'the last state read stays in force');
restart_db($write);
ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# not up with the write host back\n";
@log = error_log_since($mark);
ok t_cmp(count(qr/OXB00101: configdb: cannot read the member states: configdb read host .*configdb write host/, @log), 1,
         'the outage is logged once, naming both hosts');
ok t_cmp(count(qr/OXB00102/, @log), 1, 'its end is logged once');
ok t_cmp(admins(), 'OX1=disabled OX2=draining OX3=active', 'read from the write host again');

# ---- the read host is back: its state again -------------------------------------------------
$mark = error_log_mark();
restart_db($read);
my $t = until_true(10, sub { admins() eq 'OX1=draining OX2=active OX3=active' });
ok defined $t or print "# the read host's state never came back: ", admins(), "\n";
ok t_cmp(count(qr/OXB00111: configdb: the read host answers again/, error_log_since($mark)), 1, 'its return is logged once');
print "# read host started again: its state in force after ", sprintf('%.2f', $t // -1), " s\n";
ok t_cmp(new_backends($main, 4), 'BIG=2,OX2=2', 'drained again (read host): no new session on OX1, OX2 takes them');

# ---- restore: everything active, no OXConfigDB -----------------------------------------------
($rc, $out) = ctl($read, 'enable', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'read host: enable cdb OX1') or print "# $out";
ok defined until_true(5, sub { admins() eq 'OX1=active OX2=active OX3=active' }) or print "# ", admins(), "\n";
@log = error_log_since($start_mark);
ok !grep { /\Q$read->{password}\E|\Q$write->{password}\E/ } @log;
no_configdb();
stop_db($_) for $read, $write;
ok t_cmp(new_backends($main, 6), 'BIG=2,OX1=2,OX2=2', 'without OXConfigDB: every member active');
