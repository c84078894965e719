package OXB::Limits;
# The max= check t/ajp/limits.t and t/http/limits.t share: more clients
# than httpd has workers hang on one member (until the test opens their
# gates), and the member holds at most max=2 workers per child, while the
# other members' requests are served; under prefork each hanging request
# holds a process of its own and max=2 never bites. Six checks.
use strict;
use warnings;
use Apache::Test qw(ok);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time);
use OXB::Test qw(raw_request raw_connect raw_read child_pids error_log_mark error_log_since wait_for_log mpm);
use Exporter 'import';
our @EXPORT_OK = qw(max_holds_workers);

# hang: the member's path prefix (its requests hang); gate: the gates'
# name prefix; other: a path another member serves; open: a balancer on the
# same test server through which the gates open; member: the member's
# route, as OXB00049 names it.
sub max_holds_workers {
    my (%o) = @_;
    my $port = Apache::Test::config()->{vars}{port};
    my $prefork = mpm() eq 'prefork';
    my $clients = $prefork ? 12 : 80;
    my $request = sub {
        my ($path) = @_;
        my ($status) = raw_request($port, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        return $status;
    };
    my $mark = error_log_mark();
    # Client $i's request hangs at the backend (after the response head, which
    # the client reads at once) until its gate opens; the backend gives up
    # after 30 s. Each client reports "head $i STATUS" when its head is in, and
    # "done $i STATUS TIME" when the response is over.
    pipe my $r, my $w or die;
    my @kids;
    for my $i (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            $w->autoflush(1);
            my $s = raw_connect();
            print $s "GET $o{hang}/pause-after-flush?gate=$o{gate}$i HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            my ($head) = raw_read($s, 60, sub { $_[0] =~ /\r\n\r\n/ });
            my ($status) = $head =~ m{\AHTTP/1\.[01] (\d{3})};
            $status //= 0;
            syswrite $w, "head $i $status\n";
            raw_read($s, 60);
            syswrite $w, sprintf("done %d %d %.3f\n", $i, $status, time);
            exit 0;
        }
        push @kids, $pid;
    }
    close $w;
    my (%head, @done);
    my $read_line = sub {
        my $line = <$r>;
        return 0 unless defined $line;
        if ($line =~ /^head (\d+) (\d+)$/) { $head{$1} = $2 }
        elsif ($line =~ /^done (\d+) (\d+) (\S+)$/) { push @done, [$1, $2, $3] }
        return 1;
    };
    while (keys %head < $clients) { last unless $read_line->() }
    # Every client has its head: the member's requests hang now, and
    # meanwhile requests to another member are served.
    my @other = map { $request->($o{other}) } 1 .. 10;
    my $other_done = time;
    my @served = grep { $head{$_} == 200 } sort { $a <=> $b } keys %head;
    my @refused = grep { $head{$_} == 503 } keys %head;
    my $children = () = child_pids();
    # Then the gates open (through another balancer to the same backend
    # server, whose gates they are), and the hanging requests end.
    $request->("$o{open}/open?gate=$o{gate}$_") for @served;
    1 while $read_line->();
    waitpid $_, 0 for @kids;
    my @early = grep { $_->[1] == 200 && $_->[2] < $other_done } @done;
    my @complete = grep { $_->[1] == 200 } @done;

    ok t_cmp(scalar(grep { $_ == 200 } @other), 10, 'the other member served every request meanwhile');
    ok t_cmp(scalar(@early), 0, 'no hanging request was over before they were served');
    ok t_cmp(scalar(@complete), scalar(@served), 'every hanging request completed once its gate opened');
    if ($prefork) {
        # Every request is over: whatever they logged is there.
        my @lines = error_log_since($mark);
        ok t_cmp(scalar(@served), $clients, 'prefork: every hanging request reached the member (one per process)');
        ok t_cmp(scalar(@refused), 0, 'prefork: none got 503');
        ok t_cmp(scalar(grep { /OXB00049/ } @lines), 0, 'prefork: max=2 was never reached (no OXB00049)');
    } else {
        ok @served >= 2 && @served <= 2 * ($children < 4 ? 4 : $children)
            or print "# ", scalar @served, " hanging requests reached the member with $children children\n";
        ok t_cmp(scalar(@served) + scalar(@refused), $clients, 'every other hanging request got 503 at once');
        my @lines = wait_for_log($mark, qr/OXB00049/);
        ok scalar(grep { /OXB00049: member $o{member} .*all of its max=2 connections are in use; answering 503/ } @lines) >= 1;
    }
}

1;
