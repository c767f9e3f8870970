# make run's configuration (STACK_NGINX_CONF=release, config/nginx/
# release.conf.in): the shipped locations snippet with the documents' limits,
# and an analytics_cors_origin pattern that lets a page on a loopback origin,
# on any port, call the beacons; in headless Chromium from such a page and
# from one that is not loopback.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Browser;
use Analytics::Stack;

my $stack = Analytics::Stack->new(nginx_conf => 'release');
my $collector = $stack->base_url;

sub preflight {
    my ($origin) = @_;
    my $r = $stack->request('OPTIONS', '/api/v1/analytics/track', undef,
                            { Origin => $origin, 'Access-Control-Request-Method' => 'POST',
                              'Access-Control-Request-Headers' => 'content-type' });
    return $r->{headers}{'access-control-allow-origin'} // 'none';
}

subtest 'loopback origins on any port are let in, others are not' => sub {
    is(preflight('http://127.0.0.1:3000'), 'http://127.0.0.1:3000', 'http://127.0.0.1:3000');
    is(preflight('http://localhost:5173'), 'http://localhost:5173', 'http://localhost:5173');
    is(preflight('https://localhost'), 'https://localhost', 'https://localhost');
    is(preflight('http://[::1]:8000'), 'http://[::1]:8000', 'http://[::1]:8000');
    is(preflight('https://shop.example'), 'none', 'https://shop.example: no allow header');
    is(preflight('http://localhost.shop.example'), 'none', 'a name that starts like localhost: none');
    is(preflight('http://127.0.0.1:3000.shop.example'), 'none', 'a name that starts like 127.0.0.1: none');
    is(preflight('http://LOCALHOST:3000'), 'none', 'the pattern is "~", case counts');
};

my $page = <<"HTML";
<!doctype html><html><head><title>loading</title>
<script async src="$collector/t.js" data-tenant="demo"></script></head>
<body><script>
fetch('$collector/api/v1/analytics/track', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenant_id: 'demo', type: 'whatsapp_click', metadata: { source: location.hostname } })
}).then(function (r) {
    return r.text().then(function (text) { document.title = r.status + ' ' + r.headers.get('X-RateLimit-Limit') + ' ' + text; });
}).catch(function (e) { document.title = 'refused: ' + e.message; });
</script></body></html>
HTML

subtest 'in Chromium: a page on 127.0.0.1 sends the tracker\'s hit and a fetch to track' => sub {
    ok(Analytics::Browser::available(), 'Chromium is installed (scripts/install_deps.sh)') or return;
    my $pages = Analytics::Browser->new('shop.html' => $page);
    my $dom = $pages->dom('/shop.html');
    like($dom, qr{<title>202 60 \{"success":true,"message":"Event accepted for processing"\}</title>},
         'the fetch got 202, its body and the exposed X-RateLimit-Limit');
    $stack->wait_until('both rows', 15, sub { $stack->psql("SELECT count(*) FROM events") == 2 });
    is($stack->psql("SELECT type || '|' || coalesce(metadata->>'source', metadata->>'url') FROM events ORDER BY type"),
       join("\n", 'pageview|' . $pages->origin . '/shop.html', 'whatsapp_click|127.0.0.1'),
       'the page view from t.js and the tracked click');
};

subtest 'in Chromium: the same page from a site that is not loopback' => sub {
    ok(Analytics::Browser::available(), 'Chromium is installed') or return;
    my $pages = Analytics::Browser->new('shop.html' => $page);
    my $dom = $pages->dom('/shop.html', host => 'shop.example');
    like($dom, qr{<title>refused: Failed to fetch</title>}, 'the browser refuses the JSON fetch (its preflight is not allowed)');
    # t.js posts text/plain to /collect, which takes any origin
    $stack->wait_until('the page view', 15, sub {
        $stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' LIKE 'http://shop.example:%'") == 1 });
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'source' = 'shop.example'"), 0, 'no click from it');
};

subtest 'the documents\' limits: 60 a minute per client address' => sub {
    my ($accepted, $r, $seconds) = $stack->exhaust_limit('/api/v1/analytics/track',
        { tenant_id => 'demo', type => 'whatsapp_click', metadata => { source => 'limit' } });
    # the bucket holds 60 and the first Chromium page took one
    cmp_ok($accepted, '>=', 59, "59 left of the minute's 60 are accepted ($accepted in all)");
    cmp_ok($accepted - 59, '<=', int($seconds) + 1, sprintf('and at most one more a second (%.1f s)', $seconds));
    is($r->{status}, 429, 'then 429');
    is($r->{headers}{'x-ratelimit-limit'}, 60, 'X-RateLimit-Limit: 60');
};

$stack->finish;
done_testing;
