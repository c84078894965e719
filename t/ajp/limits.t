# failonstatus= / OXFailOnStatus, and max= as mod_proxy means it
# (connections per process, in use plus idle):
# a member whose requests hang holds at most max= workers per httpd child,
# and the other members' requests are served meanwhile. More clients hang on
# the member than httpd has workers (MaxRequestWorkers 64): without the
# limit, every worker would wait on it and the other requests would wait
# for them.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use OXB::Test qw(raw_request child_pids error_log_mark error_log_since wait_for_log);

plan tests => 10;

my $port = Apache::Test::config()->{vars}{port};

# OXFailOnStatus 503: the 503 reaches the client, and the member is avoided
# for retry= in every child: its own sessions go to the successor.
{
    my $mark = error_log_mark();
    my ($status, $body, $resp) = raw_request($port, "GET /failstatus/status?code=503 HTTP/1.1\r\nHost: localhost\r\n"
                                             . "Cookie: JSESSIONID=1.FS1\r\nConnection: close\r\n\r\n");
    ok t_cmp($status, 503, 'the backend\'s 503 is answered');
    my @lines = wait_for_log($mark, qr/OXB00011: member FS1/);
    ok scalar(grep { /OXB00011: member FS1 .* is in error state/ } @lines);
    my %seen;
    for (1 .. 6) {
        my ($s, $b, $r) = raw_request($port, "GET /failstatus/echo HTTP/1.1\r\nHost: localhost\r\n"
                                      . "Cookie: JSESSIONID=1.FS1\r\nConnection: close\r\n\r\n");
        my ($backend) = $r =~ /^X-Backend: (\S+)/mi;
        $seen{$backend // 'none'}++;
    }
    ok t_cmp(join(',', keys %seen), 'OX2', 'its sessions went to the successor');
    # FS2's own failonstatus=599 wins over the balancer's 503.
    my ($s2) = raw_request($port, "GET /failstatus/status?code=503 HTTP/1.1\r\nHost: localhost\r\n"
                           . "Cookie: JSESSIONID=1.FS2\r\nConnection: close\r\n\r\n");
    ok t_cmp($s2, 503, 'FS2 answered its 503');
    sleep 0.5;
    ok !grep { /OXB00011: member FS2/ } error_log_since($mark);
}
my $hang_ms = 6000;
my $clients = 80;

sub request {
    my ($path) = @_;
    my ($status) = raw_request($port, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    return $status;
}

my $mark = error_log_mark();
# Each hanging client reports its status and when it got it.
pipe my $r, my $w or die;
my @kids;
for (1 .. $clients) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $status = request("/hanging/delay?ms=$hang_ms");
        syswrite $w, sprintf("%d %.3f\n", $status, time);
        exit 0;
    }
    push @kids, $pid;
}
close $w;
sleep 1;    # the hanging requests have all arrived

# Meanwhile, requests to another member are served: each is answered before
# the first hanging request that reached its backend comes back.
my @other;
for (1 .. 10) {
    push @other, [request('/other/echo'), time];
}
waitpid $_, 0 for @kids;
my @hung = map { [split ' '] } <$r>;
my @served = grep { $_->[0] == 200 } @hung;
my @refused = grep { $_->[0] == 503 } @hung;
my $first_back = (sort { $a <=> $b } map { $_->[1] } @served)[0] // 0;
my $children = () = child_pids();

ok t_cmp(scalar(grep { $_->[0] == 200 } @other), 10, 'the other member served every request');
ok !grep { $_->[1] >= $first_back } @other or print "# an /other request waited for the hanging member\n";
ok @served >= 2 && @served <= 2 * ($children < 4 ? 4 : $children)
    or print "# ", scalar @served, " hanging requests reached the member with $children children\n";
ok t_cmp(scalar(@served) + scalar(@refused), $clients, 'every other hanging request got 503 at once');
my @lines = wait_for_log($mark, qr/OXB00049/);
ok scalar(grep { /OXB00049: member HG1 .*all of its max=2 connections are in use; answering 503/ } @lines) >= 1;
