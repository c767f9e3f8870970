# The aggregator acknowledges a stream entry only after its row is committed:
# with PostgreSQL down, accepted events stay pending in the stream; when it
# returns they all arrive, each exactly once.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $track = '/api/v1/analytics/track';
my $n = 25;

sub pending_count {
    my ($count) = split /\n/, $stack->redis_raw('XPENDING', '{analytics}:events', 'aggregator');
    return $count;
}

is($stack->stack('stop-postgres'), 0, 'PostgreSQL stopped');

for my $i (1 .. $n) {
    my $r = $stack->request('POST', $track, { tenant_id => 'demo', type => 'cart_add', metadata => { seq => $i } });
    is($r->{status}, 202, "event $i accepted while PostgreSQL is down") or diag $r->{content};
}

is($stack->redis_raw('XLEN', '{analytics}:events'), $n, 'every accepted event is in the stream');
# the consumer holds one batch at a time: what it read stays pending until
# it can commit, the rest waits unread in the stream
ok($stack->wait_until('the consumer to read a batch', 15, sub { pending_count() > 0 }),
   'the consumer read a batch, and it stays pending: nothing acknowledged');
sleep 2;
my $pending = pending_count();
ok($pending >= 1 && $pending <= $n, "still pending after retries against a dead database ($pending)");
my ($first) = split /\n/, $stack->redis_raw('XRANGE', '{analytics}:events', '-', '+', 'COUNT', 1);
my ($first_pending) = (split /\n/, $stack->redis_raw('XPENDING', '{analytics}:events', 'aggregator'))[1];
is($first_pending, $first, 'the oldest entry is the first pending one');

is($stack->stack('start-postgres'), 0, 'PostgreSQL started');

ok($stack->wait_until('the backlog to drain', 30, sub { pending_count() == 0 }), 'all acknowledged');
is($stack->psql('SELECT count(*) FROM events'), $n, "exactly $n rows");
is($stack->psql('SELECT count(DISTINCT id) FROM events'), $n, 'no duplicates');
is($stack->psql("SELECT string_agg((metadata->>'seq'), ',' ORDER BY (metadata->>'seq')::int) FROM events"),
   join(',', 1 .. $n), 'every event, each once');
is($stack->psql('SELECT count(*) FROM stream_rejects'), 0, 'nothing rejected');

# a redelivery (here: the same entries read again by a new consumer group)
# changes nothing
$stack->redis('XGROUP', 'SETID', '{analytics}:events', 'aggregator', '0');
ok($stack->wait_until('the redelivery to be acknowledged', 30, sub {
    my ($entries_read) = $stack->aggregator_request('GET', '/metrics')->{content} =~ /^analytics_events_duplicate_total (\d+)$/m;
    ($entries_read // 0) == $n }), 'every redelivered entry counted as a duplicate');
is($stack->psql('SELECT count(*) FROM events'), $n, "still exactly $n rows after redelivery");

subtest 'an aggregator started while PostgreSQL is down waits for it' => sub {
    is($stack->stack('stop-aggregator'), 0, 'aggregator stopped');
    is($stack->stack('stop-postgres'), 0, 'PostgreSQL stopped');
    my $dir = $stack->dir;
    my $ports = Analytics::Stack::slurp("$dir/ports");
    my %port = $ports =~ /^(\w+)=(\d+)$/mg;
    my $build = $ENV{BUILD_DIR} // 'build';
    my $pid = fork // die $!;
    if ($pid == 0) {
        $ENV{ANALYTICS_DATABASE_URL} = "postgresql://postgres\@127.0.0.1:$port{PG_PORT}/analytics";
        $ENV{ANALYTICS_REDIS_URL} = "redis://127.0.0.1:$port{REDIS_PORT}";
        $ENV{ANALYTICS_LISTEN} = "127.0.0.1:$port{AGGREGATOR_PORT}";
        open STDERR, '>>', "$dir/aggregator.log" or die $!;
        exec("$build/aggregator", 'serve') or die "exec: $!";
    }
    open my $fh, '>', "$dir/aggregator.pid" or die $!;
    print $fh "$pid\n";
    close $fh;
    ok($stack->wait_until('the waiting message', 10, sub {
        Analytics::Stack::slurp("$dir/aggregator.log") =~ /PostgreSQL is not reachable yet, retrying in 2 s/ }),
       'it says it waits');
    ok(kill(0, $pid), 'and keeps running');
    is($stack->stack('start-postgres'), 0, 'PostgreSQL started');
    ok($stack->wait_until('readiness', 20, sub { $stack->aggregator_request('GET', '/readyz')->{status} == 200 }), 'then it is ready');
    is($stack->request('POST', $track, { tenant_id => 'demo', type => 'purchase' })->{status}, 202, 'an event');
    ok($stack->wait_until('its row', 15,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'purchase'") == 1 }), 'is stored');
};

$stack->finish;
done_testing;
