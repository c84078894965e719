# A graceful restart keeps the shared member state: a member in its error
# window stays there, even though the new configuration adds a member and
# moves it to another position; the added member is used at once.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(sleep);
use OXB::Test qw(error_log_mark error_log_since wait_for_log server_pid);

plan tests => 6;

my $conf = "$ENV{OXB_RUN_DIR}/reload.conf";
my $mark = error_log_mark();

# R1 (live) and RD (nothing listens): RD is tried once and then avoided.
my %served;
$served{ GET('/reload/echo')->header('X-Backend') // 'none' }++ for 1 .. 6;
ok t_cmp($served{OX1}, 6, 'R1 served everything');
my @states = grep { /OXB00011: member RD/ } wait_for_log($mark, qr/OXB00011: member RD/);
ok t_cmp(scalar @states, 1, 'RD entered its error window');

# The new configuration: RD first, R1 second, and a new member R2.
open my $fh, '>', $conf or die;
printf $fh "<OXBalancer reload>\n    OXHealthCheck off\n    OXMember ajp://127.0.0.4:%s route=RD\n    OXMember ajp://127.0.0.1:%s route=R1\n"
    . "    OXMember ajp://127.0.0.1:%s route=R2\n</OXBalancer>\n", $ENV{OXB_DEAD_PORT}, $ENV{OXB_AJP1_PORT}, $ENV{OXB_AJP2_PORT};
close $fh;
$mark = error_log_mark();
kill 'USR1', server_pid();
wait_for_log($mark, qr/AH00493|resuming normal operations/);

# The new generation uses R2 and still avoids RD, without trying it.
my $seen_r2 = 0;
for (1 .. 100) {
    my $b = GET('/reload/echo')->header('X-Backend') // '';
    if ($b eq 'OX2') { $seen_r2 = 1; last }
    sleep 0.05;
}
ok $seen_r2;
%served = ();
$served{ GET('/reload/echo')->header('X-Backend') // 'none' }++ for 1 .. 10;
ok t_cmp(($served{OX1} // 0) + ($served{OX2} // 0), 10, 'R1 and R2 served everything');
ok(($served{OX2} // 0) >= 4);
my @tries = grep { /OXB00010: member RD/ } error_log_since($mark);
ok t_cmp(scalar @tries, 0, 'RD was not tried again: its error window survived the graceful restart');
