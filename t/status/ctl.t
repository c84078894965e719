# oxbalancectl --status-url against the test server's status page (no
# configdb): list reads the page's JSON; drain, disable, standby, enable and
# loadfactor fetch the page for its nonce and post its form, and the page's
# JSON shows the change; members by route or URL; refusals keep the page's
# words and the documented exit codes (3: unknown member or balancer, bad
# value; 2: a page that refuses this client (403), a dead port, a server that never
# answers; 1: usage). Works on its own balancer `ctl`, left as configured.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp ();
use IO::Socket::INET ();
use JSON::PP ();
use Time::HiRes ();
use OXB::Test qw(error_log_mark wait_for_log);
use OXB::Status qw(status_url get_json member_of);

my $ctl = $ENV{OXB_OXBALANCECTL} // '';
plan tests => 53, sub { -x $ctl };

my $url = status_url();
# OXStatus for 10.99.0.0/16 only, as on OXB_STATUS_DENIED_PORT, but at a path
# of its own: actions.t counts its denials in the error log.
my $denied = "http://127.0.0.1:$ENV{OXB_CTL_DENIED_PORT}/ctl-status";
my $short = status_url($ENV{OXB_STATUS_SHORT_PORT});    # noncewindow=1s
my $dead = "http://127.0.0.1:$ENV{OXB_DEAD_PORT}/oxbalance-status";
my $json = JSON::PP->new->utf8;

my ($rc, $out, $err);
# Runs oxbalancectl; sets $rc, $out (stdout) and $err (stderr).
sub ctl {
    my @args = @_;
    my $errf = File::Temp->new;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>', $errf->filename or die;
        exec $ctl, @args or die "exec $ctl: $!";
    }
    local $/;
    $out = <$fh> // '';
    close $fh;
    $rc = $? >> 8;
    open my $e, '<', $errf->filename or die;
    $err = <$e> // '';
    return $rc;
}
sub said { print "# rc=$rc\n# stdout: $out\n# stderr: $err\n"; 0 }
sub page_member { member_of(get_json(), 'ctl', $_[0]) }
sub states { join ' ', map { my $m = page_member($_); "$_=$m->{admin}/$m->{loadfactor}" } qw(CT1 CT2) }

my $configured = 'CT1=active/1 CT2=active/1';
ok t_cmp(states(), $configured, 'ctl starts as configured');

# ---- list ----------------------------------------------------------------------
ctl('--status-url', $url, 'list');
ok(($rc == 0 && $out =~ /^BALANCER +ROUTE +STATE +CONFIGURED +HEALTH +LOADFACTOR +SESSIONS +MEMBER$/m) || said());
ok(($out =~ /^ctl +CT1 +active +active +up +1 +\d+ +ajp:\/\/127\.0\.0\.1:\d+$/m && $out =~ /^ctl +CT2 +active /m
    && $out =~ /^status +ST1 /m) || said());
ctl('--status-url', $url, '--json', 'list');
my $doc = $rc == 0 ? eval { $json->decode($out) } : undef;
my %m = map { ("$_->{balancer}/" . ($_->{route} // $_->{url}) => $_) } @{ $doc->{members} // [] };
my $url2 = page_member('CT2')->{url};
ok($doc && $doc->{served_by} eq "status page $url" && $m{'ctl/CT1'} && $m{'ctl/CT1'}{admin_state} eq 'active'
   && $m{'ctl/CT2'}{url} eq $url2 && $m{'ctl/CT2'}{loadfactor} == 1 && $m{'ctl/CT2'}{config_admin_state} eq 'active')
    or said();
ok t_cmp(scalar(grep { $_->{balancer} eq 'ctl' } @{ $doc->{members} // [] }), 2, 'list --json: both ctl members');

# ---- changes -----------------------------------------------------------------------
my $mark = error_log_mark();
ctl('--status-url', $url, 'drain', 'ctl', 'CT1');
ok(($rc == 0 && $out =~ /^ctl CT1 \(ajp:\/\/[^)]+\): admin state active -> draining$/) || said());
ok t_cmp(page_member('CT1')->{admin}, 'draining', 'drain: the page shows CT1 draining');
my @log = wait_for_log($mark, qr/OXB00080/);
ok((grep { /OXB00080: status page: 127\.0\.0\.1 set admin state of balancer ctl member CT1 .* from active to draining/ } @log)
   or print "# @log\n");
ctl('--status-url', $url, '--json', 'drain', 'ctl', 'CT1');
my $d = $rc == 0 ? eval { $json->decode($out) } : undef;
ok(($d && $d->{ok} && !$d->{changed} && $d->{admin_state} eq 'draining' && $d->{notice} =~ /already$/) || said());

# By URL, as the page's own forms name members.
ctl('--status-url', $url, 'disable', 'ctl', $url2);
ok(($rc == 0 && $out =~ /admin state active -> disabled/) || said());
ok t_cmp(page_member('CT2')->{admin}, 'disabled', 'disable by URL: CT2 disabled');
ctl('--status-url', $url, 'standby', 'ctl', 'CT2');
ok(($rc == 0 && $out =~ /disabled -> standby/) || said());
ok t_cmp(page_member('CT2')->{admin}, 'standby', 'standby');
ctl('--status-url', $url, '--json', 'enable', 'ctl', 'CT1');
$d = $rc == 0 ? eval { $json->decode($out) } : undef;
ok(($d && $d->{ok} && $d->{changed} && $d->{admin_state} eq 'active' && $d->{balancer} eq 'ctl'
    && $d->{member} eq 'CT1' && $d->{action} eq 'enable') || said());
ok t_cmp(page_member('CT1')->{admin}, 'active', 'enable: CT1 active again');

ctl('--status-url', $url, '--json', 'loadfactor', 'ctl', 'CT2', '7');
$d = $rc == 0 ? eval { $json->decode($out) } : undef;
ok(($d && $d->{ok} && $d->{changed} && $d->{loadfactor} == 7 && $d->{notice} =~ /load factor 1 -> 7/) || said());
ok t_cmp(page_member('CT2')->{loadfactor}, 7, 'loadfactor: the page shows 7');
ctl('--status-url', $url, 'list');
ok(($out =~ /^ctl +CT2 +standby +active +up +7 /m) || said());

# recover: CT2 is in no error window, so there is nothing to end (the
# action itself is t/status/actions.t's); the answer says so, and the
# member keeps its state.
ctl('--status-url', $url, '--json', 'recover', 'ctl', 'CT2');
$d = $rc == 0 ? eval { $json->decode($out) } : undef;
ok(($d && $d->{ok} && !$d->{changed} && $d->{action} eq 'recover' && !exists $d->{admin_state}
    && $d->{notice} =~ /not in an error window already$/) || said());
ctl('--status-url', $url, 'recover', 'ctl', 'CT9');
ok(($rc == 3 && $err =~ /balancer ctl has no member 'CT9'/) || said());

# Through the page whose nonces live one to two seconds.
ctl('--status-url', $short, 'drain', 'ctl', 'CT1');
ok(($rc == 0 && $out =~ /active -> draining/) || said());
ok t_cmp(page_member('CT1')->{admin}, 'draining', 'drain through the noncewindow=1s page');

# ---- refused: not found, invalid ------------------------------------------------------
my $before = states();
ctl('--status-url', $url, 'drain', 'ctl', 'CT9');
ok(($rc == 3 && $err =~ /balancer ctl has no member 'CT9' \(URL or route\)/) || said());
ctl('--status-url', $url, 'enable', 'nosuch', 'CT1');
ok(($rc == 3 && $err =~ /there is no balancer 'nosuch'/) || said());
ctl('--status-url', $url, 'drain', 'ctl', 'x' x 200);
ok(($rc == 3 && $err =~ /member/) || said());
ctl('--status-url', $url, 'loadfactor', 'ctl', 'CT1', '0');
ok(($rc == 3 && $err =~ /from 1 to 100/ && $err =~ /configdb/) || said());
ctl('--status-url', $url, 'loadfactor', 'ctl', 'CT1', '101');
ok(($rc == 3 && $err =~ /from 1 to 100/) || said());
ok t_cmp(states(), $before, 'refused: nothing changed');

# ---- usage ----------------------------------------------------------------------------
ctl('--help');
ok(($rc == 0 && $out =~ /--status-url/) || said());
ctl('--status-url', $url, 'history');
ok(($rc == 1 && $err =~ /history needs the configdb/) || said());
ctl('--properties', '/nonexistent', 'recover', 'ctl', 'CT1');
ok(($rc == 1 && $err =~ /recover acts on one front end: give its --status-url/) || said());
ctl('--status-url', $url, 'init-schema');
ok(($rc == 1 && $err =~ /needs the configdb/) || said());
(my $https = $url) =~ s/^http:/https:/;
ctl('--status-url', $https, 'list');
ok(($rc == 1 && $err =~ /https:\/\/ is not supported/) || said());
ctl('--status-url', "$url?json", 'list');
ok(($rc == 1 && $err =~ /query/) || said());
ctl('--status-url', $url, '--properties', '/nonexistent', 'list');
ok(($rc == 1 && $err =~ /not both/) || said());
ctl('--status-url', $url, 'drain', 'ctl');
ok(($rc == 1 && $err =~ /drain takes BALANCER ROUTE/) || said());

# ---- refused: unreachable ------------------------------------------------------------------
ctl('--status-url', $denied, 'list');
ok(($rc == 2 && $err =~ /\Q$denied\E refused this client \(403 Forbidden: Forbidden\): this host's address is not on the page's OXStatus list/)
   || said());
ctl('--status-url', $denied, 'drain', 'ctl', 'CT2');
ok(($rc == 2 && $err =~ /403 Forbidden/) || said());
ctl('--status-url', $denied, 'status');
ok(($rc == 2 && $out =~ /UNREACHABLE: .*403/) || said());
ok t_cmp(states(), $before, 'a client not on the list changed nothing');

ctl('--status-url', $dead, 'list');
ok(($rc == 2 && $err =~ /cannot connect to 127\.0\.0\.1:$ENV{OXB_DEAD_PORT}: Connection refused/) || said());
ctl('--status-url', $dead, 'enable', 'ctl', 'CT1');
ok(($rc == 2 && $err =~ /Connection refused/) || said());
ctl('--status-url', $dead, '--json', 'status');
$d = eval { $json->decode($out) };
ok(($rc == 2 && $d && !$d->{reachable} && $d->{error} =~ /Connection refused/) || said());

(my $wrong = $url) =~ s/oxbalance-status$/no-such-page/;
ctl('--status-url', $wrong, 'list');
ok(($rc == 2 && $err =~ /is not a status page \(404/) || said());

# A server that accepts and never answers: the read timeout, not a hang.
my $silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5) or die "listen: $!";
my $silent_url = 'http://127.0.0.1:' . $silent->sockport . '/oxbalance-status';
my $t0 = Time::HiRes::time();
ctl('--status-url', $silent_url, '--timeout', '1', 'drain', 'ctl', 'CT1');
my $took = Time::HiRes::time() - $t0;
ok(($rc == 2 && $err =~ /did not answer within 1 s/) || said());
ok $took < 5 or print "# took $took s\n";
close $silent;

# ---- status ------------------------------------------------------------------------------
ctl('--status-url', $url, 'status');
ok(($rc == 0 && $out =~ /^status page \Q$url\E: reachable \(server .*, mod_oxbalance .*, JSON schema 1\), \d+ balancers, \d+ members, actions on$/m)
   || said());
ctl('--status-url', $url, '--json', 'status');
$d = $rc == 0 ? eval { $json->decode($out) } : undef;
ok(($d && $d->{reachable} && $d->{schema} == 1 && $d->{actions} eq 'on' && $d->{members} >= 2
    && !defined $d->{configdb}) || said());

# ---- back to the configuration ---------------------------------------------------------------
for my $r (qw(CT1 CT2)) {
    ctl('--status-url', $url, 'enable', 'ctl', $r);
    ok t_cmp($rc, 0, "enable $r");
    ctl('--status-url', $url, 'loadfactor', 'ctl', $r, '1');
    ok t_cmp($rc, 0, "loadfactor $r 1");
}
ok t_cmp(states(), $configured, 'ctl is as configured again');

