#!/usr/bin/perl
# Self-test for http_test_server: talks HTTP/1.1 and WebSocket (through
# t/lib/OXB/WebSocket.pm) to it directly and checks every endpoint, the
# fault menu byte for byte, and that the strict request reader refuses what a
# proxy must never send. Core modules only. Output is TAP (Test::More).
#
#   perl t/backend/http_selftest.pl [--server ./http_test_server]
use v5.36;
use Digest::SHA qw(sha256_hex);
use Errno qw(ECONNRESET);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);
use lib dirname(__FILE__) . '/../lib';
use OXB::WebSocket;

my $server_bin = './http_test_server';
GetOptions('server=s' => \$server_bin) or die "usage: $0 [--server PATH]\n";
$SIG{PIPE} = 'IGNORE';
# A hung exchange must fail the run, not block it forever.
$SIG{ALRM} = sub { die "http_selftest: global timeout\n" };
alarm 180;

# ---- a minimal strict HTTP/1.1 client connection ---------------------------------

package Http {
    sub new($class, $port) {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
            or die "connect: $!";
        binmode $sock;
        $sock->setsockopt(6, 1, 1);    # TCP_NODELAY
        return bless { sock => $sock, buf => '', eof => 0, err => 0 }, $class;
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
    sub fill($self, $timeout = 10) {
        return 0 if $self->{eof};
        die "timeout\n" unless IO::Select->new($self->{sock})->can_read($timeout);
        my $r = sysread($self->{sock}, $self->{buf}, 1 << 20, length $self->{buf});
        if (!defined $r) { $self->{err} = $! + 0; $self->{eof} = 1; return 0 }
        if ($r == 0) { $self->{eof} = 1; return 0 }
        return 1;
    }
    sub read_exact($self, $n) {
        while (length $self->{buf} < $n) { $self->fill or die "eof after " . length($self->{buf}) . " of $n bytes\n" }
        return substr($self->{buf}, 0, $n, '');
    }
    sub read_line($self) {
        my $at;
        while (($at = index($self->{buf}, "\r\n")) < 0) { $self->fill or die "eof inside a line\n" }
        return substr($self->{buf}, 0, $at + 2, '');
    }
    # Everything until the server has been quiet for $idle seconds or closed.
    sub read_until_idle($self, $idle) {
        while (!$self->{eof}) { last unless eval { $self->fill($idle); 1 } }
        my $data = $self->{buf};
        $self->{buf} = '';
        return ($data, $self->{eof});
    }
    sub quiet_for($self, $secs) {
        return !IO::Select->new($self->{sock})->can_read($secs) && length($self->{buf}) == 0;
    }
    sub at_eof($self, $timeout = 5) {
        while (!$self->{eof}) { return 0 if $self->fill($timeout) }
        return length($self->{buf}) == 0;
    }
    sub close($self) { CORE::close($self->{sock}) }

    # Reads one response strictly. head_only: the request was HEAD.
    # Returns { status, reason, headers => [[n, v]], hdr => {lc => first},
    # body, chunks => [sizes], framing => length|chunked|close|none }.
    sub response($self, %o) {
        my $line = $self->read_line;
        my ($status, $reason) = $line =~ m{^HTTP/1\.1 (\d{3}) ([^\r\n]*)\r\n\z} or die "bad status line: $line";
        my %r = (status => $status, reason => $reason, headers => [], hdr => {}, body => '', chunks => []);
        for (;;) {
            my $h = $self->read_line;
            last if $h eq "\r\n";
            my ($n, $v) = $h =~ /^([!#\$%&'*+.^_`|~0-9A-Za-z-]+): ?([^\r\n]*)\r\n\z/ or die "bad header line: $h";
            push @{ $r{headers} }, [$n, $v];
            $r{hdr}{ lc $n } //= $v;
        }
        my $te = $r{hdr}{'transfer-encoding'};
        my $cl = $r{hdr}{'content-length'};
        die "both Content-Length and Transfer-Encoding\n" if defined $te && defined $cl;
        if ($o{head_only} || $status == 204 || $status == 304 || $status < 200) {
            $r{framing} = 'none';
        } elsif (defined $te) {
            die "Transfer-Encoding $te\n" unless $te eq 'chunked';
            $r{framing} = 'chunked';
            for (;;) {
                my ($size) = $self->read_line =~ /^([0-9a-f]+)\r\n\z/ or die "bad chunk size line\n";
                my $n = hex $size;
                last if $n == 0;
                push @{ $r{chunks} }, $n;
                $r{body} .= $self->read_exact($n);
                die "chunk not followed by CRLF\n" unless $self->read_exact(2) eq "\r\n";
            }
            die "trailers or missing final CRLF\n" unless $self->read_line eq "\r\n";
        } elsif (defined $cl) {
            $r{framing} = 'length';
            $r{body} = $self->read_exact($cl);
        } else {
            $r{framing} = 'close';
            1 while $self->fill;
            $r{body} = $self->{buf};
            $self->{buf} = '';
        }
        return \%r;
    }
    # Sends a request (GET unless method given) and reads its response.
    sub request($self, $target, %o) {
        my $method = $o{method} // 'GET';
        my $body = $o{body};
        my $req = "$method $target " . ($o{version} // 'HTTP/1.1') . "\r\n";
        $req .= "Host: backend.test\r\n" unless $o{no_host};
        $req .= "$_->[0]: $_->[1]\r\n" for @{ $o{headers} // [] };
        $req .= 'Content-Length: ' . length($body) . "\r\n" if defined $body;
        $self->send("$req\r\n" . ($body // ''));
        return $self->response(head_only => $method eq 'HEAD');
    }
}

sub pattern($off, $len) {
    my $start = $off - $off % 16;
    my $s = '';
    for (my $o = $start; $o < $off + $len; $o += 16) { $s .= sprintf("%015x\n", $o) }
    return substr($s, $off - $start, $len);
}

# ---- server processes ---------------------------------------------------------------

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

my $port = start_server('HXT');
my $new = sub () { Http->new($port) };
sub ws(@args) { OXB::WebSocket->connect('127.0.0.1', $port, @args) }

# ---- tests ------------------------------------------------------------------------------

subtest 'startup' => sub {
    like(slurp("$tmp/HXT.out"), qr/^listening on 127\.0\.0\.1:$port\n\z/, 'listening line on stdout');
    ok($port > 0, "ephemeral port $port in port file");
};

subtest 'keep-alive' => sub {
    my $c = $new->();
    my $id;
    for my $k (1 .. 3) {
        my $r = $c->request('/conn');
        is($r->{status}, 200, "request $k: status 200");
        is($r->{hdr}{'x-conn-requests'}, $k, "X-Conn-Requests $k");
        is($r->{hdr}{'x-backend'}, 'HXT', 'X-Backend');
        $id //= $r->{hdr}{'x-conn-id'};
        is($r->{hdr}{'x-conn-id'}, $id, 'same X-Conn-Id');
        is($r->{body}, "conn=$id requests=$k\n", '/conn body');
        ok(!exists $r->{hdr}{connection}, 'no Connection: close');
    }
    my $r = Http->new($port)->request('/conn');
    isnt($r->{hdr}{'x-conn-id'}, $id, 'new connection, new X-Conn-Id');
    is($r->{hdr}{'x-conn-requests'}, 1, 'new connection starts at 1');

    $r = $c->request('/conn', headers => [['Connection', 'close']]);
    is($r->{hdr}{connection}, 'close', 'Connection: close is answered with close');
    ok($c->at_eof, 'and the connection is closed');

    $c = $new->();
    $r = $c->request('/conn', version => 'HTTP/1.0', no_host => 1);
    is($r->{status}, 200, 'HTTP/1.0 without Host');
    is($r->{hdr}{connection}, 'close', 'HTTP/1.0: close');
    ok($c->at_eof, 'HTTP/1.0: closed');
    $c = $new->();
    $c->request('/conn', version => 'HTTP/1.0', headers => [['Connection', 'keep-alive']]);
    is($c->request('/conn')->{hdr}{'x-conn-requests'}, 2, 'HTTP/1.0 keep-alive: kept');
};

subtest 'echo' => sub {
    my $c = $new->();
    my $empty = sha256_hex('');
    my $r = $c->request('/echo/some/path?a=1&b=%20x',
        headers => [['User-Agent', 'selftest'], ['X-Custom', 'v1'], ['x-lower', 'v2'], ['X-Empty', ''],
                    ['X-Spaces', "  trimmed \t"]]);
    is($r->{status}, 200, 'status 200');
    is($r->{hdr}{'content-type'}, 'text/plain', 'content type');
    is($r->{body}, <<"EOF", 'dump');
method: GET
uri: /echo/some/path
query: a=1&b=%20x
protocol: HTTP/1.1
request-line: GET /echo/some/path?a=1&b=%20x HTTP/1.1
peer-addr: 127.0.0.1
framing: none
expect: (none)
header: Host: backend.test
header: User-Agent: selftest
header: X-Custom: v1
header: x-lower: v2
header: X-Empty: 
header: X-Spaces: trimmed
body-length: 0
body-sha256: $empty
EOF
    my $body = join '', map { chr(($_ * 7) % 256) } 1 .. 100000;
    $r = $c->request('/echo', method => 'POST', body => $body);
    like($r->{body}, qr/^framing: length$/m, 'Content-Length body: framing length');
    like($r->{body}, qr/^body-length: 100000$/m, 'length');
    like($r->{body}, qr/^body-sha256: ${\ sha256_hex($body)}$/m, 'sha256');
    unlike($r->{body}, qr/^query:/m, 'no query line without a query');
    $r = $c->request('/echo?', method => 'POST', body => '');
    like($r->{body}, qr/^query: $/m, 'an empty query is shown');
    like($r->{body}, qr/^framing: length\nexpect/m, 'Content-Length: 0 is framing length');

    # Chunked, with an extension and a trailer.
    $c->send("PUT /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "3;ext=1\r\nabc\r\n" . "A\r\n0123456789\r\n" . "0\r\nX-Trailer: t1\r\n\r\n");
    $r = $c->response;
    like($r->{body}, qr/^framing: chunked$/m, 'chunked body: framing chunked');
    like($r->{body}, qr/^body-length: 13$/m, 'chunked length');
    like($r->{body}, qr/^body-sha256: ${\ sha256_hex('abc0123456789')}$/m, 'chunked sha256');
    like($r->{body}, qr/^trailer: X-Trailer: t1$/m, 'trailer listed');
    like($r->{body}, qr/^header: Transfer-Encoding: chunked$/m, 'Transfer-Encoding echoed');

    # Expect arrives: recorded (the proxy is expected to strip it).
    $c->send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
    $r = $c->response;
    is($r->{status}, 200, '/echo with Expect: 200 (no 100 first)');
    like($r->{body}, qr/^expect: 100-continue$/m, 'expect recorded');

    $r = $c->request('/echo', method => 'HEAD');
    ok($r->{hdr}{'content-length'} > 0 && $r->{body} eq '', 'HEAD: Content-Length, no body');
    $r = $c->request('/echo', method => 'PATCH');
    like($r->{body}, qr/^method: PATCH\n/, 'any method');
    $c->send("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    is($c->response->{status}, 404, 'OPTIONS *: parsed, 404');
    is($c->request('/conn')->{hdr}{'x-conn-requests'}, 9, 'all on one connection');
};

subtest 'stream' => sub {
    my $c = $new->();
    my $r = $c->request('/stream?bytes=100000');
    is($r->{framing}, 'length', 'default te=length');
    is($r->{hdr}{'content-length'}, 100000, 'Content-Length');
    is($r->{hdr}{'content-type'}, 'application/octet-stream', 'Content-Type');
    ok($r->{body} eq pattern(0, 100000), 'pattern bytes');

    $r = $c->request('/stream?bytes=10000&chunk=1000&te=chunked');
    is($r->{framing}, 'chunked', 'te=chunked');
    is_deeply($r->{chunks}, [(1000) x 10], 'chunk=1000: ten chunks of 1000');
    ok($r->{body} eq pattern(0, 10000), 'pattern bytes');
    $r = $c->request('/stream?bytes=2K&chunk=7&te=chunked');
    ok($r->{body} eq pattern(0, 2048) && $r->{chunks}[0] == 7 && $r->{chunks}[-1] == 2048 % 7,
       'odd chunk size, short last chunk');
    $r = $c->request('/stream?bytes=0&te=chunked');
    ok($r->{body} eq '' && !@{ $r->{chunks} }, 'bytes=0 chunked: only the last chunk');
    $r = $c->request('/stream?bytes=0');
    ok($r->{body} eq '' && $r->{hdr}{'content-length'} eq '0', 'bytes=0: Content-Length 0');
    $r = $c->request('/stream?bytes=5000', method => 'HEAD');
    ok($r->{body} eq '' && $r->{hdr}{'content-length'} == 5000, 'HEAD: no body');
    ok($c->quiet_for(0.2), 'HEAD: nothing behind the head');
    $r = $c->request('/stream?bytes=10&te=gzip');
    is($r->{status}, 400, 'te=gzip: 400');
    $r = $c->request('/stream');
    is($r->{status}, 400, 'missing bytes: 400');
    like($r->{body}, qr/missing parameter bytes/, '400 body says why');
    is($c->request('/conn')->{hdr}{'x-conn-requests'}, 9, 'connection still usable');

    $r = $c->request('/stream?bytes=70000&te=close');
    is($r->{framing}, 'close', 'te=close: neither length nor chunked');
    is($r->{hdr}{connection}, 'close', 'Connection: close');
    ok($r->{body} eq pattern(0, 70000), 'pattern bytes up to the close');

    $c = $new->();
    $r = $c->request('/stream?bytes=10&te=chunked', version => 'HTTP/1.0');
    is($r->{status}, 400, 'te=chunked to HTTP/1.0: 400');
};

subtest 'slow-stream' => sub {
    my $c = $new->();
    my $t0 = time;
    my $r = $c->request('/slow-stream?bytes=300&chunk=100&interval=150&te=chunked');
    my $dt = time - $t0;
    is_deeply($r->{chunks}, [100, 100, 100], 'three chunks');
    ok($r->{body} eq pattern(0, 300), 'pattern bytes');
    ok($dt >= 0.29 && $dt < 2, sprintf('took %.2fs (2 intervals of 0.15s)', $dt));
    $c->send("GET /slow-stream?bytes=20&chunk=10&interval=1000 HTTP/1.1\r\nHost: h\r\n\r\n");
    $t0 = time;
    $c->fill;
    $c->fill until index($c->{buf}, "\r\n\r\n") >= 0;
    $c->fill while length($c->{buf}) < index($c->{buf}, "\r\n\r\n") + 4 + 10;
    ok(time - $t0 < 0.7, 'head and first chunk come at once');
    $r = $c->response;
    ok($r->{body} eq pattern(0, 20), 'then the rest');
};

subtest 'pause-after-flush and open' => sub {
    my $c = $new->();
    $c->send("GET /pause-after-flush?gate=g1 HTTP/1.1\r\nHost: h\r\n\r\n");
    my $head_and_first = sub { my $e = index($c->{buf}, "\r\n\r\n"); $e >= 0 && index($c->{buf}, "before the pause\n", $e) >= 0 };
    $c->fill until $head_and_first->();
    ok($head_and_first->(), 'head and first chunk before the gate opens');
    ok(!IO::Select->new($c->{sock})->can_read(0.3), 'then nothing while the gate is shut');
    is($new->()->request('/open?gate=g1')->{body}, "opened\n", '/open on another connection');
    my $r = $c->response;
    is($r->{body}, "before the pause\nafter the pause\n", 'then the rest');
    is_deeply($r->{chunks}, [17, 16], 'two chunks');
    is($c->request('/pause-after-flush?ms=10')->{body}, "before the pause\nafter the pause\n", 'ms= instead of a gate');
    is($c->request('/open')->{status}, 400, '/open without a gate: 400');
};

subtest 'status, cookies, headers' => sub {
    my $c = $new->();
    for my $code (204, 304) {
        my $r = $c->request("/status?code=$code");
        is($r->{status}, $code, "status $code");
        ok(!exists $r->{hdr}{'content-length'}, "$code: no Content-Length");
        ok($c->quiet_for(0.2), "$code: no body");
    }
    for my $code (200, 302, 418, 503) {
        my $r = $c->request("/status?code=$code");
        is($r->{status}, $code, "status $code");
        is($r->{body}, "status $code\n", "$code body");
    }
    is($c->request('/status?code=abc')->{status}, 400, 'bad code: 400');
    is($c->request('/status?code=100')->{status}, 400, 'code 100: 400');

    my $r = $c->request('/cookies?n=3');
    is_deeply([map { $_->[1] } grep { $_->[0] eq 'Set-Cookie' } @{ $r->{headers} }],
        ['c1=v1; Path=/', 'c2=v2; Path=/', 'c3=v3; Path=/'], 'three Set-Cookie');
    $r = $c->request('/headers?n=5&size=100');
    my @xh = grep { $_->[0] =~ /^X-H\d+$/ } @{ $r->{headers} };
    is_deeply([map { $_->[0] } @xh], [map {"X-H$_"} 1 .. 5], 'names X-H1..X-H5');
    ok(!grep({ $_->[1] ne 'x' x 100 } @xh), 'values of 100 x');
    $r = $c->request('/headers?n=1&size=100000');
    is(length $r->{hdr}{'x-h1'}, 100000, 'one header of 100000 bytes');
    $r = $c->request('/headers?n=0&connection=X-Hop');
    is($r->{hdr}{connection}, 'X-Hop', 'Connection names X-Hop');
    is($r->{hdr}{'x-hop'}, 'hop-by-hop', 'X-Hop sent');
    is($c->request('/headers?connection=a%0d%0ab')->{status}, 400, 'connection=NAME must be a token');
};

subtest 'session and health' => sub {
    my $c = $new->();
    my $r = $c->request('/session');
    my ($id) = ($r->{hdr}{'set-cookie'} // '') =~ /^JSESSIONID=(\d+\.HXT); Path=\/\z/;
    ok($id, 'Set-Cookie: JSESSIONID=<decimal>.HXT; Path=/');
    is($r->{body}, "session=$id\n", 'body names it');
    isnt(($c->request('/session')->{hdr}{'set-cookie'}), $r->{hdr}{'set-cookie'}, 'a new id each time');

    $r = $c->request('/health');
    is($r->{status}, 200, '/health: 200');
    is($r->{body}, "OK\n", '/health: OK');
    $r = $c->request('/health-set?code=503');
    is($r->{body}, "health=503\n", '/health-set?code=503');
    $r = Http->new($port)->request('/health');
    is($r->{status}, 503, '/health now 503, on any connection');
    is($r->{body}, "health 503\n", '503 body');
    is($c->request('/health-set')->{status}, 400, '/health-set without code: 400');
    $c->request('/health-set?code=200');
    is($c->request('/health')->{status}, 200, 'back to 200');
};

subtest 'continue' => sub {
    my $c = $new->();
    $c->send("POST /continue HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    is($c->read_line, "HTTP/1.1 100 Continue\r\n", '100 Continue before the body');
    is($c->read_line, "\r\n", 'an empty interim head');
    ok($c->quiet_for(0.2), 'then waits for the body');
    $c->send('hello');
    my $r = $c->response;
    is($r->{status}, 200, 'then 200');
    like($r->{body}, qr/^continue: sent$/m, 'continue: sent');
    like($r->{body}, qr/^body-sha256: ${\ sha256_hex('hello')}$/m, 'body read after the 100');
    $r = $c->request('/continue', method => 'POST', body => 'abc');
    like($r->{body}, qr/^continue: not-asked$/m, 'without Expect: no 100');

    $c = $new->();
    $c->send("POST /continue?reject=417 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    $r = $c->response;
    is($r->{status}, 417, 'reject=417: 417 instead of 100');
    is($r->{hdr}{connection}, 'close', 'and Connection: close (the body is unread)');
    $c->send('hello');
    ok($c->at_eof, 'closed');
};

subtest 'delay, hang, close, reset, early' => sub {
    my $c = $new->();
    my $t0 = time;
    is($c->request('/delay?ms=300')->{body}, "delayed\n", '/delay body');
    ok(time - $t0 >= 0.29, 'waited');

    $c->send("GET /hang HTTP/1.1\r\nHost: h\r\n\r\n");
    ok($c->quiet_for(0.5), '/hang: no answer');
    ok(!$c->{eof}, '/hang: socket still open');
    $c->close;

    $c = $new->();
    $c->send("POST /close HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    ok($c->at_eof, '/close: closed without data');

    $c = $new->();
    $c->send("GET /reset?after=100 HTTP/1.1\r\nHost: h\r\n\r\n");
    my ($data, $eof) = $c->read_until_idle(2);
    like($data, qr/\r\nContent-Length: 201\r\n/, 'Content-Length 2N+1');
    ok(substr($data, index($data, "\r\n\r\n") + 4) eq pattern(0, 100), '100 body bytes');
    ok($eof, 'then the connection ends');
    is($c->{err}, ECONNRESET, 'with RST (ECONNRESET)');

    $c = $new->();
    $c->send("POST /early HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n" . ('e' x 1000));
    my $r = $c->response;
    is($r->{body}, "early\n", '/early answers before the body is in');
    is($r->{hdr}{connection}, 'close', 'with Connection: close');
    $c->send('e' x 100000);
    ok($c->at_eof, 'reads what comes, then closes');
    $c = $new->();
    $c->request('/early');
    is($c->request('/conn')->{hdr}{'x-conn-requests'}, 2, '/early without a body: kept alive');
};

# What each /bad kind must send, written out independently of the server.
my $ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
my $cl5 = "Content-Length: 5\r\n";
my $te = "Transfer-Encoding: chunked\r\n";
my %bad = (
    'status-line' => ["HTTP/1.1 2OO OK\r\nContent-Type: text/plain\r\n$cl5\r\nhello", 0],
    'http09' => ["hello from HTTP/0.9\n", 1],
    'obs-fold' => ["${ok}X-Folded: a\r\n b\r\n$cl5\r\nhello", 0],
    'bare-lf' => ["${ok}X-Bare: a\n$cl5\r\nhello", 0],
    'bare-cr' => ["${ok}X-Bare: a\rX-Injected: 1\r\n$cl5\r\nhello", 0],
    'space-before-colon' => ["${ok}Content-Length : 5\r\n\r\nhello", 0],
    'no-colon' => ["${ok}X-No-Colon\r\n$cl5\r\nhello", 0],
    'nul-in-header' => ["${ok}X-Nul: a\0b\r\n$cl5\r\nhello", 0],
    'huge-head' => [$ok . join('', map { "X-Huge-$_: " . ('h' x 4096) . "\r\n" } 1 .. 50) . "$cl5\r\nhello", 0],
    'many-headers' => [$ok . join('', map {"X-Many-$_: v\r\n"} 1 .. 1000) . "$cl5\r\nhello", 0],
    'two-cl' => ["$ok${cl5}Content-Length: 6\r\n\r\nhello!", 0],
    'cl-sign' => ["${ok}Content-Length: +5\r\n\r\nhello", 0],
    'cl-te' => ["$ok$cl5$te\r\n5\r\nhello\r\n0\r\n\r\n", 0],
    'te-gzip' => ["${ok}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0],
    'bad-chunk' => ["$ok$te\r\n5x\r\nhello\r\n0\r\n\r\n", 0],
    'chunk-0x' => ["$ok$te\r\n0x5\r\nhello\r\n0\r\n\r\n", 0],
    'overflow-chunk' => ["$ok$te\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 0],
    'chunk-no-crlf' => ["$ok$te\r\n5\r\nhelloXX0\r\n\r\n", 0],
    'longer' => ["$ok$cl5\r\nhelloHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nINJECTED\n", 0],
    'shorter' => ["${ok}Content-Length: 100\r\n\r\n0123456789", 1],
);

subtest 'bad responses' => sub {
    for my $kind (sort keys %bad) {
        my ($want, $closes) = @{ $bad{$kind} };
        my $c = $new->();
        $c->send("POST /bad?kind=$kind HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
        my ($data, $eof) = $c->read_until_idle(0.3);
        ok($data eq $want, "$kind: exactly the intended bytes") or diag(length($data) . ' bytes: ' . substr($data, 0, 300));
        is($eof ? 1 : 0, $closes, $closes ? "$kind: then closed" : "$kind: socket stays open");
        $c->close;
    }
    # The properties the kinds are named for, checked on the bytes.
    my ($h) = $bad{'two-cl'}[0] =~ /^(.*?)\r\n\r\n/s;
    is(scalar(() = $h =~ /^Content-Length: \d+\r?$/mg), 2, 'two-cl: two Content-Length headers');
    ($h) = $bad{'huge-head'}[0] =~ /^(.*?)\r\n\r\n/s;
    ok(length $h > 200 * 1024, 'huge-head: over 200 KiB of head');
    ($h) = $bad{'many-headers'}[0] =~ /^(.*?)\r\n\r\n/s;
    ok((() = $h =~ /\r\n/g) > 1000, 'many-headers: over 1000 header lines');
    my $c = $new->();
    $c->send("GET /bad?kind=shorter&then=drain HTTP/1.1\r\nHost: h\r\n\r\n");
    my ($data, $eof) = $c->read_until_idle(0.3);
    ok($data eq $bad{shorter}[0] && !$eof, 'then=drain keeps it open');
    $c = $new->();
    $c->send("GET /bad?kind=two-cl&then=close HTTP/1.1\r\nHost: h\r\n\r\n");
    ($data, $eof) = $c->read_until_idle(2);
    ok($data eq $bad{'two-cl'}[0] && $eof, 'then=close closes');
    $c = $new->();
    my $r = $c->request('/bad?kind=nope');
    is($r->{status}, 400, 'unknown kind: 400');
    like($r->{body}, qr/known: .*two-cl/, 'lists the known kinds');
};

subtest 'refused requests' => sub {
    my $h = "Host: h\r\n";
    my %req = (
        'CL and TE' => [400, "POST /echo HTTP/1.1\r\n${h}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"],
        'two CL' => [400, "POST /echo HTTP/1.1\r\n${h}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"],
        'CL list' => [400, "POST /echo HTTP/1.1\r\n${h}Content-Length: 3, 3\r\n\r\nabc"],
        'CL sign' => [400, "POST /echo HTTP/1.1\r\n${h}Content-Length: +3\r\n\r\nabc"],
        'two TE' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
        'TE gzip' => [501, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"],
        'TE in HTTP/1.0' => [400, "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
        'bad chunk size' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n"],
        'chunk size 0x' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n"],
        'chunk size overflow' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n"],
        'chunk without CRLF' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n"],
        'chunk ext with space' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n3 ;a\r\nabc\r\n0\r\n\r\n"],
        'bad trailer' => [400, "POST /echo HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T : 1\r\n\r\n"],
        'bare LF in header' => [400, "GET /echo HTTP/1.1\r\n${h}X-A: 1\n\r\n"],
        'CR in header value' => [400, "GET /echo HTTP/1.1\r\n${h}X-A: 1\rX-B: 2\r\n\r\n"],
        'NUL in header value' => [400, "GET /echo HTTP/1.1\r\n${h}X-A: 1\0\r\n\r\n"],
        'obs-fold' => [400, "GET /echo HTTP/1.1\r\n${h}X-A: 1\r\n 2\r\n\r\n"],
        'space before colon' => [400, "GET /echo HTTP/1.1\r\n${h}X-A : 1\r\n\r\n"],
        'no colon' => [400, "GET /echo HTTP/1.1\r\n${h}X-A\r\n\r\n"],
        'no Host' => [400, "GET /echo HTTP/1.1\r\n\r\n"],
        'two Host' => [400, "GET /echo HTTP/1.1\r\n${h}${h}\r\n"],
        'bare LF request line' => [400, "GET /echo HTTP/1.1\n${h}\r\n"],
        'two spaces in request line' => [400, "GET  /echo HTTP/1.1\r\n${h}\r\n"],
        'absolute-form' => [400, "GET http://h/echo HTTP/1.1\r\n${h}\r\n"],
        'space in target' => [400, "GET /echo x HTTP/1.1\r\n${h}\r\n"],
        'fragment in target' => [400, "GET /echo#x HTTP/1.1\r\n${h}\r\n"],
        'bad method' => [400, "G(T /echo HTTP/1.1\r\n${h}\r\n"],
        'HTTP/2.0' => [505, "GET /echo HTTP/2.0\r\n${h}\r\n"],
        'lowercase version' => [400, "GET /echo http/1.1\r\n${h}\r\n"],
        'CRLF before request' => [400, "\r\nGET /echo HTTP/1.1\r\n${h}\r\n"],
        'body shorter than CL' => [400, "POST /echo HTTP/1.1\r\n${h}Content-Length: 10\r\n\r\nabc"],
    );
    my $before = () = slurp("$tmp/HXT.err") =~ /bad request/g;
    for my $name (sort keys %req) {
        my ($status, $bytes) = @{ $req{$name} };
        my $c = $new->();
        $c->send($bytes);
        shutdown($c->{sock}, 1) if $name eq 'body shorter than CL';
        my ($data, $eof) = $c->read_until_idle(2);
        like($data, qr{^HTTP/1\.1 $status }, "$name: $status");
        like($data, qr/\r\nConnection: close\r\n/, "$name: Connection: close");
        ok($eof, "$name: closed");
    }
    sleep 0.1;
    my $after = () = slurp("$tmp/HXT.err") =~ /bad request/g;
    is($after - $before, scalar keys %req, 'one stderr line each');
    my $r = $new->()->request('/stats');
    like($r->{body}, qr/ bad-requests=${\ scalar keys %req} /, '/stats counts them');
};

subtest 'websocket' => sub {
    my $ws = ws('/ws?hello=1', [['Sec-WebSocket-Protocol', 'chat, other'], ['Origin', 'http://test']]);
    is($ws->status, 101, 'handshake: 101');
    ok($ws->accept_ok, 'Sec-WebSocket-Accept, Upgrade and Connection right');
    is($ws->header('X-Backend'), 'HXT', 'X-Backend on the 101');
    is($ws->header('Sec-WebSocket-Protocol'), 'chat', 'first offered subprotocol chosen');
    is_deeply([$ws->recv_message(5)], ['text', 'hello from HXT'], 'hello message first');
    ok($ws->send_text("caf\xc3\xa9"), 'send text');
    is_deeply([$ws->recv_message(5)], ['text', "caf\xc3\xa9"], 'UTF-8 text echoed');
    my $bin = join '', map { chr(($_ * 13 + 5) % 256) } 1 .. 70 * 1024;
    $ws->send_binary($bin);
    my ($type, $data) = $ws->recv_message(5);
    is($type, 'binary', '70 KB binary echoed as binary');
    ok(defined $data && $data eq $bin, '70 KB binary: same bytes');
    $ws->send_binary($bin, fragment => 30000);
    ($type, $data) = $ws->recv_message(5);
    ok($type eq 'binary' && $data eq $bin, 'fragmented in three frames: echoed whole');
    $ws->send_text('');
    is_deeply([$ws->recv_message(5)], ['text', ''], 'empty message');
    $ws->ping('are you there');
    is_deeply([$ws->recv_message(5)], ['pong', 'are you there'], 'ping -> pong with the payload');
    # A ping between the fragments of a message is answered at once.
    $ws->send_frame(1, 'frag', fin => 0);
    $ws->ping('mid');
    is_deeply([$ws->recv_message(5)], ['pong', 'mid'], 'ping inside a fragmented message');
    $ws->send_frame(0, 'ment');
    is_deeply([$ws->recv_message(5)], ['text', 'fragment'], 'then the message');
    is_deeply([$ws->close(1000, 'done')], [1000, ''], 'close 1000 echoed');
    ok($ws->closed_by_server, 'server closed the TCP connection');

    $ws = ws('/ws?close-after=2');
    $ws->send_text("m$_") for 1 .. 3;
    is_deeply([$ws->recv_message(5)], ['text', 'm1'], 'close-after=2: first echo');
    is_deeply([$ws->recv_message(5)], ['text', 'm2'], 'second echo');
    is_deeply([$ws->recv_message(5)], ['close', 1000, 'bye'], 'then the server closes with 1000');
    $ws->close(1000);
    ok($ws->closed_by_server, 'and ends the TCP connection after our close');

    $ws = ws('/ws?fragment=1000');
    $ws->send_binary('f' x 2500);
    my @frames = map { $ws->recv_frame(5) } 1 .. 3;
    is_deeply([map { [$_->{opcode}, $_->{fin}, length $_->{payload}] } @frames],
        [[2, 0, 1000], [0, 0, 1000], [0, 1, 500]], 'fragment=1000: echoed in frames of 1000');
    $ws->close;

    # Protocol errors: the server closes with the RFC's code.
    my %errors = (
        'unmasked frame' => [1002, sub ($w) { $w->send_frame(1, 'x', mask => 0) }],
        'RSV bit' => [1002, sub ($w) { $w->send_frame(1, 'x', rsv => 4) }],
        'unknown opcode' => [1002, sub ($w) { $w->send_frame(3, 'x') }],
        'continuation first' => [1002, sub ($w) { $w->send_frame(0, 'x') }],
        'fragmented ping' => [1002, sub ($w) { $w->send_frame(9, 'x', fin => 0) }],
        'invalid UTF-8' => [1007, sub ($w) { $w->send_text("\xc3\x28") }],
        'bad close code' => [1002, sub ($w) { $w->send_frame(8, pack('n', 1005)) }],
    );
    for my $name (sort keys %errors) {
        my ($code, $send) = @{ $errors{$name} };
        $ws = ws('/ws');
        $send->($ws);
        is_deeply([$ws->recv_message(5)], ['close', $code, ''], "$name: close $code");
        $ws->close;
    }

    # Bad handshakes: 400, and no switch.
    my %hs = (
        'no Upgrade' => [['Upgrade', undef]],
        'no Connection: upgrade' => [['Connection', 'keep-alive']],
        'version 8' => [['Sec-WebSocket-Version', '8']],
        'short key' => [['Sec-WebSocket-Key', 'c2hvcnQ=']],
        'no key' => [['Sec-WebSocket-Key', undef]],
    );
    for my $name (sort keys %hs) {
        $ws = ws('/ws', $hs{$name});
        is($ws->status, 400, "$name: 400");
        is($ws->header('Sec-WebSocket-Version'), '13', "$name: names version 13");
    }
    my $c = $new->();
    my $r = $c->request('/ws', method => 'POST', body => 'x',
        headers => [['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
                    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']]);
    is($r->{status}, 400, 'POST: 400');
    # The RFC's own example key (RFC 6455 1.3).
    $c->send("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
        . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    $r = $c->response;
    is($r->{status}, 101, 'token lists and case: 101');
    is($r->{hdr}{'sec-websocket-accept'}, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'the RFC example accept value');
    like($new->()->request('/stats')->{body}, qr/ websockets=\d+ ws-messages=\d+\n\z/, '/stats counts websockets');
};

subtest 'stats and 404' => sub {
    my $c = $new->();
    my $r1 = $c->request('/stats');
    my $r2 = $c->request('/stats');
    my ($conns1, $reqs1) = $r1->{body} =~ /^connections=(\d+) requests=(\d+) / or fail('format');
    my ($conns2, $reqs2) = $r2->{body} =~ /^connections=(\d+) requests=(\d+) /;
    is($conns2, $conns1, 'no new connection');
    is($reqs2, $reqs1 + 1, 'requests counted');
    is($conns1, $r1->{hdr}{'x-conn-id'}, 'this connection is the latest');
    $r1 = $c->request('/nope');
    is($r1->{status}, 404, 'status 404');
    is($c->request('/echox')->{status}, 404, '/echox is not /echo');
};

subtest 'concurrent connections' => sub {
    my @c = map { $new->() } 1 .. 5;
    $_->send("GET /delay?ms=300 HTTP/1.1\r\nHost: h\r\n\r\n") for @c;
    my $t0 = time;
    my @r = map { $_->response } @c;
    ok(time - $t0 < 1.2, 'delays run in parallel (sequential: 1.5s)');
    my %ids = map { $_->{hdr}{'x-conn-id'} => 1 } @r;
    is(scalar keys %ids, 5, 'distinct X-Conn-Id');
};

subtest 'broken modes' => sub {
    my $pc = start_server('HXCLOSE', '--mode', 'close');
    my $c = Http->new($pc);
    $c->send("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n");
    my ($data, $eof) = $c->read_until_idle(5);
    is($data, '', '--mode close: no answer');
    ok($eof, '--mode close: closed after the request');
    is(stop_server('HXCLOSE'), 0, 'SIGTERM: exit 0');

    my $pg = start_server('HXGARBAGE', '--mode', 'garbage');
    $c = Http->new($pg);
    $c->send("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n");
    ($data, $eof) = $c->read_until_idle(5);
    ok(length $data > 0 && $data !~ /^HTTP/, '--mode garbage: an answer that is no HTTP');
    ok($eof, '--mode garbage: closed after it');
    is(stop_server('HXGARBAGE'), 0, 'SIGTERM: exit 0');

    my $ph = start_server('HXHEADCLOSE', '--mode', 'headclose');
    $c = Http->new($ph);
    $c->send("GET /echo HTTP/1.1\r\nHost: h\r\n\r\n");
    ($data, $eof) = $c->read_until_idle(5);
    like($data, qr{\AHTTP/1\.1 200 OK\r\n.*Content-Length: 100\r\n\r\n\z}s, '--mode headclose: a head alone');
    ok($eof, '--mode headclose: closed after it');
    is(stop_server('HXHEADCLOSE'), 0, 'SIGTERM: exit 0');
};

subtest 'command line' => sub {
    for my $args (['--name', 'x'], ['--port', '0', '--bogus'], ['--port', '0', '--mode', 'ajp'],
                  ['--port', '70000'], ['--port', '0', '--name', 'a b']) {
        my $pid = fork // die;
        if ($pid == 0) { open STDERR, '>', '/dev/null'; open STDOUT, '>', '/dev/null'; exec $server_bin, @$args; exit 127 }
        waitpid($pid, 0);
        is($? >> 8, 2, "@$args: usage error");
    }
};

is(stop_server('HXT'), 0, 'SIGTERM: exit 0');
unlike(slurp("$tmp/HXT.err"),
    qr/^(?!http_test_server: conn \d+: (bad request|websocket protocol error|websocket handshake refused): ).+/m,
    'stderr holds only the expected lines');
done_testing();
