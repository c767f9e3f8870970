# A 3-node Redis Cluster on loopback: nginx and the aggregator are pointed at
# a node that does not own the {analytics} slot, follow it to its owner, and
# follow it again when the slot moves to another node under them. Then four
# stream shards spread over the nodes: each request goes to the shard its
# rate key hashes to, every shard is consumed, and a visitor keeps one key
# whichever shard its requests meet.
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

# FNV-1a 32, as event_contract/stream_shard.c picks a shard
sub shard_of {
    my ($text, $shards) = @_;
    my $hash = 2166136261;
    for my $byte (unpack 'C*', $text) {
        $hash ^= $byte;
        $hash = ($hash * 16777619) % 4294967296;
    }
    return $hash % $shards;
}
sub shard_tag { $_[0] == 0 ? '{analytics}' : "{analytics-$_[0]}" }
# the node that holds key
sub holder { my ($key) = @_; (grep { cli($_, 'exists', $key) !~ /^MOVED/ } @ports)[0] }

subtest 'four stream shards over the three nodes' => sub {
    cli($_, 'flushall') for @ports;
    my $sharded = Analytics::Stack->new(redis_port => $elsewhere, shards => 4);
    my $limited = '/test/rate-limited/track';   # limit=3 period=1m key=$http_x_client

    my %nodes = map { holder(shard_tag($_) . ':events') => 1 } 0 .. 3;
    is(scalar(keys %nodes), 3, 'the four shards live on all three nodes');

    # every shard has the same salt for today, written by the aggregator
    my $salts;
    ok($sharded->wait_until('the salts shared', 20, sub {
        my %seen;
        for my $shard (0 .. 3) {
            my $key = shard_tag($shard) . ':visitor-salts';
            my $holder = holder($key) or return 0;
            my $fields = cli($holder, 'hgetall', $key);
            return 0 unless $fields =~ /\S/;
            $seen{$fields}++;
        }
        $salts = join ' | ', keys %seen;
        return keys(%seen) == 1 && $salts =~ /^\d+\n[0-9a-f]{32}\n\d+\n[0-9a-f]{32}$/;
    }), 'every shard holds one salt for today and one for tomorrow, the same') or diag $salts;
    for my $shard (0 .. 3) {
        my $key = shard_tag($shard) . ':tenants';
        ok(cli(holder($key), 'hlen', $key) > 0, "shard $shard has its copy of the tenants");
    }

    my (%expected, $accepted);
    for my $i (1 .. 60) {
        my $client = "client-$i";
        my $r = $sharded->request('POST', $limited, { tenant_id => 'demo', type => 'location_view' },
                                  { 'X-Client' => $client, 'User-Agent' => 'one-visitor/1.0' });
        $accepted++ if $r->{status} == 202;
        $expected{ shard_of(":rate:test:$client", 4) }++;
    }
    is($accepted, 60, 'sixty requests accepted');
    is(scalar(keys %expected), 4, 'their rate keys hash to all four shards');
    ok($sharded->wait_until('the rows', 30, sub {
        $sharded->psql("SELECT count(*) FROM events WHERE type = 'location_view'") == 60 }),
       'all sixty reached PostgreSQL');
    for my $shard (0 .. 3) {
        my $stream = shard_tag($shard) . ':events';
        my ($added) = cli(holder($stream), 'xinfo', 'stream', $stream) =~ /entries-added\n(\d+)/;
        is($added, $expected{$shard}, "shard ${shard}'s stream got exactly the requests whose key hashes to it");
    }
    is($sharded->psql("SELECT count(DISTINCT visitor_key) FROM events WHERE type = 'location_view'"), 1,
       'one address and agent: one visitor key across the shards');

    # one client meets one shard, so its limit of three holds fleet-wide
    my @statuses = map {
        $sharded->request('POST', $limited, { tenant_id => 'demo', type => 'call' }, { 'X-Client' => 'one' })->{status}
    } 1 .. 4;
    is("@statuses", '202 202 202 429', 'a client past its limit is refused');
    my $rate = shard_tag(shard_of(':rate:test:one', 4)) . ':rate:test:one';
    ok(cli(holder($rate), 'exists', $rate), "its count is the one key $rate");

    my $metrics = $sharded->aggregator_request('GET', '/metrics')->{content} // '';
    for my $shard (0 .. 3) {
        my $stream = shard_tag($shard) . ':events';
        like($metrics, qr/^analytics_consumer_lag_entries\{stream="\Q$stream\E"\} \d+$/m, "the lag of $stream is reported");
    }
    $sharded->finish;
};

done_testing;
