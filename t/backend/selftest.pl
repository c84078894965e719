#!/usr/bin/perl
# Self-test for ajp_test_server: speaks AJP13 to it as a proxy would and checks
# every endpoint, the request-body rules, CPING and keep-alive. Core modules
# only. Output is TAP (Test::More).
#
#   perl t/backend/selftest.pl [--server ./ajp_test_server] [--pattern ./oxb-pattern] [--big]
#
# --big adds a 1 GiB /stream transfer, checked by oxb-pattern and timed.
use v5.36;
use Digest::SHA qw(sha256_hex);
use Errno qw(ECONNRESET EINTR);
use File::Temp qw(tempdir);
use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);

my $server_bin = './ajp_test_server';
my $pattern_bin = './oxb-pattern';
my $big = 0;
GetOptions('server=s' => \$server_bin, 'pattern=s' => \$pattern_bin, 'big' => \$big)
    or die "usage: $0 [--server PATH] [--pattern PATH] [--big]\n";
$SIG{PIPE} = 'IGNORE';
# A hung exchange must fail the run, not block it forever.
$SIG{ALRM} = sub { die "selftest: global timeout\n" };
alarm($big ? 600 : 180);

# ---- AJP13 encoding (proxy side) ----------------------------------------------

my @METHODS = qw(OPTIONS GET HEAD POST PUT DELETE TRACE PROPFIND PROPPATCH MKCOL COPY MOVE
    LOCK UNLOCK ACL REPORT VERSION-CONTROL CHECKIN CHECKOUT UNCHECKOUT SEARCH MKWORKSPACE
    UPDATE LABEL MERGE BASELINE-CONTROL MKACTIVITY);
my %METHOD_CODE = map { $METHODS[$_] => $_ + 1 } 0 .. $#METHODS;
my @REQ_HEADERS = qw(accept accept-charset accept-encoding accept-language authorization
    connection content-type content-length cookie cookie2 host pragma referer user-agent);
my %REQ_HEADER_CODE = map { $REQ_HEADERS[$_] => 0xA001 + $_ } 0 .. $#REQ_HEADERS;
my @RESP_HEADERS = qw(Content-Type Content-Language Content-Length Date Last-Modified Location
    Set-Cookie Set-Cookie2 Servlet-Engine Status WWW-Authenticate);

sub ajp_str($s) { defined $s ? pack('n', length $s) . $s . "\0" : pack('n', 0xFFFF) }
sub packet($payload) { pack('nn', 0x1234, length $payload) . $payload }
sub body_packet($data) { length $data ? packet(pack('n', length $data) . $data) : packet('') }

# A FORWARD_REQUEST packet. headers: [name, value] pairs, coded when the name
# is a known request header unless the pair has a third true element.
# attrs: [code, value] ([0x0A, name, value] for req_attribute).
sub forward_request(%r) {
    my $method = $r{method} // 'GET';
    my $code = $r{method_code} // $METHOD_CODE{$method} // 0xFF;
    my $p = pack('CC', 2, $code);
    $p .= ajp_str($_) for ($r{protocol} // 'HTTP/1.1', $r{uri} // '/', $r{remote_addr} // '127.0.0.1',
        exists $r{remote_host} ? $r{remote_host} : 'localhost', $r{server_name} // 'backend.test');
    $p .= pack('nC', $r{port} // 80, $r{ssl} // 0);
    my @headers = @{ $r{headers} // [] };
    $p .= pack('n', scalar @headers);
    for my $h (@headers) {
        my $hc = $REQ_HEADER_CODE{ lc $h->[0] };
        $p .= (defined $hc && !$h->[2]) ? pack('n', $hc) : ajp_str($h->[0]);
        $p .= ajp_str($h->[1]);
    }
    my @attrs = @{ $r{attrs} // [] };
    push @attrs, [0x05, $r{query}] if defined $r{query};
    push @attrs, [0x0D, $method] if $code == 0xFF;
    for my $a (@attrs) {
        my ($ac, @v) = @$a;
        $p .= pack('C', $ac);
        if ($ac == 0x0B) { $p .= pack('n', $v[0]) }
        else { $p .= ajp_str($_) for @v }
    }
    $p .= pack('C', 0xFF);
    return packet($p);
}

# A FORWARD_REQUEST with Content-Length: 0, for requests sent by hand: without
# any Content-Length the server (like Tomcat reading its input) would first
# ask for the body with GET_BODY_CHUNK.
sub bodyless(%r) { forward_request(%r, headers => [@{ $r{headers} // [] }, ['Content-Length', 0]]) }

# ---- a minimal AJP13 proxy-side connection ---------------------------------------

package Ajp {
    sub new($class, $port, %o) {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
            or die "connect: $!";
        $sock->setsockopt(6, 1, 1);    # TCP_NODELAY
        return bless { sock => $sock, buf => '', eof => 0, err => 0, packet_size => $o{packet_size} // 8192,
            timeout => $o{timeout} // 10 }, $class;
    }
    sub send($self, $bytes) {
        my $off = 0;
        while ($off < length $bytes) {
            my $w = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
            die "send: $!" unless defined $w;
            $off += $w;
        }
    }
    # Reads more into the buffer. Returns false on EOF/reset, dies on timeout.
    sub fill($self, $timeout = $self->{timeout}) {
        return 0 if $self->{eof};
        my $sel = IO::Select->new($self->{sock});
        die "timeout\n" unless $sel->can_read($timeout);
        my $r = sysread($self->{sock}, $self->{buf}, 1 << 20, length $self->{buf});
        if (!defined $r) { $self->{err} = $! + 0; $self->{eof} = 1; return 0 }
        if ($r == 0) { $self->{eof} = 1; return 0 }
        return 1;
    }
    sub read_exact($self, $n) {
        while (length $self->{buf} < $n) { $self->fill or die "eof after " . length($self->{buf}) . " of $n bytes\n" }
        return substr($self->{buf}, 0, $n, '');
    }
    sub read_packet($self) {
        my ($magic, $len) = unpack('a2n', $self->read_exact(4));
        die "bad magic '$magic'\n" unless $magic eq 'AB';
        die "packet of $len bytes exceeds packet size $self->{packet_size}\n" if $len > $self->{packet_size} - 4;
        return $self->read_exact($len);
    }
    # Everything the server sends until it has been quiet for $idle seconds.
    # Returns (bytes, saw_eof).
    sub read_until_idle($self, $idle) {
        while (!$self->{eof}) { last unless eval { $self->fill($idle); 1 } }
        my $data = $self->{buf};
        $self->{buf} = '';
        return ($data, $self->{eof});
    }
    sub quiet_for($self, $secs) {
        my $sel = IO::Select->new($self->{sock});
        return !$sel->can_read($secs) && length($self->{buf}) == 0;
    }
    sub at_eof($self, $timeout = 5) {
        while (!$self->{eof}) { return 0 if $self->fill($timeout) }
        return length($self->{buf}) == 0;
    }
    sub close($self) { CORE::close($self->{sock}) }
}

# Parses a SEND_HEADERS payload strictly.
sub parse_headers($p) {
    die "SEND_HEADERS too short\n" if length $p < 3;
    my ($type, $status) = unpack('Cn', $p);
    die "not SEND_HEADERS\n" unless $type == 4;
    my ($msg, $pos) = take_str($p, 3);
    die "num_headers past payload end\n" if $pos + 2 > length $p;
    my $n = unpack("x$pos n", $p);
    $pos += 2;
    my @h;
    for (1 .. $n) {
        die "headers past payload end\n" if $pos + 2 > length $p;
        my $nl = unpack("x$pos n", $p);
        my ($name, $coded);
        if ($nl >= 0xA000) { $name = $RESP_HEADERS[$nl - 0xA001] // die "bad code\n"; $coded = 1; $pos += 2 }
        else { ($name, $pos) = take_str($p, $pos) }
        (my $value, $pos) = take_str($p, $pos);
        push @h, [$name, $value, $coded];
    }
    die "trailing bytes in SEND_HEADERS\n" unless $pos == length $p;
    return { status => $status, message => $msg, headers => \@h };
}

sub take_str($p, $pos) {
    die "string length past payload end\n" if $pos + 2 > length $p;
    my $len = unpack("x$pos n", $p);
    die "string past payload end\n" if $pos + 2 + $len + 1 > length $p;
    die "string not terminated\n" unless substr($p, $pos + 2 + $len, 1) eq "\0";
    return (substr($p, $pos + 2, $len), $pos + 3 + $len);
}

# Sends one request and reads the whole response, answering GET_BODY_CHUNK.
# Options: body (string), cl (send Content-Length; default 1 when body given),
# chunk (body bytes per packet), plus forward_request() options.
sub request($c, %r) {
    my $body = $r{body} // '';
    my $with_cl = $r{cl} // (exists $r{body} ? 1 : 0);
    my $max = $c->{packet_size} - 6;
    my $chunk = $r{chunk} // $max;
    my @headers = @{ $r{headers} // [] };
    push @headers, ['Content-Length', length $body] if $with_cl;
    my $bytes = forward_request(%r, headers => \@headers);
    my $sent = 0;
    if ($with_cl && length $body) {    # Tomcat's rule: the first chunk goes unasked
        my $n = $chunk < length $body ? $chunk : length $body;
        $bytes .= body_packet(substr($body, 0, $n));
        $sent = $n;
    }
    $c->send($bytes);
    my %res = (asks => [], chunks => [], body => '', packets => []);
    for (;;) {
        my $p = $c->read_packet;
        my $type = ord $p;
        push @{ $res{packets} }, $type;
        if ($type == 6) {
            my $want = unpack('x n', $p);
            push @{ $res{asks} }, $want;
            die "server asked beyond Content-Length\n" if $with_cl && $sent >= length $body;
            my $n = length($body) - $sent;
            $n = $chunk if $n > $chunk;
            $n = $want if $n > $want;
            $c->send(body_packet(substr($body, $sent, $n)));
            $sent += $n;
        } elsif ($type == 4) {
            die "second SEND_HEADERS\n" if $res{status};
            my $h = parse_headers($p);
            %res = (%res, %$h);
        } elsif ($type == 3) {
            my $len = unpack('x n', $p);
            die "bad SEND_BODY_CHUNK framing\n" unless length($p) == $len + 4 && substr($p, -1) eq "\0";
            die "chunk larger than packet_size - 8\n" if $len > $c->{packet_size} - 8;
            $res{body} .= substr($p, 3, $len);
            push @{ $res{chunks} }, $len;
        } elsif ($type == 5) {
            die "END_RESPONSE length\n" unless length $p == 2;
            $res{reuse} = ord substr($p, 1);
            last;
        } else {
            die "unexpected packet type $type\n";
        }
    }
    $res{hdr} = {};
    for my $h (@{ $res{headers} }) { $res{hdr}{ lc $h->[0] } //= $h->[1] }
    return \%res;
}

sub pattern($off, $len) {
    my $start = $off - $off % 16;
    my $s = '';
    for (my $o = $start; $o < $off + $len; $o += 16) { $s .= sprintf("%015x\n", $o) }
    return substr($s, $off - $start, $len);
}

sub cping($c) { $c->send(packet("\x0A")); return $c->read_packet eq "\x09" }

# ---- server processes ----------------------------------------------------------------

my $tmp = tempdir(CLEANUP => 1);
my %servers;

sub start_server($name, @args) {
    my $pf = "$tmp/$name.port";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$tmp/$name.out" or die;
        open STDERR, '>', "$tmp/$name.err" or die;
        exec $server_bin, '--port', 0, '--port-file', $pf, '--name', $name, @args;
        die "exec $server_bin: $!";
    }
    for (1 .. 500) { last if -s $pf; sleep 0.01 }
    open my $fh, '<', $pf or die "no port file from $server_bin";
    chomp(my $port = <$fh>);
    $servers{$name} = { pid => $pid, port => $port };
    return $port;
}

sub stop_server($name) {
    my $pid = $servers{$name}{pid};
    kill 'TERM', $pid;
    for (1 .. 500) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $servers{$name};
            return $?;
        }
        sleep 0.01;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return -1;
}

# Never leave a server behind, whatever happened.
END {
    for my $s (values %servers) { kill 'KILL', $s->{pid} if $s->{pid} && kill 0, $s->{pid} }
}

sub slurp($f) { open my $fh, '<', $f or return ''; local $/; <$fh> }

my $port = start_server('OXT');
my $new = sub (%o) { Ajp->new($port, %o) };

# ---- tests ---------------------------------------------------------------------------

subtest 'startup' => sub {
    like(slurp("$tmp/OXT.out"), qr/^listening on 127\.0\.0\.1:$port\n\z/, 'listening line on stdout');
    ok($port > 0, "ephemeral port $port in port file");
};

subtest 'cping and keep-alive' => sub {
    my $c = $new->();
    ok(cping($c), 'CPONG before any request');
    my $id;
    for my $k (1 .. 3) {
        my $r = request($c, uri => '/conn');
        is($r->{status}, 200, "request $k: status 200");
        is($r->{hdr}{'x-conn-requests'}, $k, "X-Conn-Requests $k");
        is($r->{hdr}{'x-backend'}, 'OXT', 'X-Backend');
        $id //= $r->{hdr}{'x-conn-id'};
        is($r->{hdr}{'x-conn-id'}, $id, 'same X-Conn-Id');
        is($r->{body}, "conn=$id requests=$k\n", '/conn body');
        is($r->{reuse}, 1, 'reuse=1');
        ok(cping($c), 'CPONG between requests');
    }
    my $c2 = $new->();
    my $r = request($c2, uri => '/conn');
    isnt($r->{hdr}{'x-conn-id'}, $id, 'new connection, new X-Conn-Id');
    is($r->{hdr}{'x-conn-requests'}, 1, 'new connection starts at 1');
};

subtest 'echo' => sub {
    my $c = $new->();
    my $r = request($c, method => 'GET', uri => '/echo/some/path', query => 'a=1&b=%20x',
        protocol => 'HTTP/1.1', remote_addr => '10.1.2.3', remote_host => undef, server_name => 'www.test',
        port => 8443, ssl => 1,
        headers => [['Host', 'www.test'], ['User-Agent', 'selftest'], ['X-Custom', 'v1'],
            ['Accept', 'text/plain', 1], ['Cookie', 'a=b'], ['X-Empty', '']],
        attrs => [[0x01, '/ctx'], [0x03, 'alice'], [0x04, 'Basic'], [0x06, 'OX1'], [0x08, 'AES'],
            [0x0B, 256], [0x0C, 's3cret'], [0x0A, 'AJP_REMOTE_PORT', '51234'], [0x0A, 'X', undef]]);
    is($r->{status}, 200, 'status 200');
    is($r->{message}, 'OK', 'status message');
    is_deeply($r->{asks}, [8186], 'no Content-Length: asks once, gets the empty packet');
    is($r->{hdr}{'content-type'}, 'text/plain', 'content type');
    my %coded = map { lc $_->[0] => $_->[2] } @{ $r->{headers} };
    ok($coded{'content-type'} && $coded{'content-length'}, 'Content-Type/Length sent coded');
    ok(!$coded{'x-backend'}, 'X-Backend sent as string');
    is($r->{hdr}{'content-length'}, length $r->{body}, 'Content-Length matches body');
    my $empty = sha256_hex('');
    is($r->{body}, <<"EOF", 'dump');
method: GET
uri: /echo/some/path
query: a=1&b=%20x
protocol: HTTP/1.1
remote-addr: 10.1.2.3
remote-host: (null)
server-name: www.test
server-port: 8443
is-ssl: 1
header: host: www.test
header: user-agent: selftest
header: X-Custom: v1
header: Accept: text/plain
header: cookie: a=b
header: X-Empty: 
attr: context=/ctx
attr: remote_user=alice
attr: auth_type=Basic
attr: jvm_route=OX1
attr: ssl_cipher=AES
attr: ssl_key_size=256
attr: secret=s3cret
attr: AJP_REMOTE_PORT=51234
attr: X=(null)
attr: query_string=a=1&b=%20x
body-length: 0
body-sha256: $empty
EOF
    $r = request($c, method => 'PATCH', uri => '/echo');
    like($r->{body}, qr/^method: PATCH\n/, 'stored method name');
    like($r->{body}, qr/^attr: stored_method=PATCH$/m, 'stored_method attribute listed');
    unlike($r->{body}, qr/^query:/m, 'no query line without query attribute');
    $r = request($c, method => 'MKACTIVITY', uri => '/echo');
    like($r->{body}, qr/^method: MKACTIVITY\n/, 'method code 27');
    $r = request($c, method => 'HEAD', uri => '/echo');
    ok($r->{hdr}{'content-length'} > 0 && $r->{body} eq '' && !@{ $r->{chunks} }, 'HEAD: Content-Length, no body');
    $r = request($c, method => 'HEAD', uri => '/echo', query => 'head-body=1');
    like($r->{body}, qr/^method: HEAD/, 'HEAD with head-body=1 sends a body');
};

subtest 'request bodies' => sub {
    my $c = $new->();
    my $body = join '', map { chr(($_ * 7) % 256) } 1 .. 30000;
    my $r = request($c, method => 'POST', uri => '/echo', body => $body);
    like($r->{body}, qr/^body-length: 30000$/m, 'POST with Content-Length: length');
    like($r->{body}, qr/^body-sha256: ${\ sha256_hex($body)}$/m, 'sha256');
    like($r->{body}, qr/^header: content-length: 30000$/m, 'content-length header echoed');
    is_deeply($r->{asks}, [8186, 8186, 8186], 'asked 3 times for the rest, 8186 bytes each');
    is($r->{packets}[3], 4, 'no ask after Content-Length reached');

    $r = request($c, method => 'POST', uri => '/echo', body => 'x' x 8186);
    is_deeply($r->{asks}, [], 'body in the unsolicited first packet: no ask');

    $r = request($c, method => 'PUT', uri => '/echo', body => $body, cl => 0, chunk => 1000);
    is(scalar @{ $r->{asks} }, 31, 'unknown length: 30 data packets + empty end packet asked for');
    ok(!grep({ $_ != 8186 } @{ $r->{asks} }), 'requested length packet_size - 6');
    like($r->{body}, qr/^body-sha256: ${\ sha256_hex($body)}$/m, 'chunked body sha256');
    unlike($r->{body}, qr/content-length/i, 'no content-length header');

    $r = request($c, method => 'POST', uri => '/echo', body => '');
    is_deeply($r->{asks}, [], 'Content-Length 0: no body, no ask');
    like($r->{body}, qr/^body-length: 0$/m, 'empty body');

    # Unknown length ending with a packet whose data length is 0 (Tomcat accepts it).
    $c->send(forward_request(method => 'POST', uri => '/echo'));
    is(unpack('x4 C', $c->read_exact(7)), 6, 'GET_BODY_CHUNK for unknown length');
    $c->send(body_packet('abc'));
    $c->read_exact(7);
    $c->send(packet("\0\0"));
    $r = request_tail($c);
    like($r->{body}, qr/^body-length: 3$/m, 'u16 length 0 ends the body');

    # With Content-Length the server must wait for the unsolicited first packet.
    $c->send(forward_request(method => 'POST', uri => '/echo', headers => [['Content-Length', 10]]));
    ok($c->quiet_for(0.3), 'no GET_BODY_CHUNK before the unsolicited first packet');
    $c->send(body_packet('0123456789'));
    $r = request_tail($c);
    like($r->{body}, qr/^body-length: 10$/m, 'then the body is read');
    is($r->{hdr}{'x-conn-requests'}, 6, 'all on one connection');
};

# Reads the rest of a response whose request was sent by hand.
sub request_tail($c) {
    my %res = (body => '');
    for (;;) {
        my $p = $c->read_packet;
        my $t = ord $p;
        if ($t == 4) { %res = (%res, %{ parse_headers($p) }) }
        elsif ($t == 3) { $res{body} .= substr($p, 3, unpack('x n', $p)) }
        elsif ($t == 5) { $res{reuse} = ord substr($p, 1); last }
        else { die "unexpected packet type $t\n" }
    }
    $res{hdr} = { map { lc $_->[0] => $_->[1] } @{ $res{headers} } };
    return \%res;
}

subtest 'stream' => sub {
    my $c = $new->();
    my $r = request($c, uri => '/stream', query => 'bytes=100000');
    is($r->{hdr}{'content-length'}, 100000, 'Content-Length');
    is($r->{hdr}{'content-type'}, 'application/octet-stream', 'Content-Type');
    ok($r->{body} eq pattern(0, 100000), 'pattern bytes');
    is($r->{chunks}[0], 8184, 'default chunk packet_size - 8');
    $r = request($c, uri => '/stream', query => 'bytes=10000&chunk=1000&cl=0');
    ok(!exists $r->{hdr}{'content-length'}, 'cl=0: no Content-Length');
    is_deeply($r->{chunks}, [(1000) x 10], 'chunk=1000');
    ok($r->{body} eq pattern(0, 10000), 'pattern bytes');
    $r = request($c, uri => '/stream', query => 'bytes=0');
    is($r->{body}, '', 'bytes=0: empty');
    is($r->{hdr}{'content-length'}, 0, 'Content-Length 0');
    $r = request($c, uri => '/stream', query => 'bytes=2K&chunk=7');
    ok($r->{body} eq pattern(0, 2048) && $r->{chunks}[0] == 7, 'K suffix, odd chunk size');
    $r = request($c, uri => '/stream', query => 'bytes=10&chunk=9000');
    is($r->{status}, 400, 'chunk > packet_size - 8: 400');
    $r = request($c, uri => '/stream');
    is($r->{status}, 400, 'missing bytes: 400');
    like($r->{body}, qr/missing parameter bytes/, '400 body says why');
    $r = request($c, method => 'HEAD', uri => '/stream', query => 'bytes=5000');
    ok($r->{body} eq '' && $r->{hdr}{'content-length'} == 5000, 'HEAD: no body');
    is(request($c, uri => '/conn')->{hdr}{'x-conn-requests'}, 8, 'connection still usable');
};

subtest 'slow-stream' => sub {
    my $c = $new->();
    my $t0 = time;
    my $r = request($c, uri => '/slow-stream', query => 'bytes=300&chunk=100&interval=150');
    my $dt = time - $t0;
    is_deeply($r->{chunks}, [100, 100, 100], 'three chunks');
    ok($r->{body} eq pattern(0, 300), 'pattern bytes');
    ok($dt >= 0.29 && $dt < 2, sprintf('took %.2fs (2 intervals of 0.15s)', $dt));
    # The first chunk must arrive before the interval elapses.
    $c->send(bodyless(uri => '/slow-stream', query => 'bytes=20&chunk=10&interval=1000'));
    $t0 = time;
    $c->read_packet;
    my $p = $c->read_packet;
    ok(ord($p) == 3 && time - $t0 < 0.7, 'headers and first chunk come at once');
    request_tail($c);
};

subtest 'status' => sub {
    my $c = $new->();
    for my $code (204, 304) {
        my $r = request($c, uri => '/status', query => "code=$code");
        is($r->{status}, $code, "status $code");
        ok(!exists $r->{hdr}{'content-length'} && $r->{body} eq '' && !@{ $r->{chunks} }, "$code: no body, no CL");
    }
    for my $code (200, 302, 418, 503) {
        my $r = request($c, uri => '/status', query => "code=$code");
        is($r->{status}, $code, "status $code");
        is($r->{body}, "status $code\n", "$code body");
    }
    is(request($c, uri => '/status', query => 'code=abc')->{status}, 400, 'bad code: 400');
    is(request($c, uri => '/status', query => 'code=600')->{status}, 400, 'code 600: 400');
};

subtest 'cookies and headers' => sub {
    my $c = $new->();
    my $r = request($c, uri => '/cookies', query => 'n=3');
    my @cookies = grep { $_->[0] eq 'Set-Cookie' } @{ $r->{headers} };
    is_deeply([map { $_->[1] } @cookies], ['c1=v1; Path=/', 'c2=v2; Path=/', 'c3=v3; Path=/'], 'three Set-Cookie');
    ok(!grep({ !$_->[2] } @cookies), 'Set-Cookie sent coded');
    $r = request($c, uri => '/headers', query => 'n=5&size=100');
    is($r->{status}, 200, '5 x 100 bytes fit');
    my @xh = grep { $_->[0] =~ /^X-H\d+$/ } @{ $r->{headers} };
    is_deeply([map { $_->[0] } @xh], [map {"X-H$_"} 1 .. 5], 'names X-H1..X-H5');
    ok(!grep({ $_->[1] ne 'x' x 100 || $_->[2] } @xh), 'values of 100 x, string names');
    $r = request($c, uri => '/headers', query => 'n=100&size=200');
    is($r->{status}, 500, 'does not fit: 500');
    like($r->{body}, qr/do not fit/, '500 says why');
    $r = request($c, uri => '/headers', query => 'n=1&size=8050');
    is($r->{status}, 200, 'one header of 8050 bytes fits in 8192');
    $r = request($c, uri => '/headers', query => 'n=1&size=8150');
    is($r->{status}, 500, 'one of 8150 bytes (plus the other headers) does not');
};

subtest 'delay' => sub {
    my $c = $new->();
    my $t0 = time;
    my $r = request($c, uri => '/delay', query => 'ms=300');
    ok(time - $t0 >= 0.29, 'waited');
    is($r->{body}, "delayed\n", 'body');
};

subtest 'hang, close, noreuse' => sub {
    my $c = $new->();
    $c->send(bodyless(uri => '/hang'));
    ok($c->quiet_for(0.5), '/hang: no answer');
    ok(!$c->{eof}, '/hang: socket still open');
    $c->close;

    $c = $new->();
    $c->send(forward_request(method => 'POST', uri => '/close', headers => [['Content-Length', 5]]) . body_packet('hello'));
    ok($c->at_eof, '/close: closed without data');

    $c = $new->();
    my $r = request($c, uri => '/noreuse');
    is($r->{body}, "ok\n", '/noreuse body');
    is($r->{reuse}, 0, 'reuse=0');
    ok($c->at_eof, 'then closed');
};

subtest 'reset, truncated, oversized' => sub {
    my $c = $new->();
    $c->send(bodyless(uri => '/reset', query => 'after=100'));
    my $h = parse_headers($c->read_packet);
    is((grep { $_->[0] eq 'Content-Length' } @{ $h->{headers} })[0]->[1], 201, 'Content-Length 2N+1');
    my $p = $c->read_packet;
    is(substr($p, 3, 100), pattern(0, 100), '100 body bytes');
    ok($c->at_eof, 'then connection ends');
    is($c->{err}, ECONNRESET, 'with RST (ECONNRESET)');

    $c = $new->();
    $c->send(bodyless(uri => '/truncated'));
    my ($data, $eof) = $c->read_until_idle(2);
    is(length $data, 14, '4 header bytes + 10 payload bytes');
    is(unpack('a2n', $data), 'AB', 'AB magic');
    is(unpack('x2n', $data), 100, 'promising 100');
    ok($eof, 'then closed');

    for my $case ([undef, 65535], ['len=100', 100], ['len=9000', 9000]) {
        $c = $new->();
        $c->send(bodyless(uri => '/oversized', query => $case->[0]));
        ($data, $eof) = $c->read_until_idle(0.5);
        is(unpack('x2n', $data), $case->[1], "oversized: length field $case->[1]");
        is(length $data, 4 + $case->[1], 'and that many payload bytes');
        is(substr($data, 4, 1), "\x03", 'payload looks like SEND_BODY_CHUNK');
        ok(!$eof, 'socket stays open');
        $c->close;
    }
};

subtest 'garbage' => sub {
    my %check = (
        'magic' => sub ($d) { substr($d, 0, 2) eq 'XY' && unpack('x2n', $d) == length($d) - 4 },
        'type' => sub ($d) { $d eq "AB\0\x03\x42\0\0" },
        'headers-count' => sub ($d) { unpack('x4 C n', $d) == 4 && !eval { parse_headers(substr $d, 4); 1 } && $@ =~ /past payload/ },
        'string-overrun' => sub ($d) { !eval { parse_headers(substr $d, 4); 1 } && unpack('x7 n', $d) == 0x1000 },
        'chunk-overrun' => sub ($d) {
            my $l1 = unpack('x2n', $d);
            my $p2 = substr($d, 4 + $l1);
            eval { parse_headers(substr $d, 4, $l1); 1 } && ord(substr $p2, 4) == 3 && unpack('x5n', $p2) == 100
                && unpack('x2n', $p2) == 14;
        },
        'body-before-headers' => sub ($d) { ord(substr $d, 4) == 3 },
        'bad-status' => sub ($d) { ord(substr $d, 4) == 4 && unpack('x5n', $d) == 1000 },
        'crlf-header' => sub ($d) {
            my $h = parse_headers(substr $d, 4, unpack('x2n', $d));
            grep { $_->[1] eq "a\r\nX-Injected: 1" } @{ $h->{headers} };
        },
        'double-headers' => sub ($d) { join(',', packet_types($d)) eq '4,4,3,5' },
        'zero-length' => sub ($d) { $d eq "AB\0\0" },
        'end-before-headers' => sub ($d) { $d eq "AB\0\x02\x05\x01" },
        'bad-content-length' => sub ($d) {
            my $h = parse_headers(substr $d, 4, unpack('x2n', $d));
            grep { $_->[1] eq '5x' } @{ $h->{headers} };
        },
        'two-content-lengths' => sub ($d) {
            my $h = parse_headers(substr $d, 4, unpack('x2n', $d));
            join(',', map { $_->[1] } grep { lc $_->[0] eq 'content-length' } @{ $h->{headers} }) eq '5,6';
        },
        'two-equal-content-lengths' => sub ($d) {
            my $h = parse_headers(substr $d, 4, unpack('x2n', $d));
            join(',', map { $_->[1] } grep { lc $_->[0] eq 'content-length' } @{ $h->{headers} }) eq '5,5';
        },
        'unterminated' => sub ($d) {
            !eval { parse_headers(substr $d, 4); 1 } && $@ =~ /not terminated/ && substr($d, 7, 5) eq "\0\x02OKx";
        },
    );
    for my $kind (sort keys %check) {
        my $c = $new->();
        $c->send(forward_request(method => 'POST', uri => '/garbage', query => "kind=$kind",
            headers => [['Content-Length', 3]]) . body_packet('abc'));
        my ($data, $eof) = $c->read_until_idle(0.3);
        ok($check{$kind}->($data), "$kind: malformed as intended");
        ok(!$eof, "$kind: socket stays open");
        $c->close;
    }
    my $c = $new->();
    my $r = request($c, uri => '/garbage', query => 'kind=nope');
    is($r->{status}, 400, 'unknown kind: 400');
};

sub packet_types($d) {
    my @t;
    while (length $d >= 4) {
        my $l = unpack('x2n', $d);
        push @t, ord substr($d, 4, 1);
        substr($d, 0, 4 + $l, '');
    }
    return @t;
}

subtest 'early' => sub {
    my $c = $new->();
    my $body = 'b' x 100000;
    my $r = request($c, method => 'POST', uri => '/early', body => $body);
    is($r->{body}, "early\n", 'early body');
    is_deeply($r->{asks}, [], 'no GET_BODY_CHUNK');
    is($r->{reuse}, 1, 'reuse=1');
    $r = request($c, uri => '/conn');
    is($r->{hdr}{'x-conn-requests'}, 2, 'connection reusable afterwards');

    # Like Tomcat: response goes out first; the first body packet is swallowed
    # before END_RESPONSE.
    $c->send(forward_request(method => 'POST', uri => '/early', headers => [['Content-Length', 50000]]));
    is(ord($c->read_packet), 4, 'headers before any body was sent');
    is(ord($c->read_packet), 3, 'body chunk');
    ok($c->quiet_for(0.3), 'END_RESPONSE waits for the first body packet');
    $c->send(body_packet('b' x 8186));
    is($c->read_packet, "\x05\x01", 'then END_RESPONSE reuse=1');
    ok(cping($c), 'still in sync');

    $r = request($c, method => 'POST', uri => '/early', body => $body, cl => 0);
    is_deeply($r->{asks}, [], 'unknown length: nothing read');
    is(request($c, uri => '/conn')->{hdr}{'x-conn-requests'}, 5, 'still in sync');
};

subtest 'longer, shorter' => sub {
    my $c = $new->();
    my $r = request($c, uri => '/longer');
    is($r->{hdr}{'content-length'}, 5, '/longer declares 5 bytes');
    like($r->{body}, qr/^hello\QHTTP\/1.1 200 OK\E\r\n.*\r\n\r\nINJECTED\n\z/s, '/longer sends a response behind them');
    $r = request($c, uri => '/shorter');
    is($r->{hdr}{'content-length'}, 100, '/shorter declares 100 bytes');
    is($r->{body}, "short\n", '/shorter sends 6');
    is($r->{reuse}, 1, 'reuse=1');
    is(request($c, uri => '/conn')->{hdr}{'x-conn-requests'}, 3, 'the connection itself is in step');
};

subtest 'pause-before-end, pause-after-flush, open' => sub {
    my $c = $new->();
    $c->send(bodyless(uri => '/pause-before-end', query => 'ms=400'));
    is(ord($c->read_packet), 4, 'headers');
    is($c->read_packet, "\x03\0\x0bwhole body\n\0", 'the whole body');
    ok($c->quiet_for(0.2), 'then a pause');
    is($c->read_packet, "\x05\x01", 'then END_RESPONSE');
    $c->send(bodyless(uri => '/pause-after-flush', query => 'ms=400'));
    is(ord($c->read_packet), 4, 'headers');
    is($c->read_packet, "\x03\0\0\0", 'an empty body chunk');
    ok($c->quiet_for(0.2), 'then a pause');
    is($c->read_packet, "\x03\0\x10after the pause\n\0", 'then the body');
    is($c->read_packet, "\x05\x01", 'and END_RESPONSE');
    $c->send(bodyless(uri => '/pause-before-end', query => 'gate=g1'));
    is(ord($c->read_packet), 4, 'gate: headers');
    is(ord($c->read_packet), 3, 'gate: the whole body');
    ok($c->quiet_for(0.3), 'gate: then a pause');
    my $o = $new->();
    is(request($o, uri => '/open', query => 'gate=g1')->{body}, "opened\n", '/open');
    is($c->read_packet, "\x05\x01", 'gate opened: END_RESPONSE');
};

subtest 'stats and 404' => sub {
    my $c = $new->();
    my $r1 = request($c, uri => '/stats');
    my $r2 = request($c, uri => '/stats');
    my ($conns1, $reqs1) = $r1->{body} =~ /^connections=(\d+) requests=(\d+) cpings=\d+\n\z/ or fail('format');
    my ($conns2, $reqs2) = $r2->{body} =~ /^connections=(\d+) requests=(\d+) cpings=\d+\n\z/;
    is($conns2, $conns1, 'no new connection');
    is($reqs2, $reqs1 + 1, 'requests counted');
    is($conns1, $r1->{hdr}{'x-conn-id'}, 'this connection is the latest');
    $r1 = request($c, uri => '/nope');
    is($r1->{status}, 404, 'status 404');
    is($r1->{body}, "not found\n", '404 body');
    is(request($c, uri => '/echox')->{status}, 404, '/echox is not /echo');
};

subtest 'protocol violations close the connection' => sub {
    my $fwd = forward_request(uri => '/echo');
    my %bad = (
        'bad magic' => "\x12\x35\0\x01\x0A",
        'packet too long' => pack('nn', 0x1234, 8189) . ("\0" x 8189),
        'unknown type between requests' => packet("\x42"),
        'empty packet between requests' => packet(''),
        'CPING with extra bytes' => packet("\x0A\0"),
        'string overruns payload' => packet("\x02\x02" . pack('n', 500) . 'HTTP/1.1'),
        'unterminated string' => packet("\x02\x02" . pack('n', 2) . 'abX'),
        'unknown method' => packet("\x02\x30" . substr($fwd, 6)),
        'unknown header code' => packet(substr(forward_request(headers => [['X', 'y']]), 4) =~ s/\x00\x01X\x00/\xA0\x0F/r),
        'unknown attribute' => forward_request(attrs => [[0x0E, 'x']]),
        'trailing bytes' => packet(substr($fwd, 4) . "\0"),
        'is_ssl not 0/1' => forward_request(ssl => 2),
        'stored method missing' => packet("\x02\xFF" . substr($fwd, 6)),
        'bad content-length' => forward_request(headers => [['Content-Length', '12a']]),
        'body beyond content-length' => forward_request(uri => '/echo', headers => [['Content-Length', 2]]) . body_packet('abc'),
        'body packet length mismatch' => forward_request(uri => '/echo', headers => [['Content-Length', 2]]) . packet("\0\x05ab"),
        'eof inside packet' => substr($fwd, 0, 10),
    );
    my $before = () = slurp("$tmp/OXT.err") =~ /protocol error/g;
    for my $name (sort keys %bad) {
        my $c = $new->();
        $c->send($bad{$name});
        shutdown($c->{sock}, 1) if $name eq 'eof inside packet';
        ok($c->at_eof, "$name: closed");
    }
    sleep 0.1;
    my $after = () = slurp("$tmp/OXT.err") =~ /protocol error/g;
    is($after - $before, scalar keys %bad, 'one stderr line each');
    my $c = $new->();
    is(request($c, uri => '/conn')->{status}, 200, 'server still serves');
};

subtest 'concurrent connections' => sub {
    my @c = map { $new->() } 1 .. 5;
    $_->send(bodyless(uri => '/delay', query => 'ms=300')) for @c;
    my $t0 = time;
    my @r = map { request_tail($_) } @c;
    ok(time - $t0 < 1.2, 'delays run in parallel (sequential: 1.5s)');
    my %ids = map { $_->{hdr}{'x-conn-id'} => 1 } @r;
    is(scalar keys %ids, 5, 'distinct X-Conn-Id');
};

subtest 'packet size 65536' => sub {
    my $p2 = start_server('OXBIG', '--packet-size', '65536');
    my $c = Ajp->new($p2, packet_size => 65536);
    my $body = 'z' x 200000;
    my $r = request($c, method => 'PUT', uri => '/echo', body => $body, cl => 0);
    ok(!grep({ $_ != 65530 } @{ $r->{asks} }), 'asks for 65530');
    like($r->{body}, qr/^body-sha256: ${\ sha256_hex($body)}$/m, 'body');
    is($r->{hdr}{'x-backend'}, 'OXBIG', '--name');
    $r = request($c, method => 'POST', uri => '/echo', body => $body);
    like($r->{body}, qr/^body-length: 200000$/m, 'unsolicited 65530-byte first packet accepted');
    $r = request($c, uri => '/stream', query => 'bytes=200000');
    is($r->{chunks}[0], 65528, 'chunks of 65528');
    ok($r->{body} eq pattern(0, 200000), 'pattern');
    is(request($c, uri => '/headers', query => 'n=6&size=10000')->{status}, 200, 'big headers fit');
    $c->send(pack('nn', 0x1234, 65533) . ("\0" x 65533));
    ok($c->at_eof, '65533-byte payload rejected');
    is(stop_server('OXBIG'), 0, 'SIGTERM: exit 0');
};

subtest 'broken modes' => sub {
    my $pc = start_server('OXCLOSE', '--mode', 'close');
    my $c = Ajp->new($pc);
    $c->send(bodyless(uri => '/echo'));
    my ($data, $eof) = $c->read_until_idle(5);
    is($data, '', '--mode close: no answer');
    ok($eof, '--mode close: closed after the request');
    is(stop_server('OXCLOSE'), 0, 'SIGTERM: exit 0');

    my $ph = start_server('OXHTTP', '--mode', 'http');
    $c = Ajp->new($ph);
    $c->send(bodyless(uri => '/echo'));
    ($data, $eof) = $c->read_until_idle(5);
    like($data, qr{^HTTP/1\.1 400 Bad Request\r\n}, '--mode http: an HTTP answer');
    ok($eof, '--mode http: closed after it');
    is(stop_server('OXHTTP'), 0, 'SIGTERM: exit 0');
};

subtest 'command line' => sub {
    for my $args (['--port', '0', '--packet-size', '100'], ['--name', 'x'], ['--port', '0', '--bogus'],
                  ['--port', '0', '--mode', 'smtp']) {
        my $pid = fork // die;
        if ($pid == 0) { open STDERR, '>', '/dev/null'; open STDOUT, '>', '/dev/null'; exec $server_bin, @$args; exit 127 }
        waitpid($pid, 0);
        is($? >> 8, 2, "@$args: usage error");
    }
};

if ($big) {
    subtest '1 GiB stream' => sub {
        for my $ps (8192, 65536) {
            my $p = $ps == 8192 ? $port : start_server('OXBIG2', '--packet-size', $ps);
            my $c = Ajp->new($p, packet_size => $ps);
            open my $chk, '|-', $pattern_bin, 'check', '1G' or die "$pattern_bin: $!";
            my $t0 = time;
            $c->send(bodyless(uri => '/stream', query => 'bytes=1G'));
            my $n = stream_body($c, $chk);
            my $dt = time - $t0;
            ok(close($chk), "packet size $ps: oxb-pattern check 1G passes");
            is($n, 1 << 30, 'byte count');
            diag(sprintf('packet size %d: 1 GiB in %.2fs = %.0f MiB/s (includes Perl parsing and the checker)',
                $ps, $dt, 1024 / $dt));
            stop_server('OXBIG2') if $ps != 8192;
        }
    };
}

# Copies the response body of a /stream to $out; parses packets in place.
sub stream_body($c, $out) {
    my $n = 0;
    my $buf = '';
    my $pos = 0;
    for (;;) {
        if (length($buf) - $pos < 4 || length($buf) - $pos < 4 + unpack("x$pos x2 n", $buf)) {
            substr($buf, 0, $pos, '');
            $pos = 0;
            my $r = sysread($c->{sock}, $buf, 4 << 20, length $buf);
            die "eof in stream" unless $r;
            next;
        }
        my ($len, $type) = unpack("x$pos x2 n C", $buf);
        if ($type == 3) {
            my $dl = unpack("x$pos x5 n", $buf);
            print {$out} substr($buf, $pos + 7, $dl);
            $n += $dl;
        } elsif ($type == 5) {
            return $n;
        } elsif ($type != 4) {
            die "unexpected packet type $type in stream\n";
        }
        $pos += 4 + $len;
    }
}

is(stop_server('OXT'), 0, 'SIGTERM: exit 0');
unlike(slurp("$tmp/OXT.err"), qr/^(?!ajp_test_server: conn \d+: protocol error: ).+/m,
    'stderr holds only the expected protocol-error lines');
done_testing();
