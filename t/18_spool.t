# Redis away: accepted events go to the worker's spool and are answered as
# accepted; when Redis is back they are replayed into the stream, and every
# one of them reaches PostgreSQL exactly once.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $spool_dir = $stack->dir . '/nginx/spool';
# the bytes of records in the spool files (each file starts with an 18-byte magic)
sub spooled { my $bytes = 0; $bytes += (-s $_) - 18 for glob("$spool_dir/spool-*.bin"); $bytes }
sub rows { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'load' = 'spool' OR type = 'purchase' OR type = 'pageview'") }

subtest 'accepted while Redis is stopped, stored once it is back' => sub {
    is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call', metadata => { load => 'warm' } })->{status},
       202, 'connected first');
    is($stack->admin_request('POST', '/api/v1/projects/demo/event-types', { reference => 'spooled', name => 'Spooled' })->{status},
       201, 'an event type for a Webmarketer event');
    is($stack->stack('stop-redis'), 0, 'Redis stopped');
    my %statuses;
    for my $i (1 .. 40) {
        $statuses{ $stack->request('POST', '/api/v1/analytics/track',
                                   { tenant_id => 'demo', type => 'call', metadata => { load => 'spool', i => $i } })->{status} }++;
    }
    is_deeply(\%statuses, { 202 => 40 }, 'forty track events accepted');
    my $r = $stack->request('POST', '/api/v1/analytics/conversion', { tenant_slug => 'demo', transaction_id => 'spooled-1', value => 12.5 });
    is($r->{content}, '{"status":"ok","transaction_id":"spooled-1"}', 'a conversion: ok');
    $r = $stack->request('GET', '/collect.gif?t=demo&u=https%3A%2F%2Fshop.example%2F%3Futm_source%3Dgoogle');
    is($r->{headers}{'content-type'}, 'image/gif', 'a pixel: the GIF');
    $r = $stack->request('POST', '/api/v1/events', '{"projectId":"demo","eventType":"spooled","trackerId":"t-9","nonce":"sp-1","data":{}}');
    like($r->{content}, qr/^"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/, 'a Webmarketer event: 200 with its id');
    is($r->{status}, 200, 'status 200');
    $r = $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'nobody-here', type => 'call', metadata => { load => 'spool' } });
    is($r->{status}, 202, 'an unknown tenant cannot be told now: accepted');
    $r = $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'nope' });
    is($r->{status}, 422, 'an invalid body is still refused');
    ok(spooled() > 0, 'the spool holds them (' . spooled() . ' bytes)');
    unlike(join('', map { Analytics::Stack::slurp($_) } glob("$spool_dir/spool-*.bin")), qr/127\.0\.0\.1/,
           'without the client\'s address');
    is(rows(), 0, 'nothing stored yet');

    is($stack->stack('start-redis'), 0, 'Redis started');
    ok($stack->wait_until('42 rows', 30, sub { rows() == 42 }), 'the 40, the conversion and the page view arrived');
    ok($stack->wait_until('an empty spool', 10, sub { spooled() == 0 }), 'the spool is emptied');
    sleep 1;
    is(rows(), 42, 'exactly once');
    is($stack->psql("SELECT count(DISTINCT metadata->>'i') FROM events WHERE metadata->>'load' = 'spool'"), 40, 'each event once');
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'load' = 'spool' AND visitor_key IS NOT NULL"), 0,
       'spooled events carry no visitor key');
    is($stack->psql("SELECT value_minor, currency FROM conversions WHERE transaction_id = 'spooled-1'"), '1250|HNL', 'the conversion row');
    is($stack->psql("SELECT source FROM interactions i JOIN events e ON e.id = i.event_id WHERE e.type = 'pageview'"), 'Google',
       'the page view classified');
    ok($stack->wait_until('the Webmarketer event', 10, sub { $stack->psql("SELECT count(*) FROM events WHERE type = 'spooled'") == 1 }),
       'the Webmarketer event arrived');
    is($stack->psql("SELECT r.nonce, e.visitor_key IS NOT NULL FROM raw_events r JOIN events e USING (tenant_id, id)"), 'sp-1|t',
       'with the visitor its trackerId names (no address is involved)');
    like(Analytics::Stack::slurp($stack->dir . '/nginx/error.log'), qr/replayed 44 spooled events into Redis/,
         'the replay is logged (the unknown tenant\'s call included, and dropped by Redis)');
};

subtest 'a worker started with a full spool replays it' => sub {
    is($stack->stack('stop-redis'), 0, 'Redis stopped');
    for my $i (1 .. 5) {
        $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call', metadata => { load => 'spool', i => 100 + $i } });
    }
    ok(spooled() > 0, 'spooled');
    is($stack->stack('stop-nginx'), 0, 'nginx stopped with the spool full');
    is($stack->stack('start-redis'), 0, 'Redis started');
    is($stack->stack('start-nginx'), 0, 'nginx started');
    ok($stack->wait_until('47 rows', 30, sub { rows() == 47 }), 'the new worker replayed its predecessor\'s spool');
};

# Redis stops answering calls already sent (paused here; a crash, a network
# cut or a cluster moving the slot do the same): after analytics_redis_timeout
# (1 s) the connection is dropped, and the events whose answers never came
# are spooled and accepted, not refused with a 503
subtest 'calls in flight when Redis stops answering' => sub {
    is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call', metadata => { load => 'warm' } })->{status},
       202, 'connected');
    is($stack->redis('CLIENT', 'PAUSE', '4000', 'WRITE'), 'OK', 'Redis holds every write for 4 s');
    my $port = $stack->http_port;
    my @pids;
    for my $i (1 .. 8) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $body = qq({"tenant_id":"demo","type":"call","metadata":{"load":"in-flight","i":$i}});
            open(STDOUT, '>', $stack->dir . "/in-flight-$i.status") or exit 1;
            exec('curl', '-s', '-m', '10', '-o', $stack->dir . "/in-flight-$i.body", '-w', '%{http_code}',
                 '-D', $stack->dir . "/in-flight-$i.headers",
                 '-H', 'Content-Type: application/json', '--data-binary', $body,
                 "http://127.0.0.1:$port/api/v1/analytics/track") or exit 1;
        }
        push @pids, $pid;
    }
    waitpid($_, 0) for @pids;
    my @statuses = map { Analytics::Stack::slurp($stack->dir . "/in-flight-$_.status") } 1 .. 8;
    is(join(' ', @statuses), join(' ', ('202') x 8), 'the eight accepted (spooled when their answers did not come)');
    is(Analytics::Stack::slurp($stack->dir . '/in-flight-1.body'), '{"success":true,"message":"Event accepted for processing"}',
       'the accepted body');
    like(Analytics::Stack::slurp($stack->dir . '/in-flight-1.headers'), qr/^X-RateLimit-Limit: 1000000\r?$/mi,
         'with the rate headers of the host\'s own limit, as every answer while Redis is away');
    my $in_flight = sub { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'load' = 'in-flight'") };
    ok($stack->wait_until('the eight in-flight events stored', 30, sub { $in_flight->() == 8 }), 'all eight stored after the pause');
    sleep 1;
    is($in_flight->(), 8, 'each once');
    is($stack->psql("SELECT count(DISTINCT metadata->>'i') FROM events WHERE metadata->>'load' = 'in-flight'"), 8,
       'the eight different ones');
};

subtest 'with Redis away the host\'s own limit holds' => sub {
    is($stack->stack('stop-redis'), 0, 'Redis stopped');
    my @answers = map { $stack->request('POST', '/test/rate-limited/track', { tenant_id => 'demo', type => 'location_view',
                                                                             metadata => { load => 'local' } },
                                        { 'X-Client' => 'local-limit' }) } 1 .. 4;
    is(join(' ', map { $_->{status} } @answers), '202 202 202 429', 'three a minute (the location\'s limit), then 429');
    is($answers[0]{headers}{'x-ratelimit-limit'}, 3, 'X-RateLimit-Limit');
    is($answers[0]{headers}{'x-ratelimit-remaining'}, 2, 'X-RateLimit-Remaining');
    is($answers[2]{headers}{'x-ratelimit-remaining'}, 0, 'down to 0');
    is($answers[3]{content}, '{"message":"Too Many Attempts.","errors":{}}', 'the 429 body');
    ok($answers[3]{headers}{'retry-after'} >= 1, 'Retry-After');
    is($stack->request('POST', '/test/rate-limited/track', { tenant_id => 'demo', type => 'location_view', metadata => { load => 'local' } },
                       { 'X-Client' => 'another-client' })->{status}, 202, 'another key has its own');
    # each family answers the host's 429 in its own shape, as it does the fleet's
    my @events = map { $stack->request('POST', '/test/rate-limited/events',
                                       '{"projectId":"demo","eventType":"local","nonce":"local-' . $_ . '","data":{}}',
                                       { 'X-Client' => 'local-limit-events' }) } 1 .. 3;
    is(join(' ', map { $_->{status} } @events), '200 200 429', 'project events: two a minute, then 429');
    like($events[0]{content}, qr/^"[0-9a-f-]{36}"$/, 'a spooled event is answered with its id');
    is($events[2]{content}, '{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests"}',
       'the project family\'s 429 body');
    ok($events[2]{headers}{'retry-after'} >= 1, 'Retry-After');
    is($stack->stack('start-redis'), 0, 'Redis started');
    ok($stack->wait_until('the four accepted', 30,
        sub { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'load' = 'local'") == 4 }), 'the accepted ones arrive');
};

$stack->finish;
done_testing;
