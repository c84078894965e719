# Runs last. The error log may hold warnings and errors only for faults the
# tests provoked on purpose, identified by message id; anything else is a
# failure, as is any AddressSanitizer/UBSan report.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Time::Local qw(timelocal);
use OXB::Test qw(child_pids sanitized mpm);

plan tests => 5;

# Provoked by t/ajp/faults.t, t/ajp/reuse.t, t/ajp/reload.t, t/http/*.t,
# t/health/probe.t (OXB00043), t/tomcat/sessions.t (OXB00016),
# t/tomcat/zz_failover.t and t/acl/*.t (OXB00030 denied, OXB00031 ambiguous;
# AH10244 is httpd refusing a path with '..' above the root before any module
# runs), t/ajp/limits.t and t/http/limits.t (OXB00049), t/status/*.t (OXB00083 a client not on
# the OXStatus list; OXB00081 a corrupt OXStateFile, OXB00082 one that cannot
# be written), t/configdb/outage.t (OXB00101 a database it cannot read,
# OXB00103 rows for unknown members, OXB00105 a status-page change it cannot
# write), t/configdb/replica.t (OXB00110 the read host down; OXB00101 both
# hosts down), t/h2/faults.t (OXB00010: its faults and failovers, over h2c
# and TLS) and t/h2/acl.t (OXB00030).
my %expected = map { $_ => 1 }
    qw(OXB00010 OXB00011 OXB00012 OXB00014 OXB00016 OXB00030 OXB00031 OXB00043 OXB00049 OXB00081 OXB00082 OXB00083
       OXB00101 OXB00103 OXB00105 OXB00110 AH10244);

# Messages that a process logs at most once per key and interval (a denial
# once per client and rule per minute, ...): how many lines a run writes
# depends on how many processes served the requests that provoke them (the
# two children of event and worker here, up to sixteen prefork processes,
# t/conf/httpd.conf.in) and on whether an interval ended in between. For
# these the counts below are of distinct keys, which every MPM provokes
# alike; that no process logged a key twice within its interval is checked
# on its own. id => [interval in seconds, the key in the message].
my %per_process = (
    OXB00016 => [10, qr/balancer (\S+):/],
    OXB00030 => [60, qr/denied (.+?) access to .* \(OXProtect (\S+);/],
    OXB00049 => [10, qr/member (\S+) /],
    OXB00083 => [60, qr/denied (.+?) the status page (\S+) /],
);

# How many of each a whole run writes (for the ids above: how many keys):
# [least, most], with Tomcat and without (the sanitizer run). Exact where
# the provoking test makes it so; where a count may vary, the range says
# why. A message id another test starts to log (an unintended extra
# OXB00010: a backend failure nobody provoked) breaks the count, which a
# list of allowed ids would not notice.
# t/h2/faults.t's lines, where mod_http2 runs (not under prefork: t/h2 skips
# there; measured under prefork without Tomcat: OXB00010 x57 = 93 - 36).
my $h2_faults = mpm() eq 'prefork' ? 0 : 36;
my %count_tomcat = (
    # every fault of faults.t, t/http/*.t, reuse.t, reload.t, the Tomcat
    # files' framing faults once, plus 0 to 8 for zz_failover.t's four
    # clients as OX2 dies (each went on to its successor, "trying another
    # member"): a GET in flight on a pooled connection does not put OX2
    # into its error window (the pool's connection may just have been
    # stale), so each client's next GET may also meet OX2 before a refused
    # connect does (measured: 3 and 4 extra on a slow machine);
    # t/h2/faults.t 36 (10 faults and 8 refused tries of failovers, over
    # h2c and over TLS); httpd.t's envfail failover 1;
    # t/http/member_faults.t 21, the late faults of t/http/faults.t 3, the
    # equal Content-Lengths of faults.t 1; t/status/actions.t's RC1, before
    # and after its Recover, 2
    OXB00010 => [89 + $h2_faults, 97 + $h2_faults],
    # error windows and nodes found down (probes): timing decides whether a
    # window or a probe round ends inside a test, so one more or less
    # (measured: 13 and 14; 9 and 10); httpd.t's envfail 1, member_faults.t 1;
    # RC1's two windows (t/status/actions.t) 2
    OXB00011 => [16, 19],
    # balancers: probedsync (probe.t), probeoff (t/health/reload.t),
    # tcnofailover (sessions.t)
    OXB00016 => [3, 3],
    # clients and rules: 127.0.0.1 on both rules (protect.t,
    # protect_http.t), and on /webservices the clients trusted.t names
    # through the trusted proxy: 203.0.113.5, 203.0.113.77, an unknown one;
    # 127.0.0.1 on /ajp/echo/protected and /ajp/echo/secret (subrequest.t)
    OXB00030 => [7, 7],
    # nodes found down by probes: probe.t's and t/http/probe.t's, Tomcat
    # OX3 frozen, OX1 killed twice (AJP, and HTTP if it stays down long
    # enough: see %count_tomcat_files); and PROBED, dead
    # since probe.t, once in each server generation that lives two probe
    # intervals: on a loaded machine every one of restart.t's three starts
    # (measured: 9, 10, 11, 12); probe.t's prober takeover 1, OX3 killed in
    # t/tomcat/probe.t 1, t/health/reload.t's PROBEOFF 1
    OXB00043 => [9, 15],
    # HG1 and AM1 (limits.t), HHG1 and HHG2 (t/http/limits.t); never under
    # prefork, where a process has one request at a time and so never all
    # of max= connections in use
    OXB00049 => mpm() eq 'prefork' ? [0, 0] : [4, 4],
    OXB00081 => [1, 1],
    OXB00082 => [1, 1],
    OXB00083 => [3, 3],   # see the run without Tomcat
    OXB00101 => [5, 5],   # outage.t 3, replica.t 1 (both hosts down), stall.t 1
    OXB00103 => [3, 3],   # outage.t: cdb OX9 and nosuch OX1, nosuch OX1 again after a restart (OX9 forgotten)
    OXB00105 => [2, 2],   # outage.t 1, stall.t 1
    OXB00110 => [1, 1],
);
# What only t/configdb's files provoke (t/run-apache-tests --part).
my @configdb_ids = qw(OXB00101 OXB00103 OXB00105 OXB00110);
my %count_no_tomcat = (
    OXB00010 => [85 + $h2_faults, 85 + $h2_faults],   # the same faults, without the Tomcat files'
    OXB00011 => [15, 17],   # see above (measured: 12, before envfail, member_faults.t and RC1)
    OXB00016 => [2, 2],     # probedsync, probeoff
    OXB00030 => [4, 4],     # 127.0.0.1 on both rules (protect_http.t), subrequest.t's two
    OXB00043 => [8, 10],    # see above (measured: 7, before the prober takeover and PROBEOFF)
    OXB00049 => $count_tomcat{OXB00049},
    OXB00081 => [1, 1],
    OXB00082 => [1, 1],
    # clients and pages not on an OXStatus list: 127.0.0.1 on
    # /oxbalance-status and /ctl-status (t/status/*.t, ctl.t), 10.1.2.3
    # through the trusted proxy
    OXB00083 => [3, 3],
    OXB00101 => [5, 5],   # outage.t 3, replica.t 1 (both hosts down), stall.t 1
    OXB00103 => [3, 3],   # outage.t: cdb OX9 and nosuch OX1, nosuch OX1 again after a restart (OX9 forgotten)
    OXB00105 => [2, 2],   # outage.t 1, stall.t 1
    OXB00110 => [1, 1],
);

# The Tomcat files alone (t/run-apache-tests --part tomcat, always with
# the Tomcats): what %count_tomcat has beyond %count_no_tomcat.
my %count_tomcat_files = (
    # the Tomcat files' framing faults (3: a body longer and one shorter
    # than its Content-Length, an http:// read timeout), zz_failover.t's
    # OX2 dying under four clients (1 to 9, see above)
    OXB00010 => [4, 12],
    # zz_failover.t's OX2 error window, in each child that met it
    OXB00011 => [1, 4],
    OXB00016 => [1, 1],   # tcnofailover (sessions.t)
    # 127.0.0.1 on both rules (protect.t, and h2/acl.t on the same), and
    # trusted.t's 203.0.113.5, 203.0.113.77 and the unknown client
    OXB00030 => [5, 5],
    # Tomcat OX3 frozen, OX3 killed in t/tomcat/probe.t and OX1 killed
    # twice, each found down by tcprobed's CPing (every second, 2 fails):
    # 4. Then tchttp's probe of OX1 (tcp, every 5 s, 2 fails) finds each
    # kill only if OX1 stays down 5-10 s before it is up again (its
    # restart takes 4-12 s), and may find it again in the next server
    # generation: 0 to 4 more (measured: 4, 5, 5, 6, 6, 7; the fewer, the
    # quicker OX1's restarts)
    OXB00043 => [4, 8],
);

my %month;
@month{qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)} = 0 .. 11;
# "[Thu Nov 26 15:37:22.069756 2026]" in seconds.
sub log_time {
    my ($line) = @_;
    my ($mon, $day, $h, $m, $sec, $frac, $year) =
        $line =~ /^\[\w{3} (\w{3}) +(\d+) (\d+):(\d+):(\d+)(\.\d+)? (\d{4})\]/ or return undef;
    return timelocal($sec, $m, $h, $day, $month{$mon}, $year) + ($frac // 0);
}

my $log = Apache::Test::config()->{vars}{t_logs} . '/error_log';
open my $fh, '<', $log or die "cannot read $log: $!";
my (@unexpected, %count, %keys, %last, @repeated, %lines_of);
while (my $line = <$fh>) {
    next unless $line =~ /\[[a-z_]+:(warn|error|crit|alert|emerg)\]/;
    my ($id) = $line =~ /\b(OXB\d{5}|AH\d{5})\b/;
    $count{$id}++ if $id;
    push @{ $lines_of{$id} }, $line if $id;
    if ($id && $per_process{$id}) {
        my ($secs, $re) = @{ $per_process{$id} };
        my $key = join ' ', $line =~ $re;
        my ($pid) = $line =~ /\[pid (\d+)/;
        my $t = log_time($line);
        $keys{$id}{$key} = 1;
        my $prev = $last{$id}{$pid // ''}{$key};
        # The limiter's clock is read a little before the line is written.
        push @repeated, $line if defined $prev && defined $t && $t - $prev < $secs - 1;
        $last{$id}{$pid // ''}{$key} = $t if defined $t;
    }
    next if $id && $expected{$id};
    # mod_include's own line for each include t/ajp/subrequest.t has
    # refused (protected, refused spelling, excluded, protected spelled
    # otherwise): counted below.
    if ($line =~ /\[include:error\].*unable to include ".*" in parsed file \S*\/ssi\/\S+\.shtml/) {
        $count{include}++;
        next;
    }
    push @unexpected, $line;
}
# On STDERR: prove shows it without -v, and CI's failure summary picks it up.
print STDERR "# unexpected: $_" for @unexpected;
ok t_cmp(scalar @unexpected, 0, 'no unexpected warnings or errors in error_log');
print STDERR "# logged again by the same process within its interval: $_" for @repeated;
ok t_cmp(scalar @repeated, 0, 'rate-limited messages: at most once per key, interval and process');

print STDERR "# error_log at warn and above (", mpm(), " MPM): ",
    join(', ', map { "$_ x$count{$_}" . ($keys{$_} ? " (" . keys(%{ $keys{$_} }) . " keys)" : '') } sort keys %count), "\n";
if ($ENV{OXB_FULL_RUN}) {
    # A part of the suite (t/run-apache-tests --part): t/configdb alone
    # provokes the configdb ids, and none of the others; the Tomcat files
    # alone what the Tomcats add; the plain files (no Tomcat) what a run
    # without the Tomcats provokes, with or without them running.
    my $part = $ENV{OXB_RUN_PART} // '';
    my %want = %{
          $part eq 'tomcat' ? \%count_tomcat_files
        : $part eq 'plain' || $ENV{OXB_NO_TOMCAT} ? \%count_no_tomcat
        : \%count_tomcat };
    my %configdb = map { $_ => 1 } @configdb_ids;
    if ($part eq 'configdb') {
        delete $want{$_} for grep { !$configdb{$_} } keys %want;
    } elsif ($part eq 'rest' || $part eq 'plain') {
        delete $want{$_} for @configdb_ids;
    }
    my $want = \%want;
    my @off;
    for my $id (sort keys %expected) {
        my ($lo, $hi) = @{ $want->{$id} // [0, 0] };
        my $n = $per_process{$id} ? scalar keys %{ $keys{$id} // {} } : $count{$id} // 0;
        next unless $n < $lo || $n > $hi;
        push @off, "$id x$n" . ($per_process{$id} ? ' keys' : '') . " (expected " . ($lo == $hi ? $lo : "$lo to $hi") . ")";
        # The lines themselves (the last 20): which node, which test.
        my @l = @{ $lines_of{$id} // [] };
        push @off, map { "  $_" =~ s/\n\z//r } @l[($#l > 19 ? $#l - 19 : 0) .. $#l];
    }
    my $include = $count{include} // 0;
    my $includes = $part eq 'configdb' || $part eq 'tomcat' ? 0 : 4;
    push @off, "mod_include's refused includes x$include (expected $includes)" if $include != $includes;
    print STDERR "# off: $_\n" for @off;
    ok t_cmp(scalar @off, 0, 'each message id as often as the suite provokes it');
} else {
    # Some test files only: what they provoke is not known here.
    ok 1;
}

my @reports = glob(($ENV{OXB_SANITIZER_LOG} // '/nonexistent/none') . '.*');
for my $r (@reports) {
    open my $in, '<', $r or next;
    print "# $r:\n", map { "#   $_" } <$in>;
}
ok t_cmp(scalar @reports, 0, 'no sanitizer reports');

# In the sanitizer run the children must really carry ASan: otherwise the
# check above would pass for nothing.
{
    my $asan = 0;
    for my $pid (child_pids()) {
        open my $maps, '<', "/proc/$pid/maps" or next;
        $asan ||= grep { /libasan/ } <$maps>;
    }
    ok t_cmp($asan ? 1 : 0, sanitized(), 'httpd children carry ASan exactly in the sanitizer run');
}
