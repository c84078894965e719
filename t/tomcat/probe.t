# Active health probes against a real Tomcat (balancer tcprobed: OX1 and
# OX3, CPing every second): OX3 frozen with SIGSTOP is down within
# interval x fails + timeout, new and sticky traffic avoids it and no
# request fails; after SIGCONT it is up again after `passes` good probes,
# without a user request, and serves its sessions.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time);
use OXB::Test qw(have_tomcat curl error_log_mark wait_for_log);

plan tests => 8, sub { have_tomcat() };

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
ok scalar(grep { /OXB00043: node \Q$node\E is down/ } @lines) or print "# $_" for @lines;
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
