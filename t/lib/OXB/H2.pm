package OXB::H2;
# A small HTTP/2 client for the tests (t/h2/*.t): its own framing on a
# socket, HPACK from Protocol::HTTP2 (libprotocol-http2-perl). It multiplexes
# any number of streams on one connection and keeps, per stream, what a test
# asserts on: the response head, every DATA frame with the time it arrived,
# whether the stream ended (END_STREAM) or was reset (RST_STREAM and its
# code); per connection, a GOAWAY and whether the server closed it.
#
#   my $h2 = OXB::H2->new(mode => 'h2c' | 'upgrade' | 'tls', port => N [, window => bytes]);
#   my $id = $h2->request(path => '/ajp/echo', method => 'POST', body => $bytes,
#                         length => 0, headers => [cookie => 'JSESSIONID=1.OX1']);
#   $h2->wait_done([$id], 30);
#   my $s = $h2->stream($id);   # status, header(), body, ended, reset, ...
#
# Modes: 'h2c' is cleartext with prior knowledge (RFC 9113 3.3); 'upgrade'
# is cleartext through HTTP/1.1 "Upgrade: h2c" (RFC 7540 3.2): the first
# request goes out as HTTP/1.1 and its response comes back as stream 1
# (pass it as upgrade => {path => ..., headers => [...]}); 'tls' is h2 over
# TLS chosen by ALPN, verified against the test CA.
use strict;
use warnings;
use Carp ();
use IO::Select ();
use IO::Socket::INET ();
use IO::Socket::SSL ();
use MIME::Base64 ();
use Time::HiRes ();
use Protocol::HTTP2::Connection ();
use Protocol::HTTP2::Constants qw(:endpoints);
use Protocol::HTTP2::HeaderCompression qw(headers_encode headers_decode);

use constant {
    DATA => 0, HEADERS => 1, PRIORITY => 2, RST_STREAM => 3, SETTINGS => 4, PUSH_PROMISE => 5,
    PING => 6, GOAWAY => 7, WINDOW_UPDATE => 8, CONTINUATION => 9,
    END_STREAM => 0x1, ACK => 0x1, END_HEADERS => 0x4, PADDED => 0x8, PRIORITY_FLAG => 0x20,
    S_ENABLE_PUSH => 2, S_INITIAL_WINDOW_SIZE => 4, S_MAX_FRAME_SIZE => 5,
};

my $PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
# What the server may send on each stream, and on the connection, before
# it waits for our WINDOW_UPDATE (replenished as data arrives when half of
# it is used); the option window => N sets another.
my $RECV_WINDOW = 1 << 24;
my $FRAME = 16384;   # the largest frame we send (the protocol's minimum maximum)

# RFC 9113 7: error codes by name, for messages.
my @ERRORS = qw(NO_ERROR PROTOCOL_ERROR INTERNAL_ERROR FLOW_CONTROL_ERROR SETTINGS_TIMEOUT STREAM_CLOSED
                FRAME_SIZE_ERROR REFUSED_STREAM CANCEL COMPRESSION_ERROR CONNECT_ERROR ENHANCE_YOUR_CALM
                INADEQUATE_SECURITY HTTP_1_1_REQUIRED);
sub error_name { my $c = shift; return defined $c ? ($ERRORS[$c] // "error $c") : 'none' }

sub new {
    my ($class, %o) = @_;
    my $mode = $o{mode} // 'h2c';
    my $self = bless {
        mode => $mode, port => $o{port} // Carp::croak('port'), host => $o{host} // '127.0.0.1',
        authority => $o{authority} // 'localhost:' . $o{port},
        streams => {}, next_id => 1, out => '',
        send_window => 65535, peer_initial => 65535, peer_max_frame => 16384,
        recv_unacked => 0, window => $o{window} // $RECV_WINDOW, goaway => undef, closed => 0, settings_acked => 0, frames_in => [],
        hpack => Protocol::HTTP2::Connection->new(CLIENT),
    }, $class;
    $self->{hpack}{preface} = 1;
    my $sock;
    if ($mode eq 'tls') {
        $sock = IO::Socket::SSL->new(
            PeerHost => $self->{host}, PeerPort => $self->{port}, Timeout => 10,
            SSL_hostname => 'localhost', SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'http',
            SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
            SSL_ca_file => $o{ca} // "$ENV{OXB_RUN_DIR}/tls/ca.pem",
            SSL_alpn_protocols => ['h2', 'http/1.1'],
        ) or die "TLS connect to $self->{port}: $! $IO::Socket::SSL::SSL_ERROR\n";
        $self->{alpn} = $sock->alpn_selected // '';
        die "the server chose ALPN '$self->{alpn}', not h2\n" unless $self->{alpn} eq 'h2';
    } else {
        $sock = IO::Socket::INET->new(PeerAddr => $self->{host}, PeerPort => $self->{port}, Timeout => 10)
            or die "connect to $self->{port}: $!\n";
    }
    binmode $sock;
    $self->{sock} = $sock;
    $self->{sel} = IO::Select->new($sock);
    $self->{scheme} = $mode eq 'tls' ? 'https' : 'http';
    my $settings = pack('nN', S_ENABLE_PUSH, 0) . pack('nN', S_INITIAL_WINDOW_SIZE, $self->{window});
    if ($mode eq 'upgrade') {
        my $u = $o{upgrade} // {};
        my $path = $u->{path} // '/';
        my $b64 = MIME::Base64::encode_base64url($settings);
        my @h = @{ $u->{headers} // [] };
        my $req = "GET $path HTTP/1.1\r\nHost: $self->{authority}\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            . "Upgrade: h2c\r\nHTTP2-Settings: $b64\r\n";
        while (my ($n, $v) = splice(@h, 0, 2)) { $req .= "$n: $v\r\n" }
        $self->_write("$req\r\n");
        # The 101, or an HTTP/1.1 response if the server does not switch.
        my $head = '';
        my $deadline = Time::HiRes::time() + 10;
        while (index($head, "\r\n\r\n") < 0) {
            my $left = $deadline - Time::HiRes::time();
            die "no answer to the h2c upgrade request\n" unless $left > 0 && $self->{sel}->can_read($left);
            my $n = sysread($sock, my $buf, 1);   # byte by byte: what follows the head is HTTP/2
            die "connection closed during the h2c upgrade\n" unless $n;
            $head .= $buf;
        }
        my ($code) = $head =~ m{^HTTP/1\.1 (\d{3})};
        $self->{upgrade_status} = $code // 0;
        $self->{upgrade_head} = $head;
        return $self unless ($code // 0) == 101;
        # Stream 1 is the upgraded request, half closed on our side.
        $self->_new_stream(1, $path);
        $self->{next_id} = 3;
    }
    $self->{out} .= $PREFACE . _frame(SETTINGS, 0, 0, $settings)
        . _frame(WINDOW_UPDATE, 0, 0, pack('N', $self->{window} - 65535));
    $self->_flush;
    return $self;
}

# A connection to the test server: 'tls' on its h2 TLS port
# (OXB_H2TLS_PORT), the others on its h2c port (OXB_H2C_PORT).
sub connect_to {
    my ($class, $mode, %o) = @_;
    my $port = $mode eq 'tls' ? $ENV{OXB_H2TLS_PORT} : $ENV{OXB_H2C_PORT};
    return $class->new(mode => $mode, port => $port, %o);
}

# Whether the server spoke HTTP/2: its SETTINGS arrived (within $secs).
sub speaks_h2 {
    my ($self, $secs) = @_;
    return $self->pump($secs // 5, sub { $self->{peer_settings} });
}

sub _frame {
    my ($type, $flags, $id, $payload) = @_;
    my $l = length $payload;
    return pack('CnCCN', $l >> 16, $l & 0xffff, $type, $flags, $id) . $payload;
}

sub _write {
    my ($self, $bytes) = @_;
    local $SIG{PIPE} = 'IGNORE';
    while (length $bytes) {
        my $n = syswrite($self->{sock}, $bytes);
        unless ($n) { $self->{closed} = 1; $self->{write_error} = "$!"; return }
        substr($bytes, 0, $n, '');
    }
}

sub _new_stream {
    my ($self, $id, $path) = @_;
    return $self->{streams}{$id} = {
        id => $id, path => $path, status => undef, head => [], trailers => [], interim => [], body => '',
        frames => [], ended => 0, reset => undef, sent_reset => undef, t_start => Time::HiRes::time(),
        t_head => undef, t_end => undef, pending => '', pending_end => 0, local_end => 0,
        send_window => $self->{peer_initial}, recv_unacked => 0, block => undef,
    };
}

# Starts a request; returns its stream id. Options: method (GET), path,
# authority, scheme, headers => [name => value, ...] (in order, names as
# given: HTTP/2 wants them lower case), body => bytes (sent after the head;
# with length => 1, the default, a content-length field says how many),
# open => 1 (the body goes on: send more with send_body), raw => [...] (the
# whole header list as given, pseudo-headers included: nothing added).
sub request {
    my ($self, %r) = @_;
    my $id = $self->{next_id};
    $self->{next_id} += 2;
    my $s = $self->_new_stream($id, $r{path});
    my @h;
    if ($r{raw}) {
        @h = @{ $r{raw} };
    } else {
        @h = (':method' => $r{method} // 'GET', ':scheme' => $r{scheme} // $self->{scheme},
              ':authority' => $r{authority} // $self->{authority}, ':path' => $r{path} // '/');
        push @h, @{ $r{headers} // [] };
        push @h, 'content-length' => length $r{body} if defined $r{body} && ($r{length} // 1) && !$r{open};
    }
    my $block = headers_encode($self->{hpack}->encode_context, \@h);
    my $end = !defined $r{body} && !$r{open};
    my $first = substr($block, 0, $self->{peer_max_frame}, '');
    $self->{out} .= _frame(HEADERS, ($end ? END_STREAM : 0) | (length $block ? 0 : END_HEADERS), $id, $first);
    while (length $block) {
        my $part = substr($block, 0, $self->{peer_max_frame}, '');
        $self->{out} .= _frame(CONTINUATION, length $block ? 0 : END_HEADERS, $id, $part);
    }
    $s->{local_end} = 1 if $end;
    $self->send_body($id, $r{body}, !$r{open}) if defined $r{body};
    $self->_flush;
    return $id;
}

# Queues body bytes on stream $id (sent as flow control allows, from pump);
# $end ends the request.
sub send_body {
    my ($self, $id, $bytes, $end) = @_;
    my $s = $self->{streams}{$id} or Carp::croak("no stream $id");
    $s->{pending} .= $bytes // '';
    $s->{pending_end} = 1 if $end;
    $self->_flush;
}

# Cancels stream $id (RST_STREAM, CANCEL unless $code).
sub cancel {
    my ($self, $id, $code) = @_;
    my $s = $self->{streams}{$id};
    $self->{out} .= _frame(RST_STREAM, 0, $id, pack('N', $code // 8));
    if ($s) { $s->{sent_reset} = $code // 8; $s->{pending} = ''; $s->{pending_end} = 0 }
    $self->_flush;
}

sub ping {
    my ($self) = @_;
    $self->{ping_acked} = 0;
    $self->{out} .= _frame(PING, 0, 0, 'oxbping!');
    $self->_flush;
}

# Sends what is queued: control frames, then DATA as the windows allow.
sub _flush {
    my ($self) = @_;
    return if $self->{closed};
    my $progress = 1;
    while ($progress) {
        $progress = 0;
        for my $s (sort { $a->{id} <=> $b->{id} } values %{ $self->{streams} }) {
            next if $s->{local_end} || $s->{reset} || defined $s->{sent_reset};
            my $want = length $s->{pending};
            next unless $want || $s->{pending_end};
            my $n = $want;
            for my $lim ($FRAME, $self->{send_window}, $s->{send_window}) { $n = $lim if $n > $lim }
            next if $want && $n <= 0;
            my $last = $s->{pending_end} && $n == $want;
            $self->{out} .= _frame(DATA, $last ? END_STREAM : 0, $s->{id}, substr($s->{pending}, 0, $n, ''));
            $self->{send_window} -= $n;
            $s->{send_window} -= $n;
            $s->{local_end} = 1 if $last;
            $progress = 1;
            last if length($self->{out}) > 4 * $FRAME;
        }
        if (length $self->{out}) {
            $self->_write($self->{out});
            $self->{out} = '';
        }
        # Reading in between keeps WINDOW_UPDATEs coming and the server's
        # output moving while we send.
        $self->_read_some(0) if $progress;
    }
}

# Reads what is there (waiting up to $secs for the first bytes) and
# handles the frames. Returns false once the connection is closed.
sub _read_some {
    my ($self, $secs) = @_;
    return 0 if $self->{closed};
    my $sock = $self->{sock};
    my $ready = ($sock->can('pending') && $sock->pending) || $self->{sel}->can_read($secs);
    return 1 unless $ready;
    my $n = sysread($sock, my $buf, 1 << 20);
    if (!defined $n && ($!{EAGAIN} || $!{EWOULDBLOCK})) { return 1 }
    unless ($n) {
        $self->{closed} = 1;
        return 0;
    }
    $self->{in} .= $buf;
    $self->_frames;
    return 1;
}

sub _frames {
    my ($self) = @_;
    while (length($self->{in}) >= 9) {
        my ($hl, $ll, $type, $flags, $id) = unpack('CnCCN', $self->{in});
        my $len = ($hl << 16) + $ll;
        last if length($self->{in}) < 9 + $len;
        substr($self->{in}, 0, 9, '');
        my $p = substr($self->{in}, 0, $len, '');
        $id &= 0x7fffffff;
        push @{ $self->{frames_in} }, [$type, $flags, $id, $len];
        $self->_frame_in($type, $flags, $id, $p);
    }
}

sub _unpad {
    my ($flags, $p) = @_;
    return $p unless $flags & PADDED;
    my $pad = unpack('C', $p);
    return substr($p, 1, length($p) - 1 - $pad);
}

sub _frame_in {
    my ($self, $type, $flags, $id, $p) = @_;
    my $now = Time::HiRes::time();
    my $s = $self->{streams}{$id};
    if ($type == DATA) {
        my $len = length $p;
        my $data = _unpad($flags, $p);
        if ($s) {
            push @{ $s->{frames} }, [$now, length $data];
            $s->{body} .= $data;
            if ($flags & END_STREAM) { $s->{ended} = 1; $s->{t_end} = $now }
            $s->{recv_unacked} += $len;
            if (!$s->{ended} && $s->{recv_unacked} > $self->{window} / 2) {
                $self->{out} .= _frame(WINDOW_UPDATE, 0, $id, pack('N', $s->{recv_unacked}));
                $s->{recv_unacked} = 0;
            }
        }
        $self->{recv_unacked} += $len;
        if ($self->{recv_unacked} > $self->{window} / 2) {
            $self->{out} .= _frame(WINDOW_UPDATE, 0, 0, pack('N', $self->{recv_unacked}));
            $self->{recv_unacked} = 0;
        }
    } elsif ($type == HEADERS || $type == CONTINUATION) {
        my $b = $p;
        if ($type == HEADERS) {
            $b = _unpad($flags, $b);
            $b = substr($b, 5) if $flags & PRIORITY_FLAG;
            $self->{block} = { id => $id, bytes => '', end_stream => $flags & END_STREAM };
        }
        $self->{block}{bytes} .= $b;
        if ($flags & END_HEADERS) {
            my $blk = delete $self->{block};
            my $ctx = $self->{hpack};
            $ctx->decode_context->{emitted_headers} = [];
            defined headers_decode($ctx, \$blk->{bytes}, 0, length $blk->{bytes}, $blk->{id})
                or die "HPACK decoding failed on stream $blk->{id}\n";
            my @list = @{ $ctx->decode_context->{emitted_headers} };
            $ctx->decode_context->{emitted_headers} = [];
            my @pairs;
            push @pairs, [splice(@list, 0, 2)] while @list;
            if ($s) {
                my ($status) = map { $_->[1] } grep { $_->[0] eq ':status' } @pairs;
                if (defined $status && $status =~ /^1\d\d$/) {
                    push @{ $s->{interim} }, [@pairs];
                } elsif (!defined $s->{status}) {
                    $s->{status} = $status;
                    $s->{head} = [grep { $_->[0] !~ /^:/ } @pairs];
                    $s->{t_head} = $now;
                } else {
                    $s->{trailers} = \@pairs;
                }
                if ($blk->{end_stream}) { $s->{ended} = 1; $s->{t_end} = $now }
            }
        }
    } elsif ($type == RST_STREAM) {
        if ($s) { $s->{reset} = unpack('N', $p); $s->{t_end} = $now }
    } elsif ($type == SETTINGS) {
        if ($flags & ACK) {
            $self->{settings_acked} = 1;
        } else {
            $self->{peer_settings} //= {};
            for (my $i = 0; $i + 6 <= length $p; $i += 6) {
                my ($k, $v) = unpack('nN', substr($p, $i, 6));
                if ($k == S_INITIAL_WINDOW_SIZE) {
                    my $diff = $v - $self->{peer_initial};
                    $self->{peer_initial} = $v;
                    $_->{send_window} += $diff for values %{ $self->{streams} };
                } elsif ($k == S_MAX_FRAME_SIZE) {
                    $self->{peer_max_frame} = $v;
                }
                $self->{peer_settings}{$k} = $v;
            }
            $self->{out} .= _frame(SETTINGS, ACK, 0, '');
        }
    } elsif ($type == PING) {
        if ($flags & ACK) { $self->{ping_acked} = 1 }
        else { $self->{out} .= _frame(PING, ACK, 0, $p) }
    } elsif ($type == GOAWAY) {
        my ($last, $code) = unpack('NN', $p);
        $self->{goaway} = { last_stream => $last & 0x7fffffff, code => $code, debug => substr($p, 8) };
    } elsif ($type == WINDOW_UPDATE) {
        my $inc = unpack('N', $p) & 0x7fffffff;
        if ($id == 0) { $self->{send_window} += $inc } elsif ($s) { $s->{send_window} += $inc }
    }
}

# Runs the connection until $until->() holds, the connection closes, or
# $secs pass. Returns whether $until held.
sub pump {
    my ($self, $secs, $until) = @_;
    my $deadline = Time::HiRes::time() + $secs;
    for (;;) {
        $self->_flush;
        return 1 if $until && $until->();
        my $left = $deadline - Time::HiRes::time();
        return 0 if $left <= 0 || $self->{closed};
        $self->_read_some($left < 0.2 ? $left : 0.2);
    }
}

# Whether stream $id is over: ended, reset by either side, or cut by the
# connection's end.
sub done {
    my ($self, $id) = @_;
    my $s = $self->{streams}{$id} or return 1;
    return $s->{ended} || defined $s->{reset} || defined $s->{sent_reset} || $self->{closed}
        || ($self->{goaway} && $id > $self->{goaway}{last_stream});
}

# Waits until every stream in @$ids is over; returns whether they all were
# within $secs.
sub wait_done {
    my ($self, $ids, $secs) = @_;
    return $self->pump($secs // 30, sub { !grep { !$self->done($_) } @$ids });
}

# A request and its whole answer: the stream record (see stream).
sub fetch {
    my ($self, %r) = @_;
    my $secs = delete $r{timeout} // 30;
    my $id = $self->request(%r);
    $self->wait_done([$id], $secs);
    return $self->stream($id);
}

# The record of stream $id: status, head ([[name, value], ...] without
# pseudo-headers), header(NAME) (the values of a field, joined with ", "),
# body, frames ([[time, bytes], ...] of DATA), ended (END_STREAM seen),
# reset (the server's RST_STREAM code, or undef), complete (ended and not
# reset), interim (1xx heads).
sub stream {
    my ($self, $id) = @_;
    my $s = $self->{streams}{$id} or return undef;
    return OXB::H2::Stream->new($s);
}

sub goaway { return $_[0]{goaway} }
sub closed { return $_[0]{closed} }
sub alpn   { return $_[0]{alpn} }
sub upgrade_status { return $_[0]{upgrade_status} }
sub upgrade_head   { return $_[0]{upgrade_head} }

# Whether the connection still serves: a PING answered within $secs.
sub alive {
    my ($self, $secs) = @_;
    return 0 if $self->{closed} || $self->{goaway};
    $self->ping;
    return $self->pump($secs // 5, sub { $self->{ping_acked} });
}

sub close {
    my ($self) = @_;
    return if $self->{closed};
    $self->{out} .= _frame(GOAWAY, 0, 0, pack('NN', 0, 0));
    $self->_flush;
    $self->{closed} = 1;
    CORE::close($self->{sock});
}

sub DESTROY { my $self = shift; CORE::close($self->{sock}) if $self->{sock} }

package OXB::H2::Stream;

sub new { my ($class, $s) = @_; return bless {%$s}, $class }
sub id       { $_[0]{id} }
sub status   { $_[0]{status} }
sub body     { $_[0]{body} }
sub ended    { $_[0]{ended} }
sub reset    { $_[0]{reset} }
sub frames   { $_[0]{frames} }
sub interim  { $_[0]{interim} }
sub trailers { $_[0]{trailers} }
sub complete { my $s = shift; return $s->{ended} && !defined $s->{reset} && defined $s->{status} }
sub header {
    my ($s, $name) = @_;
    my @v = map { $_->[1] } grep { $_->[0] eq lc $name } @{ $s->{head} };
    return @v ? join(', ', @v) : undef;
}
# One line for a failed test's output.
sub describe {
    my $s = shift;
    return sprintf('stream %d %s: status %s, %d body bytes in %d DATA frames, %s', $s->{id}, $s->{path} // '',
                   $s->{status} // 'none', length $s->{body}, scalar @{ $s->{frames} },
                   defined $s->{reset} ? 'reset ' . OXB::H2::error_name($s->{reset})
                   : $s->{ended} ? 'ended' : 'not ended');
}

1;
