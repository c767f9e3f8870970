# A poison entry: one PostgreSQL refuses as an event and refuses in the
# trash too (a NUL byte, which jsonb cannot hold). It must not stall its
# shard: it goes to the dead-letter stream with why, is acknowledged, and the
# events around it are stored.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
sub stored { $stack->psql("SELECT count(*) FROM events WHERE type = 'call'") }
my $stream = '{analytics}:events';

is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call' })->{status}, 202, 'an event before');
ok($stack->wait_until('the first event', 10, sub { stored() == 1 }), 'stored');
my $poison = $stack->redis_resp('XADD', $stream, '*', 'v', '9', "bad\0key", "a\0b");
like($poison, qr/^\d+-\d+$/, "a poison entry in the stream ($poison)");
is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call' })->{status}, 202, 'an event after');

ok($stack->wait_until('the event after it', 15, sub { stored() == 2 }), 'the event after the poison is stored: the shard goes on');
my $dead = $stack->redis_raw('XRANGE', "$stream:dead", '-', '+');
like($dead, qr/^dead_letter_of\n\Q$poison\E\/?\d*\n/m, 'the poison entry is in the dead-letter stream, by its id');
like($dead, qr/the trash refused it too/, 'with why');
is((split /\n/, $stack->redis_raw('XPENDING', $stream, 'aggregator'))[0], '0', 'nothing left pending: it was acknowledged')
    or diag $stack->redis_raw('XPENDING', $stream, 'aggregator');
like($stack->aggregator_request('GET', '/metrics')->{content}, qr/^analytics_stream_entries_dead_lettered_total 1$/m, 'counted');
is($stack->psql("SELECT count(*) FROM stream_rejects"), 0, 'and not in the trash, which cannot hold it');
$stack->finish;
done_testing;
