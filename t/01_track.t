# POST /api/v1/analytics/track end to end: answered by the module inside
# nginx, carried by the Redis stream, written by the aggregator.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

# without analytics_spool: what a host answers with Redis away and no spool
my $stack = Analytics::Stack->new(spool => 0);
my $demo = $stack->demo;
my $track = '/api/v1/analytics/track';

my $accepted = '{"success":true,"message":"Event accepted for processing"}';
my $not_found = '{"success":false,"message":"Tenant not found or not available"}';

sub events_count { $stack->psql('SELECT count(*) FROM events') }

my $product = $stack->admin_request('POST', '/api/v1/admin/tenants/demo/products', { name => 'Catalog item', sku => 'cat-1' });
is($product->{status}, 201, 'a product of the demo tenant');
my $product_id = $product->{json}{id};

subtest 'a valid event is answered 202 and becomes exactly one row' => sub {
    my $r = $stack->request('POST', $track,
        { tenant_id => 'demo', type => 'whatsapp_click', product_id => $product_id,
          metadata => { source => 'catalog_page', nested => { a => [1, 2] } } },
        { 'X-Country' => 'hn' });
    is($r->{status}, 202, 'status');
    is($r->{content}, $accepted, 'body');
    is($r->{headers}{'content-type'}, 'application/json', 'content type');

    $stack->wait_until('the event row', 10, sub { events_count() == 1 });
    is($stack->psql("SELECT tenant_id, kind, type, product_id, metadata::text, country FROM events"),
       "$demo->{id}|track|whatsapp_click|$product_id|"
       . qq({"nested": {"a": [1, 2]}, "source": "catalog_page", "product_id": $product_id}|HN),
       'row fields');
    like($stack->psql("SELECT id FROM events"), qr/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
         'a UUIDv7 id');
    is($stack->psql("SELECT abs(extract(epoch FROM received_at - now())) < 60 FROM events"), 't',
       'received_at is the receive time');
    is($stack->psql("SELECT stream_id = (SELECT stream_id FROM events) FROM events"), 't', 'stream id kept');
    is($stack->redis('XLEN', '{analytics}:events'), '(integer) 1', 'one stream entry');
    is($stack->redis('XPENDING', '{analytics}:events', 'aggregator'), "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)",
       'nothing left pending');
};

subtest 'a product_id must exist for the tenant' => sub {
    my $expected = '{"message":"The selected product id is invalid.","errors":{"product_id":["The selected product id is invalid."]}}';
    my $r = $stack->request('POST', $track, { tenant_id => 'demo', type => 'cart_add', product_id => 999999 });
    is($r->{status}, 422, 'unknown product: 422');
    is($r->{content}, $expected, 'unknown product: body');

    my $elsewhere = $stack->create_tenant(slug => 'elsewhere', name => 'Elsewhere');
    my $theirs = $stack->admin_request('POST', "/api/v1/admin/tenants/$elsewhere->{id}/products", { name => 'Theirs' })->{json};
    $r = $stack->request('POST', $track, { tenant_id => 'demo', type => 'cart_add', product_id => $theirs->{id} });
    is($r->{status}, 422, "another tenant's product: 422");

    is($stack->admin_request('DELETE', "/api/v1/admin/tenants/elsewhere/products/$theirs->{id}")->{status}, 204, 'deleted');
    $r = $stack->request('POST', $track, { tenant_id => 'elsewhere', type => 'cart_add', product_id => $theirs->{id} });
    is($r->{status}, 422, 'a deleted product: 422');
    sleep 0.5;
    is($stack->psql("SELECT count(*) FROM events WHERE type = 'cart_add'"), 0, 'nothing stored');
};

subtest 'the tenant may be named by slug, uuid or numeric id' => sub {
    my $before = events_count();
    for my $ref ($demo->{slug}, $demo->{uuid}, "$demo->{id}") {
        my $r = $stack->request('POST', $track, { tenant_id => $ref, type => 'call' });
        is($r->{status}, 202, "tenant_id $ref");
    }
    $stack->wait_until('three more rows', 10, sub { events_count() == $before + 3 });
    is($stack->psql("SELECT count(*) FROM events WHERE type = 'call' AND tenant_id = $demo->{id}"), 3, 'all three rows');
};

subtest 'text/plain bodies (navigator.sendBeacon) are accepted' => sub {
    my $r = $stack->request('POST', $track, '{"tenant_id":"demo","type":"social_share"}',
                            { 'Content-Type' => 'text/plain;charset=UTF-8' });
    is($r->{status}, 202, 'status');
    is($r->{content}, $accepted, 'body');
    $stack->wait_until('the social_share row', 10,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'social_share'") == 1 });
};

subtest 'unknown, inactive and private tenants are 404' => sub {
    my $r = $stack->request('POST', $track, { tenant_id => 'no-such-tenant', type => 'call' });
    is($r->{status}, 404, 'unknown: status');
    is($r->{content}, $not_found, 'unknown: body');

    my $inactive = $stack->create_tenant(slug => 'sleepy-shop', name => 'Sleepy', active => JSON::PP::false);
    $r = $stack->request('POST', $track, { tenant_id => 'sleepy-shop', type => 'call' });
    is($r->{status}, 404, 'inactive: status');
    is($r->{content}, $not_found, 'inactive: body');

    my $private = $stack->create_tenant(slug => 'private-shop', name => 'Private', public => JSON::PP::false);
    $r = $stack->request('POST', $track, { tenant_id => $private->{uuid}, type => 'call' });
    is($r->{status}, 404, 'private: status');

    my $patched = $stack->admin_request('PATCH', "/api/v1/admin/tenants/$inactive->{id}", { active => JSON::PP::true });
    is($patched->{status}, 200, 'activated through the API');
    $r = $stack->request('POST', $track, { tenant_id => 'sleepy-shop', type => 'call' });
    is($r->{status}, 202, 'active now: 202');

    my $renamed = $stack->admin_request('PATCH', "/api/v1/admin/tenants/$inactive->{id}", { slug => 'awake-shop' });
    is($renamed->{status}, 200, 'slug changed');
    is($stack->request('POST', $track, { tenant_id => 'sleepy-shop', type => 'call' })->{status}, 404, 'old slug: 404');
    is($stack->request('POST', $track, { tenant_id => 'awake-shop', type => 'call' })->{status}, 202, 'new slug: 202');

    $stack->wait_until('rows of the activated tenant', 10,
        sub { $stack->psql("SELECT count(*) FROM events WHERE tenant_id = $inactive->{id}") == 2 });
    is($stack->psql("SELECT count(*) FROM events WHERE tenant_id = $private->{id}"), 0, 'nothing stored for 404s');
};

my @invalid = (
    [ 'missing tenant_id', { type => 'call' },
      '{"message":"The tenant id field is required.","errors":{"tenant_id":["The tenant id field is required."]}}' ],
    [ 'missing type', { tenant_id => 'demo' },
      '{"message":"The type field is required.","errors":{"type":["The type field is required."]}}' ],
    [ 'type not in the enum', { tenant_id => 'demo', type => 'view' },
      '{"message":"The selected type is invalid.","errors":{"type":["The selected type is invalid."]}}' ],
    [ 'empty strings', { tenant_id => '', type => '' },
      '{"message":"The tenant id field is required. (and 1 more error)","errors":{"tenant_id":["The tenant id field is required."],"type":["The type field is required."]}}' ],
    [ 'tenant_id not a string', { tenant_id => 5, type => 'call' },
      '{"message":"The tenant id field must be a string.","errors":{"tenant_id":["The tenant id field must be a string."]}}' ],
    [ 'product_id not an integer', { tenant_id => 'demo', type => 'call', product_id => 'abc' },
      '{"message":"The product id field must be an integer.","errors":{"product_id":["The product id field must be an integer."]}}' ],
    [ 'metadata not an object', { tenant_id => 'demo', type => 'call', metadata => 'x' },
      '{"message":"The metadata field must be an object.","errors":{"metadata":["The metadata field must be an object."]}}' ],
);
for my $case (@invalid) {
    my ($name, $body, $expected) = @$case;
    my $r = $stack->request('POST', $track, $body);
    is($r->{status}, 422, "$name: 422");
    is($r->{content}, $expected, "$name: body");
}

subtest 'an empty body is an empty object: both fields required' => sub {
    my $r = $stack->request('POST', $track, '', { 'Content-Type' => 'application/json' });
    is($r->{status}, 422, 'status');
    is($r->{content}, '{"message":"The tenant id field is required. (and 1 more error)","errors":{"tenant_id":["The tenant id field is required."],"type":["The type field is required."]}}', 'body');
};

subtest 'malformed JSON and non-object bodies are 400' => sub {
    my $r = $stack->request('POST', $track, '{"tenant_id": "demo",', { 'Content-Type' => 'application/json' });
    is($r->{status}, 400, 'truncated: status');
    is($r->{content}, '{"message":"Malformed JSON body: string or \'}\' expected near end of file.","errors":{"body":["Malformed JSON body: string or \'}\' expected near end of file."]}}', 'truncated: body')
        or diag $r->{content};
    $r = $stack->request('POST', $track, '[{"tenant_id":"demo","type":"call"}]', { 'Content-Type' => 'application/json' });
    is($r->{status}, 400, 'array: status');
    is($r->{content}, '{"message":"The request body must be a JSON object.","errors":{"body":["The request body must be a JSON object."]}}', 'array: body');
};

subtest 'a body over the limit is 413, announced or chunked' => sub {
    my $big = '{"tenant_id":"demo","type":"call","metadata":{"pad":"' . ('x' x 17000) . '"}}';
    my $expected = '{"message":"The request body is larger than the configured limit.","errors":{"body":["The request body is larger than the configured limit."]}}';
    my $r = $stack->request('POST', $track, $big, { 'Content-Type' => 'application/json' });
    is($r->{status}, 413, 'content-length: status');
    is($r->{content}, $expected, 'content-length: body');

    my $chunk = substr($big, 0, 9000);
    my $rest = substr($big, 9000);
    my $raw = $stack->raw_request(
        "POST $track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . sprintf("%x\r\n%s\r\n", length $chunk, $chunk) . sprintf("%x\r\n%s\r\n", length $rest, $rest) . "0\r\n\r\n");
    like($raw, qr{^HTTP/1\.1 413 }, 'chunked: status');
    like($raw, qr{\r\n\r\n\Q$expected\E$}, 'chunked: body');
};

subtest 'wrong methods are 405 with Allow; OPTIONS is 204' => sub {
    my $r = $stack->request('GET', $track);
    is($r->{status}, 405, 'GET: status');
    is($r->{headers}{allow}, 'POST, OPTIONS', 'GET: Allow');
    is($r->{content}, '{"message":"Method not allowed: use POST.","errors":{"method":["Only POST and OPTIONS are supported."]}}', 'GET: body');
    $r = $stack->request('PUT', $track, { tenant_id => 'demo', type => 'call' });
    is($r->{status}, 405, 'PUT: status');
    $r = $stack->request('OPTIONS', $track);
    is($r->{status}, 204, 'OPTIONS: status');
    is($r->{headers}{allow}, 'POST, OPTIONS', 'OPTIONS: Allow');
};

subtest 'unknown analytics paths are 404 in the family shape' => sub {
    my $r = $stack->request('POST', '/api/v1/analytics/nothing-here', { a => 1 });
    is($r->{status}, 404, 'status');
    is($r->{content}, '{"message":"Not found.","errors":{}}', 'body');
};

subtest 'Redis down: 503 with Retry-After, and back to 202 when it returns' => sub {
    is($stack->stack('stop-redis'), 0, 'redis stopped');
    my $r = $stack->request('POST', $track, { tenant_id => 'demo', type => 'purchase' });
    is($r->{status}, 503, 'status while down');
    is($r->{headers}{'retry-after'}, '1', 'Retry-After');
    is($r->{content}, '{"success":false,"message":"Service temporarily unavailable"}', 'body');
    is($stack->stack('start-redis'), 0, 'redis started');
    ok($stack->wait_until('the module to reconnect', 20, sub {
        $stack->request('POST', $track, { tenant_id => 'demo', type => 'purchase' })->{status} == 202 }),
       'accepted again after reconnect');
    $stack->wait_until('the purchase row', 15,
        sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'purchase'") == 1 });
};

$stack->finish;
done_testing;
