# http:// members are probed with GET /health over HTTP (OX 7.10.1+: 200
# up, 503 down) by default: a node that answers 503 is down within one
# interval and takes no traffic; when it answers 200 again it is back
# without a user request having been sent to find out. hprobed: interval=1
# timeout=1 fails=1 passes=1.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use Time::HiRes qw(time sleep);
use OXB::Test qw(raw_request);
use OXB::Status qw(get_json member_of);

plan tests => 8;

my $node = $ENV{OXB_HTTPPROBED_PORT};

sub health { my $m = member_of(get_json(), 'hprobed', 'HP1'); return ($m->{health} // '', $m->{probe}) }

sub wait_health {
    my ($want, $secs) = @_;
    my $end = time + $secs;
    while (time < $end) {
        my ($h) = health();
        return 1 if $h eq $want;
        sleep 0.2;
    }
    return 0;
}

sub set_health {
    my ($code) = @_;
    my ($status) = raw_request($node, "GET /health-set?code=$code HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return $status;
}

ok t_cmp(wait_health('up', 5), 1, 'probed up');
my (undef, $probe) = health();
ok t_cmp($probe && $probe->{method}, 'http', 'the probe method is http (the default for http:// members)');

ok t_cmp(set_health(503), 200, 'the node now answers /health with 503');
my $t0 = time;
ok t_cmp(wait_health('down', 5), 1, 'down after a 503');
ok((time - $t0) < 3.5);
my %by;
$by{ Apache::TestRequest::GET('/hprobed/echo')->header('X-Backend') // 'none' }++ for 1 .. 6;
ok t_cmp(join(',', keys %by), 'HX2', 'no traffic to a node that is down');

set_health(200);
ok t_cmp(wait_health('up', 5), 1, 'up again after a 200, without a user request');
%by = ();
$by{ Apache::TestRequest::GET('/hprobed/echo')->header('X-Backend') // 'none' }++ for 1 .. 10;
ok t_cmp(exists $by{HXPROBED} ? 1 : 0, 1, 'traffic returns');
