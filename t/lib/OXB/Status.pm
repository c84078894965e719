package OXB::Status;
# Helpers for the status page's tests (t/status/*.t): its URL on each test
# server, its JSON, a page's nonce, actions posted as the page's forms post
# them, and the members' admin state and load factor at a glance.
use strict;
use warnings;
use Exporter 'import';
use Apache::Test ();
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request::Common ();

our @EXPORT_OK = qw(status_path status_url ua page_nonce get_json member_of post_action states
                    json_of enable_all);

use constant status_path => '/oxbalance-status';

# The page on the main test server, or on 127.0.0.1:$port.
sub status_url {
    my ($port) = @_;
    $port //= Apache::Test::config()->{vars}{port};
    return "http://127.0.0.1:$port" . status_path;
}

my $ua;
sub ua {
    $ua //= LWP::UserAgent->new(timeout => 60, keep_alive => 0);
    return $ua;
}

# The nonce the page's forms carry.
sub page_nonce {
    my ($html) = @_;
    my ($nonce) = $html =~ /name="nonce" value="([0-9a-f]{64})"/;
    return $nonce;
}

sub json_of {
    my ($res) = @_;
    return JSON::PP->new->utf8->decode($res->content);
}

# The page's JSON on the main server (dies unless it is 200).
sub get_json {
    my $res = ua()->get(status_url() . '?json');
    die 'GET ?json: ' . $res->status_line unless $res->code == 200;
    return json_of($res);
}

# The member of balancer $b whose route is $route, from a JSON document.
sub member_of {
    my ($doc, $b, $route) = @_;
    for my $bal (@{ $doc->{balancers} }) {
        next unless $bal->{name} eq $b;
        for my $m (@{ $bal->{members} }) {
            return $m if defined $m->{route} && $m->{route} eq $route;
        }
    }
    return undef;
}

# "balancer/route=admin/loadfactor ..." for every member: what a refused
# action must leave as it was.
sub states {
    my $doc = get_json();
    my @s;
    for my $bal (@{ $doc->{balancers} }) {
        push @s, map { "$bal->{name}/" . ($_->{route} // $_->{url}) . "=$_->{admin}/$_->{loadfactor}" } @{ $bal->{members} };
    }
    return join ' ', @s;
}

# POSTs an action as the page's form does (application/x-www-form-urlencoded,
# fields in form order); `url` and extra headers may be given. Returns the
# response.
sub post_action {
    my (%f) = @_;
    my $url = delete $f{url} // status_url();
    my $headers = delete $f{headers} // [];
    my @fields = map { exists $f{$_} ? ($_ => $f{$_}) : () } qw(nonce balancer member action loadfactor);
    return ua()->request(HTTP::Request::Common::POST($url, \@fields, @$headers));
}

# Sets every member of balancer $b active with load factor 1 (the
# configuration's values in the test config), through the page.
sub enable_all {
    my ($b, @routes) = @_;
    my $nonce = page_nonce(ua()->get(status_url())->content);
    for my $r (@routes) {
        post_action(nonce => $nonce, balancer => $b, member => $r, action => 'enable');
        post_action(nonce => $nonce, balancer => $b, member => $r, action => 'loadfactor', loadfactor => 1);
    }
}

1;
