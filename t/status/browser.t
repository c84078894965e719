# The status page in a real browser (Debian's headless chromium, driven by
# t/status/browser.py over the DevTools protocol): the page renders under
# its own Content-Security-Policy without a single error (its style is
# applied, nothing is blocked), the member table in the DOM says what the
# JSON says, screenshots go to t/logs, and a drain made by clicking the
# page's own Drain button (the browser posts the form with the page's
# nonce) takes effect: the member is draining in the JSON, new sessions
# avoid it, its sessions still reach it.
use strict;
use warnings;
use Apache::Test qw(plan ok skip);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use File::Temp ();
use JSON::PP ();
use OXB::Status qw(status_url get_json member_of enable_all);

plan tests => 25;

my $logs = Apache::Test::config()->{vars}{t_logs};
my ($before_png, $after_png) = ("$logs/status-page.png", "$logs/status-page-drained.png");
unlink $before_png, $after_png;

enable_all('status', 'ST1', 'ST2');
# Some traffic for the table: sessions of ST1 and new sessions.
GET('/status-b/echo', Cookie => "JSESSIONID=b$$-$_.ST1") for 1 .. 3;
GET('/status-b/echo') for 1 .. 2;
my $json = get_json();

my $profile = File::Temp->newdir;
my $driver = "$ENV{OXB_TOP}/t/status/browser.py";
my $out = `/usr/bin/python3 $driver @{[ status_url() ]} status ST1 $before_png $after_png $profile`;
my $rc = $?;
ok t_cmp($rc, 0, 'the browser ran');
my $page = eval { JSON::PP->new->decode($out) } // {};
my ($before, $after) = ($page->{before} // {}, $page->{after} // {});

# Screenshots, saved.
for my $png ($before_png, $after_png) {
    open my $fh, '<:raw', $png or do { ok 0; next };
    read $fh, my $magic, 8;
    ok t_cmp(unpack('H*', $magic) . (-s $png > 10000 ? ' big' : ' small'), '89504e470d0a1a0a big', "$png is a PNG");
}

# No console error: a style or form the CSP blocked would be one.
ok t_cmp(join(' | ', @{ $page->{errors} // ['no result'] }), '', 'no error in the browser');
ok t_cmp($before->{scripts}, 0, 'no script on the page');
ok $before->{refresh};

# The member table in the DOM.
my @rows = grep { $_->{balancer} eq 'status' } @{ $before->{rows} // [] };
ok t_cmp(join(' ', map { "$_->{route}=$_->{admin}/$_->{health}" } @rows), 'ST1=active/up ST2=active/up', 'the status rows');
my %row = map { $_->{route} => $_ } @rows;
my $st1 = member_of($json, 'status', 'ST1');
ok t_cmp($row{ST1}{member}, $st1->{url}, 'data-member is the URL');
ok t_cmp($row{ST1}{cells}{url}{text}, $st1->{url}, 'the URL cell');
# Counters as the JSON fetched just before had them (the page was loaded
# after it, and nothing ran on this balancer in between).
ok t_cmp($row{ST1}{cells}{requests}{value}, $st1->{counters}{requests}, 'requests cell');
ok t_cmp($row{ST1}{cells}{sticky}{value}, $st1->{counters}{sticky}, 'sticky cell');
ok t_cmp($row{ST1}{cells}{'sessions-recent'}{value}, $st1->{sessions_recent}, 'sessions seen cell');
ok $row{ST1}{cells}{'sessions-recent'}{value} >= 3;
ok t_cmp($row{ST1}{cells}{loadfactor}{text}, 1, 'load factor cell');
# The page's own style is in force (its hash is in the CSP).
ok t_cmp($row{ST1}{cells}{admin}{background}, 'rgb(230, 244, 230)', 'the active admin cell is styled');
ok t_cmp(join(' ', map { $_->{action} . ($_->{disabled} ? '(off)' : '') } @{ $row{ST1}{forms} }),
         'drain disable enable(off) standby recover(off) loadfactor',
         'one form per action; the state in force greyed out, and recover when there is no error window');
ok t_cmp(join(' ', map { "$_->{method} $_->{target}" } $row{ST1}{forms}[0]), 'post /oxbalance-status', 'forms POST to the page');
my @names = @{ $before->{balancers} // [] };
ok t_cmp(scalar(grep { $_ eq 'status' } @names), 1, 'the status balancer has its section');

# The drain, clicked: the answer page, then the JSON and the traffic.
ok t_cmp($after->{notice}{cls} // '', 'notice done', 'the answer says done');
ok(($after->{notice}{text} // '') =~ /status ST1 .*admin state active -> draining/) or print "# ", $after->{notice}{text} // 'none', "\n";
ok !$after->{refresh} && $after->{back};
my ($drained) = grep { $_->{balancer} eq 'status' && $_->{route} eq 'ST1' } @{ $after->{rows} // [] };
ok t_cmp($drained->{admin}, 'draining', 'the answer page shows ST1 draining');
ok t_cmp(member_of(get_json(), 'status', 'ST1')->{admin}, 'draining', 'the JSON too');

my %new;
$new{ GET('/status-b/echo')->header('X-Backend') // 'none' }++ for 1 .. 8;
ok t_cmp(join(',', map { "$_=$new{$_}" } sort keys %new), 'OX2=8', 'new sessions avoid ST1');
my %sticky;
$sticky{ GET('/status-b/echo', Cookie => "JSESSIONID=b$$-$_.ST1")->header('X-Backend') // 'none' }++ for 1 .. 3;
ok t_cmp(join(',', map { "$_=$sticky{$_}" } sort keys %sticky), 'OX1=3', "ST1's sessions still reach it");

enable_all('status', 'ST1', 'ST2');
