# The shipped App Suite layout (conf/oxbalance-appsuite.conf) in a front end
# of its own, its two nodes pointed at our HTTP test servers: each node is
# in oxcluster, oxcluster_docs and oxcluster_sync with timeout= and
# loadfactor= that differ, and still has one probe and one health, which
# the status JSON shows the same in all three balancers.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use JSON::PP ();
use OXB::ConfigDB qw(start_frontend stop_frontend frontend_json until_true);

plan tests => 7;

my $top = Apache::Test::vars('top_dir');
open my $in, '<', "$top/conf/oxbalance-appsuite.conf" or die "conf/oxbalance-appsuite.conf: $!";
my $conf = do { local $/; <$in> };
close $in;
my %port = ('10.20.30.213' => $ENV{OXB_HTTP1_PORT}, '10.20.30.215' => $ENV{OXB_HTTP2_PORT});
my $nodes = $conf =~ s{http://(10\.20\.30\.21[35]):8009}{"http://127.0.0.1:$port{$1}"}ge;
# The front end has its own status page and no state file of the shipped path.
$conf =~ s/^OXStatus .*$//m;
$conf =~ s/^OXStateFile .*$//m;
ok t_cmp($nodes, 6, 'two nodes in three balancers');

my $fe = start_frontend(extra => $conf);
my $canon = JSON::PP->new->canonical;

# Each route's members: [balancer, member] for oxcluster*.
sub members_of {
    my ($doc, $route) = @_;
    my @m;
    for my $b (grep { $_->{name} =~ /^oxcluster/ } @{ $doc->{balancers} }) {
        push @m, map { [$b->{name}, $_] } grep { ($_->{route} // '') eq $route } @{ $b->{members} };
    }
    return @m;
}

# Probed once at least (interval=5 by default).
my $doc;
my $took = until_true(15, sub {
    $doc = frontend_json($fe->{port});
    my @all = (members_of($doc, 'OX1'), members_of($doc, 'OX2'));
    @all == 6 && !grep { !$_->[1]{probe} || !defined $_->[1]{probe}{result} } @all;
});
ok defined $took or print "# not every member was probed within 15 s\n";

for my $route (qw(OX1 OX2)) {
    my @m = members_of($doc, $route);
    my %loadfactor = map { $_->[1]{loadfactor} => 1 } @m;
    ok t_cmp(scalar(keys %loadfactor) > 1 ? 1 : 0, 1, "$route: the balancers give it different loadfactors")
        or print "# loadfactors: ", join(',', map { $_->[1]{loadfactor} } @m), "\n";
    # One probe state and one health for the node, whichever balancer shows it.
    my %state = map { $canon->encode([$_->[1]{health}, $_->[1]{probe}]) => 1 } @m;
    ok t_cmp(scalar(keys %state), 1, "$route: one probe state and health in all three balancers")
        or print "# $_\n" for keys %state;
}
ok t_cmp(($doc && (members_of($doc, 'OX1'))[0][1]{health}) // '', 'up', 'the node is up');
stop_frontend($fe);
