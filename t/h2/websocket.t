# WebSockets over HTTP/2 (RFC 8441, mod_http2's H2WebSockets on): an
# extended CONNECT stream with :protocol websocket, which mod_http2 hands to
# the module as the HTTP/1.1 handshake, tunnelled to an http:// member.
# Over h2c and h2 over TLS, on one connection: two WebSockets at once, each
# on the member of its session, frames both ways (text, a 70 KB binary
# message, ping/pong), an ordinary request beside them, the close
# handshake; the connection goes on serving.
use strict;
use warnings;
# mod_http2 serves no HTTP/2 under the prefork MPM (it says so at start).
BEGIN { if (($ENV{OXB_MPM} // "event") eq "prefork") { print "1..0 # SKIP mod_http2 does not run under prefork\n"; exit 0 } }
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use OXB::H2;

my @modes = qw(h2c tls);
plan tests => 13 * @modes;

# A client frame (masked) of $op with $payload.
sub frame {
    my ($op, $payload) = @_;
    my $len = length $payload;
    my $f = pack('C', 0x80 | $op);
    if ($len < 126) { $f .= pack('C', 0x80 | $len) }
    elsif ($len <= 0xffff) { $f .= pack('Cn', 0x80 | 126, $len) }
    else { $f .= pack('CNN', 0x80 | 127, 0, $len) }
    my $key = pack('N', int rand 2**32);
    return $f . $key . ($payload ^ substr($key x (int($len / 4) + 1), 0, $len));
}

# The next whole server frame of stream $id as [opcode, payload], waiting up
# to $secs; undef if none came.
sub next_frame {
    my ($h2, $id, $secs) = @_;
    my $st = $h2->{streams}{$id};
    $st->{ws_at} //= 0;
    my $parse = sub {
        my $buf = substr($st->{body}, $st->{ws_at});
        return undef if length $buf < 2;
        my ($b0, $b1) = unpack('CC', $buf);
        my ($len, $at) = ($b1 & 0x7f, 2);
        if ($len == 126) { return undef if length $buf < 4; $len = unpack('n', substr($buf, 2, 2)); $at = 4 }
        elsif ($len == 127) { return undef if length $buf < 10; $len = unpack('N', substr($buf, 6, 4)); $at = 10 }
        return undef if length $buf < $at + $len;
        $st->{ws_at} += $at + $len;
        return [$b0 & 0x0f, substr($buf, $at, $len)];
    };
    my $f;
    $h2->pump($secs, sub { $f = $parse->() });
    return $f;
}

sub ws_open {
    my ($h2, $path, @headers) = @_;
    my $id = $h2->request(raw => [':method' => 'CONNECT', ':protocol' => 'websocket', ':scheme' => $h2->{scheme},
                                  ':path' => $path, ':authority' => $h2->{authority},
                                  'sec-websocket-version' => '13', @headers], open => 1);
    $h2->pump(10, sub { defined $h2->{streams}{$id}{status} || $h2->done($id) });
    return $id;
}

for my $mode (@modes) {
    my $h2 = OXB::H2->connect_to($mode);
    $h2->speaks_h2;
    ok t_cmp($h2->{peer_settings}{8} // 0, 1, "$mode: the server allows extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)");

    my %ws;
    for my $m ('HX1', 'HX2') {
        $ws{$m} = ws_open($h2, '/hws/ws?hello=1', cookie => "JSESSIONID=5.$m");
    }
    for my $m (sort keys %ws) {
        my $s = $h2->stream($ws{$m});
        ok(($s->status // 0) == 200 && !$s->ended && !defined $s->reset)
            or print "# $mode: WebSocket to $m: ", $s->describe, ': ', $s->body, "\n";
        my $hello = next_frame($h2, $ws{$m}, 5);
        ok t_cmp($hello ? "$hello->[0] $hello->[1]" : 'none', "1 hello from $m", "$mode: the session's member greets");
    }

    # Frames both ways, on both at once.
    my $big = join('', map { chr(($_ * 7) % 256) } 1 .. 70_000);
    $h2->send_body($ws{HX1}, frame(1, "text over $mode"));
    $h2->send_body($ws{HX2}, frame(2, $big));
    my $t = next_frame($h2, $ws{HX1}, 5);
    ok t_cmp($t ? "$t->[0] $t->[1]" : 'none', "1 text over $mode", "$mode: text echoed");
    my $b = next_frame($h2, $ws{HX2}, 10);
    ok(($b && $b->[0] == 2 && $b->[1] eq $big) ? 1 : 0) or print "# $mode: binary: ", ($b ? length $b->[1] : 'none'), "\n";
    $h2->send_body($ws{HX1}, frame(9, 'are you there'));
    my $p = next_frame($h2, $ws{HX1}, 5);
    ok t_cmp($p ? "$p->[0] $p->[1]" : 'none', '10 are you there', "$mode: ping answered with pong");

    # An ordinary request on the same connection while both tunnels are open.
    my $plain = $h2->fetch(path => '/h/echo/beside');
    ok t_cmp($plain->status, 200, "$mode: an ordinary stream beside the tunnels");

    # The close handshake on one; the other stays open and still echoes.
    $h2->send_body($ws{HX1}, frame(8, pack('n', 1000) . 'bye'));
    my $c = next_frame($h2, $ws{HX1}, 5);
    ok t_cmp($c ? $c->[0] . ' ' . unpack('n', $c->[1]) : 'none', '8 1000', "$mode: close answered");
    $h2->send_body($ws{HX1}, '', 1);
    $h2->pump(10, sub { $h2->done($ws{HX1}) });
    ok($h2->done($ws{HX1}) && !$h2->closed) or print "# $mode: closed WebSocket: ", $h2->stream($ws{HX1})->describe, "\n";
    $h2->send_body($ws{HX2}, frame(1, 'still here'));
    my $still = next_frame($h2, $ws{HX2}, 5);
    ok t_cmp($still ? $still->[1] : 'none', 'still here', "$mode: the other WebSocket goes on");
    $h2->send_body($ws{HX2}, frame(8, pack('n', 1000)));
    next_frame($h2, $ws{HX2}, 5);
    $h2->send_body($ws{HX2}, '', 1);
    $h2->pump(10, sub { $h2->done($ws{HX2}) });

    ok($h2->alive(5) && !$h2->goaway) or print "# $mode: the connection does not serve after the tunnels\n";
    $h2->close;
}
