# Pooled connections to a Tomcat that closes idle connections after 1 s
# (AJP connectionTimeout, HTTP keepAliveTimeout) and has two threads per
# connector; its members check connections idle for 500 ms before reuse
# (pingidle=500ms). GETs and POSTs with bodies, separated by pauses around
# the timeout, and then while Tomcat's threads are all busy at the moment it
# times the pooled connections out (it closes them only once a thread is
# free, so they look open when a request comes): no client sees an error,
# and no request fails on a connection Tomcat dropped (OXB00010).
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp ();
use POSIX ();
use Time::HiRes qw(sleep);
use OXB::Test qw(have_tomcat base_url curl error_log_mark error_log_since);
use OXB::Status qw(get_json member_of);

plan tests => 9, sub { have_tomcat() };

my $base = base_url();
my $tomcat = "$ENV{OXB_RUN_DIR}/tomcat-idle";
my $oxb_tomcat = "$ENV{OXB_TOP}/t/tomcat/oxb-tomcat";

system($oxb_tomcat, 'start', '--base', $tomcat, '--route', 'OXI', '--ajp-port', $ENV{OXB_TOMCAT_IDLE_AJP},
       '--http-port', $ENV{OXB_TOMCAT_IDLE_HTTP}, '--keepalive-timeout', 1000, '--max-threads', 2,
       '--session-db', 'none') == 0 or die "cannot start the idle Tomcat";
my $parent = $$;
END { system($oxb_tomcat, 'stop', '--base', $tomcat) if defined $parent && $$ == $parent && $tomcat && -d $tomcat }

# Runs curl for each request at once; returns "STATUS BODY" per request.
# A request is [path] (GET) or [path, body] (POST).
sub at_once {
    my (@reqs) = @_;
    my @out;
    my @pids;
    for my $r (@reqs) {
        my $f = File::Temp->new;
        push @out, $f;
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my @args = ('-o', '-', '-w', ' %{http_code}', '--max-time', '30');
            push @args, '--data-binary', $r->[1] if defined $r->[1];
            my ($rc, $stdout) = curl(@args, "$base$r->[0]");
            open my $fh, '>', $f->filename or POSIX::_exit(1);
            print $fh $stdout;
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    return map {
        open my $fh, '<', $_->filename or die;
        local $/;
        my $s = <$fh> // '';
        my ($body, $code) = $s =~ /\A(.*) (\d{3})\z/s ? ($1, $2) : ($s, 0);
        "$code $body";
    } @out;
}

my $small = 'x' x 199 . "\n";
my @bad;
# Checks answers against what each request should get: /small's 200 bytes,
# the POST body echoed.
sub check {
    my ($what, $reqs, @got) = @_;
    for my $i (0 .. $#$reqs) {
        my $want = '200 ' . ($reqs->[$i][1] // $small);
        push @bad, "$what $reqs->[$i][0]: " . substr($got[$i], 0, 60) if $got[$i] ne $want;
    }
}

my $mark = error_log_mark();

# Pauses from well below to well beyond the 1 s timeout (Tomcat closes an
# idle connection between 1 and 2 s: it checks its timeouts once a second);
# 0.7 s is beyond pingidle and short of the timeout with room for a slow
# machine, where a POST certainly meets a pooled connection still open.
my $n = 0;
for my $pause (0.4, 0.7, 1.0, 1.4, 2.2) {
    sleep $pause;
    $n++;
    my @reqs = (['/tcidle/small'], ['/tcidle/post-echo', "ajp-$n=" . ('a' x 1000)],
                ['/tcidlehttp/small'], ['/tcidlehttp/post-echo', "http-$n=" . ('h' x 1000)]);
    check("pause $pause", \@reqs, at_once(@reqs));
}
ok t_cmp(scalar(@bad), 0, 'requests after pauses around the timeout: all answered') or print map { "# $_\n" } @bad;

# Tomcat busy when it times the pooled connections out: each member's
# pooled connections (a few per child) go idle, both threads of each
# connector sleep for 3.5 s, and 2.3 s later (Tomcat has timed the pooled
# connections out by then, and will close them when a thread is free)
# requests come.
@bad = ();
my @warm = map { (['/tcidle/small'], ['/tcidlehttp/small']) } 1 .. 4;
check('warm-up', \@warm, at_once(@warm));
my $busy = fork // die "fork: $!";
if (!$busy) {
    my @slow = map { (['/tcidlebusy/slow?ms=3500'], ['/tcidlebusyhttp/slow?ms=3500']) } 1 .. 2;
    my @got = at_once(@slow);
    POSIX::_exit((grep { !/\A200 slow\b/ } @got) ? 1 : 0);
}
sleep 2.3;
my @reqs = ((map { (['/tcidle/post-echo', "ajp-busy-$_"], ['/tcidlehttp/post-echo', "http-busy-$_"]) } 1 .. 3),
            (map { (['/tcidle/small'], ['/tcidlehttp/small']) } 1 .. 2));
check('busy', \@reqs, at_once(@reqs));
waitpid $busy, 0;
ok t_cmp($?, 0, 'the requests that kept Tomcat busy were answered');
ok t_cmp(scalar(@bad), 0, 'requests while Tomcat closed idle connections late: all answered')
    or print map { "# $_\n" } @bad;

# No request went into a connection Tomcat had dropped, or dropped under it.
my @failed = grep { /OXB00010/ && /:$ENV{OXB_TOMCAT_IDLE_AJP}\b|:$ENV{OXB_TOMCAT_IDLE_HTTP}\b/ } error_log_since($mark);
ok t_cmp(scalar(@failed), 0, 'no request failed on a dropped connection') or print map { "# $_" } @failed;

# What the status page counts: CPings on the AJP member's idle connections,
# some of which Tomcat had closed; on the HTTP member, new connections for
# the POSTs after a pause.
my $doc = get_json();
my $ajp = member_of($doc, 'tcidle', 'OXI')->{counters};
my $http = member_of($doc, 'tcidlehttp', 'OXI')->{counters};
print "# tcidle: ", join(' ', map { "$_=$ajp->{$_}" } sort keys %$ajp), "\n";
print "# tcidlehttp: ", join(' ', map { "$_=$http->{$_}" } sort keys %$http), "\n";
ok $ajp->{reuse_pings} > 0 or print "# no CPing before reuse\n";
ok $ajp->{stale_dropped} > 0 or print "# no connection dropped before use\n";
ok t_cmp($ajp->{failures}, 0, 'AJP member: no failed attempt');
ok $http->{idle_replaced} > 0 or print "# no new connection for a POST after a pause\n";
ok t_cmp($http->{failures}, 0, 'HTTP member: no failed attempt');
