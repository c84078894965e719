# OXStateFile: admin states and load factors set on the status page survive
# a full stop and start, where the configuration did not change; a member
# whose configured status= changed takes the configuration's. A file that
# cannot be written costs the change nothing in memory and is logged once;
# a corrupt one is logged once at start and ignored (httpd starts from the
# configuration); a graceful restart does not read the file at all (shared
# memory carries the state). Balancer `persist` (t/run-apache-tests writes
# statefile.conf; this test rewrites it between a stop and a start).
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use LWP::UserAgent ();
use OXB::Test qw(error_log_mark error_log_since wait_for_log server_pid);
use OXB::Status qw(status_url ua page_nonce post_action get_json member_of enable_all);

plan tests => 30;

my $run = $ENV{OXB_RUN_DIR};
my $dir = "$run/state";
my $file = "$dir/oxbalance.state";
my $server = Apache::Test::config()->server;

sub write_conf {
    my ($p2_status) = @_;
    open my $fh, '>', "$run/statefile.conf" or die;
    printf $fh "<OXBalancer persist>\n    OXHealthCheck off\n    OXMember ajp://127.0.0.1:%s route=P1\n"
        . "    OXMember ajp://127.0.0.1:%s route=P2%s\n</OXBalancer>\n", $ENV{OXB_AJP1_PORT}, $ENV{OXB_AJP2_PORT},
        $p2_status ? " status=$p2_status" : '';
    close $fh;
}

# A full stop and start (Apache::TestServer: SIGTERM, then the same command
# line). Its progress lines would confuse the test's output.
sub full_restart {
    my ($between) = @_;
    # Connections of the requests just made close first: the event MPM
    # logs an error (AH03092) for one still lingering when it is stopped.
    sleep 1;
    open my $saved, '>&', \*STDOUT or die;
    open STDOUT, '>', '/dev/null' or die;
    $server->stop;
    $between->() if $between;
    my $up = $server->start;
    open STDOUT, '>&', $saved or die;
    return $up;
}

sub persist {
    my $doc = get_json();
    return join ' ', map {
        my $m = member_of($doc, 'persist', $_);
        "$_=$m->{admin}/$m->{loadfactor}/$m->{config_admin}";
    } qw(P1 P2);
}

sub read_file { open my $fh, '<', $file or return ''; local $/; return <$fh> }

ok t_cmp(persist(), 'P1=active/1/active P2=active/1/active', 'persist: as configured');
my $url1 = member_of(get_json(), 'persist', 'P1')->{url};

# ---- a file that cannot be written ---------------------------------------------
# One connection (so one httpd process) for two changes: one log line.
my $keep = LWP::UserAgent->new(timeout => 60, keep_alive => 1);
my $nonce = page_nonce($keep->get(status_url())->content);
my $mark = error_log_mark();
chmod 0555, $dir or die "chmod $dir: $!";
for my $lf (2, 3) {
    my $r = $keep->post(status_url(), [nonce => $nonce, balancer => 'persist', member => 'P2', action => 'loadfactor',
                                       loadfactor => $lf]);
    ok t_cmp($r->code, 200, "load factor $lf: applied");
}
chmod 0755, $dir or die "chmod $dir: $!";
# Its connection closes now: under the worker MPM an idle keep-alive
# connection holds a thread of its process, and the process, through the
# graceful restart below until KeepAliveTimeout, so that the full stop after
# it would find the old process still there (AH00045).
$keep->conn_cache->drop;
ok t_cmp(member_of(get_json(), 'persist', 'P2')->{loadfactor}, 3, 'in force in memory');
my @failed = grep { /OXB00082: cannot write OXStateFile/ } wait_for_log($mark, qr/OXB00082/);
ok t_cmp(scalar @failed, 1, 'the write failure is logged once');
ok $failed[0] =~ /\Q$dir\E.*Permission denied/ or print "# $failed[0]";
ok read_file() !~ /^member persist \S+ admin=\S+ loadfactor=3 /m;

# ---- changes, written ------------------------------------------------------------
$mark = error_log_mark();
ok t_cmp(post_action(nonce => $nonce, balancer => 'persist', member => 'P1', action => 'drain')->code, 200, 'drain P1');
ok t_cmp(post_action(nonce => $nonce, balancer => 'persist', member => 'P1', action => 'loadfactor', loadfactor => 7)->code,
         200, 'P1 load factor 7');
ok t_cmp(post_action(nonce => $nonce, balancer => 'persist', member => 'P2', action => 'disable')->code, 200, 'disable P2');
ok t_cmp(post_action(nonce => $nonce, balancer => 'persist', member => 'P2', action => 'loadfactor', loadfactor => 1)->code,
         200, 'P2 load factor 1');
ok t_cmp(persist(), 'P1=draining/7/active P2=disabled/1/active', 'in force');
my $text = read_file();
ok $text =~ /^member persist \Q$url1\E admin=draining loadfactor=7 configured-admin=active configured-loadfactor=1$/m
    or print "# state file:\n", map { "#   $_\n" } split /\n/, $text;
ok $text =~ /^oxbalance-state 1$/m && $text =~ /^end \d+$/m;
ok t_cmp(scalar(grep { /OXB00082/ } error_log_since($mark)), 0, 'written without complaint');

# ---- a graceful restart does not read the file ---------------------------------------
# (Made corrupt on purpose: the state comes from shared memory.)
rename $file, "$file.good" or die;
open my $bad, '>', $file or die;
print $bad "garbage\n";
close $bad;
$mark = error_log_mark();
kill 'USR1', server_pid();
wait_for_log($mark, qr/AH00493|resuming normal operations/);
ok t_cmp(persist(), 'P1=draining/7/active P2=disabled/1/active', 'graceful: the state from shared memory');
ok t_cmp(scalar(grep { /OXB0008[17]/ } error_log_since($mark)), 0, 'graceful: the file was not read');
rename "$file.good", $file or die;

# ---- full stop and start; P2's configured status changed meanwhile ------------------------
$mark = error_log_mark();
ok full_restart(sub { write_conf('standby') });
ok t_cmp(persist(), 'P1=draining/7/active P2=standby/1/standby',
         "P1 as it was set; P2 as the configuration now says");
my @read = grep { /OXB00087: read OXStateFile \Q$file\E/ } error_log_since($mark);
ok t_cmp(scalar @read, 1, 'read at start, logged at info');
my %new;
$new{ GET('/persist/echo')->header('X-Backend') // 'none' }++ for 1 .. 6;
ok t_cmp(join(',', map { "$_=$new{$_}" } sort keys %new), 'OX2=6', 'new sessions avoid the draining member');
ok t_cmp(GET('/persist/echo', Cookie => 'JSESSIONID=r1.P1')->header('X-Backend'), 'OX1', 'its sessions still reach it');

# ---- a corrupt file: reported once, ignored ---------------------------------------------
$mark = error_log_mark();
ok full_restart(sub {
    open my $fh, '>', $file or die;
    print $fh "# mod_oxbalance OXStateFile\noxbalance-state 1\nmember persist\nend 1\n";
    close $fh;
});
ok t_cmp(persist(), 'P1=active/1/active P2=standby/1/standby', 'the configuration, and nothing else');
my @corrupt = grep { /OXB00081/ } error_log_since($mark);
ok t_cmp(scalar @corrupt, 1, 'reported once');
ok $corrupt[0] =~ /\[oxbalance:warn\].*OXB00081: OXStateFile ignored: .*\Q$file\E.*line 3/ or print "# $corrupt[0]";
ok t_cmp(ua()->get(status_url())->code, 200, 'and httpd runs');

# ---- back to the configuration of the other tests (no file: a first start) ----------------
$mark = error_log_mark();
ok full_restart(sub { write_conf(undef); unlink $file });
ok t_cmp(persist(), 'P1=active/1/active P2=active/1/active', 'no file: the configuration');
ok t_cmp(scalar(grep { /OXB0008[12]/ } error_log_since($mark)), 0, 'a missing file is no error');
