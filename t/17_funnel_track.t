# POST /services/platforms/v1/funnel/track: the bearer token checked inside
# the module against the mirrored token hashes and scopes, the steps against
# the tenant's configured names, and the first time of each step per token
# subject kept in PostgreSQL.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Browser;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $path = '/services/platforms/v1/funnel/track';

sub token {
    my (%fields) = @_;
    my $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => 'demo', subject => 'site-42', %fields });
    die "no token: $r->{content}" unless $r->{status} == 201;
    return $r->{json};
}
sub track {
    my ($token, $body, %headers) = @_;
    return $stack->request('POST', $path, $body, { (defined $token ? (Authorization => "Bearer $token") : ()), %headers });
}

my $writer = token(scopes => ['funnel:write'])->{token};

subtest 'steps are tracked, and the first time of each is kept' => sub {
    my $r = track($writer, { steps => ['celebration_opened_at', 'first_published_at'] });
    is($r->{status}, 200, 'status 200');
    is($r->{content}, '{"error":false,"message":"Steps tracked.","data":["celebration_opened_at","first_published_at"]}', 'body');
    is($r->{headers}{'x-ratelimit-limit'}, 1000000, 'with the limit headers');
    ok($stack->wait_until('two steps', 10, sub { $stack->psql("SELECT count(*) FROM onboarding_steps") == 2 }), 'stored');
    is($stack->psql("SELECT tenant_id, subject, step FROM onboarding_steps ORDER BY step"),
       "$stack->{demo}{id}|site-42|celebration_opened_at\n$stack->{demo}{id}|site-42|first_published_at", 'for the token\'s subject');
    my $first = $stack->psql("SELECT first_at FROM onboarding_steps WHERE step = 'celebration_opened_at'");
    sleep 1.1;
    $r = track($writer, { steps => ['celebration_opened_at', 'domain_choice_step_at'], domain_path => 'buy_new', closed_early => JSON::PP::true });
    is($r->{status}, 200, 'again, with a new step and the onboarding state');
    ok($stack->wait_until('the third step', 10, sub { $stack->psql("SELECT count(*) FROM onboarding_steps") == 3 }), 'one more step');
    is($stack->psql("SELECT first_at FROM onboarding_steps WHERE step = 'celebration_opened_at'"), $first, 'the first time is kept');
    is($stack->psql("SELECT domain_path, closed_early FROM onboarding_subjects WHERE subject = 'site-42'"), 'buy_new|t', 'state kept');
    track($writer, { steps => ['first_published_at'] });
    $stack->wait_until('the event', 10, sub { $stack->psql("SELECT count(*) FROM events WHERE kind = 'funnel_step'") == 3 });
    is($stack->psql("SELECT domain_path, closed_early FROM onboarding_subjects WHERE subject = 'site-42'"), 'buy_new|t',
       'a call without them changes neither');
};

subtest '401 and 403 in the services shape' => sub {
    my $unauthenticated = '{"error":true,"message":"Unauthenticated."}';
    for my $case ([undef, 'no token'], ['ak_' . ('0' x 64), 'an unknown token'],
                  [token(scopes => ['funnel:write'], expires_at => '2020-01-01T00:00:00Z')->{token}, 'an expired token']) {
        my $r = track($case->[0], { steps => ['first_published_at'] });
        is($r->{status}, 401, "$case->[1]: 401");
        is($r->{content}, $unauthenticated, "$case->[1]: body");
    }
    my $revoked = token(scopes => ['funnel:write']);
    is(track($revoked->{token}, { steps => ['first_published_at'] })->{status}, 200, 'a live token works');
    is($stack->admin_request('DELETE', "/api/v1/admin/tokens/$revoked->{id}")->{status}, 204, 'revoked');
    is(track($revoked->{token}, { steps => ['first_published_at'] })->{status}, 401, 'at once 401');
    my $r = $stack->request('POST', $path, { steps => ['first_published_at'] }, { Authorization => "Basic $writer" });
    is($r->{status}, 401, 'another scheme: 401');
    $r = track(token(scopes => ['events:write'])->{token}, { steps => ['first_published_at'] });
    is($r->{status}, 403, 'without funnel:write: 403');
    is($r->{content}, '{"error":true,"message":"This action is unauthorized."}', 'body');
    is(track(token(scopes => ['admin'], tenant_id => 'demo')->{token}, { steps => ['first_published_at'] })->{status}, 200,
       'a tenant token with admin may');
    is(track(undef, {})->{status}, 401, 'an invalid body without a token is 401 first');
};

subtest 'invalid bodies and unknown steps: 422, malformed: 400' => sub {
    my @cases = (
        [ {}, '{"message":"The steps field is required.","errors":{"steps":["The steps field is required."]}}' ],
        [ { steps => 'celebration_opened_at' }, '{"message":"The steps field must be an array.","errors":{"steps":["The steps field must be an array."]}}' ],
        [ { steps => ['first_published_at', 'Not A Step'] }, '{"message":"The steps.1 field must be 1 to 64 of a-z, 0-9 and _.","errors":{"steps.1":["The steps.1 field must be 1 to 64 of a-z, 0-9 and _."]}}' ],
        [ { steps => ['first_published_at'], domain_path => 'rent' }, '{"message":"The selected domain path is invalid.","errors":{"domain_path":["The selected domain path is invalid."]}}' ],
        [ { steps => ['first_published_at'], closed_early => 'yes' }, '{"message":"The closed early field must be true or false.","errors":{"closed_early":["The closed early field must be true or false."]}}' ],
        [ { steps => ['first_published_at', 'never_configured'] }, '{"message":"The selected steps.1 is invalid.","errors":{"steps.1":["The selected steps.1 is invalid."]}}' ],
    );
    for my $case (@cases) {
        my $r = track($writer, $case->[0]);
        is($r->{status}, 422, 'status 422');
        is($r->{content}, $case->[1], 'body');
    }
    my $r = track($writer, '{"steps":');
    is($r->{status}, 400, 'malformed JSON: 400');
};

subtest 'the tenant\'s own steps' => sub {
    my $r = $stack->admin_request('GET', '/api/v1/admin/tenants/demo/funnel-steps');
    is($r->{content}, '{"configured":false,"data":["celebration_opened_at","first_published_at","domain_choice_step_at"]}', 'the defaults');
    $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/funnel-steps', { steps => ['signed_up_at', 'paid_at'] });
    is($r->{content}, '{"configured":true,"data":["signed_up_at","paid_at"]}', 'configured');
    is(track($writer, { steps => ['paid_at'] })->{status}, 200, 'a configured step: 200');
    $r = track($writer, { steps => ['first_published_at'] });
    is($r->{status}, 422, 'a default step no more: 422');
    is($stack->admin_request('PUT', '/api/v1/admin/tenants/demo/funnel-steps', { steps => ['Bad'] })->{status}, 400, 'names are checked');
    is($stack->admin_request('PUT', '/api/v1/admin/tenants/demo/funnel-steps', { steps => ['a', 'a'] })->{status}, 400, 'and unique');
    $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/funnel-steps', { steps => [] });
    is($r->{json}{configured}, JSON::PP::false, 'an empty list: the defaults again');
    is(track($writer, { steps => ['first_published_at'] })->{status}, 200, 'and they are accepted');
};

subtest 'the rate limit' => sub {
    my @statuses = map { $stack->request('POST', '/test/rate-limited/funnel/track', { steps => ['first_published_at'] },
                                         { Authorization => "Bearer $writer", 'X-Client' => 'funnel' })->{status} } 1 .. 3;
    is("@statuses", '200 200 429', 'two, then 429');
    my $r = $stack->request('POST', '/test/rate-limited/funnel/track', { steps => ['first_published_at'] },
                            { Authorization => "Bearer $writer", 'X-Client' => 'funnel' });
    is($r->{content}, '{"error":true,"message":"Too Many Attempts."}', 'the services body');
    ok($r->{headers}{'retry-after'} > 0, 'with Retry-After');
};

subtest 'from a page of another origin in headless Chromium, as the document\'s fetch sample' => sub {
    my $r = $stack->request('OPTIONS', $path, undef,
        { Origin => 'https://platform.example', 'Access-Control-Request-Method' => 'POST',
          'Access-Control-Request-Headers' => 'authorization,content-type' });
    is($r->{status}, 204, 'preflight: 204');
    is($r->{headers}{'access-control-allow-origin'}, '*', 'preflight: any origin');
    is($r->{headers}{'access-control-allow-methods'}, 'POST, OPTIONS', 'preflight: methods');
    is($r->{headers}{'access-control-allow-headers'}, 'Authorization, Content-Encoding, Content-Type', 'preflight: the token may be sent');
    is($r->{headers}{'access-control-max-age'}, 86400, 'preflight: kept a day');

    ok(Analytics::Browser::available(), 'Chromium is installed (scripts/install_deps.sh)') or return;
    my $collector = $stack->base_url;
    my $pages = Analytics::Browser->new('onboarding.html' => <<"HTML");
<!doctype html><html><head><title>Onboarding</title></head><body><pre id="out">waiting</pre><script>
fetch('$collector$path', {
  method: 'POST',
  headers: { 'Authorization': 'Bearer $writer', 'Content-Type': 'application/json' },
  body: JSON.stringify({ steps: ['first_published_at'] })
}).then(function (r) {
  return r.text().then(function (t) {
    document.getElementById('out').textContent = r.status + ' ' + (r.headers.get('X-RateLimit-Limit') || '-') + ' ' + t;
  });
}).catch(function (e) { document.getElementById('out').textContent = 'failed: ' + e; });
</script></body></html>
HTML
    my $dom = $pages->dom('/onboarding.html');
    like($dom, qr{<pre id="out">(.*?)</pre>}s, 'Chromium ran the page');
    my ($out) = $dom =~ m{<pre id="out">(.*?)</pre>}s;
    is($out, '200 1000000 {"error":false,"message":"Steps tracked.","data":["first_published_at"]}',
       'the page read the status, an exposed header and the body');
};

$stack->finish;
done_testing;
