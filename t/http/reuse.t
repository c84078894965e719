# t/ajp/reuse.t for http:// members: backend connections are pooled (many
# requests ride one connection), a backend's "Connection: close" is honoured
# even when it keeps the connection open, and a client that aborts a
# download leaves no half-read connection behind.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use IO::Socket::INET ();
use OXB::Test qw(base_url error_log_mark error_log_since wait_for_log);

plan tests => 12;

my $ua = Apache::TestRequest::user_agent(keep_alive => 1);
my $base = base_url();

sub conn_of {
    my ($r) = @_;
    return ($r->header('X-Conn-Id') // -1, $r->header('X-Conn-Requests') // -1);
}

# As in t/ajp/reuse.t: a new backend connection may appear only with a new
# client connection (another httpd child has a pool of its own), and each
# carries every request of its client connection.
{
    my $count = 200;
    my (%conns, $client_conns, $moved, $ok, $last);
    for (1 .. $count) {
        my $r = $ua->get("$base/hone/conn");
        $ok++ if $r->code == 200;
        my $fresh = ($r->header('Client-Response-Num') // 1) == 1;
        $client_conns++ if $fresh || $_ == 1;
        my ($id) = conn_of($r);
        $moved++ if !$fresh && defined $last && $id ne $last;
        $last = $id;
        $conns{$id}++;
    }
    print STDERR "# pooled: $count requests over ", scalar(keys %conns), " backend connection(s) and ",
        $client_conns // 0, " client connection(s)\n";
    ok t_cmp($ok // 0, $count, "pooled: $count requests answered");
    ok t_cmp($moved // 0, 0, 'pooled: one backend connection for all requests of a client connection');
    ok scalar(keys %conns) <= ($client_conns // 0)
        or print "# ", scalar(keys %conns), " backend connections for $client_conns client connections\n";
}

# The backend answers "Connection: close" and keeps the connection open
# (our test server's /headers?connection=close): the header decides, that
# connection is not used again; nor is one whose body ran until the close.
for my $case (['/hone/headers?connection=close', 'Connection: close'],
              ['/hone/stream?bytes=1000&te=close', 'a body that ends with the close']) {
    my ($path, $what) = @$case;
    my $r = $ua->get("$base$path");
    ok t_cmp($r->code, 200, "$what: answered");
    my ($gone) = conn_of($r);
    my @next = map { (conn_of($ua->get("$base/hone/conn")))[0] } 1 .. 5;
    ok t_cmp(scalar(grep { $_ == $gone } @next), 0, "$what: that connection is not reused");
}

# A client aborts a 100 MiB download after 1 MiB. The backend connection,
# still mid-response, must be dropped: the next requests get clean answers
# on other connections.
{
    my $mark = error_log_mark();
    my ($host, $port) = $base =~ m{http://([^:]+):(\d+)};
    my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or die "connect: $!";
    print $s "GET /hone/stream?bytes=104857600 HTTP/1.1\r\nHost: $host\r\n\r\n";
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
        my $r = $ua->get("$base/hone/conn");
        push @codes, $r->code;
        push @ids, (conn_of($r))[0];
    }
    ok t_cmp(scalar(grep { $_ == 200 } @codes), 20, 'requests after the abort answered');
    ok t_cmp(scalar(grep { $_ == ($aborted // -2) } @ids), 0, 'the aborted connection was not pooled');
    ok t_cmp(scalar(grep { /OXB00010/ } error_log_since($mark)), 0, 'no backend errors after the abort');
}
