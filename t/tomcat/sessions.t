# Session routing in front of real Tomcats with jvmRoute OX1/OX2: new
# sessions split by load factor across every httpd child, sessions stay on
# their node (cookie and ;jsessionid=), draining keeps sessions and takes no
# new ones, disabled takes nothing, OXFailover Off answers 503, and hostile
# cookies are just "no route".
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use File::Temp ();
use OXB::Test qw(have_tomcat base_url error_log_mark wait_for_log);

plan tests => 32, sub { have_tomcat() };

my $base = base_url();

# Route and session id of a fresh session created through $prefix.
sub login {
    my ($ua, $prefix) = @_;
    my $r = $ua->get("$base$prefix/login");
    my ($id) = join(',', $r->header('Set-Cookie')) =~ /JSESSIONID=([^;,]+)/;
    my ($route) = ($id // '') =~ /\.(\w+)$/;
    return ($route // 'none', $id, $r);
}

sub whoami {
    my ($path, @headers) = @_;
    my $r = GET $path, @headers;
    my %w = $r->content =~ /(\w+)=(\S+)/g;
    return ($r, \%w);
}

# 1,000 new sessions from four clients at once: 500/500 but for races, and
# more than one httpd child did the choosing (the split is shared, not per
# child). One after another, smooth weighted round robin is exact over each
# cycle (50/50: A B A B ...); choices made in several children at the same
# instant may each take the same member (docs/directives.md), one session
# off per other client at most, which the next choices make good: 500 +- 3.
# Measured: 500/500.
my (%split, @ox1, @ox2);
{
    my $dir = File::Temp->newdir;
    my @kids;
    for my $c (1 .. 4) {
        my $pid = fork // die;
        if (!$pid) {
            my $ua = LWP::UserAgent->new(keep_alive => 1);
            open my $out, '>', "$dir/$c" or die;
            for (1 .. 250) {
                my ($route, $id, $r) = login($ua, '/tc');
                print $out join(' ', $route, $id // '-', $r->header('X-OXB-Route') // '-'), "\n";
            }
            exit 0;
        }
        push @kids, $pid;
    }
    waitpid $_, 0 for @kids;
    my $new = 0;
    for my $c (1 .. 4) {
        open my $in, '<', "$dir/$c" or die;
        while (<$in>) {
            my ($route, $id, $hdr) = split ' ', $_, 3;
            $split{$route}++;
            $new++ if $hdr =~ /reason=new/;
            push @ox1, $id if $route eq 'OX1';
            push @ox2, $id if $route eq 'OX2';
        }
    }
    print STDERR "# 1000 new sessions from 4 clients at once: OX1 ", $split{OX1} // 0, ", OX2 ", $split{OX2} // 0, "\n";
    ok t_cmp(($split{OX1} // 0) + ($split{OX2} // 0), 1000, 'every login made a routed session');
    ok abs(($split{OX1} // 0) - 500) <= 3 or print "# OX1: ", $split{OX1} // 0, ", want 500 +- 3\n";
    ok t_cmp($new, 1000, 'every login was a new session');
    # The access log says which child chose.
    my $log = Apache::Test::config()->{vars}{t_logs} . '/access_log';
    open my $al, '<', $log or die;
    my %pids;
    while (<$al>) { $pids{$1}++ if m{"GET /tc/login HTTP/1\.1" 200 .* pid=(\d+) member=OX\d route=- reason=new} }
    print "# chosen by ", scalar(keys %pids), " httpd children\n";
    ok keys(%pids) >= 2;
}

# Load factors 25/75, one client: 400 is 100 whole cycles (B A B B), so
# exactly 100/300.
{
    my $ua = LWP::UserAgent->new(keep_alive => 1);
    my %w;
    $w{ (login($ua, '/tcw'))[0] }++ for 1 .. 400;
    print STDERR "# 400 sessions at 25/75: OX1 ", $w{OX1} // 0, ", OX2 ", $w{OX2} // 0, "\n";
    ok t_cmp($w{OX1} // 0, 100, '25/75, one client: exactly 100 of 400 on OX1');
}

# bybusyness with nothing in flight but the request itself: every choice is
# a tie, and ties go by the round robin at equal weights: 10/10.
{
    my $ua = LWP::UserAgent->new(keep_alive => 1);
    my %b;
    $b{ (login($ua, '/tcbusy'))[0] }++ for 1 .. 20;
    print STDERR "# bybusyness, 20 sessions one after another: OX1 ", $b{OX1} // 0, ", OX2 ", $b{OX2} // 0, "\n";
    ok t_cmp($b{OX1} // 0, 10, 'bybusyness, nothing in flight, equal weights: 10 of 20 on OX1');
}

# Every request with OX2's cookie, and with OX2's ;jsessionid=, reaches OX2,
# which knows the session.
my ($s1, $s2) = ($ox1[0], $ox2[0]);
{
    my ($cookie_ok, $path_ok) = (0, 0);
    for (1 .. 100) {
        my ($r, $w) = whoami('/tc/whoami', Cookie => "JSESSIONID=$s2");
        $cookie_ok++ if $w->{route} eq 'OX2' && $w->{valid} eq 'true';
        my ($r2, $w2) = whoami("/tc/whoami;jsessionid=$s2");
        $path_ok++ if $w2->{route} eq 'OX2' && $w2->{valid} eq 'true';
    }
    ok t_cmp($cookie_ok, 100, 'cookie: 100 of 100 on OX2, session valid');
    ok t_cmp($path_ok, 100, ';jsessionid=: 100 of 100 on OX2, session valid');
    my ($r) = whoami('/tc/whoami', Cookie => "JSESSIONID=$s2");
    ok t_cmp($r->header('X-OXB-Route'), 'member=OX2; route=OX2; reason=sticky', 'route header');
    # Other cookies around it, and the session cookie quoted.
    my (undef, $w) = whoami('/tc/whoami', Cookie => qq{a=b; JSESSIONID="$s1"; c=d});
    ok t_cmp($w->{route}, 'OX1', 'quoted cookie among others');
}

# Draining OX1: its sessions stay, no new session goes there.
{
    my (undef, $w) = whoami('/tcdrain/whoami', Cookie => "JSESSIONID=$s1");
    ok t_cmp($w->{route}, 'OX1', 'draining: the session stays on OX1');
    ok t_cmp($w->{valid}, 'true', 'draining: and is still valid there');
    my $ua = LWP::UserAgent->new(keep_alive => 1);
    my %d;
    $d{ (login($ua, '/tcdrain'))[0] }++ for 1 .. 100;
    ok t_cmp($d{OX2} // 0, 100, 'draining: 100 of 100 new sessions on OX2');
}

# Disabled OX1: takes nothing; its sessions go to their successor.
{
    my ($r, $w) = whoami('/tcdisabled/whoami', Cookie => "JSESSIONID=$s1");
    ok t_cmp($w->{route}, 'OX2', 'disabled: the session goes to the successor');
    ok t_cmp($r->header('X-OXB-Route'), 'member=OX2; route=OX1; reason=failover', 'route header says failover');
    my $ua = LWP::UserAgent->new(keep_alive => 1);
    my %d;
    $d{ (login($ua, '/tcdisabled'))[0] }++ for 1 .. 100;
    ok t_cmp($d{OX2} // 0, 100, 'disabled: 100 of 100 new sessions on OX2');
}

# OXFailover Off: a session whose member is disabled gets 503; new sessions
# still work.
{
    my $mark = error_log_mark();
    my ($r) = whoami('/tcnf/whoami', Cookie => "JSESSIONID=$s1");
    ok t_cmp($r->code, 503, 'OXFailover Off: 503 for a session of a disabled member');
    my @lines = grep { /OXB00016: balancer tcnofailover/ } wait_for_log($mark, qr/OXB00016/);
    ok t_cmp(scalar @lines, 1, 'OXFailover Off: the refusal is logged');
    my ($r2, $w) = whoami('/tcnf/whoami');
    ok t_cmp($w->{route}, 'OX2', 'OXFailover Off: no route still balances');
}

# Hostile session ids: a normal balanced answer, never an error.
{
    my @bad = ('', 'JSESSIONID=', 'JSESSIONID=.', 'JSESSIONID=1.' . ('X' x 4096),
               join('; ', map { "JSESSIONID=$_.NOPE" } 1 .. 50), "JSESSIONID=1.OX\t\x80\xff",
               'JSESSIONID=1.OX2' . ("\t" x 3) . ';;;', 'JSESSIONID="1.OX1');
    for my $cookie (@bad) {
        my ($r) = whoami('/tc/whoami', Cookie => $cookie);
        ok t_cmp($r->code, 200, 'hostile cookie: ' . substr($cookie, 0, 30));
    }
    my ($r) = whoami('/tc/whoami;jsessionid=' . ('Y' x 3000) . '.OX9');
    ok t_cmp($r->code, 200, 'hostile path parameter');
    # Control characters reach the module only %-encoded (the route is
    # then "OX%01": no member); raw ones in a header are refused by httpd
    # itself (400) before any module runs.
    my ($r2) = whoami('/tc/whoami;jsessionid=1.OX%01%7f');
    ok t_cmp($r2->code, 200, 'encoded control characters in the route');
    my ($r3) = whoami('/tc/whoami', Cookie => "JSESSIONID=1.OX\x01");
    ok t_cmp($r3->code, 400, 'raw control characters: httpd answers 400 itself');
    # 50 cookies, the last one real: it still counts.
    my (undef, $w) = whoami('/tc/whoami', Cookie => join('; ', (map { "JSESSIONID=$_.NOPE" } 1 .. 49), "JSESSIONID=$s2"));
    ok t_cmp($w->{route}, 'OX2', 'the first cookie naming a member wins, even the 50th');
}

# The access log carries member, route and reason.
{
    my $log = Apache::Test::config()->{vars}{t_logs} . '/access_log';
    open my $al, '<', $log or die;
    my %reasons;
    while (<$al>) { $reasons{$1}++ if /reason=(\w+)$/ }
    ok $reasons{sticky} && $reasons{new} && $reasons{failover};
}
