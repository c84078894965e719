# The configdb down, and bad input. The Apache::Test httpd with OXConfigDB
# (poll=1) on a private MariaDB:
# - stopped: requests go on with the last state read; the status page (HTML,
#   JSON, metrics) shows the outage and the data's age; the error log says
#   so once; a page action is in force here and says it was not written;
# - started again: polling resumes, a change made with oxbalancectl applies,
#   the end of the outage is logged once;
# - a wrong password, a missing table (create=off), rows for an unknown
#   route or balancer: a clear message once each, no crash, requests served;
# - a malformed configdb.properties, and other OXConfigDB mistakes, fail
#   configtest naming the line.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);
use OXB::Test qw(error_log_mark error_log_since server_pid);
use OXB::Status qw(status_url page_nonce post_action ua);
use OXB::ConfigDB qw(start_db stop_db restart_db db_sql ctl use_configdb no_configdb main_json until_true
                     new_backends backend_of);

plan tests => 58;

my $main = Apache::Test::config()->{vars}{port};
my $db = start_db();
my ($rc, $out) = ctl($db, 'init-schema');
ok t_cmp($rc, 0, 'init-schema') or print "# $out";
my $mark = use_configdb($db);

sub cdb_member {
    my ($route, $doc) = @_;
    $doc //= main_json();
    my ($b) = grep { $_->{name} eq 'cdb' } @{ $doc->{balancers} };
    my ($m) = grep { ($_->{route} // '') eq $route } @{ $b->{members} };
    return $m;
}
sub admin_of { cdb_member($_[0])->{admin} }
sub configdb { main_json()->{configdb} }
sub count { my ($re, @lines) = @_; return scalar grep { $_ =~ $re } @lines }
sub served { return ua()->get("http://127.0.0.1:$main/cdb/echo")->code }

ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# never up\n";
($rc, $out) = ctl($db, 'drain', 'cdb', 'OX1');
ok defined until_true(5, sub { admin_of('OX1') eq 'draining' }) or print "# never draining\n";
# OXStateFile is the local cache of what was read: a start while the
# configdb is down begins from it.
my $state_file = "$ENV{OXB_RUN_DIR}/state/oxbalance.state";
ok defined until_true(5, sub {
    open my $fh, '<', $state_file or return 0;
    local $/;
    <$fh> =~ /^member cdb ajp:\/\/127\.0\.0\.1:$ENV{OXB_AJP1_PORT} admin=draining /m;
}) or print "# the state file does not have OX1 draining\n";

# ---- the database stops --------------------------------------------------------------
$mark = error_log_mark();
stop_db($db);
ok defined until_true(10, sub { configdb()->{state} eq 'outage' }) or print "# no outage shown\n";
my $c = configdb();
ok !$c->{up};
ok defined $c->{outage_since} && defined $c->{last_success};
ok $c->{data_age_seconds} >= 0 && $c->{data_age_seconds} < 30 or print "# age $c->{data_age_seconds}\n";
ok $c->{last_error} =~ /configdb \w+ host 127\.0\.0\.1:$db->{port}: cannot connect/ or print "# $c->{last_error}\n";
my $html = ua()->get(status_url())->content;
ok $html =~ /<p id="configdb" class="configdb configdb-outage" data-state="outage">/;
ok $html =~ /The configdb cannot be read since <time/ && $html =~ /class="data-age" data-value="\d+"/;
my $metrics = ua()->get(status_url() . '?metrics')->content;
ok $metrics =~ /^oxbalance_configdb_up 0$/m;
ok $metrics =~ /^oxbalance_configdb_last_success_timestamp_seconds \d+\.\d{3}$/m;
ok $metrics =~ /^# TYPE oxbalance_configdb_up gauge$/m && $metrics =~ /^# TYPE oxbalance_configdb_polls_total counter$/m;

# Traffic goes on with the last state: OX1 still draining.
ok t_cmp(new_backends($main, 4), 'BIG=2,OX2=2', 'outage: new sessions avoid the draining OX1');
ok t_cmp(backend_of($main, 'o1.OX1'), 'OX1', "outage: OX1's sessions still reach it");

# A page action: in force here, not written, said so once.
my $nonce = page_nonce(ua()->get(status_url())->content);
my $t0 = time;
my $r = post_action(nonce => $nonce, balancer => 'cdb', member => 'OX2', action => 'drain');
ok t_cmp($r->code, 200, 'outage: drain OX2 on the page');
ok time - $t0 <= 3 or print "# the page took ", time - $t0, " s\n";
ok $r->content =~ /NOT written to the configdb/ or print "# ", $r->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
ok t_cmp(admin_of('OX2'), 'draining', 'in force on this front end');

# Several failed polls later (backoff 1, 2, 4 s), still one line.
sleep 4;
my @log = error_log_since($mark);
ok t_cmp(count(qr/OXB00101/, @log), 1, 'the outage is logged once');
ok t_cmp(count(qr/OXB00105/, @log), 1, 'the failed write is logged once');
ok t_cmp(configdb()->{state}, 'outage');

# ---- it comes back; a change made now applies ------------------------------------------
$mark = error_log_mark();
restart_db($db);
($rc, $out) = ctl($db, 'enable', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'oxbalancectl enable cdb OX1 after the restart') or print "# $out";
# The backoff is at most poll x 4.
my $t = until_true(10, sub { admin_of('OX1') eq 'active' && configdb()->{state} eq 'up' });
ok defined $t or print "# never active again\n";
# The configdb's state wins over the page's unwritten change.
ok t_cmp(admin_of('OX2'), 'active', 'OX2 as the configdb says (no row: as configured)');
ok t_cmp(new_backends($main, 6), 'BIG=2,OX1=2,OX2=2', 'new sessions everywhere again');
@log = error_log_since($mark);
ok t_cmp(count(qr/OXB00102: configdb: read again after \d+ s of outage/, @log), 1, 'its end is logged once');
ok t_cmp(configdb()->{outage_since}, undef);

# ---- unknown routes and balancers in the table ----------------------------------------------
$mark = error_log_mark();
# (oxbalancectl refuses such names: --force writes them, as for members yet to come.)
ctl($db, '--force', 'drain', 'cdb', 'OX9');
ctl($db, '--force', 'disable', 'nosuch', 'OX1');
sleep 3;
@log = error_log_since($mark);
ok t_cmp(count(qr/OXB00103: configdb: the table has a row for balancer 'cdb' route 'OX9'/, @log), 1, 'unknown route: once');
ok t_cmp(count(qr/OXB00103: configdb: the table has a row for balancer 'nosuch' route 'OX1'/, @log), 1,
         'unknown balancer: once');
ok t_cmp(configdb()->{state}, 'up', 'and the rest is read as usual');
ok t_cmp(served(), 200);
# The status page lists them (at every read), until they are forgotten.
my $unknown = sub { join ' ', map { "$_->{balancer}/$_->{route}" } @{ configdb()->{unknown_members} } };
ok t_cmp(configdb()->{unknown_rows} . ': ' . $unknown->(), '2: cdb/OX9 nosuch/OX1', 'the status page names the rows it ignores');
ok ua()->get(status_url())->content =~ /The configdb has 2 rows for members this configuration does not have/;
ctl($db, 'forget', 'cdb', 'OX9');
ok defined until_true(5, sub { configdb()->{unknown_rows} == 1 }) or print "# ", $unknown->(), "\n";
ok t_cmp($unknown->(), 'nosuch/OX1', 'a forgotten row is gone from it at the next read');

# ---- a wrong password ------------------------------------------------------------------------
my $pid = server_pid();
$mark = use_configdb($db, password => 'wrong-password');
ok defined until_true(10, sub { configdb()->{state} eq 'outage' }) or print "# no outage with a wrong password\n";
ok configdb()->{last_error} =~ /Access denied for user 'openexchange'/ or print "# ", configdb()->{last_error}, "\n";
sleep 2;
@log = error_log_since($mark);
my @denied = grep { /OXB00101/ } @log;
ok t_cmp(scalar @denied, 1, 'wrong password: logged once');
ok $denied[0] =~ /Access denied/ or print "# $denied[0]";
ok !grep { /wrong-password/ } @log;
ok t_cmp(served(), 200, 'requests are served');
ok t_cmp(server_pid(), $pid, 'no crash');

# ---- a missing table, create=off; then create=on makes it ------------------------------------------
$mark = use_configdb($db);  # the right password: the outage ends
ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# not up again\n";
ok t_cmp(db_sql($db, "DROP TABLE configdb.oxbalance_member_state_history, configdb.oxbalance_member_state;\n"), 0);
ok defined until_true(10, sub { configdb()->{state} eq 'outage' }) or print "# no outage without the table\n";
sleep 2;
@log = error_log_since($mark);
my @missing = grep { /OXB00101/ } @log;
ok t_cmp(scalar @missing, 1, 'missing table: logged once');
ok $missing[0] =~ /table oxbalance_member_state does not exist: run conf\/configdb-schema\.sql or set create=on/
    or print "# $missing[0]";
ok t_cmp(served(), 200, 'requests are served');
$mark = use_configdb($db, create => 'on');
ok defined until_true(10, sub { configdb()->{state} eq 'up' }) or print "# create=on did not make the tables\n";
($rc, $out) = ctl($db, 'list');
ok t_cmp($rc, 0, 'the tables are there again') or print "# $out";

no_configdb();
stop_db($db);

# ---- configtest ------------------------------------------------------------------------------------
my $dir = tempdir(CLEANUP => 1);
my $httpd = $ENV{OXB_TEST_HTTPD} || $ENV{OXB_HTTPD};
my $n = 0;
sub configtest {
    my ($body) = @_;
    my $file = "$dir/case" . ++$n . ".conf";
    open my $fh, '>', $file or die;
    print $fh <<"EOC", $body;
ServerRoot "$dir"
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule oxbalance_module "$ENV{OXB_MODULE}"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
EOC
    close $fh;
    my $got = `'$httpd' -t -f '$file' 2>&1`;
    return ($? >> 8, $got, $file);
}
open my $pf, '>', "$dir/configdb.properties" or die;
print $pf "# OX configdb\nreadProperty.1=user=openexchange\nreadUrl=jdbc:postgresql://db/configdb\nwriteUrl=jdbc:mysql://db/configdb\n";
close $pf;
my ($crc, $cout, $file) = configtest("OXConfigDB $dir/configdb.properties poll=1\n");
ok $crc != 0 && $cout =~ /OXConfigDB: \Q$dir\E\/configdb\.properties: line 3: .*jdbc:postgresql/ or print "# $cout";
ok $cout =~ /line 10 of \Q$file\E/ && $cout !~ /Syntax OK/ or print "# $cout";
($crc, $cout) = configtest("OXConfigDB $dir/missing.properties\n");
ok $crc != 0 && $cout =~ /missing\.properties/ or print "# $cout";
($crc, $cout) = configtest("OXConfigDB write=db/configdb user=u password=p poll=0\n");
ok $crc != 0 && $cout =~ /OXConfigDB: .*poll/ or print "# $cout";
($crc, $cout) = configtest("OXConfigDB write=db/configdb user=u password=secret-pw\nOXConfigDB write=db/configdb user=u\n");
ok $crc != 0 && $cout =~ /OXConfigDB is already set at \S+:10/ && $cout =~ /line 11 of/ && $cout !~ /secret-pw/ or print "# $cout";
($crc, $cout) = configtest("<VirtualHost 127.0.0.1:1>\nOXConfigDB write=db/configdb user=u\n</VirtualHost>\n");
ok $crc != 0 && $cout =~ /OXConfigDB cannot occur within <VirtualHost> section/ or print "# $cout";
