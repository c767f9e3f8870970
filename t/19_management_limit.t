# Management and reporting routes are rate-limited through Redis with the
# public routes' headers: per authenticated token, or per client address
# (the one nginx saw, never one the client wrote) without a valid one; 429 in the
# family's shape with Retry-After; health routes are not limited.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
$stack->restart_aggregator(ANALYTICS_MANAGEMENT_RATE_LIMIT => 3);
my $reader = $stack->admin_request('POST', '/api/v1/admin/tokens',
    { tenant_id => 'demo', subject => 'reports', scopes => ['reports:read'] })->{json}{token};

subtest 'three a minute per token, then 429' => sub {
    my @answers = map { $stack->admin_request('GET', '/api/v1/admin/tenants') } 1 .. 4;
    is(join(' ', map { $_->{status} } @answers), '200 200 429 429',
       'the admin token had used one call issuing the reader token');
    is($answers[0]{headers}{'x-ratelimit-limit'}, 3, 'X-RateLimit-Limit');
    is($answers[0]{headers}{'x-ratelimit-remaining'}, 1, 'X-RateLimit-Remaining counts down');
    is($answers[1]{headers}{'x-ratelimit-remaining'}, 0, 'to 0');
    is($answers[2]{content}, '{"statusCode":429,"message":"Too Many Attempts.","error":"Too Many Requests"}', 'the project shape');
    ok($answers[2]{headers}{'retry-after'} >= 1, 'Retry-After: ' . $answers[2]{headers}{'retry-after'});

    my $r = $stack->request('GET', '/api/v1/reports/funnel?account_id=demo&report_type=Source&date_range=today', undef,
                            { Authorization => "Bearer $reader" });
    is($r->{status}, 200, 'another token has its own bucket');
    is($r->{headers}{'x-ratelimit-remaining'}, 2, 'and its own count');
    $stack->request('GET', '/api/v1/reports/funnel?account_id=demo&report_type=Source&date_range=today', undef,
                    { Authorization => "Bearer $reader" }) for 1 .. 2;
    $r = $stack->request('GET', '/api/v1/reports/funnel?account_id=demo&report_type=Source&date_range=today', undef,
                         { Authorization => "Bearer $reader" });
    is($r->{status}, 429, 'the report route is limited too');
    is($r->{content}, '{"status":"error","message":"Too Many Attempts."}', 'in the report\'s shape');
};

subtest 'without a token the client is counted; health is never limited' => sub {
    my @statuses = map { $stack->request('GET', '/api/v1/admin/tenants')->{status} } 1 .. 4;
    is("@statuses", '401 401 401 429', 'unauthenticated calls count as well');
    is($stack->aggregator_request('GET', '/healthz')->{status}, 200, '/healthz');
    ok(!defined $stack->aggregator_request('GET', '/metrics')->{headers}{'x-ratelimit-limit'}, 'no limit headers on /metrics');
};

subtest 'made-up tokens and forged X-Forwarded-For buy nothing' => sub {
    my $bucket = '{analytics}:rate:manage:address:127.0.0.1';
    $stack->redis('DEL', $bucket);
    my @statuses = map { $stack->request('GET', '/api/v1/admin/tenants', undef, { Authorization => "Bearer made-up-$_" })->{status} } 1 .. 4;
    is("@statuses", '401 401 401 429', 'a new unknown token each time: counted by the address, 429 at the fourth');
    $stack->redis('DEL', $bucket);
    @statuses = map { $stack->request('GET', '/api/v1/admin/tenants', undef, { 'X-Forwarded-For' => "203.0.113.$_" })->{status} } 1 .. 4;
    is("@statuses", '401 401 401 429', 'a new forged X-Forwarded-For each time: nginx\'s own last entry is counted');
    $stack->redis('DEL', $bucket);
    my $direct = HTTP::Tiny->new(timeout => 5);
    @statuses = map { $direct->get($stack->aggregator_url . '/api/v1/admin/tenants', { headers => { 'X-Forwarded-For' => "198.51.100.$_" } })->{status} } 1 .. 2;
    is("@statuses", '401 401', 'on the aggregator\'s port from loopback (a trusted proxy) the last entry is believed');
    like($stack->redis_raw('KEYS', '{analytics}:rate:manage:address:198.51.100.*'), qr/198\.51\.100\.1/, 'and counted as that address');
};

subtest 'trusted proxies written with spaces around the commas' => sub {
    $stack->restart_aggregator(ANALYTICS_MANAGEMENT_RATE_LIMIT => 3, ANALYTICS_TRUSTED_PROXIES => ' ::1 , 127.0.0.1 ');
    my $direct = HTTP::Tiny->new(timeout => 5);
    my @statuses = map { $direct->get($stack->aggregator_url . '/api/v1/admin/tenants', { headers => { 'X-Forwarded-For' => "192.0.2.$_" } })->{status} } 1 .. 4;
    is("@statuses", '401 401 401 401', 'loopback is still a trusted proxy: each forwarded address counted on its own');
    like($stack->redis_raw('KEYS', '{analytics}:rate:manage:address:192.0.2.*'), qr/192\.0\.2\.4/, 'as that address');
};

subtest 'a token is looked up once per request, by the limit and the route together' => sub {
    $stack->restart_aggregator(ANALYTICS_MANAGEMENT_RATE_LIMIT => 100);
    $stack->psql(q{ALTER SYSTEM SET log_statement = 'all'});
    $stack->psql(q{SELECT pg_reload_conf()});
    sleep 1;
    my $log = $stack->dir . '/postgres/server.log';
    my $before = () = Analytics::Stack::slurp($log) =~ /FROM api_tokens WHERE token_hash/g;
    my @statuses = map { $stack->admin_request('GET', '/api/v1/admin/tenants')->{status} } 1 .. 3;
    is("@statuses", '200 200 200', 'three management requests');
    my $after = () = Analytics::Stack::slurp($log) =~ /FROM api_tokens WHERE token_hash/g;
    is($after - $before, 3, 'three token lookups, not six');
    $stack->psql(q{ALTER SYSTEM RESET log_statement});
    $stack->psql(q{SELECT pg_reload_conf()});
};

subtest 'Redis away: the limit fails open' => sub {
    is($stack->stack('stop-redis'), 0, 'Redis stopped');
    my $r = $stack->request('GET', '/api/v1/reports/funnel?account_id=demo&report_type=Source&date_range=today', undef,
                         { Authorization => "Bearer $reader" });
    is($r->{status}, 200, 'answered without the limit');
    ok(!defined $r->{headers}{'x-ratelimit-limit'}, 'and without its headers');
    is($stack->stack('start-redis'), 0, 'Redis started');
};

$stack->finish;
done_testing;
