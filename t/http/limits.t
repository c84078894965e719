# t/ajp/limits.t's max= for http:// members (connections per process, in
# use plus idle): a member whose requests hang holds at most max= workers per
# httpd child, and the other members' requests are served meanwhile. More
# clients hang on the member than httpd has workers (MaxRequestWorkers 64).
# Under prefork each hanging request holds a process of its own and max=2
# never bites (see t/ajp/limits.t). The requests hang until the test opens
# their gates (through `hone`, another balancer on the same test server).
use strict;
use warnings;
use Apache::Test qw(plan);
use OXB::Limits qw(max_holds_workers);

plan tests => 12;

max_holds_workers(hang => '/hhanging', gate => 'hhg', other => '/h/echo', open => '/hone', member => 'HHG1');
# A second member runs full seconds later, in the same children: it is
# logged too (OXB00049 is rate-limited per member and process; limited per
# process, it hid the second member's line).
max_holds_workers(hang => '/hhanging2', gate => 'hhg2', other => '/h/echo', open => '/hone', member => 'HHG2');
