# A 1 GiB upload and a 1 GiB download through the module: the httpd child's
# peak resident memory grows by less than 1 MiB, as README.md says
# (measured: 0 to 0.1 MiB in a child that has served requests before, up to
# 0.7 MiB when this file runs alone on fresh children: the first requests'
# setup, not the body). Bodies stream; nothing holds a whole body.
use strict;
use warnings;
use Apache::Test qw(plan ok need);
use Apache::TestUtil qw(t_cmp);
use OXB::Test qw(child_pids curl base_url parse_dump pattern_sha256 sanitized pattern_program);

plan tests => 6, need { 'ASan keeps freed memory in quarantine: RSS says nothing in this build' => !sanitized() };

my $GiB = 1024 * 1024 * 1024;
my $measured = 0;   # children whose memory was watched
my $limit = 1024 * 1024;   # README.md's claim
my $base = base_url();
my $pattern = pattern_program();
my $tmp = Apache::Test::config()->{vars}{t_dir} . '/tmp';
mkdir $tmp;

sub status_kb {
    my ($pid, $field) = @_;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    while (<$fh>) { return $1 if /^$field:\s+(\d+) kB/ }
    return 0;
}

# Resets each child's peak (VmHWM) to its current RSS, runs $code, and
# returns the largest growth of a child's peak over its RSS before.
sub peak_growth {
    my ($code) = @_;
    my %before;
    my @children = child_pids();
    $measured = @children if @children > $measured;
    for my $pid (@children) {
        if (open my $fh, '>', "/proc/$pid/clear_refs") { print $fh "5"; close $fh }
        $before{$pid} = status_kb($pid, 'VmRSS');
    }
    $code->();
    my $growth = 0;
    for my $pid (keys %before) {
        my $g = (status_kb($pid, 'VmHWM') - $before{$pid}) * 1024;
        printf "# child %d: RSS before %.1f MiB, peak during %.1f MiB\n", $pid, $before{$pid} / 1024,
            status_kb($pid, 'VmHWM') / 1024;
        $growth = $g if $g > $growth;
    }
    return $growth;
}

my $file = "$tmp/upload-1g";
system("$pattern gen $GiB > $file") == 0 or die "cannot write $file";
my $sha = pattern_sha256($GiB);

my $d;
my $up = peak_growth(sub {
    my ($rc, $out) = curl('-T', $file, "$base/ajp/echo");
    $d = parse_dump($out);
});
unlink $file;
ok t_cmp($d->{'body-length'}, $GiB, '1 GiB upload arrived whole');
ok t_cmp($d->{'body-sha256'}, $sha, '1 GiB upload intact');
printf STDERR "# 1 GiB upload: peak RSS growth %d KiB\n", $up / 1024;
ok $up < $limit or printf "# %d KiB: not under 1 MiB\n", $up / 1024;

my $ok;
my $down = peak_growth(sub {
    $ok = system("curl --silent --show-error '$base/ajp/stream?bytes=$GiB' | $pattern check $GiB") == 0;
});
ok $ok;
printf STDERR "# 1 GiB download: peak RSS growth %d KiB\n", $down / 1024;
ok $down < $limit or printf "# %d KiB: not under 1 MiB\n", $down / 1024;
# The growth checks mean something only if children were watched.
ok $measured >= 1;
