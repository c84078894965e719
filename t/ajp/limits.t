# failonstatus= / OXFailOnStatus, and max= as mod_proxy means it
# (connections per process, in use plus idle):
# a member whose requests hang holds at most max= workers per httpd child,
# and the other members' requests are served meanwhile. More clients hang on
# the member than httpd has workers (MaxRequestWorkers 64): without the
# limit, every worker would wait on it and the other requests would wait
# for them.
# Under prefork a process serves one request at a time, so it never has more
# than one connection to the member in use and max=2 never bites: each
# hanging request holds a process of its own, none gets 503 (and were there
# more of them than processes, the other members' requests would wait:
# docs/directives.md, max=). That is what this file expects there, with
# fewer hanging clients than prefork has processes (MaxRequestWorkers 16).
# The member's requests hang until the test opens their gates, not for a
# time: a loaded machine that is slow to start the clients changes nothing.
# acquire= (balancers acquire and acqmove, max=1): a request that finds the
# member's connection in use in its process waits for it and is served on
# it once it is free; a request without a route goes to another member
# after acquire=, one of the member's sessions gets 503.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use OXB::Limits qw(max_holds_workers);
use OXB::Test qw(raw_request raw_connect raw_read child_holding error_log_mark error_log_since wait_for_log mpm);

plan tests => 18;

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
my $prefork = mpm() eq 'prefork';

# acquire=: two requests in one httpd process to a member with max=1. The
# first holds the connection (its backend pauses after the head until the
# test opens its gate); the second waits for it instead of getting 503, and
# is served on that same connection once the first is over. Under prefork
# a process has one request at a time: nothing to show (see above).
# Returns a connection that httpd process $want accepted (any process when
# $want is undef), and that process. The request line goes out first: httpd
# accepts a connection only once data came (TCP_DEFER_ACCEPT); the caller
# sends the rest of the request.
sub connection_in {
    my ($want, $line) = @_;
    my @spare;
    for (1 .. 40) {
        my $s = raw_connect();
        print $s $line;
        my $pid;
        for (1 .. 40) { last if $pid = child_holding($s->sockport); sleep 0.05 }
        return ($s, $pid) if $pid && (!defined $want || $pid == $want);
        push @spare, $s;    # kept open, so the next one is not simply this one again
    }
    return (undef, undef);
}
if ($prefork) {
    Apache::Test::skip('prefork: one request per process, so max=1 is never reached', 0) for 1 .. 7;
} else {
    my ($first, $pid) = connection_in(undef, "GET /acquire/pause-after-flush?gate=aq1 HTTP/1.1\r\n");
    print $first "Host: localhost\r\nConnection: close\r\n\r\n";
    my ($head1) = raw_read($first, 30, sub { $_[0] =~ /\r\n\r\n/ });
    my ($second) = connection_in($pid, "GET /acquire/echo HTTP/1.1\r\n");
    ok defined $second or print "# no second connection in process $pid\n";
    print $second "Host: localhost\r\nConnection: close\r\n\r\n";
    # It waits: no answer (a 503 would come at once) while the first holds
    # the connection.
    my ($early) = raw_read($second, 2, sub { length $_[0] });
    ok t_cmp($early, '', 'the second request waits while the connection is in use');
    request('/one/open?gate=aq1');
    my ($rest1) = raw_read($first, 30);
    my ($bytes2) = raw_read($second, 30);
    my ($status2) = $bytes2 =~ m{\AHTTP/1\.[01] (\d{3})};
    ok t_cmp($status2, 200, 'then it is served');
    my ($conn1) = ($head1 . $rest1) =~ /^X-Conn-Id: (\S+)/mi;
    my ($conn2) = $bytes2 =~ /^X-Conn-Id: (\S+)/mi;
    ok $conn1 && $conn2 && $conn1 eq $conn2 or print "# connections: ", $conn1 // 'none', ' ', $conn2 // 'none', "\n";

    # A request without a route that finds the member busy goes to another
    # member (after acquire=300); a session of the member would get 503.
    ($first, $pid) = connection_in(undef, "GET /acqmove/pause-after-flush?gate=am1 HTTP/1.1\r\n");
    print $first "Host: localhost\r\nCookie: JSESSIONID=1.AM1\r\nConnection: close\r\n\r\n";
    raw_read($first, 30, sub { $_[0] =~ /\r\n\r\n/ });
    my (%new, %sticky);
    for (1 .. 3) {
        my ($s) = connection_in($pid, "GET /acqmove/echo HTTP/1.1\r\n");
        print $s "Host: localhost\r\nConnection: close\r\n\r\n";
        my ($bytes) = raw_read($s, 30);
        my ($status) = $bytes =~ m{\AHTTP/1\.[01] (\d{3})};
        my ($backend) = $bytes =~ /^X-Backend: (\S+)/mi;
        $new{ ($status // 0) . ' ' . ($backend // 'none') }++;
    }
    my ($s) = connection_in($pid, "GET /acqmove/echo HTTP/1.1\r\n");
    print $s "Host: localhost\r\nCookie: JSESSIONID=2.AM1\r\nConnection: close\r\n\r\n";
    my ($bytes) = raw_read($s, 30);
    my ($sticky_status) = $bytes =~ m{\AHTTP/1\.[01] (\d{3})};
    request('/one/open?gate=am1');
    raw_read($first, 30);
    ok t_cmp(join(',', keys %new), '200 OX2', 'new sessions went to AM2 while AM1 was busy');
    ok t_cmp($sticky_status, 503, 'a session of AM1 got 503: it is not moved');
    my %after;
    $after{ GET_backend() }++ for 1 .. 3;
    ok $after{OX1} or print "# once AM1 was free: ", join(' ', %after), "\n";
}
sub GET_backend {
    my (undef, undef, $resp) = raw_request($port, "GET /acqmove/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    return ($resp =~ /^X-Backend: (\S+)/mi)[0] // 'none';
}

sub request {
    my ($path) = @_;
    my ($status) = raw_request($port, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    return $status;
}

max_holds_workers(hang => '/hanging', gate => 'hg', other => '/other/echo', open => '/one', member => 'HG1');
