package OXB::Test;
# Helpers shared by the Apache::Test files: the test pattern, the echo dump
# format of both test backends, curl for large bodies, error-log watching.
use strict;
use warnings;
use Exporter 'import';
use Apache::Test qw(!:DEFAULT);  # imports nothing, but lets session_store_plan call plan()
use Apache::TestRequest ();
use Apache::TestUtil ();
use Digest::SHA ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes ();

our @EXPORT_OK = qw(base_url pattern_sha256 pattern_bytes parse_dump curl error_log_mark
                    error_log_since wait_for_log server_pid child_pids child_holding have_tomcat
                    sanitized pattern_program raw_request raw_connect raw_read whole_response two_requests
                    arrives_before_backend_goes_on mpm mpm_load_module session_store_missing
                    session_store_plan);

sub have_tomcat { return !$ENV{OXB_NO_TOMCAT} }

# The Tomcats' shared OX-style session store (t/run-apache-tests starts it
# with the Tomcats): '' when it is configured and accepts connections,
# else why not.
sub session_store_missing {
    my $spec = $ENV{OXB_TOMCAT_SESSION_DB}
        or return $ENV{OXB_SESSION_DB_MISSING} // 'OXB_TOMCAT_SESSION_DB is not set';
    my ($host, $port) = split /:/, $spec;
    IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 5)
        or return "the session store at $host:$port does not answer: $!";
    return '';
}

# The plan of a test that needs the Tomcats and their session store: $n
# tests; skipped without the Tomcats (--no-tomcat). With them,
# t/run-apache-tests promises the store (OXB_SESSION_DB_REQUIRED): then a
# missing store is one failed test, not a skip.
sub session_store_plan {
    my ($n) = @_;
    my $missing = session_store_missing();
    if (have_tomcat() && $ENV{OXB_SESSION_DB_REQUIRED} && $missing) {
        Apache::Test::plan(tests => 1);
        Apache::Test::ok(0);
        print "# the Tomcats run, so their session store must: $missing\n";
        exit 0;
    }
    Apache::Test::plan(tests => $n, Apache::Test::need(
        { 'the Tomcats need to run (no --no-tomcat)' => have_tomcat() },
        { "no session store for the Tomcats: $missing" => !$missing }));
}
sub sanitized   { return $ENV{OXB_SANITIZED} ? 1 : 0 }
sub pattern_program { return $ENV{OXB_PATTERN} }

# The MPM the suite's httpd runs with (t/run-apache-tests --mpm), and the
# LoadModule line for the httpds that tests start themselves.
sub mpm { return $ENV{OXB_MPM} || 'event' }
sub mpm_load_module {
    my $m = mpm();
    return "LoadModule mpm_${m}_module /usr/lib/apache2/modules/mod_mpm_$m.so\n";
}

sub base_url {
    my $cfg = Apache::Test::config();
    return 'http://' . $cfg->{vars}{servername} . ':' . $cfg->{vars}{port};
}

# A raw client connection to the test server, for what LWP hides: the bytes
# as they arrive, by when, and what a keep-alive connection carries next.
sub raw_connect {
    my $cfg = Apache::Test::config();
    my $s = IO::Socket::INET->new(PeerAddr => $cfg->{vars}{servername}, PeerPort => $cfg->{vars}{port},
                                  Timeout => 5) or die "connect: $!";
    $s->autoflush(1);
    return $s;
}

# Reads from $s until $done->($bytes) holds, the server closes, or $secs
# have passed. Returns the bytes and whether the server closed.
sub raw_read {
    my ($s, $secs, $done) = @_;
    my $buf = '';
    my $end = Time::HiRes::time() + $secs;
    my $sel = IO::Select->new($s);
    until ($done && $done->($buf)) {
        my $left = $end - Time::HiRes::time();
        # Once the time is up, only what is there already is read.
        last unless $sel->can_read($left > 0 ? $left : 0);
        my $n = sysread($s, $buf, 65536, length $buf);
        return ($buf, 1) unless $n;
    }
    return ($buf, 0);
}

# Each case is [path, early, body, open]: the backend behind path pauses
# until the test requests `open` (a gate; or for a long time), and the
# client must have what `early` (given the bytes so far) accepts while it
# still does: a sequence check, not a timing one (`early` gets 8 s, the
# backends stay paused until it is over). Then the gate opens and the whole
# response must arrive, with `body`. The requests go out at once. Three
# tests per case.
sub arrives_before_backend_goes_on {
    my (@cases) = @_;
    my $t0 = Time::HiRes::time();
    my @socks;
    for my $c (@cases) {
        my $s = raw_connect();
        print $s "GET $c->[0] HTTP/1.1\r\nHost: localhost\r\n\r\n";
        push @socks, $s;
    }
    my @early = map { (raw_read($socks[$_], $t0 + 8 - Time::HiRes::time(), $cases[$_][1]))[0] } 0 .. $#cases;
    Apache::TestRequest::GET($_->[3]) for @cases;
    for my $i (0 .. $#cases) {
        my ($path, $early, $body) = @{ $cases[$i] };
        my $bytes = $early[$i];
        Apache::Test::ok($early->($bytes)) or print "# $path: before the backend went on: ", ($bytes =~ s/\r/\\r/gr), "\n";
        my ($rest) = raw_read($socks[$i], 15, sub { whole_response($bytes . $_[0]) });
        my $r = whole_response($bytes . $rest);
        Apache::Test::ok(Apache::TestUtil::t_cmp($r && $r->{status}, 200, "$path: complete"));
        Apache::Test::ok(Apache::TestUtil::t_cmp($r && $r->{body}, $body, "$path: body"));
        close $socks[$i];
    }
}

# The first response in $bytes as an HTTP/1.1 client takes it: the head,
# then Content-Length bytes or chunks up to the last one. Returns
# { status, headers (lower-case names), body, rest } or undef while it is
# incomplete (so it can be raw_read's $done).
sub whole_response {
    my ($bytes) = @_;
    my $end = index($bytes, "\r\n\r\n");
    return undef if $end < 0;
    my ($status) = substr($bytes, 0, $end) =~ m{^HTTP/1\.\d (\d{3})} or return undef;
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, substr($bytes, 0, $end);
    my $rest = substr($bytes, $end + 4);
    my $body = '';
    if (defined $h{'content-length'}) {
        return undef if length($rest) < $h{'content-length'};
        $body = substr($rest, 0, $h{'content-length'}, '');
    } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        for (;;) {
            $rest =~ s/^([0-9a-fA-F]+)[^\r]*\r\n// or return undef;
            my $n = hex $1;
            return undef if length($rest) < $n + 2;
            $body .= substr($rest, 0, $n + 2, '');
            substr($body, -2) = '';
            last if $n == 0;
        }
    }
    return { status => $status, headers => \%h, body => $body, rest => $rest };
}

# Sends GET $path on a fresh keep-alive connection and reads the response
# as a client would; then, if the connection is still open, asks for $next
# on it and reads until the server closes (or 3 s). Returns the first
# response as the client takes it (undef if it never completed), everything
# the connection carried, and whether the server closed it.
sub two_requests {
    my ($path, $next) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $s = raw_connect();
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my ($bytes, $eof) = raw_read($s, 3, \&whole_response);
    if (!$eof) {
        print $s "GET $next HTTP/1.1\r\nHost: localhost\r\n\r\n";
        my ($more, $closed) = raw_read($s, 3);
        $bytes .= $more;
        $eof = $closed;
    }
    close $s;
    return (whole_response($bytes), $bytes, $eof);
}

# The pattern every test body uses: 16-byte records, each the hex offset of
# the record in 15 digits and a newline.
sub pattern_bytes {
    my ($n) = @_;
    my $out = '';
    for (my $off = 0; length($out) < $n; $off += 16) {
        $out .= sprintf("%015x\n", $off);
    }
    return substr($out, 0, $n);
}

sub pattern_sha256 {
    my ($n) = @_;
    my $prog = $ENV{OXB_PATTERN};
    open(my $fh, '-|', $prog, 'gen', $n) or die "cannot run $prog: $!";
    binmode $fh;
    my $sha = Digest::SHA->new(256);
    $sha->addfile($fh);
    close $fh or die "$prog gen $n failed";
    return $sha->hexdigest;
}

# Parses the line-based dump that /echo prints on both test backends into
# a hash: single fields by name, `header` and `attr` as arrays of [name, value].
sub parse_dump {
    my ($body) = @_;
    my %d = (header => [], attr => []);
    for my $line (split /\n/, $body // '') {
        if ($line =~ /^header: ([^:]+): ?(.*)$/) {
            push @{ $d{header} }, [lc $1, $2];
        } elsif ($line =~ /^attr: ([^=]+)=(.*)$/) {
            push @{ $d{attr} }, [$1, $2];
        } elsif ($line =~ /^([a-z0-9-]+): ?(.*)$/) {
            $d{$1} = $2;
        }
    }
    $d{headers_named} = sub {
        my $name = lc shift;
        return map { $_->[1] } grep { $_->[0] eq $name } @{ $d{header} };
    };
    $d{attr_named} = sub {
        my $name = shift;
        return map { $_->[1] } grep { $_->[0] eq $name } @{ $d{attr} };
    };
    return \%d;
}

# Runs curl; returns (exit code, stdout, stderr). Bodies of any size are
# streamed by curl itself, never held by the test.
sub curl {
    my (@args) = @_;
    my $out = File::Temp->new;
    my $err = File::Temp->new;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $out->filename or die;
        open STDERR, '>', $err->filename or die;
        exec 'curl', '--silent', '--show-error', @args or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    local $/;
    open my $o, '<', $out->filename; my $stdout = <$o>;
    open my $e, '<', $err->filename; my $stderr = <$e>;
    return ($rc, $stdout // '', $stderr // '');
}

# Sends $request (the whole request, bytes as given: no client library
# normalises the target) on a connection of its own to $port and reads until
# the server closes it or 30 s pass. Returns (status, body, raw response);
# the status is 0 when no response came.
sub raw_request {
    my ($port, $request) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or die "connect to port $port: $!";
    binmode $s;
    print $s $request;
    my $resp = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 30;
        while (1) {
            my $n = sysread($s, my $chunk, 65536);
            last unless $n;
            $resp .= $chunk;
        }
        alarm 0;
    };
    close $s;
    my ($status) = $resp =~ m{\AHTTP/1\.[01] (\d{3})};
    my ($body) = $resp =~ /\r\n\r\n(.*)\z/s;
    return ($status // 0, $body // '', $resp);
}

sub error_log_path {
    return Apache::Test::config()->{vars}{t_logs} . '/error_log';
}

# The current end of the error log; lines written later are read with
# error_log_since.
sub error_log_mark {
    return -s error_log_path() || 0;
}

sub error_log_since {
    my ($mark) = @_;
    open my $fh, '<', error_log_path() or return ();
    seek $fh, $mark, 0;
    my @lines = <$fh>;
    return @lines;
}

# Waits (up to 10 s) until a line matching $re appears after $mark; returns
# the new lines. httpd writes the log line around the response, not always
# before the client has read it.
sub wait_for_log {
    my ($mark, $re) = @_;
    for (1 .. 200) {
        my @lines = error_log_since($mark);
        return @lines if grep { $_ =~ $re } @lines;
        Time::HiRes::sleep(0.05);
    }
    return error_log_since($mark);
}

sub server_pid {
    my $file = Apache::Test::config()->{vars}{t_pid_file};
    open my $fh, '<', $file or die "no pid file $file";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# The httpd child processes (the event MPM's workers).
sub child_pids {
    my $parent = server_pid();
    my @kids;
    opendir my $d, '/proc' or die;
    for my $p (grep { /^\d+$/ } readdir $d) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh>;
        next unless $stat && $stat =~ /^\d+ \(.*\) \S (\d+)/;
        push @kids, $p if $1 == $parent;
    }
    return sort { $a <=> $b } @kids;
}

# The httpd child that holds the connection from the test's local TCP port
# $client_port (its accepted socket), or undef.
sub child_holding {
    my ($client_port) = @_;
    my $server_port = Apache::Test::config()->{vars}{port};
    my %inodes;
    for my $table ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $table or next;
        while (my $line = <$fh>) {
            my @f = split ' ', $line;
            next unless @f > 9 && $f[1] =~ /:([0-9A-F]{4})$/;
            my $local = hex $1;
            next unless $f[2] =~ /:([0-9A-F]{4})$/;
            my $remote = hex $1;
            $inodes{ $f[9] } = 1 if $local == $server_port && $remote == $client_port;
        }
    }
    for my $pid (child_pids()) {
        opendir my $d, "/proc/$pid/fd" or next;
        for my $fd (readdir $d) {
            my $target = readlink "/proc/$pid/fd/$fd" // next;
            return $pid if $target =~ /^socket:\[(\d+)\]$/ && $inodes{$1};
        }
    }
    return undef;
}

1;
