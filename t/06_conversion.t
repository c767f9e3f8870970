# POST /api/v1/analytics/conversion: a beacon that always answers 200, "ok"
# or "skipped", and counts a repeated transaction_id of a tenant once.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Analytics::Stack;

# without analytics_spool: what a host answers with Redis away and no spool
my $stack = Analytics::Stack->new(spool => 0);
my $path = '/api/v1/analytics/conversion';
my $demo = $stack->demo;

sub convert {
    my ($body, $headers) = @_;
    return $stack->request('POST', $path, $body, $headers);
}

subtest "the document's example is recorded" => sub {
    my $r = convert({ tenant_slug => 'demo', transaction_id => 'txn_abc123', value => 150.00, currency => 'HNL' });
    is($r->{status}, 200, 'status');
    is($r->{content}, '{"status":"ok","transaction_id":"txn_abc123"}', 'body');
    $stack->wait_until('the conversion row', 10, sub { $stack->psql('SELECT count(*) FROM conversions') == 1 });
    is($stack->psql("SELECT tenant_id, transaction_id, value_minor, currency, event, occurred_at = received_at FROM conversions"),
       "$demo->{id}|txn_abc123|15000|HNL|purchase|t", 'conversion row: value in minor units, defaults');
    is($stack->psql("SELECT kind, type, metadata->>'transaction_id', e.id = c.event_id FROM events e JOIN conversions c ON c.tenant_id = e.tenant_id"),
       'conversion|purchase|txn_abc123|t', 'and its event row');
};

subtest 'a repeated transaction_id is counted once' => sub {
    for (1 .. 3) {
        my $r = convert({ tenant_slug => 'demo', transaction_id => 'txn-repeat', value => 10 });
        is($r->{content}, '{"status":"ok","transaction_id":"txn-repeat"}', 'answered ok each time');
    }
    my $other = $stack->create_tenant(slug => 'other-shop', name => 'Other');
    is(convert({ tenant_slug => 'other-shop', transaction_id => 'txn-repeat', value => 10 })->{status}, 200,
       'the same id at another tenant');
    $stack->wait_until('all four entries consumed', 10, sub {
        (split /\n/, $stack->redis_raw('XPENDING', '{analytics}:events', 'aggregator'))[0] == 0
            && $stack->redis_raw('XLEN', '{analytics}:events') >= 5 });
    sleep 1;
    is($stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'txn-repeat' AND tenant_id = $demo->{id}"), 1, 'one conversion');
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'transaction_id' = 'txn-repeat' AND tenant_id = $demo->{id}"), 1, 'one event');
    is($stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'txn-repeat' AND tenant_id = $other->{id}"), 1, 'counted for the other tenant too');
};

subtest 'timestamp, event and currency are kept' => sub {
    my $r = convert({ tenant_slug => 'demo', transaction_id => 'txn-ts', value => '1500', currency => 'jpy',
                      event => 'conversion', timestamp => '2026-11-20T10:00:00-06:00' });
    is($r->{content}, '{"status":"ok","transaction_id":"txn-ts"}', 'ok');
    $stack->wait_until('the row', 10, sub { $stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'txn-ts'") == 1 });
    is($stack->psql("SELECT value_minor, currency, event, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM conversions WHERE transaction_id = 'txn-ts'"),
       '1500|JPY|conversion|2026-11-20 16:00', 'JPY has no minor unit; the offset is applied');
    is(convert({ tenant_slug => 'demo', transaction_id => 'txn-basic', timestamp => '20261120T100000-0600' })->{content},
       '{"status":"ok","transaction_id":"txn-basic"}', 'ISO 8601 basic format: ok');
    $stack->wait_until('the row', 10, sub { $stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'txn-basic'") == 1 });
    is($stack->psql("SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM conversions WHERE transaction_id = 'txn-basic'"),
       '2026-11-20 16:00', 'the same instant as the extended form');
    $r = convert({ tenant_slug => 'demo' });
    is($r->{content}, '{"status":"ok","transaction_id":null}', 'without a transaction id: recorded, echoed as null');
};

subtest 'what cannot be recorded is skipped, never an error' => sub {
    my @cases = (
        [ { transaction_id => 't1' }, '{"status":"skipped","transaction_id":"t1"}', 'no slug' ],
        [ { tenant_slug => 'nobody-here', transaction_id => 't2' }, '{"status":"skipped","transaction_id":"t2"}', 'unknown tenant' ],
        [ { tenant_slug => $demo->{uuid}, transaction_id => 't3' }, '{"status":"skipped","transaction_id":"t3"}', 'a uuid is not a slug' ],
        [ { tenant_slug => 'demo', transaction_id => 't4', value => -5 }, '{"status":"skipped","transaction_id":"t4"}', 'negative value' ],
        [ { tenant_slug => 'demo', transaction_id => 't5', currency => 'EURO' }, '{"status":"skipped","transaction_id":"t5"}', 'bad currency' ],
        [ { tenant_slug => 'demo', transaction_id => 't6', timestamp => 'soon' }, '{"status":"skipped","transaction_id":"t6"}', 'bad timestamp' ],
        [ '{"tenant_slug":', '{"status":"skipped","transaction_id":null}', 'malformed JSON' ],
        [ '', '{"status":"skipped","transaction_id":null}', 'empty body' ],
    );
    for my $case (@cases) {
        my ($body, $expected, $name) = @$case;
        my $r = convert($body, ref $body ? undef : { 'Content-Type' => 'text/plain' });
        is($r->{status}, 200, "$name: 200");
        is($r->{content}, $expected, "$name: body");
    }
    my $inactive = $stack->create_tenant(slug => 'closed-shop', name => 'Closed', active => JSON::PP::false);
    is(convert({ tenant_slug => 'closed-shop', transaction_id => 't7' })->{content},
       '{"status":"skipped","transaction_id":"t7"}', 'inactive tenant');
    sleep 1;
    is($stack->psql("SELECT count(*) FROM conversions WHERE transaction_id IN ('t1','t2','t3','t4','t5','t6','t7')"), 0, 'none recorded');
};

subtest 'Redis down: still 200, skipped' => sub {
    is($stack->stack('stop-redis'), 0, 'redis stopped');
    my $r = convert({ tenant_slug => 'demo', transaction_id => 'txn-down' });
    is($r->{status}, 200, 'status');
    is($r->{content}, '{"status":"skipped","transaction_id":"txn-down"}', 'body');
    is($stack->stack('start-redis'), 0, 'redis started');
};

$stack->finish;
done_testing;
