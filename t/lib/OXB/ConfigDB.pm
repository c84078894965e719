package OXB::ConfigDB;
# Helpers for t/configdb/*.t: a private MariaDB server for one test file
# (t/configdb/mariadb, in a temp directory under t/, stopped at the end
# whatever happened), oxbalancectl against it, OXConfigDB on the Apache::Test
# server (its include file rewritten, then a graceful restart), a second
# front end (an httpd of the test's own with its own configuration, on the
# same balancer `cdb`), and waiting for a condition with a deadline.
use strict;
use warnings;
use Exporter 'import';
use Apache::Test ();
use File::Temp ();
use IO::Socket::INET ();
use JSON::PP ();
use LWP::UserAgent ();
use Time::HiRes ();
use OXB::Test qw(error_log_mark wait_for_log server_pid mpm_load_module);

our @EXPORT_OK = qw(start_db stop_db restart_db freeze_db thaw_db db_sql db_query ctl configdb_line use_configdb
                    no_configdb start_frontend stop_frontend restart_frontend frontend_json main_json until_true
                    cdb_balancer new_backends backend_of file_since polls_of applied_on_all admin_in);

my $top = $ENV{OXB_TOP};
my $mariadb = "$top/t/configdb/mariadb";
my %dbs;        # dir => 1 while running
my %frozen;     # dir => mariadbd's pid while stopped with SIGSTOP
my @frontends;  # started, to stop at the end

sub _run {
    my (@cmd) = @_;
    my $out = `@{[ join ' ', map { "'$_'" } @cmd ]} 2>&1`;
    return ($? >> 8, $out);
}

# Starts a private MariaDB (t/configdb/mariadb start) in a new temp directory
# under t/; returns { dir, port, user, password, pwfile }.
sub start_db {
    my $dir = File::Temp::tempdir("$top/t/tmp/cdb.XXXXXX", CLEANUP => 1);
    my ($rc, $out) = _run($mariadb, 'start', "$dir/db");
    die "cannot start MariaDB: $out" if $rc;
    my %env = $out =~ /^(\w+)=(.*)$/mg;
    $dbs{"$dir/db"} = 1;
    my $pw = "$dir/password";
    open my $fh, '>', $pw or die;
    print $fh "$env{password}\n";
    close $fh;
    return { dir => "$dir/db", top => $dir, port => $env{port}, user => $env{user}, password => $env{password},
             pwfile => $pw };
}

sub stop_db {
    my ($db) = @_;
    _run($mariadb, 'stop', $db->{dir});
    delete $dbs{ $db->{dir} };
}

# A slow database: mariadbd frozen with SIGSTOP (connections are accepted
# by the kernel, nothing answers), until thaw_db (SIGCONT).
sub _mysqld_pid {
    my ($db) = @_;
    open my $fh, '<', "$db->{dir}/mysqld.pid" or die "no mysqld.pid in $db->{dir}";
    chomp(my $pid = <$fh> // '');
    die "empty mysqld.pid in $db->{dir}" unless $pid;
    return $pid;
}

sub freeze_db {
    my ($db) = @_;
    my $pid = _mysqld_pid($db);
    kill 'STOP', $pid or die "SIGSTOP $pid: $!";
    $frozen{ $db->{dir} } = $pid;
}

sub thaw_db {
    my ($db) = @_;
    my $pid = delete $frozen{ $db->{dir} } // return;
    kill 'CONT', $pid;
}

sub restart_db {
    my ($db) = @_;
    my ($rc, $out) = _run($mariadb, 'restart', $db->{dir});
    die "cannot restart MariaDB: $out" if $rc;
    $dbs{ $db->{dir} } = 1;
}

# Runs SQL as root on the server's socket.
sub db_sql {
    my ($db, $sql) = @_;
    open my $fh, '|-', $mariadb, 'sql', $db->{dir} or die;
    print $fh $sql;
    close $fh;
    return $? >> 8;
}

# Runs SQL as root on the server's socket (database configdb); returns its
# output, tab-separated, without column names.
sub db_query {
    my ($db, $sql) = @_;
    open my $fh, '-|', $mariadb, 'sql', $db->{dir}, '-N', '-B', 'configdb', '-e', $sql or die "db_query: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "db_query failed ($?): $sql\n";
    return $out;
}

# oxbalancectl against the test's server; returns (exit code, output).
sub ctl {
    my ($db, @args) = @_;
    return _run($ENV{OXB_OXBALANCECTL}, '--write', "127.0.0.1:$db->{port}/configdb", '--user', $db->{user},
                '--password-file', $db->{pwfile}, @args);
}

sub configdb_line {
    my ($db, %o) = @_;
    my $password = $o{password} // $db->{password};
    my $create = $o{create} // 'off';
    my $user = $o{user} // $db->{user};
    return "OXConfigDB write=127.0.0.1:$db->{port}/configdb user=$user password=$password poll=1 "
        . "create=$create\n";
}

sub _graceful {
    my ($text) = @_;
    open my $fh, '>', "$ENV{OXB_RUN_DIR}/configdb.conf" or die;
    print $fh $text;
    close $fh;
    my $mark = error_log_mark();
    kill 'USR1', server_pid();
    wait_for_log($mark, qr/AH00493|resuming normal operations/);
    return $mark;
}

# OXConfigDB on the Apache::Test server (a graceful restart); waits until
# its status page no longer says "starting" (or 10 s). Returns the error
# log's mark from before the restart. `line` gives the whole OXConfigDB
# line instead (e.g. read= and write= on two servers, or a properties file).
sub use_configdb {
    my ($db, %o) = @_;
    my $mark = _graceful($o{line} // configdb_line($db, %o));
    until_true(10, sub { my $c = main_json()->{configdb}; $c && $c->{polls} > 0 && $c->{last_attempt_ms} });
    return $mark;
}

sub no_configdb { _graceful('') }

my $json = JSON::PP->new->utf8;
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

sub frontend_json {
    my ($port) = @_;
    my $r = $ua->get("http://127.0.0.1:$port/oxbalance-status?json");
    die "GET ?json on $port: " . $r->status_line unless $r->code == 200;
    return $json->decode($r->content);
}

sub main_json { frontend_json(Apache::Test::config()->{vars}{port}) }

# admin_in(DOC, BALANCER, ROUTE): the member's admin state in a status
# document (?json).
sub admin_in {
    my ($doc, $balancer, $route) = @_;
    my ($b) = grep { $_->{name} eq $balancer } @{ $doc->{balancers} };
    my ($m) = grep { ($_->{route} // '') eq $route } @{ $b->{members} };
    return $m->{admin};
}

# The configdb poll counts of the front ends on these ports.
sub polls_of { return map { frontend_json($_)->{configdb}{polls} } @_ }

# applied_on_all(WHAT, [PORTS], [POLLS], COND): whether COND holds for the
# status document of every front end within 10 s, and on each at most 3
# configdb polls after POLLS (its counts when the change was written: the
# poll under way then may have read before it, the next one must apply it,
# plus one for sampling). Counted in polls, not seconds: on a loaded
# machine polls are late, and that says nothing about the module. The
# seconds and polls are printed.
sub applied_on_all {
    my ($what, $ports, $before, $cond) = @_;
    my @seen;
    my $t = until_true(10, sub {
        for my $i (0 .. $#$ports) {
            next if defined $seen[$i];
            my $doc = frontend_json($ports->[$i]);
            $seen[$i] = $doc->{configdb}{polls} - $before->[$i] if $cond->($doc);
        }
        return !grep { !defined } @seen[0 .. $#$ports];
    });
    printf "# %s after %.2f s, %s polls\n", $what, $t // -1, join(' and ', map { $_ // 'no' } @seen[0 .. $#$ports]);
    my $late = grep { $_ > 3 } @seen;
    return defined $t && !$late ? 1 : 0;
}

# Calls $cond every 50 ms until it returns true or $secs pass; returns the
# seconds it took, or undef.
sub until_true {
    my ($secs, $cond) = @_;
    my $t0 = Time::HiRes::time();
    for (;;) {
        my $ok = eval { $cond->() };
        return Time::HiRes::time() - $t0 if $ok;
        return undef if Time::HiRes::time() - $t0 > $secs;
        Time::HiRes::sleep(0.05);
    }
}

sub cdb_balancer {
    return "<OXBalancer cdb>\n    OXHealthCheck off\n"
        . "    OXMember ajp://127.0.0.1:$ENV{OXB_AJP1_PORT} route=OX1\n"
        . "    OXMember ajp://127.0.0.1:$ENV{OXB_AJP2_PORT} route=OX2\n"
        . "    OXMember ajp://127.0.0.1:$ENV{OXB_AJPBIG_PORT} route=OX3 packetsize=65536\n"
        . "</OXBalancer>\nOXPass /cdb cdb /\n";
}

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die $!;
    return $s->sockport;
}

# A second front end: an httpd of its own on a free port with the balancer
# cdb, a status page for 127.0.0.1 and `extra` (an OXConfigDB line), with
# the suite's MPM; `state_file => 1` adds OXStateFile (state/oxbalance.state
# in its directory, which httpd's children can write). Returns { port, dir,
# log, pidfile, conf, state_file }.
sub start_frontend {
    my (%o) = @_;
    my $dir = File::Temp::tempdir("$top/t/tmp/fe.XXXXXX", CLEANUP => 1);
    my $port = _free_port();
    my $conf = "$dir/httpd.conf";
    my $state = '';
    if ($o{state_file}) {
        chmod 0711, $dir;
        mkdir "$dir/state" or die "mkdir $dir/state: $!";
        chmod 0777, "$dir/state";
        $state = "OXStateFile \"$dir/state/oxbalance.state\"\n";
    }
    open my $fh, '>', $conf or die;
    print $fh <<"EOC", cdb_balancer(), $state, $o{extra} // '';
ServerRoot "$dir"
@{[ mpm_load_module() ]}LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule oxbalance_module "$ENV{OXB_MODULE}"
ServerName localhost
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
DefaultRuntimeDir "$dir"
LogLevel info oxbalance:debug
OXStatus /oxbalance-status 127.0.0.1
EOC
    close $fh;
    my $fe = { port => $port, dir => $dir, log => "$dir/error_log", pidfile => "$dir/httpd.pid", conf => $conf,
               state_file => "$dir/state/oxbalance.state" };
    restart_frontend($fe);
    return $fe;
}

# Starts a front end that start_frontend made (and stop_frontend stopped)
# again: the same configuration, port and files.
sub restart_frontend {
    my ($fe) = @_;
    my $httpd = $ENV{OXB_TEST_HTTPD} || $ENV{OXB_HTTPD};
    my ($rc, $out) = _run($httpd, '-f', $fe->{conf});
    die "the second front end did not start: $out" if $rc;
    push @frontends, $fe;
    until_true(10, sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $fe->{port}, Timeout => 1) })
        or die "the second front end does not listen on $fe->{port}";
}

sub stop_frontend {
    my ($fe) = @_;
    return unless $fe->{pidfile} && -f $fe->{pidfile};
    open my $fh, '<', $fe->{pidfile} or return;
    chomp(my $pid = <$fh> // '');
    return unless $pid;
    kill 'TERM', $pid;
    until_true(10, sub { !kill 0, $pid });
    @frontends = grep { $_ != $fe } @frontends;
}

# `n` requests without a session to /cdb/echo on $port: the backends that
# took them, "OX2=3,BIG=3" style (BIG is the server behind route OX3).
sub new_backends {
    my ($port, $n) = @_;
    my %seen;
    for (1 .. $n) {
        my $r = $ua->get("http://127.0.0.1:$port/cdb/echo");
        $seen{ $r->code == 200 ? ($r->header('X-Backend') // 'none') : $r->code }++;
    }
    return join ',', map { "$_=$seen{$_}" } sort keys %seen;
}

# The backend that served a request of session $id on $port ('' if none).
sub backend_of {
    my ($port, $id) = @_;
    my $r = $ua->get("http://127.0.0.1:$port/cdb/echo", Cookie => "JSESSIONID=$id");
    return $r->code == 200 ? ($r->header('X-Backend') // '') : $r->code;
}

# The lines of a file from byte $mark on.
sub file_since {
    my ($file, $mark) = @_;
    open my $fh, '<', $file or return ();
    seek $fh, $mark, 0;
    return <$fh>;
}

END {
    my $rc = $?;
    # A frozen server cannot stop.
    kill 'CONT', $_ for values %frozen;
    # A test that died half-way leaves no OXConfigDB behind for the others.
    no_configdb() if -s "$ENV{OXB_RUN_DIR}/configdb.conf";
    stop_frontend($_) for @frontends;
    _run($mariadb, 'stop', $_) for keys %dbs;
    $? = $rc;
}

1;
