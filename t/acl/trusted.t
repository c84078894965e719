# OXTrustedProxy: from a trusted proxy, X-Forwarded-For / Forwarded name the
# client (the rightmost address that is not a trusted proxy); from anyone
# else they count for nothing. And denials are logged once per client and
# rule, not per request.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use OXB::Test qw(have_tomcat error_log_mark wait_for_log error_log_since);

plan tests => 9, sub { have_tomcat() };

my $proxy = "http://127.0.0.1:$ENV{OXB_ACL_PROXY_PORT}";
my $ua = LWP::UserAgent->new;

sub get { my ($url, @h) = @_; my $r = $ua->get($url, @h); return ($r->code, $r->content) }

# Through the trusted proxy (this vhost trusts 127.0.0.1).
my ($code, $body) = get("$proxy/webservices/y", 'X-Forwarded-For' => '10.99.1.1');
ok t_cmp($code, 200, 'trusted proxy, allowed client: reaches the service');
ok $body =~ /PROTECTED RESOURCE REACHED/;
($code) = get("$proxy/webservices/y", 'X-Forwarded-For' => '203.0.113.5');
ok t_cmp($code, 403, 'trusted proxy, other client: 403');
# The client appends to the header: the rightmost entry is what the proxy saw.
($code) = get("$proxy/webservices/y", 'X-Forwarded-For' => '10.99.1.1, 203.0.113.5');
ok t_cmp($code, 403, 'a forged entry left of the real client counts for nothing');
($code) = get("$proxy/servlet/axis2/services/x", 'Forwarded' => 'for="10.99.7.7:4711"');
ok t_cmp($code, 200, 'Forwarded: for= with a port');
($code) = get("$proxy/webservices/y", 'X-Forwarded-For' => '10.99.1.1', 'Forwarded' => 'for=203.0.113.5');
ok t_cmp($code, 403, 'headers naming different clients: unknown client, denied');
($code) = get("$proxy/webservices/y");
ok t_cmp($code, 403, 'no header: the proxy itself is the client');

# Twenty denials of one client (one no other test uses) and rule in a row:
# one log line per httpd process that served any of them (each request is a
# connection of its own: the two children of event and worker, any number
# of prefork processes).
my $mark = error_log_mark();
my @ignored = map { get("$proxy/webservices/y", 'X-Forwarded-For' => '203.0.113.77') } 1 .. 20;
my @lines = grep { /OXB00030: denied 203\.0\.113\.77 / } wait_for_log($mark, qr/OXB00030: denied 203\.0\.113\.77/);
my %per_pid;
$per_pid{$_}++ for map { /\[pid (\d+)/ ? $1 : () } @lines;
ok @lines >= 1 && @lines == keys %per_pid
    or print "# ", scalar @lines, " lines from ", scalar(keys %per_pid), " processes\n";
ok(($lines[0] // '') =~ m{denied 203\.0\.113\.77 access to /webservices/y \(OXProtect /webservices; request path\); answering 403});
