# The status page's JSON (?json) against the schema docs/status.md
# documents: every documented field is present in every balancer and member
# with its documented type (the table is read from the document itself, so
# the two cannot drift apart), and the values are what the test's requests
# did: counters, sessions seen, the error window, probes.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use B ();
use JSON::PP ();
use Time::HiRes qw(time);
use OXB::Status qw(status_url ua get_json member_of enable_all);
use OXB::Test qw(child_pids error_log_since);

plan tests => 38;

# ---- the documented schema ----------------------------------------------
my $doc = "$ENV{OXB_TOP}/docs/status.md";
open my $fh, '<', $doc or die "cannot read $doc: $!";
my ($in_json, @fields);
while (my $line = <$fh>) {
    $in_json = 1 if $line =~ /^## JSON/;
    last if $in_json && $line =~ /^## / && $line !~ /^## JSON/;
    next unless $in_json && $line =~ /^\| `([a-z_.\[\]]+)` \| ([a-z ]+) \|/;
    push @fields, [$1, $2];
}
ok @fields >= 40 or print "# only ", scalar(@fields), " fields documented?\n";

sub is_number {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & (B::SVp_IOK | B::SVp_NOK)) && !($f & B::SVp_POK) ? 1 : 0;
}
sub is_string { my ($v) = @_; return defined $v && !ref $v && !is_number($v) ? 1 : 0 }

sub has_type {
    my ($v, $type) = @_;
    my @alts = split / or /, $type;
    for my $t (@alts) {
        return 1 if $t eq 'null' && !defined $v;
        return 1 if $t eq 'number' && is_number($v);
        return 1 if $t eq 'string' && is_string($v);
        return 1 if $t eq 'boolean' && JSON::PP::is_bool($v);
        return 1 if $t eq 'array' && ref $v eq 'ARRAY';
        return 1 if $t eq 'object' && ref $v eq 'HASH' && !JSON::PP::is_bool($v);
    }
    return 0;
}

# Checks one documented path in every place it occurs; returns the
# problems. A field under a null parent (a member's probe when not probed)
# has nothing to check.
sub check_path {
    my ($node, $parts, $type, $where) = @_;
    my ($head, @rest) = @$parts;
    my $array = $head =~ s/\[\]$//;
    return ("$where: not an object") unless ref $node eq 'HASH';
    return ("$where.$head: missing") unless exists $node->{$head};
    my $v = $node->{$head};
    if (!@rest) {
        return has_type($v, $type) ? () : ("$where.$head: not $type");
    }
    return () unless defined $v;
    if ($array) {
        return ("$where.$head: not an array") unless ref $v eq 'ARRAY';
        my $i = 0;
        return map { check_path($_, \@rest, $type, "$where.$head\[" . $i++ . "]") } @$v;
    }
    return check_path($v, \@rest, $type, "$where.$head");
}

sub schema_problems {
    my ($json) = @_;
    return map { check_path($json, [split /\./, $_->[0]], $_->[1], '') } @fields;
}

# ISO-8601 UTC with milliseconds, as the _ms twin says.
sub iso_matches_ms {
    my ($iso, $ms) = @_;
    return 0 unless defined $iso && $iso =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/;
    require Time::Local;
    my $t = Time::Local::timegm($6, $5, $4, $3, $2 - 1, $1) * 1000 + $7;
    return $t == $ms ? 1 : 0;
}

# ---- before ----------------------------------------------------------------
enable_all('status', 'ST1', 'ST2');
my $t0 = int(time * 1000);
my $before = get_json();
my ($b1, $b2) = (member_of($before, 'status', 'ST1'), member_of($before, 'status', 'ST2'));

# Six new sessions (round robin: three each), four requests of three
# sessions of ST1, one request to a balancer whose first member is dead.
my $tag = sprintf '%d%d', $$, time;
my %new;
$new{ GET('/status-b/echo')->header('X-Backend') // 'none' }++ for 1 .. 6;
ok t_cmp(join(',', map { "$_=$new{$_}" } sort keys %new), 'OX1=3,OX2=3', 'new sessions: three each');
my $sticky_ok = 0;
for my $s (1, 2, 3, 1) {
    my $r = GET('/status-b/echo', Cookie => "JSESSIONID=$tag$s.ST1");
    $sticky_ok++ if ($r->header('X-Backend') // '') eq 'OX1';
}
ok t_cmp($sticky_ok, 4, 'sticky requests reached ST1');
# A session of D1 (dead): D1 is tried first and enters its retry window,
# unless it is in one already (an earlier test's); either way the request
# is served by the second member.
ok t_cmp(GET('/deadfirst/echo', Cookie => 'JSESSIONID=j1.D1')->code, 200, 'deadfirst: served by its second member');

# ---- after -----------------------------------------------------------------
my $res = ua()->get(status_url() . '?json');
ok t_cmp($res->code, 200, '?json answers 200');
ok t_cmp($res->header('Content-Type'), 'application/json', 'content type');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'nosniff');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'no-store');
my $json = eval { JSON::PP->new->utf8->decode($res->content) };
ok $json or print "# not JSON: $@\n";
my @problems = schema_problems($json);
print "# $_\n" for @problems;
ok t_cmp(scalar @problems, 0, 'every documented field, with its documented type, everywhere');

ok t_cmp($json->{schema}, 1, 'schema 1');
# The leader: a live child, the one an OXB00046 line named when it started
# to probe.
{
    my %kids = map { $_ => 1 } child_pids();
    my %probers = map { /OXB00046: this process \((\d+)\) probes/ ? ($1 => 1) : () } error_log_since(0);
    my $pid = $json->{leader_pid} // 'null';
    ok $kids{$pid} && $probers{$pid}
        or print "# leader_pid $pid, children: ", join(' ', sort keys %kids), ", probers: ", join(' ', sort keys %probers), "\n";
}
ok t_cmp($json->{sessions_window_minutes}, 10, 'sessions window');
ok $json->{generated_ms} >= $t0 && $json->{generated_ms} <= time * 1000 + 1000;
ok iso_matches_ms($json->{generated}, $json->{generated_ms});
my @names = map { $_->{name} } @{ $json->{balancers} };
ok t_cmp("@names[0..1]", 'ajp one', 'balancers in configuration order');

my ($a1, $a2) = (member_of($json, 'status', 'ST1'), member_of($json, 'status', 'ST2'));
my $delta = sub { my ($m, $b, $c) = @_; return $m->{counters}{$c} - $b->{counters}{$c} };
ok t_cmp($delta->($a1, $b1, 'requests') + $delta->($a2, $b2, 'requests'), 10, 'requests: 6 new and 4 sticky');
ok t_cmp($delta->($a1, $b1, 'new_sessions'), 3, 'ST1 new sessions');
ok t_cmp($delta->($a2, $b2, 'new_sessions'), 3, 'ST2 new sessions');
ok t_cmp($delta->($a1, $b1, 'sticky'), 4, 'ST1 sticky requests');
ok t_cmp($delta->($a2, $b2, 'sticky'), 0, 'ST2 sticky requests');
ok t_cmp($delta->($a1, $b1, 'failures'), 0, 'no failures');
ok $delta->($a1, $b1, 'bytes_received') > 0;
my $seen = $a1->{sessions_recent} - $b1->{sessions_recent};
ok $seen >= 2 && $seen <= 4 or print "# ST1 sessions seen went up by $seen, expected 3\n";
ok $a1->{last_session_ms} >= $t0 - 1000 && $a1->{last_session_ms} <= time * 1000 + 1000
    or print "# last_session_ms $a1->{last_session_ms}, t0 $t0\n";
ok iso_matches_ms($a1->{last_session}, $a1->{last_session_ms});
ok t_cmp($a1->{in_flight}, 0, 'nothing in flight');
ok t_cmp("$a1->{admin} $a1->{config_admin} $a1->{health} $a1->{loadfactor}", 'active active up 1', 'ST1 state');
ok t_cmp($a1->{url}, "ajp://127.0.0.1:$ENV{OXB_AJP1_PORT}", 'ST1 url');
ok !defined $a1->{probe} && !defined $a1->{error_until};

# The dead member is in its retry= window (60 s), in wall time.
my $d1 = member_of($json, 'deadfirst', 'D1');
my $now = time * 1000;
ok defined $d1->{error_until_ms} && $d1->{error_until_ms} > $now && $d1->{error_until_ms} <= $now + 61000
    or print "# error_until_ms ", $d1->{error_until_ms} // 'null', " now $now\n";
ok iso_matches_ms($d1->{error_until}, $d1->{error_until_ms});
ok t_cmp($d1->{counters}{failures} >= 1 ? 1 : 0, 1, 'D1 failure counted');

# A probed member shows its node's last probe.
my $pr = member_of($json, 'probed', 'PR2');
ok ref $pr->{probe} eq 'HASH' && $pr->{probe}{method} eq 'cping';
ok t_cmp($pr->{probe}{result}, 'CPong', 'last probe: CPong');
ok defined $pr->{probe}{latency_us} && $pr->{probe}{latency_us} >= 0;
ok iso_matches_ms($pr->{probe}{time}, $pr->{probe}{time_ms});
ok $pr->{probe}{consecutive_passes} >= 1 && $pr->{probe}{consecutive_failures} == 0;
