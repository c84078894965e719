# OXB00021: the shared memory for member state cannot be created, so httpd
# does not start. Provoked with an address-space limit (ulimit -v 60000:
# 60 MB) that a small configuration's parent process fits in (16 MB), but not
# one with 64 balancers of 64 members, whose block needs about 70 MB (16 KiB
# of sessions seen per member). The control, the same limit with one
# balancer, gets past the module's start.
#
# OXB00020 (a child that cannot build its runtime) and OXB00015 (an
# exception contained in a request) are not reachable from outside: the
# fault-injection hooks of the test build provoke them
# (t/config/fault_injection.t).
use strict;
use warnings;
use Apache::Test qw(plan ok need);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use OXB::Test qw(sanitized);

plan tests => 4, need { 'ASan reserves terabytes of address space: ulimit -v stops it first' => !sanitized() };

my $httpd = $ENV{OXB_HTTPD} // '/usr/sbin/apache2';
my $module = $ENV{OXB_MODULE} or die 'OXB_MODULE is not set';
my $modules = '/usr/lib/apache2/modules';
my $dir = tempdir('oxb-shm.XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub start_limited {
    my ($name, $balancers) = @_;
    my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)->sockport;
    my $root = "$dir/$name";
    mkdir $root;
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    my $conf = <<"EOF";
ServerRoot "$root"
Listen 127.0.0.1:$port
ServerName localhost
PidFile "$root/httpd.pid"
ErrorLog "$root/error_log"
LogLevel info
DefaultRuntimeDir "$root"
$user
<IfModule !mpm_event_module>
LoadModule mpm_event_module $modules/mod_mpm_event.so
</IfModule>
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule oxbalance_module $module
EOF
    for my $b (1 .. $balancers) {
        $conf .= "<OXBalancer b$b>\n  OXHealthCheck off\n";
        $conf .= "  OXMember ajp://127.0.0.$b:" . (9000 + $_) . " route=R$_\n" for 1 .. 64;
        $conf .= "</OXBalancer>\n";
    }
    open my $fh, '>', "$root/httpd.conf" or die;
    print $fh $conf;
    close $fh;
    # The parent either fails at the start or runs on until its children,
    # which cannot create their threads under this limit, make it give up;
    # `timeout` ends it in any case.
    my $rc = system('sh', '-c', 'ulimit -v 60000; exec timeout 20 "$0" -f "$1" -DFOREGROUND >/dev/null 2>&1',
                    $httpd, "$root/httpd.conf");
    open my $log, '<', "$root/error_log" or return ($rc, '');
    local $/;
    return ($rc, scalar <$log>);
}

my ($rc, $log) = start_limited('big', 64);
my @lines = grep { /OXB00021/ } split /\n/, $log;
ok t_cmp(scalar @lines, 1, '64 x 64 members under 60 MB: OXB00021 once');
ok(($lines[0] // '') =~ /\[oxbalance:crit\].*OXB00021: cannot create the shared memory for 4096 members/)
    or print "# log: ", ($lines[0] // "(none)"), "\n";
ok t_cmp($rc >> 8, 1, 'httpd did not start (exit status 1)');

my (undef, $small) = start_limited('small', 1);
ok(($small !~ /OXB00021/ && $small =~ /resuming normal operations/) ? 1 : 0)
    or print "# the control did not start:\n", map { "#   $_\n" } grep { !/OXB00040/ } split /\n/, $small;
