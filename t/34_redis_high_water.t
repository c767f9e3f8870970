# Redis filling up while no aggregator drains it: above the module's
# high-water mark (analytics_redis_high_water, 90% of maxmemory by default)
# new events are refused with the endpoint's 503 before Redis itself refuses
# a write, the spool does not take them, every event answered 202 is in the
# stream, and once an aggregator drains the stream the endpoints take events
# again and every accepted event is stored once. /metrics shows the stream's
# length and Redis's memory.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $url = $stack->base_url . '/api/v1/analytics/track';
my $http = HTTP::Tiny->new(timeout => 10);
my $pad = 'x' x 1600;

sub info_field {
    my ($section, $field) = @_;
    my ($value) = $stack->redis('INFO', $section) =~ /^$field:(\S+)/m;
    return $value;
}
sub send_event {
    my ($i, $phase) = @_;
    return $http->request('POST', $url, {
        content => qq({"tenant_id":"demo","type":"call","metadata":{"load":"$phase","i":$i,"pad":"$pad"}}),
        headers => { 'Content-Type' => 'application/json' } });
}

is($stack->stack('stop-aggregator'), 0, 'no aggregator drains the stream');
my $used = info_field('memory', 'used_memory');
my $max = $used + 3 * 1024 * 1024;
is($stack->redis('CONFIG', 'SET', 'maxmemory', $max), 'OK', "maxmemory 3 MB above the $used bytes in use");
my $mark = int($max / 100) * 90 + int(($max % 100) * 90 / 100);

# a client sending until refused (and a little past it)
my (%accepted, $refused, $first_refusal, $other);
my $i = 0;
my $refusals = 0;
while ($i < 12_000 && $refusals < 20) {
    $i++;
    my $r = send_event($i, 'fill');
    if ($r->{status} == 202) {
        $accepted{$i} = 1;
    } elsif ($r->{status} == 503) {
        $refusals++;
        $first_refusal //= $r;
    } else {
        $other //= "$i: $r->{status} $r->{content}";
    }
    sleep 0.004;
}
ok($first_refusal, "refused once Redis reached the mark, after " . scalar(keys %accepted) . " accepted")
    or do { $stack->finish; done_testing; exit };
is($other, undef, 'every answer 202 or 503');
is($first_refusal->{content}, '{"success":false,"message":"Service temporarily unavailable"}', "the track family's 503 body");
is($first_refusal->{headers}{'retry-after'}, '1', 'with Retry-After');
my $at_refusal = info_field('memory', 'used_memory');
diag(sprintf('%.0f bytes of Redis memory per event of about 1,660 bytes of metadata, one entry each',
             ($at_refusal - $used) / scalar(keys %accepted)));
is(info_field('errorstats', 'errorstat_OOM'), undef, 'Redis never refused a write for want of memory');
cmp_ok(info_field('memory', 'used_memory'), '<', $max, 'and stayed under maxmemory');
cmp_ok(info_field('memory', 'used_memory'), '>=', $mark - 256 * 1024, 'refusing began near the 90% mark');

my @spooled = grep { -s $_ > 18 } glob($stack->dir . '/nginx/spool/spool-*.bin');
is(scalar @spooled, 0, 'nothing refused went to the spool');
like(Analytics::Stack::slurp($stack->dir . '/nginx/error.log'), qr/high-water mark of $mark: new events are refused \(503\)/,
     'the error log says why, with the mark');

my $metrics = $stack->aggregator_request('GET', '/metrics');

# an aggregator drains the stream and trims it: events are taken again
is($stack->stack('start-aggregator'), 0, 'an aggregator starts');
my $expected = scalar keys %accepted;
ok($stack->wait_until('every accepted event stored', 60, sub {
    $stack->psql(q{SELECT count(*) FROM events WHERE metadata->>'load' = 'fill'}) == $expected }),
   "all $expected accepted events stored");
my $reopened;
ok($stack->wait_until('events taken again', 60, sub {
    my $r = send_event(++$i, 'after');
    $reopened = $i if $r->{status} == 202;
    $r->{status} == 202 }), 'events are taken again once Redis drained under the mark');
ok($stack->wait_until('the event after stored', 30, sub {
    $stack->psql(q{SELECT count(*) FROM events WHERE metadata->>'load' = 'after'}) == 1 }), 'and stored');
is($stack->psql(q{SELECT count(*) FROM (SELECT metadata->>'i' FROM events WHERE metadata->>'load' = 'fill'
                  GROUP BY 1 HAVING count(*) > 1) d}), 0, 'none twice');
is($stack->psql(q{SELECT count(*) FROM events WHERE metadata->>'load' = 'fill'
                  AND (metadata->>'i')::int NOT IN (} . join(',', sort { $a <=> $b } keys %accepted) . q{)}), 0,
   'no refused event stored');

$metrics = $stack->aggregator_request('GET', '/metrics');
is($metrics->{status}, 200, 'metrics');
like($metrics->{content}, qr/^analytics_redis_up\{stream="\{analytics\}:events"\} 1$/m, 'Redis up');
like($metrics->{content}, qr/^analytics_redis_maxmemory_bytes\{stream="\{analytics\}:events"\} $max$/m,
     'maxmemory as set');
my ($metric_used) = $metrics->{content} =~ /^analytics_redis_used_memory_bytes\{stream="\{analytics\}:events"\} (\d+)$/m;
cmp_ok($metric_used // 0, '>', 0, 'used memory');
my ($metric_length) = $metrics->{content} =~ /^analytics_stream_length\{stream="\{analytics\}:events"\} (\d+)$/m;
my ($xlen) = $stack->redis('XLEN', '{analytics}:events') =~ /(\d+)/;
is($metric_length, $xlen, 'stream length as XLEN says');

# Redis away: metrics still answer, and say so
is($stack->stack('stop-redis'), 0, 'Redis stopped');
$metrics = $stack->aggregator_request('GET', '/metrics');
is($metrics->{status}, 200, 'metrics without Redis');
like($metrics->{content}, qr/^analytics_redis_up\{stream="\{analytics\}:events"\} 0$/m, 'Redis down');
unlike($metrics->{content}, qr/^analytics_stream_length/m, 'no stream length without Redis');
is($stack->stack('start-redis'), 0, 'Redis back');

$stack->finish;
done_testing;
