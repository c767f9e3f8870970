# Each accepted event gets the day's visitor key: a salted hash of the
# client's address and user agent made in Redis. The address is stored
# nowhere, and a new salt (a new day) makes new keys.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $track = '/api/v1/analytics/track';
my $demo = $stack->demo;
my $other = $stack->create_tenant(slug => 'other-tenant', name => 'Other');

sub track_as {
    my ($tenant, $agent, $tag) = @_;
    my $r = $stack->request('POST', $track, { tenant_id => $tenant, type => 'call', metadata => { tag => $tag } },
                            { 'User-Agent' => $agent });
    die "not accepted: $r->{status}" unless $r->{status} == 202;
}
sub key_of {
    my ($tag) = @_;
    my $key;
    $stack->wait_until("the $tag row", 10, sub {
        $key = $stack->psql("SELECT visitor_key FROM events WHERE metadata->>'tag' = '$tag'"); $key ne '' });
    return $key;
}

track_as('demo', 'Browser/1.0', 'a1');
track_as('demo', 'Browser/1.0', 'a2');
track_as('demo', 'Other/2.0', 'b');
track_as('other-tenant', 'Browser/1.0', 'c');

like(key_of('a1'), qr/^[0-9a-f]{40}$/, 'a 40-digit key');
is(key_of('a2'), key_of('a1'), 'the same visitor today: the same key');
isnt(key_of('b'), key_of('a1'), 'another user agent: another key');
isnt(key_of('c'), key_of('a1'), 'another tenant: another key, so tenants cannot join visitors');

is($stack->psql("SELECT count(*) FROM events WHERE events::text LIKE '%127.0.0.1%'"), 0, 'the address is in no row');
is($stack->redis_raw('XLEN', '{analytics}:events'), 4, 'four entries');
unlike($stack->redis_raw('XRANGE', '{analytics}:events', '-', '+'), qr/127\.0\.0\.1/, 'nor in the stream');
is($stack->redis_raw('HLEN', '{analytics}:visitor-salts'), 1, 'one salt: today\'s');

# a new day begins with a new salt (here: the old one removed by hand)
$stack->redis('DEL', '{analytics}:visitor-salts');
track_as('demo', 'Browser/1.0', 'a3');
isnt(key_of('a3'), key_of('a1'), 'a new salt: the same visitor is no longer linkable');

# a stale day's salt is dropped when the next day's is made
$stack->redis('DEL', '{analytics}:visitor-salts');
$stack->redis('HSET', '{analytics}:visitor-salts', '1', 'an-old-salt');
track_as('demo', 'Browser/1.0', 'a4');
key_of('a4');
is($stack->redis_raw('HLEN', '{analytics}:visitor-salts'), 1, 'the old day\'s salt is gone');
isnt($stack->redis_raw('HGET', '{analytics}:visitor-salts', '1'), 'an-old-salt', 'and cannot be read back');

$stack->finish;
done_testing;
