# Backend connections are pooled: many requests ride one connection, a
# backend's "don't reuse" is honoured, and a client that aborts a download
# leaves no half-read connection behind.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use IO::Socket::INET ();
use OXB::Test qw(base_url error_log_mark error_log_since wait_for_log);

plan tests => 22;

my $ua = Apache::TestRequest::user_agent(keep_alive => 1);
my $base = base_url();

sub conn_of {
    my ($r) = @_;
    return ($r->header('X-Conn-Id') // -1, $r->header('X-Conn-Requests') // -1);
}

# 200 requests from one keep-alive client: the child serving its connection
# hands the same backend connection out again and again. httpd closes a
# client connection after 100 requests (MaxKeepAliveRequests), and the next
# one may land on the other child, which has a pool of its own: so a new
# backend connection may appear only with a new client connection (LWP's
# Client-Response-Num 1), and each carries every request of its client
# connection.
sub one_per_client_conn {
    my ($path, $count, $what) = @_;
    my (%conns, $client_conns, $moved, $ok, $last);
    for (1 .. $count) {
        my $r = $ua->get("$base$path");
        $ok++ if $r->code == 200;
        my $fresh = ($r->header('Client-Response-Num') // 1) == 1;
        # The first request may go on a client connection opened before.
        $client_conns++ if $fresh || $_ == 1;
        my ($id) = conn_of($r);
        # Within one client connection, the backend connection never changes.
        $moved++ if !$fresh && defined $last && $id ne $last;
        $last = $id;
        $conns{$id}++;
    }
    print STDERR "# $what: $count requests over ", scalar(keys %conns), " backend connection(s) and ",
        $client_conns // 0, " client connection(s)\n";
    ok t_cmp($ok // 0, $count, "$what: $count requests answered");
    ok t_cmp($moved // 0, 0, "$what: one backend connection for all requests of a client connection");
    ok scalar(keys %conns) <= ($client_conns // 0)
        or print "# ", scalar(keys %conns), " backend connections for $client_conns client connections\n";
}
one_per_client_conn('/one/conn', 200, 'pooled');

# ping=: a CPing/CPong before each request, on the same pooled connection.
{
    my $cpings = sub { ($ua->get("$base/one/stats")->content =~ /cpings=(\d+)/)[0] // 0 };
    my $before = $cpings->();
    one_per_client_conn('/pinged/conn', 20, 'ping=');
    my $sent = $cpings->() - $before;
    print STDERR "# ping=: $sent CPings for 20 requests\n";
    ok t_cmp($sent, 20, 'ping=: one CPing per request');
}

# END_RESPONSE with reuse=0: that connection is not used again.
{
    my $r = $ua->get("$base/one/noreuse");
    ok t_cmp($r->code, 200, 'noreuse answered');
    my ($gone) = conn_of($r);
    my @next = map { (conn_of($ua->get("$base/one/conn")))[0] } 1 .. 5;
    ok t_cmp(scalar(grep { $_ == $gone } @next), 0, 'a reuse=0 connection is not reused');
}

# A client aborts a 100 MiB download after 1 MiB. The backend connection,
# still mid-response, must be dropped: the next requests get clean answers
# on other connections.
{
    my $mark = error_log_mark();
    my ($host, $port) = $base =~ m{http://([^:]+):(\d+)};
    my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or die "connect: $!";
    print $s "GET /one/stream?bytes=104857600 HTTP/1.1\r\nHost: $host\r\n\r\n";
    my $buf = '';
    while (length($buf) < 1_048_576) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    my ($aborted) = $buf =~ /^X-Conn-Id: (\d+)/mi;
    ok defined $aborted;
    close $s;
    my @lines = wait_for_log($mark, qr/OXB00014/);
    ok t_cmp(scalar(grep { /OXB00014/ } @lines), 1, 'the abort was noticed once');
    my (@codes, @ids);
    for (1 .. 20) {
        my $r = $ua->get("$base/one/conn");
        push @codes, $r->code;
        push @ids, (conn_of($r))[0];
    }
    ok t_cmp(scalar(grep { $_ == 200 } @codes), 20, 'requests after the abort answered');
    ok t_cmp(scalar(grep { $_ == ($aborted // -2) } @ids), 0, 'the aborted connection was not pooled');
    ok t_cmp(scalar(grep { /OXB00010/ } wait_for_log($mark, qr/OXB00014/)), 0, 'no backend errors after the abort');
}

# A request head too large for one AJP packet (two 5000-byte headers, each
# within httpd's own limit) gets 431 before any backend connection is taken:
# the pooled one carries the next request. Logged at info, once a minute.
{
    my $mark = error_log_mark();
    my ($id, $n) = conn_of($ua->get("$base/one/conn"));
    my @big = map { ("X-Big-$_" => 'x' x 5000) } 1 .. 2;
    my @codes = map { $ua->get("$base/one/echo", @big)->code } 1 .. 2;
    my ($id2, $n2) = conn_of($ua->get("$base/one/conn"));
    ok t_cmp("@codes", '431 431', 'too large for one packet: 431');
    ok t_cmp($id2, $id, 'the pooled connection carries the next request');
    ok t_cmp($n2, $n + 1, '... as its next request: none went to the backend in between');
    my @lines = grep { /OXB00013/ } wait_for_log($mark, qr/OXB00013/);
    ok t_cmp(scalar @lines, 1, 'logged once for two');
    ok(($lines[0] // '') =~ /\[oxbalance:info\].*member S1; answering 431 \(0 more like this before\)/)
        or print "# log: ", ($lines[0] // "(none)\n");
    ok t_cmp(scalar(grep { /OXB00010/ } error_log_since($mark)), 0, 'no backend failure logged');
}

# Many clients at once: every request is answered, and the pools, not the
# requests, decide how many backend connections there are: at most one new
# one per client connection and member, whichever child takes it.
{
    # Connections each of the balancer's two test servers accepted, and the
    # CPings they answered (probes of the nodes by other balancers open a
    # connection each, with one CPing), read from each server by its route.
    my $counts = sub {
        my ($conns, $cpings) = (0, 0);
        for my $route (qw(OX1 OX2)) {
            my $c = $ua->get("$base/ajp/stats", Cookie => "JSESSIONID=reuse.$route")->content;
            my ($n, $p) = $c =~ /connections=(\d+) .*cpings=(\d+)/ or die "no stats from $route: $c";
            ($conns, $cpings) = ($conns + $n, $cpings + $p);
        }
        return ($conns, $cpings);
    };
    my ($before, $cpings_before) = $counts->();
    my @pids;
    my $tmp = Apache::Test::config()->{vars}{t_dir} . '/tmp';
    mkdir $tmp;
    for my $c (1 .. 8) {
        my $pid = fork // die;
        if (!$pid) {
            my $ua2 = LWP::UserAgent->new(keep_alive => 1);
            my $ok = 0;
            $ok += ($ua2->get("$base/ajp/echo?c=$c")->code == 200) for 1 .. 50;
            open my $fh, '>', "$tmp/parallel-$c" or die;
            print $fh $ok;
            exit 0;
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    my $total = 0;
    for my $c (1 .. 8) {
        open my $fh, '<', "$tmp/parallel-$c" or next;
        $total += <$fh>;
        unlink "$tmp/parallel-$c";
    }
    ok t_cmp($total, 400, '8 clients x 50 requests answered');
    my ($after, $cpings_after) = $counts->();
    my ($new, $probes) = ($after - $before, $cpings_after - $cpings_before);
    print STDERR "# 8 clients x 50 requests: $new new backend connection(s), $probes CPing(s) meanwhile\n";
    # New sessions alternate between the two members, so each client
    # connection may need one connection to each: at most 8 x 2, one for
    # each of the two reads above, and one per CPing (a probe's connection;
    # CPings on pooled connections only loosen this). Without reuse it
    # would be 400.
    ok($new <= 8 * 2 + 2 + $probes) or print "# $new new backend connections for 8 client connections\n";
}
