# Backend faults under HTTP/2 clients (mod_http2), over h2c and h2 over
# TLS: the stream a fault hits gets a 502, or (once its head went out) is
# reset, never a complete-looking response; every other stream of the same
# connection, sent at the same time, completes byte-exact; the connection
# itself goes on serving. A stream whose session's member is down fails
# over to the successor with its request body intact. Each fault is logged
# once (OXB00010), as over HTTP/1.1. A stream the client cancels is
# noticed and blames no member.
use strict;
use warnings;
# mod_http2 serves no HTTP/2 under the prefork MPM (it says so at start).
BEGIN { if (($ENV{OXB_MPM} // "event") eq "prefork") { print "1..0 # SKIP mod_http2 does not run under prefork\n"; exit 0 } }
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(sha256_hex);
use OXB::H2;
use OXB::Test qw(parse_dump pattern_bytes error_log_mark error_log_since);

my @modes = qw(h2c tls);
# Faults after the head: the response was begun, so the stream is reset.
my @mid = ('/one/reset?after=100000', '/hone/reset?after=100000');
# Faults that may be found before or after the head went out (an HTTP
# member's bytes are passed on as they come): a 502, or a reset stream,
# never a complete 200.
my @either = ('/hone/bad?kind=shorter', '/hone/bad?kind=bad-chunk');
# Malformed before any byte went out: 502. An AJP body longer or shorter
# than its Content-Length is found before the response is passed on (the
# whole body is there): a 502 too, not the backend's head and a reset.
my @before = ('/one/garbage?kind=magic', '/one/garbage?kind=bad-status', '/one/longer', '/one/shorter',
              '/hone/bad?kind=status-line', '/hone/bad?kind=two-cl');
my $faults = @mid + @either + @before;
plan tests => (1 + 2 * @mid + @either + @before + 10 + 2 + 1 + 12 + 4) * @modes;

my $n = 2 << 20;
my $down = pattern_bytes($n);
my $up = pattern_bytes(1 << 20);
my $up_sha = sha256_hex($up);

# The lines after $mark that match $re, once there are $want of them (httpd
# writes them around the response) or 10 s passed. With $h2, its connection
# is read meanwhile, as a client does (one that stops reading holds up the
# server's whole connection, its RST_STREAMs included).
sub log_lines {
    my ($mark, $re, $want, $h2) = @_;
    my @lines;
    for (1 .. 100) {
        @lines = grep { $_ =~ $re } error_log_since($mark);
        last if @lines >= $want;
        if ($h2) { $h2->pump(0.1) } else { select undef, undef, undef, 0.1 }
    }
    return @lines;
}

for my $mode (@modes) {
    my $h2 = OXB::H2->connect_to($mode);
    my $mark = error_log_mark();
    # The faults and the bystanders, all at once on one connection.
    my %id;
    $id{$_} = $h2->request(path => $_) for @mid, @either, @before;
    my @by = (
        [$h2->request(path => "/ajp/stream?bytes=$n"), 'GET /ajp/stream'],
        [$h2->request(path => "/h/stream?bytes=$n&te=chunked"), 'GET /h/stream'],
        [$h2->request(path => '/ajp/echo/up', method => 'POST', body => $up, length => 0), 'POST /ajp/echo'],
        [$h2->request(path => '/h/echo/up', method => 'POST', body => $up), 'POST /h/echo'],
        [$h2->request(path => '/hone/bad?kind=longer'), 'GET /hone/bad?kind=longer'],
    );
    my $all = $h2->wait_done([values %id, map { $_->[0] } @by], 60);
    ok($all) or print "# $mode: not every stream was over within 60 s\n";

    for my $path (@mid) {
        my $s = $h2->stream($id{$path});
        ok(($s->status // 0) == 200 && defined $s->reset && !$s->ended)
            or print "# $mode: $path: want the head, then a reset: ", $s->describe, "\n";
        my $got = $s->body;
        ok(length($got) <= 100000 && $got eq substr($down, 0, length $got))
            or print "# $mode: $path: ", length($got), " bytes, not a prefix of what the backend sent\n";
    }
    for my $path (@either) {
        my $s = $h2->stream($id{$path});
        ok((($s->status // 0) == 502 && $s->complete) || (defined $s->reset && !$s->ended))
            or print "# $mode: $path: want a 502 or a reset stream: ", $s->describe, "\n";
    }
    for my $path (@before) {
        my $s = $h2->stream($id{$path});
        ok(($s->status // 0) == 502 && $s->complete) or print "# $mode: $path: want a 502: ", $s->describe, "\n";
    }

    # The bystanders.
    my ($sd, $hd, $sa, $ha, $longer) = map { $h2->stream($_->[0]) } @by;
    for my $s ($sd, $hd) {
        ok t_cmp($s->status, 200, "$mode: bystander $s->{path}");
        ok($s->complete && $s->body eq $down) or print "# $mode: bystander ", $s->describe, "\n";
    }
    for my $s ($sa, $ha) {
        my $d = parse_dump($s->body);
        ok t_cmp($s->status, 200, "$mode: bystander POST $s->{path}");
        ok t_cmp($d->{'body-sha256'}, $up_sha, "$mode: bystander POST $s->{path}: the body at the backend");
    }
    # A body past its Content-Length that looks like a second response: the
    # 5 declared bytes, nothing of the rest.
    ok t_cmp($longer->status, 200, "$mode: longer: the declared response");
    ok($longer->complete && $longer->body eq 'hello') or print "# $mode: longer: ", $longer->describe, "\n";

    # The connection goes on: no GOAWAY, a new stream is served.
    ok(!$h2->goaway && !$h2->closed) or print "# $mode: GOAWAY or closed after the faults\n";
    my $after = $h2->fetch(path => '/ajp/echo/after');
    ok t_cmp($after->status, 200, "$mode: a new stream after the faults");

    # Each fault is logged once; the bystanders none.
    my @lines = log_lines($mark, qr/OXB00010/, $faults);
    ok t_cmp(scalar @lines, $faults, "$mode: each fault logged once");

    # Sessions whose member is down (nothing listens; retry=0, so each one
    # tries it): every stream goes to the successor, a POST with its body.
    {
        my $fmark = error_log_mark();
        my @ids;
        for my $b (['h2fail', 'D1', 'OX2'], ['h2hfail', 'HD1', 'HX2']) {
            my ($prefix, $gone, $succ) = @$b;
            push @ids, [$succ, $prefix, $h2->request(path => "/$prefix/echo/f$_", headers => [cookie => "JSESSIONID=4$_.$gone"])]
                for 1 .. 3;
            push @ids, [$succ, $prefix, $h2->request(path => "/$prefix/echo/fpost;jsessionid=49.$gone", method => 'POST',
                                                     body => $up, length => 0)];
        }
        $h2->wait_done([map { $_->[2] } @ids], 30);
        for my $prefix ('h2fail', 'h2hfail') {
            my @mine = grep { $_->[1] eq $prefix } @ids;
            my @off = grep { my $s = $h2->stream($_->[2]); !$s->complete || ($s->header('x-backend') // '') ne $_->[0] } @mine;
            ok t_cmp(scalar @off, 0, "$mode: $prefix: every stream of a session on the down member served by its successor");
            print "# ", $h2->stream($_->[2])->describe, "\n" for @off;
            my @why = grep { ($h2->stream($_->[2])->header('x-oxb-route') // '') =~ /reason=failover/ } @mine;
            ok t_cmp(scalar @why, scalar @mine, "$mode: $prefix: the route header says failover");
            my $d = parse_dump($h2->stream($mine[-1][2])->body);
            ok t_cmp($d->{'body-sha256'} // 'none', $up_sha, "$mode: $prefix: the POST's body reached the successor whole");
        }
        my $want = scalar @ids;
        my @tries = log_lines($fmark, qr/OXB00010/, $want);
        ok t_cmp(scalar @tries, $want, "$mode: one refused try logged per stream");
        ok(!grep { !/trying another member/ } @tries) or print map { "# $_" } @tries;
        my $req_ok = $h2->fetch(path => '/ajp/echo/last');
        ok t_cmp($req_ok->status, 200, "$mode: the connection serves after the failovers");
        ok($h2->alive(5)) or print "# $mode: no PING answer\n";
        ok(!$h2->goaway) or print "# $mode: GOAWAY\n";
        ok t_cmp(scalar(grep { /OXB00011/ } error_log_since($fmark)), 0,
                 "$mode: retry=0: no error window opened");
    }
    # The client cancels two downloads mid-way (RST_STREAM CANCEL): the
    # module notices (OXB00014 at debug, once each), blames no member, and
    # the connection and the members go on serving.
    {
        my $cmark = error_log_mark();
        my $big = 64 << 20;
        my @ids = ($h2->request(path => "/ajp/stream?bytes=$big"), $h2->request(path => "/h/stream?bytes=$big&te=chunked"));
        my $raw = $h2->{streams};
        $h2->pump(30, sub { !grep { length($raw->{$_}{body}) < (1 << 20) } @ids });
        my @partial = grep { my $s = $h2->stream($_); !$s->ended && !defined $s->reset && length($s->body) >= (1 << 20) } @ids;
        ok t_cmp(scalar @partial, 2, "$mode: two downloads under way");
        $h2->cancel($_) for @ids;
        my @gone = log_lines($cmark, qr/OXB00014/, 2, $h2);
        ok t_cmp(scalar @gone, 2, "$mode: each cancelled stream noticed once (OXB00014)");
        my @after = map { $h2->request(path => $_) } ('/ajp/echo/after-cancel', '/h/echo/after-cancel');
        $h2->wait_done(\@after, 30);
        ok(!grep { ($h2->stream($_)->status // 0) != 200 } @after) or print "# $mode: after the cancel: ",
            join('; ', map { $h2->stream($_)->describe } @after), "\n";
        ok t_cmp(scalar(grep { /OXB0001[01]/ } error_log_since($cmark)), 0, "$mode: a cancel blames no member");
    }
    $h2->close;
}
