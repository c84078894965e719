# HTTP/2 clients (mod_http2) send and receive bodies through the module as
# HTTP/1.1 clients do, to AJP and http:// members, over h2c with prior
# knowledge, h2c through "Upgrade: h2c" and h2 over TLS. All requests of a
# part go out at once, multiplexed on one connection:
#   - what the backend hears (Host from :authority, the scheme);
#   - uploads with and without content-length (an HTTP/2 request body often
#     has none: mod_http2 hands it over as a body of unknown length), up to
#     16 MiB, byte-exact at the backend;
#   - downloads of 5 MiB, byte-exact, from AJP (8 KiB and 64 KiB packets)
#     and HTTP members (Content-Length, chunked, and read until close);
#   - what the backend has sent reaches the client while the backend is
#     still working (a sequence check with gates, not a timing one);
#   - a small body complete by its Content-Length travels with the stream's
#     end in one DATA frame when the backend's END_RESPONSE follows within
#     flushwait=, and reaches the client without it when it does not;
#   - no response the client received whole is logged as one it walked
#     away from (OXB00014): mod_http2 marks a stream's connection aborted
#     once the stream is closed, which can be before the handler returns.
#
# h2c through Upgrade: httpd (2.4.71, event MPM) closes such a connection
# whenever its HTTP/2 session hands it back to the MPM: when idle (GOAWAY
# "timeout" right after the upgraded request, whatever the handler) and
# when its output waits for the client's WINDOW_UPDATE (GOAWAY, then the
# streams are cut). So here the upgraded request waits at a gate until
# every other stream of the connection is done, and the client's receive
# window is larger than all this connection carries.
use strict;
use warnings;
# mod_http2 serves no HTTP/2 under the prefork MPM (it says so at start).
BEGIN { if (($ENV{OXB_MPM} // "event") eq "prefork") { print "1..0 # SKIP mod_http2 does not run under prefork\n"; exit 0 } }
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(sha256_hex);
use OXB::H2;
use OXB::Test qw(parse_dump error_log_mark error_log_since);
use Apache::TestRequest qw(GET);

my @modes = qw(h2c upgrade tls);
plan tests => 51 * @modes + 2;
my $mark = error_log_mark();

sub pattern {
    my ($n) = @_;
    open my $fh, '-|', $ENV{OXB_PATTERN}, 'gen', $n or die "cannot run $ENV{OXB_PATTERN}: $!";
    binmode $fh;
    local $/;
    my $bytes = <$fh>;
    close $fh or die "$ENV{OXB_PATTERN} gen $n failed";
    return $bytes;
}

my $large = pattern(16 << 20);
my $mid = substr($large, 0, 3 << 20);
my %sha = (large => sha256_hex($large), mid => sha256_hex($mid));
my $down = substr($large, 0, 5 << 20);
my $gate = "h2body-$$-" . time;

sub body_ok {
    my ($s, $want, $what) = @_;
    my $same = $s->body eq $want;
    ok($same && $s->complete) or print "# $what: ", $s->describe, ($same ? '' : ', body differs'), "\n";
}

for my $mode (@modes) {
    my $h2 = OXB::H2->connect_to($mode, upgrade => { path => "/big/pause-after-flush?gate=$gate-up" },
                                 $mode eq 'upgrade' ? (window => 1 << 30) : ());
    my $spoke = $h2->speaks_h2;
    ok($spoke && ($mode ne 'upgrade' || $h2->upgrade_status == 101) && ($mode ne 'tls' || $h2->alpn eq 'h2'))
        or print "# $mode: no HTTP/2 (upgrade answered ", $h2->upgrade_status // '-', ")\n";
    my $authority = $h2->{authority};
    my $scheme = $mode eq 'tls' ? 'https' : 'http';

    # What the backends hear: Host from :authority; the scheme.
    {
        my $a = $h2->request(path => "/ajp/echo/get-$mode");
        my $h = $h2->request(path => "/h/echo/get-$mode");
        $h2->wait_done([$a, $h], 30);
        my ($sa, $sh) = ($h2->stream($a), $h2->stream($h));
        my ($da, $dh) = (parse_dump($sa->body), parse_dump($sh->body));
        ok t_cmp($sa->status, 200, "$mode: GET to an AJP member");
        ok t_cmp(join(',', $da->{headers_named}->('host')), $authority, "$mode: AJP member hears Host from :authority");
        ok t_cmp($da->{'is-ssl'}, $mode eq 'tls' ? 1 : 0, "$mode: AJP member hears whether the client used TLS");
        ok t_cmp($sh->status, 200, "$mode: GET to an HTTP member");
        ok t_cmp(join(',', $dh->{headers_named}->('host')), $authority, "$mode: HTTP member hears Host from :authority");
        ok t_cmp(join(',', $dh->{headers_named}->('x-forwarded-proto')), $scheme, "$mode: HTTP member hears the scheme");
    }

    # Uploads, with and without content-length, all at once.
    {
        my @ups = (
            ['/ajp/echo/cl', $mid, 1, 'mid'], ['/ajp/echo/nocl', $mid, 0, 'mid'], ['/ajp/echo/large', $large, 0, 'large'],
            ['/h/echo/cl', $mid, 1, 'mid'], ['/h/echo/nocl', $mid, 0, 'mid'], ['/h/echo/large', $large, 0, 'large'],
        );
        my @ids = map { $h2->request(method => 'POST', path => $_->[0], body => $_->[1], length => $_->[2],
                                     headers => ['content-type' => 'application/octet-stream']) } @ups;
        $h2->wait_done(\@ids, 120);
        for my $i (0 .. $#ups) {
            my ($path, $body, $cl, $kind) = @{ $ups[$i] };
            my $s = $h2->stream($ids[$i]);
            my $d = parse_dump($s->body);
            my $what = "$mode: POST $path (" . length($body) . ' bytes, ' . ($cl ? 'with' : 'without') . ' content-length)';
            ok($s->complete && ($s->status // 0) == 200) or print "# $what: ", $s->describe, "\n";
            ok t_cmp($d->{'body-length'}, length $body, "$what: length at the backend");
            ok t_cmp($d->{'body-sha256'}, $sha{$kind}, "$what: content at the backend");
            # An HTTP member gets a body of unknown length chunked.
            ok t_cmp($d->{framing}, $cl ? 'length' : 'chunked', "$what: framing to the HTTP member") if $path =~ m{^/h/};
        }
    }

    # Downloads of 5 MiB, all at once.
    {
        my $n = length $down;
        my @paths = ("/ajp/stream?bytes=$n", "/big/stream?bytes=$n", "/h/stream?bytes=$n",
                     "/h/stream?bytes=$n&te=chunked", "/h/stream?bytes=$n&te=close");
        my @ids = map { $h2->request(path => $_) } @paths;
        $h2->wait_done(\@ids, 60);
        for my $i (0 .. $#paths) {
            my $s = $h2->stream($ids[$i]);
            ok t_cmp($s->status, 200, "$mode: GET $paths[$i]");
            body_ok($s, $down, "$mode: GET $paths[$i]");
        }
    }

    # Streamed responses: the head (AJP flush) and the first chunk (HTTP)
    # reach the client while the backend waits at its gate; the gates are
    # opened through other streams of the same connection.
    {
        my ($ga, $gh) = ("$gate-$mode-a", "$gate-$mode-h");
        my $a = $h2->request(path => "/big/pause-after-flush?gate=$ga");
        my $h = $h2->request(path => "/h2h1/pause-after-flush?gate=$gh");
        my $raw = $h2->{streams};
        $h2->pump(8, sub { defined $raw->{$a}{status} && length($raw->{$h}{body}) >= 17 });
        my ($sa, $sh) = ($h2->stream($a), $h2->stream($h));
        ok t_cmp($sa->status, 200, "$mode: AJP head after a flush arrives while the backend waits");
        ok(!$sa->ended && !defined $sa->reset) or print "# ", $sa->describe, "\n";
        ok t_cmp($sh->body, "before the pause\n", "$mode: HTTP first chunk arrives while the backend waits");
        ok(!$sh->ended && !defined $sh->reset) or print "# ", $sh->describe, "\n";
        my @open = map { $h2->request(path => $_) } ("/big/open?gate=$ga", "/h2h1/open?gate=$gh");
        $h2->wait_done([$a, $h, @open], 30);
        body_ok($h2->stream($a), "after the pause\n", "$mode: AJP response after the gate");
        body_ok($h2->stream($h), "before the pause\nafter the pause\n", "$mode: HTTP response after the gate");
    }

    # A long body (40 000 bytes, five AJP packets) and then a pause: held
    # at most flushwait= (1 ms) for more, it reaches the client while the
    # backend waits at its gate.
    {
        my ($g, $n) = ("$gate-$mode-long", 40000);
        my $id = $h2->request(path => "/one/pause-before-end?gate=$g&bytes=$n");
        my $raw = $h2->{streams};
        $h2->pump(8, sub { length($raw->{$id}{body} // '') >= $n });
        my $s = $h2->stream($id);
        ok t_cmp(length($s->body), $n, "$mode: a long body before a pause arrives while the backend waits");
        ok(!$s->ended && !defined $s->reset) or print "# ", $s->describe, "\n";
        my $o = $h2->request(path => "/one/open?gate=$g");
        $h2->wait_done([$id, $o], 30);
        body_ok($h2->stream($id), substr($down, 0, $n), "$mode: the long body, whole, after the gate");
    }

    # A body complete by its Content-Length, then END_RESPONSE 50 ms later
    # (the member waits up to flushwait=500 for it): the body and the
    # stream's end in one DATA frame, not the body, then an empty frame
    # with END_STREAM. With the end held at a gate, the body still comes
    # after flushwait=, while the backend waits.
    {
        my $id = $h2->request(path => "/endwait/pause-before-end?ms=50");
        $h2->wait_done([$id], 30);
        my $s = $h2->stream($id);
        body_ok($s, "whole body\n", "$mode: a complete body with its end 50 ms behind");
        ok t_cmp(scalar @{ $s->frames }, 1, "$mode: the body and the stream's end in one DATA frame")
            or print "# ", $s->describe, "\n";
        my $g = "$gate-$mode-endwait";
        my $p = $h2->request(path => "/endwait/pause-before-end?gate=$g");
        my $raw = $h2->{streams};
        $h2->pump(8, sub { length($raw->{$p}{body} // '') >= 11 });
        my $sp = $h2->stream($p);
        ok(length($sp->body) == 11 && !$sp->ended && !defined $sp->reset)
            or print "# $mode: a complete body whose end waits at a gate: ", $sp->describe, "\n";
        my $o = $h2->request(path => "/one/open?gate=$g");
        $h2->wait_done([$p, $o], 30);
        body_ok($h2->stream($p), "whole body\n", "$mode: the complete body, ended after the gate");
    }

    if ($mode eq 'upgrade') {
        # The upgraded request itself (stream 1), now let go.
        my $o = $h2->request(path => "/big/open?gate=$gate-up");
        $h2->wait_done([1, $o], 30);
        my $s = $h2->stream(1);
        ok(($s->status // 0) == 200 && $s->complete && $s->body eq "after the pause\n")
            or print "# upgraded request: ", $s->describe, "\n";
    }
    $h2->close;
}

# Nobody cancelled anything here. The plain request only lets a handler
# still finishing its last response write its log lines first.
GET('/ajp/echo/settle');
my @gone = grep { /OXB00014/ } error_log_since($mark);
ok t_cmp(scalar @gone, 0, 'no complete response logged as a client that went away (OXB00014)');
print map { "# $_" } @gone;
