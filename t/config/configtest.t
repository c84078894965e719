# Every configuration mistake fails `httpd -t` (what `apachectl configtest`
# runs) with the file, the line and what is wrong; a correct configuration
# passes.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);

# [ config body, expected message (regex), line of the mistake in the body ]
my @bad = (
    [ "OXMember ajp://127.0.0.1:8009\n", qr/OXMember must be inside an <OXBalancer> section/, 1 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 rout=OX1\n</OXBalancer>\n",
      qr/unknown member parameter 'rout'/, 2 ],
    [ "<OXBalancer c>\n  OXMember https://127.0.0.1:8009\n</OXBalancer>\n", qr/TLS and ws:\/\/ members are not supported/, 2 ],
    [ "<OXBalancer c>\n  OXMember http://127.0.0.1:8009 packetsize=65536\n</OXBalancer>\n",
      qr/packetsize= applies to ajp:\/\/ members only/, 2 ],
    [ "<OXBalancer c>\n  OXWebSocket On idle=forever\n</OXBalancer>\n", qr/idle='forever' is not a duration/, 2 ],
    [ "<OXBalancer c>\n  OXWebSocket maybe\n</OXBalancer>\n", qr/OXWebSocket maybe: expected On or Off first/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:99999\n</OXBalancer>\n", qr/port must be a number from 1 to 65535/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009/ajax\n</OXBalancer>\n", qr/must not have a path/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 loadfactor=0\n</OXBalancer>\n",
      qr/loadfactor=0: expected a whole number from 1 to 100/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 timeout=abc\n</OXBalancer>\n", qr/'abc' is not a duration/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 packetsize=4096\n</OXBalancer>\n",
      qr/packetsize=4096: expected a whole number from 8192 to 65536/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 sendahead=1M\n</OXBalancer>\n",
      qr/sendahead=1M: expected a whole number from 0 to 262144/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 failontimeout=yes\n</OXBalancer>\n",
      qr/failontimeout=yes: expected on or off/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=OX1\n  OXMember ajp://127.0.0.1:8010 route=OX1\n</OXBalancer>\n",
      qr/route OX1 is already used by ajp:\/\/127\.0\.0\.1:8009/, 3 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=OX;1\n</OXBalancer>\n", qr/only letters, digits/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009\n</OXBalancer>\n<OXBalancer c>\n  OXMember ajp://127.0.0.1:8010\n</OXBalancer>\n",
      qr/balancer 'c' is already defined at \S+\.conf:\d+$/m, 4 ],
    [ "<OXBalancer>\n</OXBalancer>\n", qr/<OXBalancer> needs a name/, 1 ],
    [ "OXPass ajax c\n", qr/OXPass 'ajax': a path prefix must start with '\/'/, 1 ],
    [ "OXPass /ajax;x c\n", qr/OXPass '\/ajax;x': ';' starts a path parameter/, 1 ],
    [ "OXPass /a//b c\n", qr/OXPass '\/a\/\/b': not a canonical path/, 1 ],
    [ "OXPass /a%2Fb c\n", qr/OXPass '\/a%2Fb': write the path decoded/, 1 ],
    [ "OXPass /a c /b?x\n", qr/OXPass backend prefix '\/b\?x': only unreserved characters/, 1 ],
    [ "OXPass /a c b\n", qr/OXPass backend prefix 'b': a path prefix must start with '\/'/, 1 ],
    [ "OXPass /ajax\n", qr/OXPass takes two or three arguments/, 1 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009\n</OXBalancer>\nOXPass /ajax c\nOXPass /ajax c\n",
      qr/OXPass \/ajax is already defined at \S+\.conf:\d+$/m, 5 ],
    [ "<Location /x>\n  OXPass /ajax c\n</Location>\n", qr/OXPass not allowed in <Location> context/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=OX1 route=OX2\n</OXBalancer>\n",
      qr/route= is given twice \('route=OX1' and 'route=OX2'\)/, 2 ],
    [ "<OXBalancer c>\n  OXFailOnStatus 99\n</OXBalancer>\n", qr/OXFailOnStatus 99: expected statuses or ranges from 100 to 599/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 failonstatus=5xx\n</OXBalancer>\n", qr/failonstatus=5xx: expected statuses/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 acquire=soon\n</OXBalancer>\n", qr/acquire=soon: expected milliseconds/, 2 ],
    [ "OXPass /a balancer://c/x /y\n", qr/a balancer:\/\/ URL already names the backend path/, 1 ],
    [ "OXRouteHeader a;b\n", qr/OXRouteHeader a;b: expected On, Off or a header name/, 1 ],
    # two names of one parameter, and repeated keys on one line
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 connecttimeout=2 connectiontimeout=5\n</OXBalancer>\n",
      qr/connectiontimeout= is given twice \('connecttimeout=2' and 'connectiontimeout=5'\)/, 2 ],
    [ "<OXBalancer c>\n  OXHealthCheck http uri=/a interval=5s uri=/b\n</OXBalancer>\n",
      qr/OXHealthCheck: uri= is given twice \('uri=\/a' and 'uri=\/b'\)/, 2 ],
    [ "<OXBalancer c>\n  OXWebSocket On idle=60s idle=5m\n</OXBalancer>\n",
      qr/OXWebSocket: idle= is given twice \('idle=60s' and 'idle=5m'\)/, 2 ],
    # a second once-per-balancer directive would replace the first
    [ "<OXBalancer c>\n  OXStickySession JSESSIONID\n  OXMember ajp://127.0.0.1:8009\n  OXStickySession SESSION\n</OXBalancer>\n",
      qr/OXStickySession is already given for balancer c at \S+\.conf:\d+ \(one per balancer\)/, 4 ],
    [ "<OXBalancer c>\n  OXLBMethod bybusyness\n  OXLBMethod byrequests\n</OXBalancer>\n",
      qr/OXLBMethod is already given for balancer c at \S+\.conf:\d+ \(one per balancer\)/, 3 ],
    [ "<OXBalancer c>\n  OXHealthCheck cping\n  OXHealthCheck tcp\n</OXBalancer>\n",
      qr/OXHealthCheck is already given for balancer c/, 3 ],
    # mod_proxy's status flags: the ones that are not one of our states
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 status=+I\n</OXBalancer>\n",
      qr/status=\+I: of mod_proxy's status flags only one of \+H \(standby\), \+D \(disabled\) or \+N \(draining\)/, 2 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 Route=OX1\n</OXBalancer>\n",
      qr/unknown member parameter 'Route' \(parameter names are lower case\)/, 2 ],
    [ "<OXBalancer c>\n" . join('', map { "  OXMember ajp://127.0.0.1:" . (9000 + $_) . "\n" } 1 .. 65) . "</OXBalancer>\n",
      qr/a balancer may have at most 64 members/, 66 ],
);

# Mistakes found once the whole file is read: reported with our message id,
# the file and the line, before httpd would say "Syntax OK".
my @late = (
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009\n</OXBalancer>\nOXPass /ajax nope\n",
      qr/OXB00001: (\S+):(\d+): OXPass \/ajax names balancer 'nope', which no <OXBalancer> defines/, 4 ],
    [ "OXPass /ajax c\n<OXBalancer c>\n</OXBalancer>\n", qr/OXB00002: (\S+):(\d+): <OXBalancer c> has no OXMember/, 2 ],
);

# Configurations that work, but likely not as meant: configtest passes and
# warns, naming the file and line.
my @warn = (
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=A\n  OXMember ajp://127.0.0.1:8010\n</OXBalancer>\n",
      qr/OXB00040: (\S+):(\d+): <OXBalancer c>: member ajp:\/\/127\.0\.0\.1:8010 has no route=/, 1 ],
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=A status=draining\n  OXMember ajp://127.0.0.1:8010 route=B status=disabled\n</OXBalancer>\n",
      qr/OXB00041: (\S+):(\d+): <OXBalancer c>: no member is active/, 1 ],
    [ "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=A\n</OXBalancer>\n"
      . "ProxyPass /ajax/x http://127.0.0.1:9/\nOXPass /ajax c\n",
      qr/OXB00042: (\S+):(\d+): OXPass \/ajax overlaps ProxyPass \/ajax\/x at \S+:\d+:/, 6 ],
    # the one-argument form inside <Location>: the path is the section's
    [ "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=A\n</OXBalancer>\n"
      . "<Location /ajax>\n  ProxyPass balancer://x/ajax\n</Location>\nOXPass /ajax c\n",
      qr/OXB00042: (\S+):(\d+): OXPass \/ajax overlaps ProxyPass \/ajax at \S+:\d+:/, 8 ],
);

# Configurations that must not warn: configtest passes without any OXB0004x.
my @quiet = (
    # standby members take new sessions (while no active member is up)
    [ "<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=A status=standby\n  OXMember ajp://127.0.0.1:8010 route=B status=+H\n</OXBalancer>\n",
      'a balancer of standby members' ],
    # an exclusion maps nothing
    [ "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n<OXBalancer c>\n  OXMember ajp://127.0.0.1:8009 route=A\n</OXBalancer>\n"
      . "ProxyPass /ajax/x !\nOXPass /ajax c\n", "ProxyPass /ajax/x ! under OXPass /ajax" ],
);

plan tests => 4 * @bad + 4 * @late + 4 * @warn + 2 * @quiet + 11;

my $dir = tempdir(CLEANUP => 1);
my $httpd = $ENV{OXB_TEST_HTTPD} || $ENV{OXB_HTTPD};
my $n = 0;

# Writes a complete config whose module part is $body; returns (file, first
# line of $body in it).
sub write_conf {
    my ($body) = @_;
    my $file = "$dir/case" . ++$n . ".conf";
    my $head = <<"EOC";
ServerRoot "$dir"
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule oxbalance_module "$ENV{OXB_MODULE}"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
EOC
    open my $fh, '>', $file or die;
    print $fh $head, $body;
    close $fh;
    my $lines = () = $head =~ /\n/g;
    return ($file, $lines + 1);
}

sub configtest {
    my ($file) = @_;
    my $out = `'$httpd' -t -f '$file' 2>&1`;
    return ($? >> 8, $out);
}

for my $case (@bad) {
    my ($body, $re, $line) = @$case;
    my ($file, $first) = write_conf($body);
    my ($rc, $out) = configtest($file);
    my $at = $first + $line - 1;
    ok $rc != 0;
    ok $out =~ $re;
    ok $out =~ /line $at of \Q$file\E/;
    ok $out !~ /Syntax OK/;
    print "# wanted line $at of $file and $re, got: $out" unless $out =~ $re && $out =~ /line $at of/;
}

for my $case (@late) {
    my ($body, $re, $line) = @$case;
    my ($file, $first) = write_conf($body);
    my ($rc, $out) = configtest($file);
    my ($named, $at) = $out =~ $re;
    ok $rc != 0;
    ok defined $named;
    print "# got: $out" unless defined $named;
    ok t_cmp($named, $file, 'the message names the file');
    ok t_cmp($at, $first + $line - 1, 'the message names the line');
}

for my $case (@warn) {
    my ($body, $re, $line) = @$case;
    my ($file, $first) = write_conf($body);
    my ($rc, $out) = configtest($file);
    my ($named, $at) = $out =~ $re;
    ok t_cmp($rc, 0, 'a warning does not fail configtest');
    ok defined $named;
    print "# got: $out" unless defined $named;
    ok t_cmp($named, $file, 'the warning names the file');
    ok t_cmp($at, $first + $line - 1, 'the warning names the line');
}

for my $case (@quiet) {
    my ($body, $what) = @$case;
    my ($file) = write_conf($body);
    my ($rc, $out) = configtest($file);
    ok t_cmp($rc, 0, "$what: passes configtest");
    ok t_cmp(($out =~ /(OXB0004\d.*)/)[0], undef, "$what: no warning");
}

# The shipped App Suite layout (http:// members, WebSocket): passes.
{
    my $top = Apache::Test::vars('top_dir');
    open my $in, '<', "$top/conf/oxbalance-appsuite.conf" or die "conf/oxbalance-appsuite.conf: $!";
    local $/;
    my $conf = <$in>;
    # Paths of this machine's, not a Debian server's.
    $conf =~ s{^OXStateFile .*$}{OXStateFile $dir/state}m;
    my ($file) = write_conf($conf);
    my ($rc, $out) = configtest($file);
    ok t_cmp($rc, 0, 'conf/oxbalance-appsuite.conf passes configtest');
    ok $out =~ /Syntax OK/;
}

# The shipped seed example, and the README's main example (the first
# ```apache block under "## Configure", without its LoadModule line, which
# names the installed module): pass configtest without a warning.
{
    my $top = Apache::Test::vars('top_dir');
    open my $in, '<', "$top/conf/oxbalance-seed.conf" or die "conf/oxbalance-seed.conf: $!";
    my $conf = do { local $/; <$in> };
    $conf =~ s{^OXStateFile .*$}{OXStateFile $dir/state}m;
    my ($file) = write_conf($conf);
    my ($rc, $out) = configtest($file);
    ok t_cmp($rc, 0, 'conf/oxbalance-seed.conf passes configtest');
    ok t_cmp(($out =~ /(OXB\d+.*)/)[0], undef, 'conf/oxbalance-seed.conf: no warning');
    # every path it forwards that is one of OX's admin APIs is guarded
    my %protected = map { $_ => 1 } $conf =~ /^OXProtect\s+(\S+)/mg;
    my @unguarded = grep { !$protected{$_} } grep { m{^/(axis2|webservices)\b} } $conf =~ /^OXPass\s+(\S+)\s+(?!!)\S+/mg;
    ok t_cmp("@unguarded", '', 'conf/oxbalance-seed.conf: no admin API forwarded without OXProtect');

    open $in, '<', "$top/README.md" or die "README.md: $!";
    my $readme = do { local $/; <$in> };
    my ($block) = $readme =~ /^## Configure\n.*?^```apache\n(.*?)^```$/ms;
    ok defined $block or print "# no ```apache block under ## Configure in README.md\n";
    $block //= '';
    $block =~ s/^LoadModule oxbalance_module .*\n//m or print "# README's block has no LoadModule line\n";
    ($file) = write_conf($block);
    ($rc, $out) = configtest($file);
    ok t_cmp($rc, 0, "README.md's main example passes configtest") or print "# $out";
    ok t_cmp(($out =~ /(OXB\d+.*)/)[0], undef, "README.md's main example: no warning");
}

# The seed's layout, converted: passes configtest.
{
    my ($file) = write_conf(<<'EOC');
<OXBalancer oxcluster>
    OXMember ajp://10.20.30.213:8009 timeout=100 smax=0 ttl=60 retry=60 loadfactor=50 route=OX1
    OXMember ajp://10.20.30.215:8009 timeout=100 smax=0 ttl=60 retry=60 loadfactor=50 route=OX2
</OXBalancer>
<OXBalancer balancer://oxcluster_sync>
    OXMember ajp://[::1]:8009 route=OX-1 packetsize=65536 secret=s3cret ping=500ms connecttimeout=2s max=32 failontimeout=On addressttl=5m
</OXBalancer>
OXPass /ajax                        oxcluster
OXPass /servlet                     oxcluster
OXPass /infostore                   oxcluster
OXPass /appsuite/api                oxcluster /ajax
OXPass /Microsoft-Server-ActiveSync oxcluster_sync
OXPass /servlet/static              !
<VirtualHost 127.0.0.1:2>
    OXPass /usm-json oxcluster_sync
</VirtualHost>
EOC
    my ($rc, $out) = configtest($file);
    ok t_cmp($rc, 0, 'a correct configuration passes');
    ok $out =~ /Syntax OK/;
    ok $out !~ /OXB/;
}
