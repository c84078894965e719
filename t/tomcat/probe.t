# Active health probes against a real Tomcat (balancer tcprobed: OX1 and
# OX3, CPing every second): OX3 frozen with SIGSTOP is down within
# interval x fails + timeout, new and sticky traffic avoids it and no
# request fails; after SIGCONT it is up again after `passes` good probes,
# without a user request, and serves its sessions. Killed (SIGKILL): the
# same, no request is tried on it once it is found down, and started again
# it is up without a user request.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time sleep);
use OXB::Test qw(have_tomcat curl error_log_mark error_log_since wait_for_log);

plan tests => 16, sub { have_tomcat() };

my $run = $ENV{OXB_RUN_DIR};
my $node = "ajp://127.0.0.1:$ENV{OXB_TOMCAT_OX3_AJP}";
my $slack = 2;    # scheduling on a loaded machine, the sanitizer build

sub pid_of {
    open my $fh, '<', "$run/tomcat-OX3/tomcat.pid" or die "no OX3 pid file";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

sub requests_on_ox3 {
    my ($rc, $out) = curl("http://127.0.0.1:$ENV{OXB_TOMCAT_OX3_HTTP}/stats");
    return ($out =~ /requests=(\d+)/)[0] // -1;
}

# Routes of 20 requests, and how many failed.
sub routes {
    my (@headers) = @_;
    my (%seen, $failed);
    for (1 .. 20) {
        my $r = GET '/tcprobed/login', @headers;
        $failed++ if $r->code != 200;
        $seen{ ($r->header('X-OXB-Route') // '') =~ /member=(OX\d)/ ? $1 : 'none' }++;
    }
    return (\%seen, $failed // 0);
}

my $before = requests_on_ox3();
my $mark = error_log_mark();
my $t0 = time;
kill 'STOP', pid_of();
my @lines = wait_for_log($mark, qr/OXB00043: node \Q$node\E is down/);
my $took = time - $t0;
ok scalar(grep { /OXB00043: node \Q$node\E is down/ } @lines) or print map { "# $_" } @lines;
ok $took <= 1 * 2 + 0.5 + $slack or print "# down after ${took}s\n";

my ($seen, $failed) = routes();
ok t_cmp($failed, 0, 'no new-session request failed while OX3 was frozen');
ok t_cmp(join(',', sort keys %$seen), 'OX1', 'new sessions went to OX1');
($seen, $failed) = routes(Cookie => 'JSESSIONID=1234.OX3');
ok t_cmp($failed, 0, 'no request of an OX3 session failed');

$mark = error_log_mark();
kill 'CONT', pid_of();
@lines = wait_for_log($mark, qr/OXB00044: node \Q$node\E is up again/);
ok scalar(grep { /OXB00044: node \Q$node\E is up again/ } @lines);
ok t_cmp(requests_on_ox3() - $before, 0, 'no user request reached OX3 while it was down');
my $r = GET '/tcprobed/login', Cookie => 'JSESSIONID=1234.OX3';
ok $r->header('X-OXB-Route') =~ /member=OX3; route=OX3; reason=sticky/ or print "# ", $r->header('X-OXB-Route'), "\n";

# Killed: refused connections instead of silence; the same bound.
my $killed;
# Whatever happened, OX3 runs again for the files after this one.
END { start_ox3() if $killed && system("'$ENV{OXB_TOP}/t/tomcat/oxb-tomcat' status --base '$run/tomcat-OX3' >/dev/null") != 0 }
sub start_ox3 {
    return system("$ENV{OXB_TOP}/t/tomcat/oxb-tomcat", 'start', '--base', "$run/tomcat-OX3", '--route', 'OX3',
                  '--ajp-port', $ENV{OXB_TOMCAT_OX3_AJP}, '--http-port', $ENV{OXB_TOMCAT_OX3_HTTP},
                  '--packet-size', 65536) == 0;
}
{
    my $pid = pid_of();
    $mark = error_log_mark();
    $t0 = time;
    kill 'KILL', $pid;
    $killed = 1;
    @lines = wait_for_log($mark, qr/OXB00043: node \Q$node\E is down/);
    $took = time - $t0;
    ok scalar(grep { /OXB00043: node \Q$node\E is down: .*connection refused/ } @lines) or print map { "# $_" } @lines;
    ok $took <= 1 * 2 + 0.5 + $slack or print "# down after ${took}s\n";
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.1 }

    ($seen, $failed) = routes();
    ok t_cmp($failed, 0, 'no new-session request failed while OX3 was dead');
    ok t_cmp(join(',', sort keys %$seen), 'OX1', 'new sessions went to OX1');
    ($seen, $failed) = routes(Cookie => 'JSESSIONID=1234.OX3');
    ok t_cmp($failed, 0, 'no request of an OX3 session failed');
    # None was tried on it: a try would have failed (refused) and been
    # logged.
    @lines = error_log_since($mark);
    my ($down_at) = grep { $lines[$_] =~ /OXB00043: node \Q$node\E is down/ } 0 .. $#lines;
    my @tried = grep { /OXB00010: member \S+ \(\Q$node\E\)/ } @lines[$down_at + 1 .. $#lines];
    ok t_cmp(scalar @tried, 0, 'no request was sent to OX3 after it was found down') or print map { "# $_" } @tried;

    # Started again: up after `passes` good probes, without a user request.
    $mark = error_log_mark();
    ok start_ox3() or print "# cannot start OX3 again\n";
    @lines = wait_for_log($mark, qr/OXB00044: node \Q$node\E is up again/);
    ok scalar(grep { /OXB00044: node \Q$node\E is up again/ } @lines) or print map { "# $_" } @lines;
}
