# analytics_metrics: the host's counters in Prometheus' text format, scraped
# after known traffic: answers by endpoint and status, skips, the spool's
# writes and replays, calls per Redis round trip, events per batch request;
# kept across a reload.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $track = { tenant_id => 'demo', type => 'whatsapp_click', metadata => { from => 'metrics' } };

sub scrape {
    my $r = $stack->request('GET', '/analytics-metrics');
    die "metrics: $r->{status}" unless $r->{status} == 200;
    my %series;
    for my $line (split /\n/, $r->{content}) {
        next if $line =~ /^#/;
        my ($name, $value) = $line =~ /^(\S+) (\d+)$/ or die "not a sample: $line";
        $series{$name} = $value;
    }
    return (\%series, $r);
}
sub answers { my ($m, $endpoint, $status) = @_; $m->{qq{analytics_module_answers_total{endpoint="$endpoint",status="$status"}}} // 0 }

subtest 'a fresh host: every counter at 0, in the text format' => sub {
    my ($m, $r) = scrape();
    is($r->{headers}{'content-type'}, 'text/plain; version=0.0.4; charset=utf-8', 'Prometheus\' content type');
    like($r->{content}, qr/^# TYPE analytics_module_answers_total counter$/m, 'TYPE lines');
    is(scalar(grep { /^analytics_module_answers_total/ } keys %$m), 0, 'no answer yet');
    is($m->{'analytics_module_skipped_total{endpoint="track",reason="analytics_skip"}'}, 0, 'skipped 0');
    is($m->{analytics_module_spooled_events_total}, 0, 'spooled 0');
    is($m->{analytics_module_redis_calls_per_round_trip_count}, 0, 'no round trip');
    is($m->{'analytics_module_batch_events_count{endpoint="batch"}'}, 0, 'no batch');
    is($m->{'analytics_module_batch_events_bucket{endpoint="collect_batch",le="+Inf"}'}, 0, 'no batch of hits');
};

subtest 'known traffic, exact counts' => sub {
    $stack->request('POST', '/api/v1/analytics/track', $track) for 1 .. 3;
    $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo' });                  # 422, counted by the limit
    $stack->request('POST', '/test/rate-limited/track', $track, { 'X-Client' => 'metrics' }) for 1 .. 4;   # 202 x3, 429
    $stack->request('POST', '/test/skip/track', $track, { DNT => 1 }) for 1 .. 2;                 # skipped
    $stack->request('POST', '/api/v1/analytics/conversion', { tenant_slug => 'demo', transaction_id => 'metrics-1', value => 5 });
    $stack->request('GET', '/collect.gif?t=demo&u=https%3A%2F%2Fshop.example%2F');
    $stack->request('PUT', '/api/v1/analytics/track', '{}');                                      # 405
    $stack->request('GET', '/t.js');                                                              # not an endpoint
    my ($m) = scrape();
    is(answers($m, 'track', 202), 8, 'track 202: 3 + 3 limited + 2 skipped');
    is(answers($m, 'track', 422), 1, 'track 422');
    is(answers($m, 'track', 429), 1, 'track 429');
    is(answers($m, 'track', 405), 1, 'track 405');
    is(answers($m, 'conversion', 200), 1, 'conversion 200');
    is(answers($m, 'collect', 200), 1, 'the pixel 200');
    is(scalar(grep { /^analytics_module_answers_total/ } keys %$m), 6, 'no other series');
    is($m->{'analytics_module_skipped_total{endpoint="track",reason="analytics_skip"}'}, 2, 'two skipped');
    # one request a turn: each call its own round trip (the 405 and the skips make none)
    is($m->{analytics_module_redis_calls_per_round_trip_count}, 10, '10 round trips');
    is($m->{analytics_module_redis_calls_per_round_trip_sum}, 10, 'of 10 calls');
    is($m->{'analytics_module_redis_calls_per_round_trip_bucket{le="1"}'}, 10, 'each of 1 call');
    is($m->{'analytics_module_redis_calls_per_round_trip_bucket{le="+Inf"}'}, 10, '+Inf holds them all');
};

subtest 'batch requests: events per request, valid or not, whatever the answer' => sub {
    my $event = { tenant_id => 'demo', type => 'call' };
    my $hit = { tenant => 'demo', url => 'https://shop.example/' };
    is($stack->request('POST', '/api/v1/analytics/batch', { batch => [$event] })->{status}, 202, 'a batch of 1');
    is($stack->request('POST', '/api/v1/analytics/batch', { batch => [($event) x 6, { tenant_id => 'demo' }] })->{status},
       207, 'a batch of 7, one invalid');
    is($stack->request('POST', '/api/v1/analytics/batch', { batch => [($event) x 50] })->{status}, 202, 'a batch of 50');
    is($stack->request('POST', '/api/v1/analytics/batch', { batch => [] })->{status}, 400, 'no events: not counted');
    is($stack->request('POST', '/collect/batch', { batch => [$hit, $hit] })->{status}, 202, 'two hits');
    my ($m) = scrape();
    my %batch = map { $_ => $m->{qq{analytics_module_batch_events_bucket{endpoint="batch",le="$_"}}} } qw(1 5 10 25 50 100 +Inf);
    is(join(' ', map { "$_:$batch{$_}" } qw(1 5 10 25 50 100 +Inf)), '1:1 5:1 10:2 25:2 50:3 100:3 +Inf:3', 'the buckets, cumulative');
    is($m->{'analytics_module_batch_events_sum{endpoint="batch"}'}, 58, '58 events');
    is($m->{'analytics_module_batch_events_count{endpoint="batch"}'}, 3, 'in 3 requests');
    is($m->{'analytics_module_batch_events_bucket{endpoint="collect_batch",le="1"}'}, 0, 'hits: none of 1');
    is($m->{'analytics_module_batch_events_bucket{endpoint="collect_batch",le="5"}'}, 1, 'one of 2');
    is($m->{'analytics_module_batch_events_sum{endpoint="collect_batch"}'}, 2, 'two hits');
    is(answers($m, 'batch', 400), 1, 'the empty batch answered');
};

subtest 'the spool: written while Redis is away, replayed after' => sub {
    $stack->stack('stop-redis') == 0 or die;
    my @statuses = map { $stack->request('POST', '/api/v1/analytics/track', $track)->{status} } 1 .. 3;
    is("@statuses", '202 202 202', 'accepted into the spool');
    my ($m) = scrape();
    is($m->{analytics_module_spooled_events_total}, 3, 'spooled 3');
    is($m->{analytics_module_replayed_calls_total}, 0, 'replayed 0');
    $stack->stack('start-redis') == 0 or die;
    $stack->wait_until('the replay', 20, sub { (scrape())[0]{analytics_module_replayed_calls_total} == 3 });
    ($m) = scrape();
    is($m->{analytics_module_replayed_calls_total}, 3, 'replayed 3');
    is(answers($m, 'track', 202), 11, 'and answered 202');
};

subtest 'a reload keeps the counts' => sub {
    my ($before) = scrape();
    kill 'HUP', Analytics::Stack::slurp($stack->dir . '/nginx/nginx.pid') =~ /(\d+)/;
    sleep 1.5;
    my ($after) = scrape();
    is(answers($after, 'track', 202), answers($before, 'track', 202), 'track 202 the same after the reload');
    is($after->{analytics_module_spooled_events_total}, 3, 'spooled the same');
};

$stack->finish;
done_testing;
