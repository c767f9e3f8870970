# The batch endpoints: POST /api/v1/analytics/batch (track's events) and the
# tracker's POST /collect/batch. Every event is checked as its single
# endpoint checks one; the limit counts every event and refuses a batch
# over what remains as a whole; the valid events are one stream entry; a
# client's clock is corrected by sent_at; Redis away, the batch is spooled.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Compress::Gzip qw(gzip);
use POSIX qw(strftime);
use Time::HiRes qw(time);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $batch = '/api/v1/analytics/batch';
my $limited = '/test/rate-limited/batch';
my $demo = $stack->demo;

sub events_count { $stack->psql('SELECT count(*) FROM events') }
sub entries { my ($r) = $stack->redis('XLEN', '{analytics}:events') =~ /(\d+)/; $r }
sub rfc3339 { my ($t) = @_; strftime('%Y-%m-%dT%H:%M:%S', gmtime int $t) . sprintf('.%03dZ', ($t - int $t) * 1000) }

my $product = $stack->admin_request('POST', '/api/v1/admin/tenants/demo/products', { name => 'Item', sku => 'b-1' })->{json}{id};
my $tenant_not_found = '"success":false,"message":"Tenant not found or not available"';
my $unknown_product = '"message":"The selected product id is invalid.",'
                    . '"errors":{"product_id":["The selected product id is invalid."]}';

subtest 'every event valid: 202, one stream entry, a row each' => sub {
    my $before = entries();
    my $r = $stack->request('POST', $batch, { batch => [
        { tenant_id => 'demo', type => 'whatsapp_click', metadata => { n => 1 } },
        { tenant_id => 'demo', type => 'cart_add', product_id => $product },
        { tenant_id => "$demo->{id}", type => 'call' },
    ] });
    is($r->{status}, 202, 'status');
    is($r->{content}, '{"success":true,"accepted":3}', 'body');
    is(entries(), $before + 1, 'the three events are one stream entry');
    $stack->wait_until('three rows', 10, sub { events_count() == 3 });
    is($stack->psql("SELECT string_agg(type || ':' || coalesce(product_id::text, '-') || ':' || metadata::text, ' ' ORDER BY type) FROM events"),
       qq(call:-:{} cart_add:$product:{"product_id": $product} whatsapp_click:-:{"n": 1}), 'a row each, as sent');
    is($stack->psql("SELECT count(DISTINCT id) FROM events"), 3, 'an id each');
    is($stack->psql("SELECT count(DISTINCT visitor_key) FROM events"), 1, 'one visitor');
};

subtest 'some events refused: 207 with each event, the valid ones kept' => sub {
    my $before = events_count();
    my $r = $stack->request('POST', $batch, { batch => [
        { tenant_id => 'demo', type => 'location_view' },
        { tenant_id => 'demo', type => 'teleport' },
        { tenant_id => 'no-such-tenant', type => 'call' },
        'not an event',
        { tenant_id => 'demo', type => 'cart_add', product_id => 999999 },
        { tenant_id => 'demo', type => 'social_share', timestamp => 'yesterday' },
    ] });
    is($r->{status}, 207, 'status');
    is($r->{content}, '{"accepted":1,"results":['
       . '{"index":0,"status":202},'
       . '{"index":1,"status":422,"message":"The selected type is invalid.","errors":{"type":["The selected type is invalid."]}},'
       . qq({"index":2,"status":404,$tenant_not_found},)
       . '{"index":3,"status":422,"message":"The event must be a JSON object.","errors":{"event":["The event must be a JSON object."]}},'
       . qq({"index":4,"status":422,$unknown_product},)
       . '{"index":5,"status":422,"message":"The timestamp field must be a valid date.","errors":{"timestamp":["The timestamp field must be a valid date."]}}'
       . ']}', 'body');
    $stack->wait_until('one more row', 10, sub { events_count() == $before + 1 });
    sleep 1;
    is(events_count(), $before + 1, 'only the valid event stored');
    is($stack->psql("SELECT type FROM events ORDER BY id DESC LIMIT 1"), 'location_view', 'the valid one');
};

subtest 'a body that is no batch is refused whole' => sub {
    my @cases = (
        ['{"batch": [', 400, '{"message":"Malformed JSON body: \']\' expected near end of file.","errors":{"body":["Malformed JSON body: \']\' expected near end of file."]}}'],
        ['[]', 400, '{"message":"The request body must be a JSON object.","errors":{"body":["The request body must be a JSON object."]}}'],
        ['{"batch": {}}', 400, '{"message":"The batch field must be an array of 1 to 100 events.","errors":{"body":["The batch field must be an array of 1 to 100 events."]}}'],
        ['{"batch": []}', 400, '{"message":"The batch field must be an array of 1 to 100 events.","errors":{"body":["The batch field must be an array of 1 to 100 events."]}}'],
        ['{"batch": [{"tenant_id":"demo","type":"call"}], "sent_at": 5}', 422, '{"message":"The sent at field must be a valid date.","errors":{"sent_at":["The sent at field must be a valid date."]}}'],
        [$stack->json->encode({ batch => [({ tenant_id => 'demo', type => 'call' }) x 101] }), 413,
         '{"message":"The batch may hold at most 100 events.","errors":{"body":["The batch may hold at most 100 events."]}}'],
    );
    my $before = events_count();
    for my $case (@cases) {
        my ($body, $status, $expected) = @$case;
        my $r = $stack->request('POST', $batch, $body, { 'Content-Type' => 'application/json' });
        is($r->{status}, $status, "status for " . substr($body, 0, 40));
        is($r->{content}, $expected, 'body');
    }
    my $r = $stack->request('POST', $batch, { batch => [({ tenant_id => 'demo', type => 'call' }) x 100] });
    is($r->{status}, 202, '100 events are a batch');
    is($r->{content}, '{"success":true,"accepted":100}', 'all accepted');
    $stack->wait_until('the hundred', 10, sub { events_count() == $before + 100 });
};

subtest 'the limit counts every event; a batch over what remains is refused whole' => sub {
    my $client = { 'X-Client' => 'batch-limit' };
    my $before = events_count();
    my $r = $stack->request('POST', $limited, { batch => [({ tenant_id => 'demo', type => 'call' }) x 48, { type => 'call' }, 'x'] }, $client);
    is($r->{status}, 207, '50 events, 2 invalid');
    is($r->{headers}{'x-ratelimit-limit'}, 60, 'limit header');
    is($r->{headers}{'x-ratelimit-remaining'}, 10, 'all 50 counted, the invalid ones too');

    $r = $stack->request('POST', $limited, { batch => [({ tenant_id => 'demo', type => 'call' }) x 11] }, $client);
    is($r->{status}, 429, '11 events with 10 left: 429');
    is($r->{content}, '{"message":"Too Many Attempts.","errors":{}}', '429 body');
    is($r->{headers}{'x-ratelimit-remaining'}, 0, 'remaining 0');
    ok($r->{headers}{'retry-after'} >= 1, 'Retry-After');

    $r = $stack->request('POST', $limited, { batch => [({ tenant_id => 'demo', type => 'call' }) x 10] }, $client);
    is($r->{status}, 202, 'the 10 left fit');
    is($r->{headers}{'x-ratelimit-remaining'}, 0, 'none left');
    $stack->wait_until('58 rows', 10, sub { events_count() == $before + 58 });
    sleep 1;
    is(events_count(), $before + 58, 'nothing of the refused batch stored');

    $r = $stack->request('POST', $limited, { batch => [{ type => 'call' }] }, { 'X-Client' => 'batch-invalid' });
    is($r->{status}, 207, 'only invalid events: 207');
    is($r->{content}, '{"accepted":0,"results":[{"index":0,"status":422,"message":"The tenant id field is required.","errors":{"tenant_id":["The tenant id field is required."]}}]}', 'body');
    is($r->{headers}{'x-ratelimit-remaining'}, 59, 'counted');
};

subtest "the tracker's batch: hits, its visitor, and the client's clock corrected by sent_at" => sub {
    my $now = time;
    # the client's clock runs an hour behind; its hits happened 10 s and 20 s
    # before it sent them, and one claims the future
    my $client_now = $now - 3600;
    my $r = $stack->request('POST', '/collect/batch', { sent_at => rfc3339($client_now), batch => [
        { tenant => 'demo', url => 'https://shop.example/a', trackerId => 'tid-batch', timestamp => rfc3339($client_now - 20) },
        { tenant => 'demo', url => 'https://shop.example/b', name => 'signup', trackerId => 'tid-batch', timestamp => rfc3339($client_now - 10) },
        { tenant => 'demo', url => 'https://shop.example/c', trackerId => 'tid-batch', timestamp => rfc3339($client_now + 7200) },
        { tenant => 'demo', url => 'not a url' },
    ] }, { 'Content-Type' => 'text/plain', Origin => 'https://anywhere.example' });
    is($r->{status}, 207, 'status');
    is($r->{headers}{'access-control-allow-origin'}, '*', 'any origin, as /collect');
    is($r->{json}{accepted}, 3, 'three accepted');
    is($r->{json}{results}[3]{status}, 422, 'the bad URL refused');
    $stack->wait_until('three interactions', 10, sub { $stack->psql("SELECT count(*) FROM interactions i JOIN events e ON e.id = i.event_id WHERE e.metadata->>'trackerId' = 'tid-batch'") == 3 });
    is($stack->psql("SELECT string_agg(e.metadata->>'url' || ':' || round(extract(epoch FROM e.received_at - i.occurred_at)), ' ' ORDER BY i.occurred_at)"
                    . " FROM interactions i JOIN events e ON e.id = i.event_id WHERE e.metadata->>'trackerId' = 'tid-batch'"),
       'https://shop.example/a:20 https://shop.example/b:10 https://shop.example/c:0', 'occurred 20 s and 10 s before arrival; the future one at arrival');
    is($stack->psql("SELECT count(DISTINCT i.visitor_key) FROM interactions i JOIN events e ON e.id = i.event_id WHERE e.metadata->>'trackerId' = 'tid-batch'"),
       1, 'one visitor, named by its trackerId');
};

subtest 'a gzip batch' => sub {
    my $before = events_count();
    my $json = $stack->json->encode({ batch => [({ tenant_id => 'demo', type => 'purchase' }) x 20] });
    gzip(\$json => \my $zipped) or die;
    my $r = $stack->request('POST', $batch, $zipped, { 'Content-Type' => 'application/json', 'Content-Encoding' => 'gzip' });
    is($r->{status}, 202, 'status');
    is($r->{content}, '{"success":true,"accepted":20}', 'body');
    $stack->wait_until('20 rows', 10, sub { events_count() == $before + 20 });
};

subtest 'Redis away: the batch is spooled, answered accepted, stored once when Redis is back' => sub {
    my $before = events_count();
    is($stack->stack('stop-redis'), 0, 'Redis stopped');
    my $r = $stack->request('POST', $batch, { batch => [
        { tenant_id => 'demo', type => 'conversion', metadata => { spooled => 1 } },
        { tenant_id => 'demo', type => 'teleport' },
        { tenant_id => 'demo', type => 'conversion', metadata => { spooled => 2 } },
    ] });
    is($r->{status}, 207, 'status');
    is($r->{json}{accepted}, 2, 'the valid two accepted');
    is($r->{json}{results}[1]{status}, 422, 'the invalid one refused');
    is($stack->stack('start-redis'), 0, 'Redis started');
    $stack->wait_until('the spooled two', 20, sub { events_count() == $before + 2 });
    sleep 2;
    is($stack->psql("SELECT string_agg(metadata->>'spooled', ',' ORDER BY metadata->>'spooled') FROM events WHERE metadata ? 'spooled'"),
       '1,2', 'each stored once');
    is($stack->psql("SELECT count(visitor_key) FROM events WHERE metadata ? 'spooled'"), 0,
       'no visitor key: the address never reaches the disk, as for a single event');
};

$stack->finish;
done_testing;
