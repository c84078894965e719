# Session routing for HTTP/2 clients (mod_http2), over h2c and h2 over
# TLS, with all requests of a part multiplexed on one connection: streams
# of one connection go to different members, each by its own session
# (JSESSIONID cookie, also split into several cookie fields as HTTP/2
# clients send it, and ;jsessionid=), new sessions spread over the members
# and then stick; with Tomcat, real sessions made and found again over h2.
use strict;
use warnings;
# mod_http2 serves no HTTP/2 under the prefork MPM (it says so at start).
BEGIN { if (($ENV{OXB_MPM} // "event") eq "prefork") { print "1..0 # SKIP mod_http2 does not run under prefork\n"; exit 0 } }
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::H2;
use OXB::Test qw(parse_dump have_tomcat);

my @modes = qw(h2c tls);
plan tests => (16 + (have_tomcat() ? 3 : 0)) * @modes;

# Every stream in @$ids went to $member, sticky.
sub all_to {
    my ($h2, $ids, $member, $what) = @_;
    my @off = grep {
        my $s = $h2->stream($_);
        !$s->complete || ($s->header('x-backend') // '') ne $member
            || ($s->header('x-oxb-route') // '') !~ /^member=\Q$member\E; route=\Q$member\E; reason=sticky$/
    } @$ids;
    ok t_cmp(scalar @off, 0, "$what: every stream (" . @$ids . ") on $member, sticky");
    print "# ", $h2->stream($_)->describe, ' ', $h2->stream($_)->header('x-oxb-route') // '-', "\n" for @off;
}

for my $mode (@modes) {
    my $h2 = OXB::H2->connect_to($mode);

    # Sticky by cookie and by ;jsessionid=, AJP and HTTP members, three
    # streams of each kind, all at once on one connection.
    {
        my %cases;
        for my $kind (['ajp', 'OX1', 'OX2'], ['h', 'HX1', 'HX2']) {
            my ($prefix, @members) = @$kind;
            my $n = 0;
            for my $m (@members) {
                for my $i (1 .. 3) {
                    $n++;
                    push @{ $cases{"$prefix cookie $m"} },
                        $h2->request(path => "/$prefix/echo/c$n", headers => [cookie => "JSESSIONID=$n$i.$m"]);
                    push @{ $cases{"$prefix ;jsessionid= $m"} }, $h2->request(path => "/$prefix/echo/p$n;jsessionid=$n$i.$m");
                }
            }
        }
        # RFC 9113 8.2.3: a client may split Cookie into one field per
        # cookie; the session is found among them, and the backend gets one
        # Cookie header with all of them.
        my %split = map {
            my ($prefix, $m) = @$_;
            ($prefix => [$m, $h2->request(path => "/$prefix/echo/split",
                                          headers => [cookie => 'a=1', cookie => "JSESSIONID=77.$m", cookie => 'b=2'])])
        } (['ajp', 'OX2'], ['h', 'HX1']);
        $h2->wait_done([(map { @$_ } values %cases), (map { $_->[1] } values %split)], 30);
        for my $case (sort keys %cases) {
            my ($member) = $case =~ /(\w+)$/;
            all_to($h2, $cases{$case}, $member, "$mode: $case");
        }
        for my $prefix (sort keys %split) {
            my ($m, $id) = @{ $split{$prefix} };
            all_to($h2, [$id], $m, "$mode: $prefix cookie split over three fields");
            my $d = parse_dump($h2->stream($id)->body);
            ok t_cmp(join(' | ', $d->{headers_named}->('cookie')), "a=1; JSESSIONID=77.$m; b=2",
                     "$mode: $prefix: the backend gets the cookies in one header");
        }
    }

    # New sessions spread over both members of one connection's streams,
    # and each then sticks to its member.
    {
        my @ajp = map { $h2->request(path => "/ajp/echo/new$_") } 1 .. 10;
        my @h = map { $h2->request(path => '/h/session') } 1 .. 10;
        $h2->wait_done([@ajp, @h], 30);
        my %ajp_members;
        $ajp_members{ $h2->stream($_)->header('x-backend') // 'none' }++ for @ajp;
        ok t_cmp(join(' ', sort keys %ajp_members), 'OX1 OX2', "$mode: new sessions to AJP members on both");
        my (%h_members, @sessions, $mismatch);
        for my $id (@h) {
            my $s = $h2->stream($id);
            my $member = $s->header('x-backend') // 'none';
            $h_members{$member}++;
            my ($sid) = ($s->header('set-cookie') // '') =~ /JSESSIONID=([^;]+)/;
            $mismatch++ unless $sid && $sid =~ /\.\Q$member\E$/ && ($s->header('x-oxb-route') // '') =~ /reason=new/;
            push @sessions, [$sid // 'none', $member];
        }
        ok t_cmp(join(' ', sort keys %h_members), 'HX1 HX2', "$mode: new sessions to HTTP members on both");
        ok t_cmp($mismatch // 0, 0, "$mode: each new session's route names the member that made it");
        my @back = map { $h2->request(path => '/h/echo/again', headers => [cookie => "JSESSIONID=$_->[0]"]) } @sessions;
        $h2->wait_done(\@back, 30);
        my @lost = grep { ($h2->stream($back[$_])->header('x-backend') // '') ne $sessions[$_][1] } 0 .. $#back;
        ok t_cmp(scalar @lost, 0, "$mode: each new session comes back to its member");
    }

    # Real sessions in Tomcat (jvmRoute OX1/OX2): made over h2, then found
    # again by the node that made them, cookie and ;jsessionid= mixed.
    if (have_tomcat()) {
        my @logins = map { $h2->request(path => '/tc/login') } 1 .. 8;
        $h2->wait_done(\@logins, 30);
        my @ids = map { (($h2->stream($_)->header('set-cookie') // '') =~ /JSESSIONID=([^;]+)/)[0] // 'none' } @logins;
        my %routes;
        $routes{ ($_ =~ /\.(\w+)$/)[0] // 'none' }++ for @ids;
        ok t_cmp(join(' ', sort keys %routes), 'OX1 OX2', "$mode: Tomcat sessions made on both nodes");
        my @who = map {
            $_ % 2 ? $h2->request(path => '/tc/whoami', headers => [cookie => "JSESSIONID=$ids[$_]"])
                   : $h2->request(path => "/tc/whoami;jsessionid=$ids[$_]")
        } 0 .. $#ids;
        $h2->wait_done(\@who, 30);
        my (@valid, @wrong);
        for my $i (0 .. $#ids) {
            my %w = $h2->stream($who[$i])->body =~ /(\w+)=(\S+)/g;
            my ($route) = $ids[$i] =~ /\.(\w+)$/;
            push @wrong, $i unless ($w{route} // '') eq ($route // '-');
            push @valid, $i if ($w{valid} // '') eq 'true';
        }
        ok t_cmp(scalar @wrong, 0, "$mode: each Tomcat session found on its node");
        ok t_cmp(scalar @valid, scalar @ids, "$mode: and valid there");
    }
    $h2->close;
}
