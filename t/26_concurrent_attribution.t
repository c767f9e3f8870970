# Attribution with several consumers at once. Two batches in flight
# together cannot see each other's uncommitted rows, so without the
# attribution lock an event whose touch the other batch stored kept its
# shares without that touch (about one in a hundred in make bench). Three
# consumers with small batches drain a backlog whose 500 visitors come back
# again and again; afterwards every event's share must be the one the
# tenant's model (last non-direct) picks from all of its visitor's touches.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use FindBin;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $entries = 20000;
my $tenant = $stack->demo->{id};
my $redis_port = $stack->{ports}{STACK_REDIS_PORT};

is($stack->stack('stop-aggregator'), 0, 'the aggregator stopped while the backlog is written');
is(system("python3 $FindBin::Bin/../bench/stream_load.py --count $entries --visitors 500 --tenant-id $tenant"
          . " | redis-cli -p $redis_port --pipe >/dev/null"), 0, "$entries entries in the stream");
{
    local @ENV{qw(ANALYTICS_CONSUMERS ANALYTICS_BATCH_SIZE)} = (3, 100);
    is($stack->stack('start-aggregator'), 0, 'three consumers, batches of 100');
}
$stack->wait_until('every entry stored', 120, sub { $stack->psql('SELECT count(*) FROM events') == $entries });

my ($interactions, $attributable) = split /\|/,
    $stack->psql("SELECT count(*) FILTER (WHERE kind = 'interaction'), count(*) FILTER (WHERE kind <> 'interaction') FROM events");
cmp_ok($interactions, '>', 9000, "interactions among them ($interactions)");
is($stack->psql('SELECT count(*) || \'|\' || count(DISTINCT event_id) FROM attributions'), "$attributable|$attributable",
   'one share per attributed event under last non-direct');

# the model's pick from every touch in (event - 30 days, event], in the
# attribution step's order (time, then id): the latest non-direct touch,
# else the latest touch, else none (Direct)
my $checked = $stack->psql(<<'SQL');
WITH picked AS (
  SELECT a.event_id, a.touch_event_id AS stored,
    coalesce(
      (SELECT i.event_id FROM interactions i WHERE i.tenant_id = a.tenant_id AND i.visitor_key = a.visitor_key
        AND i.occurred_at > a.occurred_at - interval '30 days' AND i.occurred_at <= a.occurred_at AND NOT i.direct
        ORDER BY i.occurred_at DESC, i.event_id DESC LIMIT 1),
      (SELECT i.event_id FROM interactions i WHERE i.tenant_id = a.tenant_id AND i.visitor_key = a.visitor_key
        AND i.occurred_at > a.occurred_at - interval '30 days' AND i.occurred_at <= a.occurred_at
        ORDER BY i.occurred_at DESC, i.event_id DESC LIMIT 1)) AS expected
  FROM attributions a)
SELECT count(*) FILTER (WHERE expected IS NOT NULL) || '|' || count(*) FILTER (WHERE stored IS DISTINCT FROM expected)
FROM picked
SQL
my ($with_touches, $wrong) = split /\|/, $checked;
cmp_ok($with_touches, '>', $attributable * 0.9, "most events have touches ($with_touches of $attributable)");
is($wrong, 0, 'every event credited to the touch its model picks from all of its touches');

# the rollup agrees with the shares
is($stack->psql("SELECT (SELECT coalesce(sum(credit_micros), 0) FROM rollup_attributed_daily)"
                . " = (SELECT coalesce(sum(credit_micros), 0) FROM attributions)"), 't',
   'the attributed rollup sums the shares, re-splits included');

# the time consumers spent taking turns is reported
my ($waited) = $stack->aggregator_request('GET', '/metrics')->{content} =~ /^analytics_attribution_lock_wait_seconds_total ([0-9.e+-]+)$/m;
ok(defined $waited && $waited > 0, "the lock's waits in /metrics (" . ($waited // 'none') . ' s)');

$stack->finish;
done_testing;
