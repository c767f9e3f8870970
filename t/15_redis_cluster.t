# A 3-node Redis Cluster on loopback: nginx and the aggregator are pointed at
# a node that does not own the {analytics} slot, follow it to its owner, and
# follow it again when the slot moves to another node under them.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp qw(tempdir);
use Analytics::Stack;

my $dir = tempdir('analytics-cluster-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @ports = map { Analytics::Stack::free_port() } 1 .. 3;
my @bus = map { Analytics::Stack::free_port() } 1 .. 3;
sub cli { my ($port, @args) = @_; my $q = join ' ', map { "'$_'" } @args; my $out = `redis-cli -p $port $q 2>&1`; chomp $out; $out }

for my $i (0 .. 2) {
    system('redis-server', '--bind', '127.0.0.1', '--port', $ports[$i], '--cluster-enabled', 'yes',
           '--cluster-port', $bus[$i], '--cluster-config-file', "$dir/nodes-$ports[$i].conf",
           '--cluster-node-timeout', '5000', '--dir', $dir, '--daemonize', 'yes', '--pidfile', "$dir/$ports[$i].pid",
           '--logfile', "$dir/$ports[$i].log", '--save', '', '--appendonly', 'no',
           '--maxmemory-policy', 'noeviction') == 0 or die "redis-server did not start";
}
END { for my $port (@ports) { system("redis-cli -p $port shutdown nosave >/dev/null 2>&1") } }
for my $port (@ports) {
    my $deadline = time + 10;
    sleep 0.1 until cli($port, 'ping') eq 'PONG' || time > $deadline;
}
my $created = `redis-cli --cluster create @{[ map { "127.0.0.1:$_" } @ports ]} --cluster-replicas 0 --cluster-yes 2>&1`;
like($created, qr/All 16384 slots covered/, 'a cluster of three masters');
for my $port (@ports) {
    my $deadline = time + 20;
    sleep 0.1 until cli($port, 'cluster', 'info') =~ /cluster_state:ok/ || time > $deadline;
}

my $slot = cli($ports[0], 'cluster', 'keyslot', '{analytics}:events');
is(cli($ports[0], 'cluster', 'keyslot', 'analytics'), $slot, "every {analytics} key is in slot $slot");
sub owner { (grep { cli($_, 'get', '{analytics}:probe') !~ /^MOVED/ } @ports)[0] }
my $owner = owner();
my ($elsewhere) = grep { $_ != $owner } @ports;
ok($owner, "node $owner owns it; nginx and the aggregator are given node $elsewhere");

my $stack = Analytics::Stack->new(redis_port => $elsewhere);
my $track = '/api/v1/analytics/track';

sub rows { $stack->psql("SELECT count(*) FROM events") }

subtest 'both follow the slot to its owner' => sub {
    my $r;
    ok($stack->wait_until('a 202', 15, sub {
        $r = $stack->request('POST', $track, { tenant_id => 'demo', type => 'call' });
        $r->{status} == 202 }), 'the track endpoint answers 202');
    is($r->{headers}{'x-ratelimit-limit'}, 1000000, 'with its limit, counted on the owner');
    ok($stack->wait_until('the row', 15, sub { rows() >= 1 }), 'the aggregator consumed it');
    ok(cli($owner, 'hlen', '{analytics}:tenants') > 0, 'the tenant mirror is on the owner');
    is(cli($elsewhere, 'dbsize'), 0, 'and nothing on the node they were given');
};

subtest 'the slot moves to another node under load' => sub {
    my ($target) = grep { $_ != $owner && $_ != $elsewhere } @ports;
    my %id = map { $_ => cli($_, 'cluster', 'myid') } @ports;
    cli($target, 'cluster', 'setslot', $slot, 'importing', $id{$owner});
    cli($owner, 'cluster', 'setslot', $slot, 'migrating', $id{$target});
    while (my @keys = split /\n/, cli($owner, 'cluster', 'getkeysinslot', $slot, 100)) {
        is(cli($owner, 'migrate', '127.0.0.1', $target, '', 0, 5000, 'keys', @keys), 'OK', scalar(@keys) . ' keys migrated');
    }
    cli($_, 'cluster', 'setslot', $slot, 'node', $id{$target}) for @ports;
    is(owner(), $target, "node $target owns the slot now");

    my $before = rows();
    my %statuses;
    for my $i (1 .. 40) {
        $statuses{ $stack->request('POST', $track, { tenant_id => 'demo', type => 'cart_add' })->{status} }++;
        select(undef, undef, undef, 0.05);
    }
    ok(($statuses{202} // 0) >= 35, 'after the move the endpoint answers 202 again') or diag explain \%statuses;
    is(join(',', grep { $_ != 202 && $_ != 503 } keys %statuses), '', 'nothing but 202, and 503 for calls caught by the move');
    ok($stack->wait_until('the rows after the move', 30, sub { rows() == $before + $statuses{202} }),
       'every accepted event reached PostgreSQL through the new owner');
    is(cli($owner, 'dbsize'), 0, 'nothing was left on the old owner');
};

$stack->finish;
done_testing;
