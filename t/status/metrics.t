# The status page's metrics (?metrics), read by the Prometheus project's own
# text parser (t/status/parse_metrics.py, Debian's python3-prometheus-client):
# every metric docs/status.md documents is there with its documented type
# and labels, and the values move with the requests and actions the test
# makes, and agree with the JSON.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use File::Temp ();
use JSON::PP ();
use OXB::Status qw(status_url ua get_json member_of page_nonce post_action enable_all);

plan tests => 21;

# ---- the documented metrics -------------------------------------------------
my $doc = "$ENV{OXB_TOP}/docs/status.md";
open my $fh, '<', $doc or die "cannot read $doc: $!";
my ($in, %documented);
while (my $line = <$fh>) {
    $in = 1 if $line =~ /^## Metrics/;
    last if $in && $line =~ /^## / && $line !~ /^## Metrics/;
    next unless $in && $line =~ /^\| `(oxbalance_[a-z_]+)` \| (counter|gauge) \| [^|]* \| ([^|]*) \|/;
    my ($name, $type, $labels) = ($1, $2, $3);
    $documented{$name} = { type => $type, labels => [ $labels =~ /`([a-z_]+)`/g ] };
}
ok scalar(keys %documented) >= 18 or print "# only ", scalar(keys %documented), " metrics documented?\n";

# ---- the exposition, parsed ----------------------------------------------------
my $parser = "$ENV{OXB_TOP}/t/status/parse_metrics.py";

# GET ?metrics; returns (response, { sample name => [samples] }, families).
sub scrape {
    my $res = ua()->get(status_url() . '?metrics');
    my $in = File::Temp->new;
    print $in $res->content;
    close $in;
    my $out = `/usr/bin/python3 $parser < @{[ $in->filename ]}`;
    die "the Prometheus parser refused the exposition (exit $?)\n" if $?;
    my $parsed = JSON::PP->new->decode($out);
    my %samples;
    for my $f (@{ $parsed->{families} }) {
        push @{ $samples{ $_->{name} } }, $_ for @{ $f->{samples} };
    }
    return ($res, \%samples, $parsed->{families});
}

# The value of sample $name with the given labels (all of them must match).
sub value {
    my ($samples, $name, %labels) = @_;
    for my $s (@{ $samples->{$name} // [] }) {
        next if grep { ($s->{labels}{$_} // '') ne $labels{$_} } keys %labels;
        return $s->{value};
    }
    return undef;
}

enable_all('status', 'ST1', 'ST2');
my ($res, $samples, $families) = scrape();
ok t_cmp($res->code, 200, '?metrics answers 200');
ok t_cmp($res->header('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8', 'Prometheus text 0.0.4');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'nosniff');

# Every documented metric, with its type; its samples carry its labels.
my %family = map { $_->{name} => $_ } @$families;
my @missing;
for my $name (sort keys %documented) {
    my $d = $documented{$name};
    # The parser names a counter's family without its _total.
    my $fname = $d->{type} eq 'counter' ? $name =~ s/_total$//r : $name;
    my $f = $family{$fname};
    # Only with OXConfigDB (this server has none): t/configdb/outage.t.
    next if !$f && $name =~ /^oxbalance_configdb_/;
    if (!$f) { push @missing, "$name: absent"; next }
    push @missing, "$name: type $f->{type}, documented $d->{type}" if $f->{type} ne $d->{type};
    push @missing, "$name: no HELP" unless length $f->{help};
    for my $s (@{ $f->{samples} }) {
        my @want = sort @{ $d->{labels} };
        my @have = sort keys %{ $s->{labels} };
        push @missing, "$name: labels @have, documented @want" if "@have" ne "@want";
        push @missing, "$name: has a timestamp" if defined $s->{timestamp};
    }
}
print "# $_\n" for @missing;
ok t_cmp(scalar @missing, 0, 'every documented metric, its type, HELP and labels');
my %doc_family = map { my $n = $_; $documented{$n}{type} eq 'counter' ? ($n =~ s/_total$//r => 1) : ($n => 1) } keys %documented;
my @undocumented = grep { !$doc_family{$_} } sort keys %family;
ok t_cmp("@undocumented", '', 'no undocumented metric');

my %st1 = (balancer => 'status', route => 'ST1', member => "ajp://127.0.0.1:$ENV{OXB_AJP1_PORT}");
my %st2 = (balancer => 'status', route => 'ST2');
ok t_cmp(value($samples, 'oxbalance_member_up', %st1), 1, 'ST1 up');
ok t_cmp(value($samples, 'oxbalance_member_admin_state', %st1, state => 'active'), 1, 'ST1 active');
ok t_cmp(value($samples, 'oxbalance_member_admin_state', %st1, state => 'draining'), 0, 'ST1 not draining');
ok t_cmp(value($samples, 'oxbalance_member_loadfactor', %st1), 1, 'ST1 load factor');
ok t_cmp(value($samples, 'oxbalance_build_info'), 1, 'build info');
ok !defined value($samples, 'oxbalance_member_probe_timestamp_seconds', %st1) &&
    defined value($samples, 'oxbalance_member_probe_timestamp_seconds', balancer => 'probed', route => 'PR2');
ok $family{oxbalance_member_sessions_recent}{help} =~ /10 minutes/ or print "# $family{oxbalance_member_sessions_recent}{help}\n";

# Requests move the counters by as much as they were; the JSON agrees.
my $r0 = value($samples, 'oxbalance_member_requests_total', %st1) + value($samples, 'oxbalance_member_requests_total', %st2);
my $s0 = value($samples, 'oxbalance_member_sticky_requests_total', %st1);
GET('/status-b/echo') for 1 .. 4;
GET('/status-b/echo', Cookie => "JSESSIONID=m$$.ST1") for 1 .. 3;
($res, $samples) = scrape();
my $json = get_json();
my $r1 = value($samples, 'oxbalance_member_requests_total', %st1) + value($samples, 'oxbalance_member_requests_total', %st2);
ok t_cmp($r1 - $r0, 7, 'requests_total moved by 7');
ok t_cmp(value($samples, 'oxbalance_member_sticky_requests_total', %st1) - $s0, 3, 'sticky_requests_total moved by 3');
ok t_cmp(value($samples, 'oxbalance_member_requests_total', %st1), member_of($json, 'status', 'ST1')->{counters}{requests},
         'metrics and JSON agree');
my $last = value($samples, 'oxbalance_member_last_session_timestamp_seconds', %st1);
ok defined $last && abs($last - time) < 60 or print "# last session at ", $last // 'none', "\n";
ok value($samples, 'oxbalance_member_sessions_recent', %st1) >= 1;

# An action shows at once.
my $nonce = page_nonce(ua()->get(status_url())->content);
ok t_cmp(post_action(nonce => $nonce, balancer => 'status', member => 'ST2', action => 'drain')->code, 200, 'drain ST2');
($res, $samples) = scrape();
ok t_cmp(value($samples, 'oxbalance_member_admin_state', %st2, state => 'draining') . ' '
         . value($samples, 'oxbalance_member_admin_state', %st2, state => 'active'), '1 0', 'ST2 draining');
ok t_cmp(post_action(nonce => $nonce, balancer => 'status', member => 'ST2', action => 'enable')->code, 200, 'enable ST2');
