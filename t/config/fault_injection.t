# The two failures nothing from outside can cause, provoked through the
# fault-injection hooks of the test build (configure --enable-fault-injection,
# which scripts/build --sanitizers sets; OXB_INJECT_FAULT in httpd's
# environment):
# - OXB00020: a child cannot build its runtime (as if memory ran out). Its
#   requests get 500, the child keeps serving, and the line is logged once
#   per child, not per request.
# - OXB00015: an exception escapes libox during a request. The client gets
#   500, the line names the exception, the child survives and serves the
#   next request.
# The control, the same httpd without the variable, forwards to the backend.
use strict;
use warnings;
use Apache::Test qw(plan ok need);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use LWP::UserAgent ();
use Time::HiRes ();

plan tests => 11, need { 'a module built with --enable-fault-injection (scripts/build --sanitizers)' => $ENV{OXB_FAULT_INJECTION} };

my $httpd = $ENV{OXB_TEST_HTTPD} || $ENV{OXB_HTTPD} || '/usr/sbin/apache2';
my $module = $ENV{OXB_MODULE} or die 'OXB_MODULE is not set';
my $backend = $ENV{OXB_AJP1_PORT} or die 'OXB_AJP1_PORT is not set';
my $modules = '/usr/lib/apache2/modules';
my $dir = tempdir('oxb-fault.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 1);

sub until_true {
    my ($secs, $cond) = @_;
    my $end = Time::HiRes::time() + $secs;
    while (Time::HiRes::time() < $end) {
        return 1 if $cond->();
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

# Starts an httpd with one child process and `fault` in OXB_INJECT_FAULT
# (none: unset); returns { port, root, pid }.
sub start {
    my ($name, $fault) = @_;
    my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)->sockport;
    my $root = "$dir/$name";
    mkdir $root;
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    open my $fh, '>', "$root/httpd.conf" or die;
    print $fh <<"EOF";
ServerRoot "$root"
Listen 127.0.0.1:$port
ServerName localhost
PidFile "$root/httpd.pid"
ErrorLog "$root/error_log"
LogLevel info
DefaultRuntimeDir "$root"
$user<IfModule !mpm_event_module>
LoadModule mpm_event_module $modules/mod_mpm_event.so
</IfModule>
StartServers 1
ServerLimit 1
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule oxbalance_module $module
<OXBalancer b1>
  OXHealthCheck off
  OXMember ajp://127.0.0.1:$backend route=R1
</OXBalancer>
OXPass /echo b1
EOF
    close $fh;
    local $ENV{OXB_INJECT_FAULT} = $fault if defined $fault;
    delete local $ENV{OXB_INJECT_FAULT} unless defined $fault;
    system($httpd, '-f', "$root/httpd.conf", '-k', 'start') == 0 or die "httpd ($name) did not start";
    until_true(10, sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1) })
        or die "httpd ($name) does not listen on $port";
    return { port => $port, root => $root };
}

sub stop {
    my ($s) = @_;
    open my $fh, '<', "$s->{root}/httpd.pid" or return;
    chomp(my $pid = <$fh> // '');
    kill 'TERM', $pid if $pid;
    until_true(10, sub { !kill 0, $pid });
}

sub log_lines {
    my ($s, $re) = @_;
    open my $fh, '<', "$s->{root}/error_log" or return ();
    return grep { /$re/ } <$fh>;
}

# The control: the same configuration forwards.
my $s = start('control');
my $r = $ua->get("http://127.0.0.1:$s->{port}/echo");
ok t_cmp($r->code, 200, 'control: forwarded to the backend');
stop($s);
ok t_cmp(scalar(log_lines($s, qr/OXB000(15|20)/)), 0, 'control: neither OXB00015 nor OXB00020');

# OXB00020: the child has no runtime.
$s = start('child_init', 'child_init');
my @codes = map { $ua->get("http://127.0.0.1:$s->{port}/echo")->code } 1 .. 3;
ok t_cmp("@codes", '500 500 500', 'no runtime: every request gets 500');
my @l20 = log_lines($s, qr/OXB00020/);
ok t_cmp(scalar @l20, 1, 'OXB00020 once for the one child, not per request');
ok(($l20[0] // '') =~ /\[oxbalance:crit\].*OXB00020: cannot create the per-process runtime: std::bad_alloc/)
    or print "# line: ", ($l20[0] // "(none)\n");
ok t_cmp(scalar(log_lines($s, qr/child pid \d+ exit signal/)), 0, 'the child did not crash');
stop($s);

# OXB00015: an exception during the request.
$s = start('request', 'request');
@codes = map { $ua->get("http://127.0.0.1:$s->{port}/echo")->code } 1 .. 2;
ok t_cmp("@codes", '500 500', 'an exception in libox: 500, and the next request is served (500 again)');
my @l15 = log_lines($s, qr/OXB00015/);
ok t_cmp(scalar @l15, 2, 'OXB00015 once per request');
ok(($l15[0] // '') =~ /\[oxbalance:error\].*OXB00015: internal error: injected fault/)
    or print "# line: ", ($l15[0] // "(none)\n");
ok t_cmp(scalar(log_lines($s, qr/child pid \d+ exit signal/)), 0, 'the child did not crash');
my $other = $ua->get("http://127.0.0.1:$s->{port}/not-forwarded");
ok t_cmp($other->code, 404, 'requests the module does not forward are untouched');
stop($s);
