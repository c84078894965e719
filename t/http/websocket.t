# WebSockets through the module to http:// members: the handshake, frames
# both ways, stickiness by the session's route, the tunnel counted as in
# flight, a drain that keeps open tunnels and a disable that closes them
# after the grace time (hws: grace=3s), and idle= and max= (hwsidle: idle=1s,
# hwsmax: max=2s).
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use Time::HiRes qw(time sleep);
use OXB::Test qw(error_log_mark wait_for_log);
use OXB::Status qw(get_json member_of post_action page_nonce ua status_url enable_all);
use OXB::WebSocket ();

plan tests => 29;

$SIG{PIPE} = 'IGNORE';
my $cfg = Apache::Test::config();
my ($host, $port) = ($cfg->{vars}{servername}, $cfg->{vars}{port});

sub ws {
    my ($path, @headers) = @_;
    return OXB::WebSocket->connect($host, $port, $path, [@headers]);
}

sub hello_of { my ($ws) = @_; my ($type, $data) = $ws->recv_message(5); return ($data // '') =~ /hello from (\S+)/ ? $1 : '' }

sub action {
    my ($member, $what) = @_;
    my $nonce = page_nonce(ua()->get(status_url())->content);
    return post_action(nonce => $nonce, balancer => 'hws', member => $member, action => $what)->code;
}

# Handshake and frames.
{
    my $ws = ws('/h/ws?hello=1');
    ok t_cmp($ws->status, 101, 'the upgrade goes through: 101');
    ok t_cmp($ws->accept_ok, 1, "the backend's Sec-WebSocket-Accept reaches the client");
    ok t_cmp(hello_of($ws), qr/^HX[12]$/, 'the first message comes from the member');
    $ws->send_text('hello through the tunnel');
    ok t_cmp(join(' ', $ws->recv_message(5)), 'text hello through the tunnel', 'text echoed');
    my $big = join '', map { chr($_ % 251) } 1 .. 70_000;
    $ws->send_binary($big, fragment => 16_000);
    my ($type, $data) = $ws->recv_message(10);
    ok t_cmp($type, 'binary', 'binary message back');
    ok t_cmp(($data // '') eq $big ? 1 : 0, 1, 'a 70 KB fragmented message, byte for byte');
    $ws->ping('p1');
    ok t_cmp(join(' ', $ws->recv_message(5)), 'pong p1', 'ping answered through the tunnel');
    my ($code) = $ws->close(1000, 'done');
    ok t_cmp($code, 1000, 'close handshake');
}

# Sticky to the member the session's route names.
{
    my %seen;
    for (1 .. 4) {
        my $ws = ws('/h/ws?hello=1', [Cookie => 'JSESSIONID=4711.HX2']);
        $seen{ hello_of($ws) }++;
        $ws->close;
    }
    ok t_cmp(join(',', keys %seen), 'HX2', 'every tunnel of the session on its member');
}

# No tunnel where none may be: OXWebSocket Off, and an AJP member.
{
    my $ws = ws('/hnows/ws?hello=1');
    ok $ws->status != 101;
    $ws = ws('/ajp/echo', [Cookie => 'JSESSIONID=1.OX1']);
    ok $ws->status != 101;
}

# In flight while open; kept by a drain; closed by a disable after grace.
{
    my $open = ws('/hws/ws?hello=1', [Cookie => 'JSESSIONID=99.HX2']);
    ok t_cmp(hello_of($open), 'HX2', 'tunnel to HX2');
    my $m = member_of(get_json(), 'hws', 'HX2');
    ok t_cmp($m->{in_flight} >= 1 ? 1 : 0, 1, 'an open tunnel counts as in flight');

    ok t_cmp(action('HX2', 'drain'), 200, 'drain HX2');
    sleep 1.5;
    $open->send_text('still there');
    ok t_cmp(join(' ', $open->recv_message(5)), 'text still there', 'a drain keeps open tunnels');
    my $sticky = ws('/hws/ws?hello=1', [Cookie => 'JSESSIONID=99.HX2']);
    ok t_cmp(hello_of($sticky), 'HX2', 'draining: the session still reaches its member');
    $sticky->close;
    my $new = ws('/hws/ws?hello=1');
    ok t_cmp(hello_of($new), 'HX1', 'draining: a new session goes elsewhere');
    $new->close;

    my $mark = error_log_mark();
    my $t0 = time;
    ok t_cmp(action('HX2', 'disable'), 200, 'disable HX2');
    # Within grace=3s the tunnel still carries messages; after it, it ends.
    $open->send_text('within grace');
    my @echo = $open->recv_message(2);
    my $echoed = time - $t0;
    ok t_cmp(join(' ', @echo), 'text within grace', 'disabled: the tunnel stays open during grace=')
        or print "# echo after ${echoed}s\n";
    my @got = $open->recv_message(8);
    my $took = time - $t0;
    ok((!@got || $got[0] eq 'close') && $took >= 3 && $took < 8) or print "# tunnel ended ${took}s after the disable\n";
    ok t_cmp(scalar wait_for_log($mark, qr/OXB00090: tunnel \(websocket\) to member HX2 .*ended: stopped/) ? 1 : 0, 1,
             'the closing is logged');
    my $moved = ws('/hws/ws?hello=1', [Cookie => 'JSESSIONID=99.HX2']);
    ok t_cmp(hello_of($moved), 'HX1', 'disabled: the session goes to its successor');
    $moved->close;
    enable_all('hws', 'HX1', 'HX2');
}

# idle=1s: traffic keeps the tunnel open past it; silence ends it.
{
    my $mark = error_log_mark();
    my $ws = ws('/hwsidle/ws?hello=1');
    ok t_cmp(hello_of($ws), 'HX1', 'idle=: tunnel open');
    my $echoed = 0;
    for my $i (1 .. 4) {
        sleep 0.4;
        $ws->send_text("beat $i");
        $echoed++ if join(' ', $ws->recv_message(2)) eq "text beat $i";
    }
    ok t_cmp($echoed, 4, 'idle=1s: 1.6 s of messages every 0.4 s keep it open');
    my $t0 = time;
    my @got = $ws->recv_message(6);
    my $took = time - $t0;
    ok((!@got || $got[0] eq 'close') && $took >= 0.9 && $took < 5) or print "# ended ${took}s after the last message\n";
    ok t_cmp(scalar(grep { /OXB00090: tunnel \(websocket\) to member HX1 .*ended: idle timeout/ }
                    wait_for_log($mark, qr/OXB00090/)), 1, 'idle=: logged as an idle timeout');
}

# max=2s: the tunnel ends after 2 s however busy it is.
{
    my $mark = error_log_mark();
    my $t0 = time;
    my $ws = ws('/hwsmax/ws?hello=1');
    ok t_cmp(hello_of($ws), 'HX1', 'max=: tunnel open');
    my $ended;
    for my $i (1 .. 20) {
        sleep 0.3;
        $ws->send_text("beat $i");
        my @m = $ws->recv_message(2);
        if (!@m || $m[0] ne 'text') { $ended = time - $t0; last }
    }
    ok(defined $ended && $ended >= 1.9 && $ended < 5) or print "# ended after ", $ended // 'never', " s\n";
    ok t_cmp(scalar(grep { /OXB00090: tunnel \(websocket\) to member HX1 .*ended: total timeout/ }
                    wait_for_log($mark, qr/OXB00090/)), 1, 'max=: logged as a total timeout');
}
