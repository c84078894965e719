# The status page's path, methods, headers, and its actions: a change by
# POST with the page's nonce goes into shared memory at once (every child
# balances by it) and is logged once; every refusal changes nothing — no
# nonce, a forged one, a stale one, another client's, a client not on the
# list (directly and through a trusted proxy), a GET carrying an action,
# and forms that are malformed, too long, of another type or for a member
# that does not exist.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use HTTP::Request ();
use LWP::UserAgent ();
use Time::HiRes qw(sleep);
use OXB::Test qw(error_log_mark error_log_since wait_for_log);
use OXB::Status qw(status_path status_url ua page_nonce post_action states get_json member_of enable_all);

plan tests => 91;

my $main = status_url();
my $proxy = status_url($ENV{OXB_ACL_PROXY_PORT});    # OXTrustedProxy 127.0.0.1
my $denied = status_url($ENV{OXB_STATUS_DENIED_PORT}); # OXStatus for 10.99.0.0/16 only
my $short = status_url($ENV{OXB_STATUS_SHORT_PORT});   # noncewindow=1s
my $base = "http://127.0.0.1:" . Apache::Test::config()->{vars}{port};

enable_all('status', 'ST1', 'ST2');
my $mark = error_log_mark();

# ---- the page, its path and its headers ----------------------------------------
my $res = ua()->get($main);
ok t_cmp($res->code, 200, 'GET the page');
ok t_cmp($res->header('Content-Type'), 'text/html; charset=utf-8', 'HTML');
ok $res->header('Content-Security-Policy') =~
    /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+\/=]+'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/
    or print "# CSP: ", $res->header('Content-Security-Policy') // 'none', "\n";
ok t_cmp(join(' ', map { $res->header($_) // '-' } qw(X-Content-Type-Options Cache-Control Referrer-Policy)),
         'nosniff no-store no-referrer', 'nosniff, no-store, no-referrer');
ok $res->content =~ /<meta http-equiv="refresh" content="10"/ or print "# no refresh\n";
my $nonce = page_nonce($res->content);
ok defined $nonce;
ok $res->content =~ /<tr class="member" data-balancer="status" data-member="[^"]+" data-route="ST1" data-admin="active"/;

my $head = ua()->head($main);
ok t_cmp($head->code . ' ' . $head->header('Content-Type') . ' ' . length($head->content), '200 text/html; charset=utf-8 0',
         'HEAD: the headers, no body');
ok t_cmp(ua()->get("$main/")->code, 200, 'the path with a trailing slash');
ok t_cmp(ua()->get("$main;x")->code . ' ' . ua()->get("$base/" . status_path)->code, '200 200',
         'matched on the canonical path (;x, //)');
ok t_cmp(ua()->get("$main/x")->code, 404, 'nothing below the path is the page');
ok t_cmp(ua()->get("${main}x")->code, 404, 'nor a longer name');
my $below = ua()->get("$main/below/echo");
ok t_cmp(($below->code . ' ' . ($below->header('X-Backend') // 'none')) =~ /^200 OX[12]$/ ? 1 : 0, 1,
         'an OXPass prefix below the path is forwarded as usual');
for my $method (qw(PUT DELETE OPTIONS)) {
    my $r = ua()->request(HTTP::Request->new($method => $main, [], 'x'));
    ok t_cmp($r->code . ' ' . ($r->header('Allow') // ''), '405 GET, HEAD, POST', "$method: 405 with Allow");
}

# ---- refusals: nothing changes ---------------------------------------------------
my $before = states();
my @drain = (balancer => 'status', member => 'ST1', action => 'drain');

sub refused {
    my ($r, $code, $re, $name) = @_;
    my $notice = $r->content =~ /<p id="notice" class="notice refused"[^>]*>(.*?)<\/p>/s ? $1 : '';
    ok t_cmp($r->code, $code, "$name: $code");
    ok $notice =~ $re or print "# $name: notice '$notice'\n";
    ok t_cmp(states(), $before, "$name: nothing changed");
}

refused(post_action(@drain), 400, qr/nonce/, 'no nonce');
refused(post_action(nonce => '0' x 64, @drain), 403, qr/not made by this server/, 'a forged nonce');
refused(post_action(nonce => 'xyz', @drain), 403, qr/malformed/, 'a malformed nonce');

# Another client's nonce: the page as 127.0.0.5 sees it, through the
# trusted proxy; from 127.0.0.1 it is refused, and as 127.0.0.5 it works.
my @as5 = (headers => ['X-Forwarded-For' => '127.0.0.5']);
my $nonce5 = page_nonce(ua()->get($proxy, 'X-Forwarded-For' => '127.0.0.5')->content);
ok defined $nonce5 && $nonce5 ne $nonce;
refused(post_action(nonce => $nonce5, @drain), 403, qr/not made by this server for this client/, "another client's nonce");
refused(post_action(url => $proxy, nonce => $nonce, @as5, @drain), 403, qr/for this client/,
        "127.0.0.1's nonce from 127.0.0.5");

# A stale nonce (forms good for one to two 1 s windows on this vhost).
my $old = page_nonce(ua()->get($short)->content);
sleep 3;
refused(post_action(url => $short, nonce => $old, @drain), 403, qr/too old: reload/, 'a stale nonce');

# A client that is not on the list gets the plain 403, logged once (per
# process: one connection, so one process).
my $keep = LWP::UserAgent->new(timeout => 60, keep_alive => 1);
for my $r ($keep->get($denied), $keep->post($denied, [nonce => $nonce, @drain])) {
    ok t_cmp($r->code . ' ' . $r->content, "403 Forbidden\n", 'a client not on the list: 403');
}
ok t_cmp(post_action(url => $proxy, nonce => $nonce, headers => ['X-Forwarded-For' => '10.1.2.3'], @drain)->code, 403,
         'a client not on the list, through a trusted proxy: 403');
ok t_cmp(states(), $before, 'the refused clients changed nothing');

# A GET never acts.
refused(ua()->get("$main?nonce=$nonce&balancer=status&member=ST1&action=drain"), 400, qr/actions are POSTed/,
        'a GET with an action');

# Malformed forms, and forms for what does not exist.
refused(post_action(nonce => $nonce, balancer => 'status', member => 'ST1', action => 'explode'), 400,
        qr/unknown action/, 'an unknown action');
refused(post_action(nonce => $nonce, balancer => 'status', member => 'ST1', action => 'loadfactor', loadfactor => 101),
        400, qr/1 to 100/, 'a load factor of 101');
refused(ua()->post($main, Content_Type => 'text/plain', Content => "nonce=$nonce&balancer=status&member=ST1&action=drain"),
        415, qr/x-www-form-urlencoded/, 'another content type');
refused(ua()->post($main, [nonce => $nonce, @drain, pad => 'x' x 5000]), 413, qr/longer than 4096/, 'a form over 4 KiB');
refused(post_action(nonce => $nonce, balancer => 'status', member => 'ST9', action => 'drain'), 404, qr/no member/,
        'an unknown member');
refused(post_action(nonce => $nonce, balancer => 'nosuch', member => 'ST1', action => 'drain'), 404, qr/no balancer/,
        'an unknown balancer');
ok t_cmp(scalar(grep { /OXB00080/ } error_log_since($mark)), 0, 'no change was logged');
my @denials = grep { /OXB00083: denied 127\.0\.0\.1 the status page/ } error_log_since($mark);
ok t_cmp(scalar @denials, 1, 'the denied client is logged once');

# ---- changes -----------------------------------------------------------------
# A drain by the page's own fields (member by URL this time), through the
# trusted proxy as 127.0.0.5 with its own nonce.
my $url1 = member_of(get_json(), 'status', 'ST1')->{url};
$mark = error_log_mark();
$res = post_action(url => $proxy, nonce => $nonce5, @as5, balancer => 'status', member => $url1, action => 'drain');
ok t_cmp($res->code, 200, 'drain: 200');
ok $res->content =~ /<p id="notice" class="notice done"[^>]*>[^<]*active -&gt; draining/ or print "# ", $res->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
ok $res->content !~ /http-equiv="refresh"/;
ok t_cmp(member_of(get_json(), 'status', 'ST1')->{admin}, 'draining', 'ST1 is draining');
my @changes = grep { /OXB00080/ } wait_for_log($mark, qr/OXB00080/);
ok t_cmp(scalar @changes, 1, 'logged once');
ok $changes[0] =~ /OXB00080: status page: 127\.0\.0\.5 set admin state of balancer status member ST1 \(\Q$url1\E\) from active to draining/
    or print "# $changes[0]";
# Again: nothing to change, nothing logged.
$res = post_action(nonce => $nonce, @drain);
ok $res->content =~ /already/;
ok t_cmp(scalar(grep { /OXB00080/ } error_log_since($mark)), 1, 'no change, no log line');

# New sessions avoid the draining member in every child; its sessions keep it.
my %new;
$new{ GET('/status-b/echo')->header('X-Backend') // 'none' }++ for 1 .. 10;
ok t_cmp($new{OX2}, 10, 'new sessions all go to ST2');
ok t_cmp(GET('/status-b/echo', Cookie => 'JSESSIONID=a1.ST1')->header('X-Backend'), 'OX1', 'a session of ST1 still reaches it');

# Load factors: in force for new sessions at once, across children.
post_action(nonce => $nonce, balancer => 'status', member => 'ST1', action => 'enable');
$res = post_action(nonce => $nonce, balancer => 'status', member => 'ST2', action => 'loadfactor', loadfactor => 3);
ok t_cmp($res->code, 200, 'load factor: 200');
ok t_cmp(member_of(get_json(), 'status', 'ST2')->{loadfactor}, 3, 'ST2 load factor 3');
%new = ();
$new{ GET('/status-b/echo')->header('X-Backend') // 'none' }++ for 1 .. 40;
# Smooth weighted round robin: exactly 1:3 once the rotation has taken the
# new weights in, give or take the first pick.
ok(($new{OX1} // 0) >= 9 && ($new{OX1} // 0) <= 11 && ($new{OX1} // 0) + ($new{OX2} // 0) == 40)
    or print "# split ", join(' ', %new), "\n";
my @lf = grep { /OXB00080: status page: 127\.0\.0\.1 set load factor of balancer status member ST2 \(.*\) from 1 to 3/ }
    error_log_since($mark);
ok t_cmp(scalar @lf, 1, 'the load factor change is logged once');

enable_all('status', 'ST1', 'ST2');
ok t_cmp(states() =~ m{status/ST1=active/1 status/ST2=active/1} ? 1 : 0, 1, 'back to the configuration');

# ---- recover: the end of an error window ----------------------------------------
# RC1 is dead: a session of it fails over to RC2, and RC1 enters its error
# window (retry=60). Recover ends it: the next request of that session
# tries RC1 again (one more failure on it), where without the action it
# would have gone to RC2 straight away.
{
    my $sid = 'JSESSIONID=r1.RC1';
    ok t_cmp(GET('/recover-b/echo', Cookie => $sid)->header('X-Backend'), 'OX2', 'the dead member fails over');
    my $rc1 = member_of(get_json(), 'recover', 'RC1');
    ok defined $rc1->{error_until_ms} or print "# no error window after the failure\n";
    my $failures = $rc1->{counters}{failures};
    GET('/recover-b/echo', Cookie => $sid);
    ok t_cmp(member_of(get_json(), 'recover', 'RC1')->{counters}{failures}, $failures,
             'in its window, RC1 is not tried');

    my $page = ua()->get(status_url())->content;
    ok $page =~ m{<form class="action" data-action="recover"[^>]*>(?:(?!</form>).)*name="member" value="ajp://127\.0\.0\.4:\d+"(?:(?!</form>).)*<button type="submit"[^>]*>Recover</button>}s
        && $page !~ m{<form class="action" data-action="recover"[^>]*>(?:(?!</form>).)*name="member" value="ajp://127\.0\.0\.4:\d+"(?:(?!</form>).)*<button[^>]* disabled>Recover}s
        or print "# no enabled Recover button for RC1\n";

    $mark = error_log_mark();
    my $res = post_action(nonce => $nonce, balancer => 'recover', member => 'RC1', action => 'recover');
    ok t_cmp($res->code, 200, 'recover: 200');
    ok $res->content =~ /<p id="notice" class="notice done"[^>]*>[^<]*error window open \(\d+ s left\) -&gt; ended/
        or print "# ", $res->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
    ok !defined member_of(get_json(), 'recover', 'RC1')->{error_until_ms} or print "# still in a window\n";
    my @lines = grep { /OXB00080/ } wait_for_log($mark, qr/OXB00080/);
    ok t_cmp(scalar @lines, 1, 'logged once');
    ok $lines[0] =~ /OXB00080: status page: 127\.0\.0\.1 set error window of balancer recover member RC1 \(ajp:\/\/127\.0\.0\.4:\d+\) from open \(\d+ s left\) to ended/
        or print "# $lines[0]";
    # Again: nothing to end, nothing logged.
    $res = post_action(nonce => $nonce, balancer => 'recover', member => 'RC1', action => 'recover');
    ok $res->content =~ /not in an error window already/ or print "# ", $res->content =~ /(<p id="notice".*?<\/p>)/s, "\n";
    ok t_cmp(scalar(grep { /OXB00080/ } error_log_since($mark)), 1, 'no change, no log line');
    # The admin state is not touched.
    ok t_cmp(member_of(get_json(), 'recover', 'RC1')->{admin}, 'active', 'still active');

    ok t_cmp(GET('/recover-b/echo', Cookie => $sid)->header('X-Backend'), 'OX2', 'served, by RC2 again');
    ok t_cmp(member_of(get_json(), 'recover', 'RC1')->{counters}{failures}, $failures + 1,
             'after recover, RC1 was tried again');
}
