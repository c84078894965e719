# Cold starts of a front end with OXConfigDB (a second httpd this test
# starts: balancer cdb, poll=1, OXStateFile):
# - started after a drain was stored in the configdb, it takes the stored
#   state at its first read: no new session goes to the drained member;
# - a full stop, the database stopped, a start: it begins from OXStateFile
#   (the member drained at once, before any read), shows the outage on its
#   status page and logs it once; the database back, a change made
#   meanwhile applies.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::ConfigDB qw(start_db stop_db restart_db ctl configdb_line start_frontend stop_frontend restart_frontend
                     frontend_json until_true new_backends backend_of file_since);

plan tests => 19;

my $db = start_db();
my ($rc, $out) = ctl($db, 'init-schema');
ok t_cmp($rc, 0, 'init-schema') or print "# $out";
($rc, $out) = ctl($db, 'drain', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'drain cdb OX1 stored before the front end starts') or print "# $out";

sub member {
    my ($doc, $route) = @_;
    my ($b) = grep { $_->{name} eq 'cdb' } @{ $doc->{balancers} };
    my ($m) = grep { ($_->{route} // '') eq $route } @{ $b->{members} };
    return $m;
}
sub count { my ($re, @lines) = @_; return scalar grep { $_ =~ $re } @lines }

# ---- a front end that starts takes the stored state -------------------------------------
my $fe = start_frontend(state_file => 1, extra => configdb_line($db));
my $port = $fe->{port};
my $polls_then;
my $t = until_true(10, sub {
    my $doc = frontend_json($port);
    return 0 unless member($doc, 'OX1')->{admin} eq 'draining';
    $polls_then = $doc->{configdb}{polls};
    return 1;
});
ok defined $t or print "# the stored drain never applied\n";
# Sampled every 50 ms: the first read, or the one after it on a slow machine.
ok defined $polls_then && $polls_then <= 2 or print "# draining only after ", $polls_then // '?', " polls\n";
ok t_cmp(frontend_json($port)->{configdb}{poll_failures}, 0, 'no failed poll');
ok t_cmp(new_backends($port, 6), 'BIG=3,OX2=3', 'no new session on OX1');
ok t_cmp(backend_of($port, 'c1.OX1'), 'OX1', "OX1's sessions still reach it");
my @log = file_since($fe->{log}, 0);
ok t_cmp(count(qr/OXB00104: configdb: balancer cdb member OX1 .*active -> draining.*with oxbalancectl/, @log), 1,
         'the change it took is logged once, with who made it');
# OXStateFile caches what was read.
ok defined until_true(5, sub {
    open my $fh, '<', $fe->{state_file} or return 0;
    local $/;
    <$fh> =~ /^member cdb ajp:\/\/127\.0\.0\.1:$ENV{OXB_AJP1_PORT} admin=draining /m;
}) or print "# the state file does not have OX1 draining\n";

# ---- full stop, the database down, start ------------------------------------------------------
stop_frontend($fe);
stop_db($db);
my $mark = -s $fe->{log};
restart_frontend($fe);
my $doc = frontend_json($port);
ok t_cmp(member($doc, 'OX1')->{admin}, 'draining', 'started from OXStateFile: OX1 draining before any read');
ok t_cmp(new_backends($port, 6), 'BIG=3,OX2=3', 'no new session on OX1 while the configdb is down');
ok defined until_true(10, sub { frontend_json($port)->{configdb}{state} eq 'outage' }) or print "# no outage shown\n";
my $c = frontend_json($port)->{configdb};
ok t_cmp($c->{last_success}, undef, 'never read since this start');
ok $c->{last_error} =~ /127\.0\.0\.1:$db->{port}: cannot connect/ or print "# ", $c->{last_error} // 'null', "\n";
sleep 3;    # more failed polls
@log = file_since($fe->{log}, $mark);
my @outage = grep { /OXB00101/ } @log;
ok t_cmp(scalar @outage, 1, 'the outage is logged once');
ok $outage[0] =~ /not read since httpd started: OXStateFile's or the configuration's/ or print "# $outage[0]";

# ---- the database back: a change made meanwhile applies ----------------------------------------
restart_db($db);
($rc, $out) = ctl($db, 'enable', 'cdb', 'OX1');
ok t_cmp($rc, 0, 'enable cdb OX1') or print "# $out";
ok defined until_true(10, sub {
    my $d = frontend_json($port);
    $d->{configdb}{state} eq 'up' && member($d, 'OX1')->{admin} eq 'active';
}) or print "# the configdb's state does not apply\n";
@log = file_since($fe->{log}, $mark);
ok t_cmp(count(qr/OXB00102/, @log), 1, 'the end of the outage is logged once');

stop_frontend($fe);
