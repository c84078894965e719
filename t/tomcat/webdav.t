# WebDAV against Tomcat's WebdavServlet through the module: the methods OX's
# DAV clients use, with their request bodies and multi-status answers. The
# client path equals the backend path (OXPass /webdav tomcat1): COPY and
# MOVE name their target in a Destination header, which is not remapped.
use strict;
use warnings;
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use HTTP::Request ();
use OXB::Test qw(have_tomcat);

plan tests => 12, sub { have_tomcat() };

my $ua = Apache::TestRequest::user_agent(keep_alive => 1);
sub dav {
    my ($method, $path, $body, @headers) = @_;
    my $req = HTTP::Request->new($method => Apache::TestRequest::resolve_url("/webdav$path"), [@headers]);
    $req->content($body) if defined $body;
    return $ua->request($req);
}

my $dir = '/oxb-' . $$;
ok t_cmp(dav(MKCOL => $dir)->code, 201, 'MKCOL');
ok t_cmp(dav(PUT => "$dir/a.txt", "hello dav\n")->code, 201, 'PUT');
{
    my $r = dav(PROPFIND => $dir, qq{<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>},
                'Depth' => 1, 'Content-Type' => 'application/xml');
    ok t_cmp($r->code, 207, 'PROPFIND multi-status');
    ok $r->content =~ m{a\.txt};
}
{
    my $r = dav(PROPPATCH => "$dir/a.txt",
                qq{<?xml version="1.0"?><propertyupdate xmlns="DAV:" xmlns:o="urn:oxb"><set><prop><o:color>blue</o:color></prop></set></propertyupdate>},
                'Content-Type' => 'application/xml');
    ok t_cmp($r->code, 207, 'PROPPATCH');
}
ok t_cmp(dav(COPY => "$dir/a.txt", undef, Destination => "/webdav$dir/b.txt")->code, 201, 'COPY');
ok t_cmp(dav(MOVE => "$dir/b.txt", undef, Destination => "/webdav$dir/c.txt")->code, 201, 'MOVE');
ok t_cmp(dav(GET => "$dir/c.txt")->content, "hello dav\n", 'moved file content');
my $token;
{
    my $r = dav(LOCK => "$dir/a.txt",
                qq{<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype><owner>oxb</owner></lockinfo>},
                'Content-Type' => 'application/xml', Timeout => 'Second-60');
    ok t_cmp($r->code, 200, 'LOCK');
    ($token) = ($r->header('Lock-Token') // '') =~ /<([^>]+)>/;
    ok defined $token;
}
ok t_cmp(dav(UNLOCK => "$dir/a.txt", undef, 'Lock-Token' => "<$token>")->code, 204, 'UNLOCK');
ok t_cmp(dav(DELETE => $dir)->code, 204, 'DELETE');
