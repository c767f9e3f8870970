# The aggregator's care of the stream: acknowledged entries are trimmed (never
# pending ones), entries a dead consumer left pending are claimed, and an
# entry PostgreSQL refuses is set aside without blocking its batch.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $stream = '{analytics}:events';
my $track = '/api/v1/analytics/track';

$stack->restart_aggregator(ANALYTICS_MAINTENANCE_INTERVAL_MS => 200, ANALYTICS_CLAIM_IDLE_MS => 500);

sub post_events {
    my ($count, $type) = @_;
    for my $i (1 .. $count) {
        my $r = $stack->request('POST', $track, { tenant_id => 'demo', type => $type, metadata => { i => $i } });
        die "not accepted: $r->{status}" unless $r->{status} == 202;
    }
}

sub pending { (split /\n/, $stack->redis_raw('XPENDING', $stream, 'aggregator'))[0] }

subtest 'acknowledged entries are trimmed; pending ones are kept' => sub {
    post_events(300, 'call');
    $stack->wait_until('300 rows', 20, sub { $stack->psql('SELECT count(*) FROM events') == 300 });
    ok($stack->wait_until('the trim', 10, sub { $stack->redis_raw('XLEN', $stream) < 300 }),
       'the stream shrank once everything was acknowledged (' . $stack->redis_raw('XLEN', $stream) . ' left)');
    is($stack->psql('SELECT count(*) FROM events'), 300, 'the rows stay');

    is($stack->stack('stop-postgres'), 0, 'PostgreSQL stopped');
    post_events(30, 'location_view');
    sleep 2;   # ten maintenance rounds with 30 entries unwritable
    is($stack->stack('start-postgres'), 0, 'PostgreSQL started');
    ok($stack->wait_until('the 30 kept entries', 20,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'location_view'") == 30 }),
       'every entry written during the outage survived the trims');
};

subtest 'entries a dead consumer left pending are claimed and written' => sub {
    is($stack->stack('stop-aggregator'), 0, 'aggregator stopped');
    post_events(3, 'cart_add');
    my $read = $stack->redis_raw('XREADGROUP', 'GROUP', 'aggregator', 'ghost', 'COUNT', '10', 'STREAMS', $stream, '>');
    like($read, qr/cart_add/, 'a consumer that will never come back read them');
    is(pending(), 3, 'pending with the ghost');
    $stack->restart_aggregator(ANALYTICS_MAINTENANCE_INTERVAL_MS => 200, ANALYTICS_CLAIM_IDLE_MS => 500);
    ok($stack->wait_until('the claimed rows', 20,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'cart_add'") == 3 }), 'written by the live consumer');
    ok($stack->wait_until('nothing pending', 10, sub { pending() == 0 }), 'and acknowledged');
    like($stack->aggregator_request('GET', '/metrics')->{content}, qr/^analytics_stream_entries_claimed_total 3$/m, 'counted as claimed');
};

subtest 'an entry delivered too often goes to the dead-letter stream and the trash' => sub {
    is($stack->stack('stop-aggregator'), 0, 'aggregator stopped');
    post_events(1, 'social_share');
    my ($poison) = $stack->redis_raw('XREADGROUP', 'GROUP', 'aggregator', 'crasher', 'COUNT', '10',
                                     'STREAMS', $stream, '>') =~ /(\d+-\d+)/;
    ok($poison, 'read by a consumer that (we pretend) crashed on it');
    $stack->redis_raw('XCLAIM', $stream, 'aggregator', 'crasher', '0', $poison, 'RETRYCOUNT', '6');
    post_events(1, 'whatsapp_click');
    $stack->redis_raw('XREADGROUP', 'GROUP', 'aggregator', 'crasher', 'COUNT', '10', 'STREAMS', $stream, '>');
    is(pending(), 2, 'two pending: one delivered six times, one once');

    $stack->restart_aggregator(ANALYTICS_CONSUMER_NAME => 'crasher', ANALYTICS_MAINTENANCE_INTERVAL_MS => 200,
                               ANALYTICS_CLAIM_IDLE_MS => 500);
    # the module's batch wrote a version 3 entry: its one event is "<id>/1"
    ok($stack->wait_until('the trashed entry', 20,
        sub { $stack->psql("SELECT count(*) FROM stream_rejects WHERE stream_id = '$poison/1'") == 1 }), 'in the trash');
    like($stack->psql("SELECT problem || '|' || (fields->>'type') FROM stream_rejects WHERE stream_id = '$poison/1'"),
         qr/^delivered [67] times without being committed; moved to \{analytics\}:events:dead\|social_share$/,
         'with the reason and the fields');
    ok($stack->wait_until('the healthy entry', 20,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'whatsapp_click'") == 1 }), 'the other is written');
    is($stack->psql("SELECT count(*) FROM events WHERE type = 'social_share'"), 0, 'the dead one is not');
    is($stack->redis_raw('XLEN', "$stream:dead"), 1, 'one entry in the dead-letter stream');
    like($stack->redis_raw('XRANGE', "$stream:dead", '-', '+'), qr/dead_letter_of\n\Q$poison\E\ndeliveries\n[67]\n.*social_share/s,
         'naming the original and its deliveries, with its fields');
    ok($stack->wait_until('nothing pending', 10, sub { pending() == 0 }), 'both acknowledged');
    like($stack->aggregator_request('GET', '/metrics')->{content}, qr/^analytics_stream_entries_dead_lettered_total 1$/m,
         'counted');
};

subtest 'an entry PostgreSQL refuses is set aside; its batch is written' => sub {
    is($stack->stack('stop-aggregator'), 0, 'aggregator stopped');
    # decodes, but its type is not UTF-8, which PostgreSQL refuses
    my $id = $stack->redis_resp('XADD', $stream, '*', v => 1, kind => 'track',
        id => '01a207c5-9886-7ead-beef-010203040506', received_at => '1795426719878', tenant_ref => 'demo',
        type => "bad\xff", metadata => '{}', tenant_id => $stack->demo->{id});
    like($id, qr/^\d+-\d+$/, 'a hostile entry in the stream');
    post_events(2, 'conversion');
    $stack->restart_aggregator(ANALYTICS_MAINTENANCE_INTERVAL_MS => 200, ANALYTICS_CLAIM_IDLE_MS => 500);
    ok($stack->wait_until('the good rows', 20,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'conversion'") == 2 }), 'the rest of the batch');
    is($stack->psql("SELECT stream_id, problem LIKE 'PostgreSQL refused the entry: %invalid byte sequence%' FROM stream_rejects"
                    . " WHERE problem NOT LIKE 'delivered %'"),
       "$id|t", 'kept in stream_rejects with the reason');
    ok($stack->wait_until('nothing pending', 10, sub { pending() == 0 }), 'all acknowledged');
};

subtest 'an entry that does not decode is set aside too' => sub {
    my $id = $stack->redis_resp('XADD', $stream, '*', v => 1, kind => 'track', id => 'not-a-uuid');
    ok($stack->wait_until('the reject', 10,
        sub { $stack->psql("SELECT count(*) FROM stream_rejects WHERE stream_id = '$id'") == 1 }), 'rejected');
    is($stack->psql("SELECT problem, fields->>'id' FROM stream_rejects WHERE stream_id = '$id'"),
       'missing field: tenant_ref|not-a-uuid', 'with its reason and fields');
};

$stack->finish;
done_testing;
