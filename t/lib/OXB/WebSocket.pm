package OXB::WebSocket;
# A small RFC 6455 client for the tests: the handshake, masked frames out,
# frames in with timeouts. Core modules only. Strict about what the server
# (or the proxy in front of it) sends: a masked server frame, RSV bits, a bad
# length or a fragmented control frame end the connection with an error.
#
#   my $ws = OXB::WebSocket->connect($host, $port, '/ws?hello=1', [[Name => 'value'], ...]);
#   $ws->status == 101 && $ws->accept_ok or die $ws->error;
#   $ws->send_text('hi');  my ($type, $data) = $ws->recv_message(5);  # ('text', 'hi')
#   $ws->ping('x');        ($type, $data) = $ws->recv_message(5);     # ('pong', 'x')
#   my ($code, $reason) = $ws->close(1000, 'done');
#
# recv_message returns ('text'|'binary', data), ('pong', data),
# ('close', code, reason) or () on timeout, end of connection or a protocol
# error ($ws->error says which). Pings from the server are answered by
# recv_message itself unless auto_pong => 0 was given to connect.
use strict;
use warnings;
use Digest::SHA qw(sha1);
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes ();

my $GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
my %OPCODE = (cont => 0, text => 1, binary => 2, close => 8, ping => 9, pong => 10);
my %NAME = reverse %OPCODE;

# connect($host, $port, $path, $headers, %opt). $headers: [[name, value], ...]
# (or a hash ref); a name that matches a default handshake header replaces
# it, and an undef value leaves it out, so tests can send bad handshakes.
# Options: timeout (default 10 s), auto_pong (default 1).
# Returns the object also when the server refused the upgrade; status(),
# headers() and body() then say how. Dies only if the TCP connect fails.
sub connect {
    my ($class, $host, $port, $path, $headers, %opt) = @_;
    my $self = bless { buf => '', error => undef, timeout => $opt{timeout} // 10,
                       auto_pong => $opt{auto_pong} // 1, eof => 0 }, $class;
    $self->{sock} = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp',
                                          Timeout => $self->{timeout})
        or die "OXB::WebSocket: connect to $host:$port: $!\n";
    binmode $self->{sock};
    $self->{sock}->setsockopt(6, 1, 1);    # TCP_NODELAY: frames go out at once
    $self->{key} = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
    my @h = (['Host', "$host:$port"], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
             ['Sec-WebSocket-Key', $self->{key}], ['Sec-WebSocket-Version', '13']);
    my @extra = ref $headers eq 'HASH' ? map { [$_, $headers->{$_}] } sort keys %$headers : @{ $headers // [] };
    for my $e (@extra) {
        my ($i) = grep { lc $h[$_][0] eq lc $e->[0] } 0 .. $#h;
        if (defined $i) { $h[$i] = $e } else { push @h, $e }
    }
    my $req = "GET $path HTTP/1.1\r\n" . join('', map { "$_->[0]: $_->[1]\r\n" } grep { defined $_->[1] } @h) . "\r\n";
    $self->_write($req) or return $self;
    $self->_read_head or return $self;
    if ($self->{status} == 101) {
        my $want = encode_base64(sha1($self->{key} . $GUID), '');
        $self->{accept_ok} = ($self->header('Sec-WebSocket-Accept') // '') eq $want
            && lc($self->header('Upgrade') // '') eq 'websocket'
            && grep({ lc($_) =~ /^\s*upgrade\s*$/ } split /,/, $self->header('Connection') // '') ? 1 : 0;
    } elsif (defined(my $cl = $self->header('Content-Length'))) {
        $self->{body} = $self->_read_bytes($cl) // '';
    }
    return $self;
}

sub status    { $_[0]{status} // 0 }
sub accept_ok { $_[0]{accept_ok} // 0 }
sub body      { $_[0]{body} // '' }
sub error     { $_[0]{error} }
sub socket    { $_[0]{sock} }
# Response headers as [[name, value], ...]; header($name) joins repeats with ", ".
sub headers   { $_[0]{headers} // [] }
sub header {
    my ($self, $name) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $self->headers };
    return @v ? join(', ', @v) : undef;
}

sub send_text   { my ($self, $data, %o) = @_; $self->_send_message($OPCODE{text}, $data, %o) }
sub send_binary { my ($self, $data, %o) = @_; $self->_send_message($OPCODE{binary}, $data, %o) }
sub ping        { my ($self, $data) = @_; $self->send_frame($OPCODE{ping}, $data // '') }
sub pong        { my ($self, $data) = @_; $self->send_frame($OPCODE{pong}, $data // '') }

# fragment => N splits the message into frames of N bytes.
sub _send_message {
    my ($self, $op, $data, %o) = @_;
    my $n = $o{fragment};
    return $self->send_frame($op, $data) if !$n || length $data <= $n;
    for (my $off = 0; $off < length $data; $off += $n) {
        my $last = $off + $n >= length $data;
        $self->send_frame($off == 0 ? $op : $OPCODE{cont}, substr($data, $off, $n), fin => $last) or return 0;
    }
    return 1;
}

# One frame, masked unless mask => 0; fin (default 1) and rsv (default 0)
# can be set for tests of broken clients.
sub send_frame {
    my ($self, $op, $payload, %o) = @_;
    my $fin = $o{fin} // 1;
    my $mask = $o{mask} // 1;
    my $len = length $payload;
    my $f = pack('C', ($fin ? 0x80 : 0) | (($o{rsv} // 0) << 4) | $op);
    my $m = $mask ? 0x80 : 0;
    if ($len < 126) { $f .= pack('C', $m | $len) }
    elsif ($len <= 0xFFFF) { $f .= pack('Cn', $m | 126, $len) }
    else { $f .= pack('CNN', $m | 127, int($len / 2**32), $len % 2**32) }
    if ($mask) {
        my $key = pack('N', int rand 2**32);
        $f .= $key . ($payload ^ substr($key x (int($len / 4) + 1), 0, $len));
    } else {
        $f .= $payload;
    }
    return $self->_write($f);
}

# The next frame as { fin, opcode, payload }, or undef (see error()).
sub recv_frame {
    my ($self, $timeout) = @_;
    my $end = Time::HiRes::time() + ($timeout // $self->{timeout});
    my $h = $self->_read_bytes(2, $end) // return undef;
    my ($b0, $b1) = unpack('CC', $h);
    return $self->_fail('server frame with RSV bits') if $b0 & 0x70;
    return $self->_fail('masked server frame') if $b1 & 0x80;
    my $len = $b1 & 0x7F;
    if ($len == 126) {
        $len = unpack('n', $self->_read_bytes(2, $end) // return undef);
    } elsif ($len == 127) {
        my ($hi, $lo) = unpack('NN', $self->_read_bytes(8, $end) // return undef);
        return $self->_fail('64-bit length with the top bit set') if $hi & 0x80000000;
        $len = $hi * 2**32 + $lo;
    }
    my $op = $b0 & 0x0F;
    return $self->_fail("unknown opcode $op") unless exists $NAME{$op};
    return $self->_fail('fragmented or long control frame') if $op >= 8 && (!($b0 & 0x80) || $len > 125);
    my $payload = $self->_read_bytes($len, $end) // return undef;
    return { fin => ($b0 & 0x80) ? 1 : 0, opcode => $op, payload => $payload };
}

sub recv_message {
    my ($self, $timeout) = @_;
    my $end = Time::HiRes::time() + ($timeout // $self->{timeout});
    my ($type, $data);
    for (;;) {
        my $f = $self->recv_frame($end - Time::HiRes::time()) // return ();
        my $op = $f->{opcode};
        if ($op == $OPCODE{ping}) {
            $self->pong($f->{payload}) if $self->{auto_pong};
            next;
        }
        return ('pong', $f->{payload}) if $op == $OPCODE{pong};
        if ($op == $OPCODE{close}) {
            my ($code, $reason) = length $f->{payload} >= 2 ? unpack('n a*', $f->{payload}) : (undef, '');
            $self->{close_received} = 1;
            return ('close', $code, $reason);
        }
        if ($op == $OPCODE{cont}) {
            return $self->_fail('continuation without a message') unless defined $type;
            $data .= $f->{payload};
        } else {
            return $self->_fail('new message inside a fragmented one') if defined $type;
            ($type, $data) = ($NAME{$op}, $f->{payload});
        }
        return ($type, $data) if $f->{fin};
    }
}

# Sends a close frame (unless one was sent already) and reads until the
# server's close frame. Returns its (code, reason), or () if none came;
# closed_by_server() then says whether the server also ended the TCP
# connection (it should, first: RFC 6455 7.1.1).
sub close {
    my ($self, $code, $reason, $timeout) = @_;
    $code //= 1000;
    my $end = Time::HiRes::time() + ($timeout // 5);
    $self->send_frame($OPCODE{close}, pack('n', $code) . ($reason // '')) unless $self->{close_sent}++;
    my @r;
    until ($self->{close_received}) {
        my @m = $self->recv_message($end - Time::HiRes::time());
        last unless @m;
        @r = @m[1, 2] if $m[0] eq 'close';
    }
    $self->{closed_by_server} = $self->_wait_eof($end);
    CORE::close($self->{sock});
    return @r;
}

sub closed_by_server { $_[0]{closed_by_server} // 0 }

# True once the server has closed the connection (all data before it read
# and dropped), false if it stays open until $end.
sub _wait_eof {
    my ($self, $end) = @_;
    $self->{buf} = '';
    until ($self->{eof}) { $self->_fill($end) or last }
    return $self->{eof};
}

sub _fail {
    my ($self, $msg) = @_;
    $self->{error} = $msg;
    return undef;
}

sub _write {
    my ($self, $bytes) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $bytes) {
        my $w = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
        return $self->_fail("write: $!") unless defined $w;
        $off += $w;
    }
    return 1;
}

# Reads more into the buffer; false on EOF, error or when $end has passed.
sub _fill {
    my ($self, $end) = @_;
    return 0 if $self->{eof};
    my $left = $end - Time::HiRes::time();
    return $self->_fail('timeout') || 0 unless $left > 0 && IO::Select->new($self->{sock})->can_read($left);
    my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
    if (!$n) {
        $self->{eof} = 1;
        return $self->_fail(defined $n ? 'eof' : "read: $!") || 0;
    }
    return 1;
}

sub _read_bytes {
    my ($self, $n, $end) = @_;
    $end //= Time::HiRes::time() + $self->{timeout};
    while (length $self->{buf} < $n) { $self->_fill($end) or return undef }
    return substr($self->{buf}, 0, $n, '');
}

sub _read_head {
    my ($self) = @_;
    my $end = Time::HiRes::time() + $self->{timeout};
    my $at;
    while (($at = index($self->{buf}, "\r\n\r\n")) < 0) { $self->_fill($end) or return undef }
    my $head = substr($self->{buf}, 0, $at + 4, '');
    my ($line, @lines) = split /\r\n/, $head;
    ($self->{status}) = $line =~ m{^HTTP/1\.1 (\d{3}) } or return $self->_fail("bad status line: $line");
    $self->{headers} = [map { /^([^:]+):[ \t]*(.*?)[ \t]*$/ ? [$1, $2] : () } @lines];
    return 1;
}

1;
