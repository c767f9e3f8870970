# POST /api/v1/interactions: 201 when recorded, 202 when the tenant does not
# exist (no tenant enumeration), 422 for invalid bodies, a per-tenant limit.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Analytics::Stack;

# without analytics_spool: what a host answers with Redis away and no spool
my $stack = Analytics::Stack->new(spool => 0);
my $path = '/api/v1/interactions';
my $demo = $stack->demo;
my $recorded = '{"status":"success"}';
my $accepted = '{"status":"accepted"}';

subtest 'the documented example is recorded: 201' => sub {
    my $r = $stack->request('POST', $path, { tenant_id => $demo->{id}, type => 'view' }, { 'X-Country' => 'gt' });
    is($r->{status}, 201, 'status');
    is($r->{content}, $recorded, 'body');
    $stack->wait_until('the row', 10, sub { $stack->psql('SELECT count(*) FROM events') == 1 });
    is($stack->psql('SELECT tenant_id, kind, type, country, metadata::text FROM events'),
       "$demo->{id}|interaction|view|GT|{}", 'row');

    $r = $stack->request('POST', $path, { tenant_id => "$demo->{id}", type => 'maps_click', product_id => 5,
                                          metadata => { page => '/contact' } });
    is($r->{status}, 201, 'a numeric string is an integer too');
    $stack->wait_until('the second row', 10, sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'maps_click'") == 1 });
    is($stack->psql("SELECT product_id, metadata::text FROM events WHERE type = 'maps_click'"),
       '5|{"page": "/contact", "product_id": 5}', 'product merged into metadata');
};

subtest 'an unknown or inactive tenant is 202, and nothing is stored' => sub {
    my $inactive = $stack->create_tenant(slug => 'asleep', name => 'Asleep', active => JSON::PP::false);
    for my $case ([999999, 'unknown'], [$inactive->{id}, 'inactive']) {
        my $r = $stack->request('POST', $path, { tenant_id => $case->[0], type => 'call_click' });
        is($r->{status}, 202, "$case->[1]: 202");
        is($r->{content}, $accepted, "$case->[1]: body");
        is($r->{headers}{'x-ratelimit-limit'}, 1000000, "$case->[1]: counted like any other request");
    }
    my $slug_like = $stack->create_tenant(slug => '4242', name => 'Digits');
    my $r = $stack->request('POST', $path, { tenant_id => 4242, type => 'view' });
    is($r->{status}, 202, 'a slug made of digits is not an id') or diag explain $slug_like;
    sleep 1;
    is($stack->psql("SELECT count(*) FROM events WHERE type = 'call_click' OR tenant_id <> $demo->{id}"), 0, 'no rows');
};

subtest 'invalid bodies are 422' => sub {
    my @cases = (
        [ { type => 'view' }, '{"message":"The tenant id field is required.","errors":{"tenant_id":["The tenant id field is required."]}}' ],
        [ { tenant_id => 'demo', type => 'view' }, '{"message":"The tenant id field must be an integer.","errors":{"tenant_id":["The tenant id field must be an integer."]}}' ],
        [ { tenant_id => 1, type => 'whatsapp' }, '{"message":"The selected type is invalid.","errors":{"type":["The selected type is invalid."]}}' ],
        [ { tenant_id => 1, type => 'purchase' }, '{"message":"The selected type is invalid.","errors":{"type":["The selected type is invalid."]}}' ],
        [ { tenant_id => 1 }, '{"message":"The type field is required.","errors":{"type":["The type field is required."]}}' ],
    );
    for my $case (@cases) {
        my $r = $stack->request('POST', $path, $case->[0]);
        is($r->{status}, 422, 'status 422');
        is($r->{content}, $case->[1], 'body');
    }
};

subtest 'the tenant-aware limit counts per tenant and client' => sub {
    my $limited = '/test/rate-limited/interactions';   # limit=2 per tenant and X-Client
    my $other = $stack->create_tenant(slug => 'second-shop', name => 'Second');
    my @statuses = map {
        $stack->request('POST', $limited, { tenant_id => $demo->{id}, type => 'view' }, { 'X-Client' => 'eve' })->{status}
    } 1 .. 3;
    is("@statuses", '201 201 429', 'two for one tenant, then 429');
    is($stack->request('POST', $limited, { tenant_id => $other->{id}, type => 'view' }, { 'X-Client' => 'eve' })->{status},
       201, 'another tenant has its own bucket');
    is($stack->request('POST', $limited, { tenant_id => $demo->{id}, type => 'view' }, { 'X-Client' => 'frank' })->{status},
       201, 'and so has another client');
};

subtest 'Redis down: 202, the processing-error answer' => sub {
    is($stack->stack('stop-redis'), 0, 'redis stopped');
    my $r = $stack->request('POST', $path, { tenant_id => $demo->{id}, type => 'view' });
    is($r->{status}, 202, 'status');
    is($r->{content}, $accepted, 'body');
    is($stack->stack('start-redis'), 0, 'redis started');
};

$stack->finish;
done_testing;
