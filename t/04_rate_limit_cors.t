# Fleet-wide rate limits (GCRA in the same Redis call as the write) and CORS
# on the public endpoint.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $limited = '/test/rate-limited/track';   # limit=3 period=1m key=$http_x_client
my $valid = { tenant_id => 'demo', type => 'call' };

subtest 'a limit of 3 a minute: three accepted with counting headers, then 429' => sub {
    for my $remaining (2, 1, 0) {
        my $r = $stack->request('POST', $limited, $valid, { 'X-Client' => 'alice' });
        is($r->{status}, 202, "accepted, $remaining left");
        is($r->{headers}{'x-ratelimit-limit'}, 3, 'X-RateLimit-Limit');
        is($r->{headers}{'x-ratelimit-remaining'}, $remaining, 'X-RateLimit-Remaining');
    }
    my $r = $stack->request('POST', $limited, $valid, { 'X-Client' => 'alice' });
    is($r->{status}, 429, 'the fourth is limited');
    is($r->{content}, '{"message":"Too Many Attempts.","errors":{}}', '429 body');
    is($r->{headers}{'x-ratelimit-remaining'}, 0, 'none left');
    # one request comes back every 20 s; rounded up, never 0
    ok($r->{headers}{'retry-after'} >= 19 && $r->{headers}{'retry-after'} <= 20,
       "Retry-After in seconds ($r->{headers}{'retry-after'})");
    $stack->wait_until('the three rows', 10,
        sub { $stack->psql("SELECT count(*) FROM events") == 3 });
    sleep 1;
    is($stack->psql('SELECT count(*) FROM events'), 3, 'the limited request wrote nothing');

    $r = $stack->request('POST', $limited, $valid, { 'X-Client' => 'bob' });
    is($r->{status}, 202, 'another key has its own bucket');
    is($r->{headers}{'x-ratelimit-remaining'}, 2, 'and a full one');
};

subtest 'invalid requests count too, and are still answered in their shape' => sub {
    my $r = $stack->request('POST', $limited, { type => 'call' }, { 'X-Client' => 'carol' });
    is($r->{status}, 422, 'status 422');
    is($r->{headers}{'x-ratelimit-remaining'}, 2, 'counted');
    $r = $stack->request('POST', $limited, '{', { 'X-Client' => 'carol', 'Content-Type' => 'application/json' });
    is($r->{status}, 400, 'malformed: 400');
    is($r->{headers}{'x-ratelimit-remaining'}, 1, 'counted');
    $r = $stack->request('POST', $limited, { tenant_id => 'nobody-at-all', type => 'call' }, { 'X-Client' => 'carol' });
    is($r->{status}, 404, 'unknown tenant: 404');
    is($r->{headers}{'x-ratelimit-remaining'}, 0, 'counted');
    $r = $stack->request('POST', $limited, { type => 'call' }, { 'X-Client' => 'carol' });
    is($r->{status}, 429, 'an exhausted client gets 429 even for an invalid body');
};

subtest 'the limit holds across nginx hosts sharing one Redis' => sub {
    my $dir = $stack->dir;
    my $port = Analytics::Stack::free_port();
    mkdir "$dir/nginx2";
    my $conf = Analytics::Stack::slurp("$dir/nginx/nginx.conf");
    my $http_port = $stack->http_port;
    $conf =~ s{\Q$dir/nginx\E}{$dir/nginx2}g;
    $conf =~ s{listen 127\.0\.0\.1:$http_port;}{listen 127.0.0.1:$port;};
    open my $fh, '>', "$dir/nginx2/nginx.conf" or die $!;
    print $fh $conf;
    close $fh;
    is(system(Analytics::Stack::nginx_command() . " -p $dir/nginx2 -c $dir/nginx2/nginx.conf -e $dir/nginx2/error.log"), 0, 'a second nginx host');
    $stack->wait_until('the second host', 10, sub { -s "$dir/nginx2/nginx.pid" });
    my $second = HTTP::Tiny->new(timeout => 10);
    my @statuses;
    for my $i (1 .. 6) {
        my $r = $i % 2
            ? $stack->request('POST', $limited, $valid, { 'X-Client' => 'fleet' })
            : $second->request('POST', "http://127.0.0.1:$port$limited",
                               { content => '{"tenant_id":"demo","type":"call"}',
                                 headers => { 'Content-Type' => 'application/json', 'X-Client' => 'fleet' } });
        push @statuses, $r->{status};
    }
    is("@statuses", '202 202 202 429 429 429', 'three in all, alternating between the hosts');
    my $pid = Analytics::Stack::slurp("$dir/nginx2/nginx.pid");
    chomp $pid;
    kill 'QUIT', $pid;
    $stack->wait_until('the second host to stop', 10, sub { !kill 0, $pid });
};

subtest 'a location without a limit sends no limit headers' => sub {
    my $r = $stack->request('POST', '/test/unlimited/track', $valid);
    is($r->{status}, 202, 'accepted');
    ok(!exists $r->{headers}{'x-ratelimit-limit'}, 'no X-RateLimit-Limit');
    $r = $stack->request('POST', '/api/v1/analytics/track', $valid);
    is($r->{headers}{'x-ratelimit-limit'}, 1000000, 'the main location states its limit');
};

subtest 'CORS: allowed origins are echoed, others are not; preflight' => sub {
    my $track = '/api/v1/analytics/track';
    my $r = $stack->request('POST', $track, $valid, { Origin => 'https://shop.example' });
    is($r->{status}, 202, 'accepted');
    is($r->{headers}{'access-control-allow-origin'}, 'https://shop.example', 'origin echoed');
    is($r->{headers}{'vary'}, 'Origin', 'Vary: Origin');
    is($r->{headers}{'access-control-expose-headers'}, 'X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After',
       'limit headers exposed to scripts');

    $r = $stack->request('POST', $track, { type => 'call' }, { Origin => 'https://www.shop.example' });
    is($r->{status}, 422, 'errors carry CORS too');
    is($r->{headers}{'access-control-allow-origin'}, 'https://www.shop.example', 'second origin echoed');

    $r = $stack->request('POST', $track, $valid, { Origin => 'https://evil.example' });
    is($r->{status}, 202, 'a foreign origin is still answered');
    ok(!exists $r->{headers}{'access-control-allow-origin'}, 'but not allowed to read it');

    $r = $stack->request('OPTIONS', $track, undef,
        { Origin => 'https://shop.example', 'Access-Control-Request-Method' => 'POST',
          'Access-Control-Request-Headers' => 'content-type' });
    is($r->{status}, 204, 'preflight: 204');
    is($r->{headers}{'access-control-allow-origin'}, 'https://shop.example', 'preflight: origin');
    is($r->{headers}{'access-control-allow-methods'}, 'POST, OPTIONS', 'preflight: methods');
    is($r->{headers}{'access-control-allow-headers'}, 'Content-Encoding, Content-Type', 'preflight: headers (a compressed body may be sent)');
    is($r->{headers}{'access-control-max-age'}, 86400, 'preflight: max age');

    $r = $stack->request('POST', $limited, $valid, { Origin => 'https://anyone.example', 'X-Client' => 'cors' });
    is($r->{headers}{'access-control-allow-origin'}, '*', 'analytics_cors_origin * allows any');
};

subtest 'Redis down: invalid bodies are still answered, counted by the host\'s own limit' => sub {
    is($stack->stack('stop-redis'), 0, 'redis stopped');
    my $r = $stack->request('POST', $limited, { type => 'call' }, { 'X-Client' => 'dave' });
    is($r->{status}, 422, '422 without Redis');
    is($r->{headers}{'x-ratelimit-limit'}, 3, 'the location\'s limit, kept by the host');
    is($r->{headers}{'x-ratelimit-remaining'}, 2, 'one counted');
    is($stack->stack('start-redis'), 0, 'redis started');
};

$stack->finish;
done_testing;
