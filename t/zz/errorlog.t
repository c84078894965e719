# Runs last. The error log may hold warnings and errors only for faults the
# tests provoked on purpose, identified by message id; anything else is a
# failure, as is any AddressSanitizer/UBSan report.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::Test qw(child_pids sanitized);

plan tests => 3;

# Provoked by t/ajp/faults.t, t/ajp/reuse.t, t/ajp/reload.t,
# t/tomcat/sessions.t (OXB00016), t/tomcat/zz_failover.t and t/acl/*.t
# (OXB00030 denied, OXB00031 ambiguous; AH10244 is httpd refusing a path
# with '..' above the root before any module runs), t/ajp/limits.t
# (OXB00049), t/status/*.t (OXB00083 a client not on the OXStatus list;
# OXB00081 a corrupt OXStateFile, OXB00082 one that cannot be written),
# t/configdb/outage.t (OXB00101 the configdb down or refusing us, OXB00103
# rows for members we do not have, OXB00105 a page change not written), t/configdb/replica.t (OXB00110 the read host down).
my %expected = map { $_ => 1 }
    qw(OXB00010 OXB00011 OXB00012 OXB00014 OXB00016 OXB00030 OXB00031 OXB00043 OXB00049 OXB00081 OXB00082 OXB00083
       OXB00101 OXB00103 OXB00105 OXB00110 AH10244);

my $log = Apache::Test::config()->{vars}{t_logs} . '/error_log';
open my $fh, '<', $log or die "cannot read $log: $!";
my @unexpected;
while (my $line = <$fh>) {
    next unless $line =~ /\[[a-z_]+:(warn|error|crit|alert|emerg)\]/;
    my ($id) = $line =~ /\b(OXB\d{5}|AH\d{5})\b/;
    next if $id && $expected{$id};
    push @unexpected, $line;
}
print "# unexpected: $_" for @unexpected;
ok t_cmp(scalar @unexpected, 0, 'no unexpected warnings or errors in error_log');

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
