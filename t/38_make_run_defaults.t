# make run's configuration (STACK_NGINX_CONF=release, config/nginx/
# release.conf.in): the shipped locations snippet with the documents' limits
# and analytics_tenant_origins, and an analytics_cors_origin pattern that
# lets a page on a loopback origin, on any port, call the beacons for every
# tenant; a page of another origin only for a tenant that registered it. In
# headless Chromium from such pages.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Analytics::Browser;
use Analytics::Stack;

my $stack = Analytics::Stack->new(nginx_conf => 'release');
my $collector = $stack->base_url;
my $first_fetch = time;   # when the first page's fetch took one of track's 60
my $refused = '{"success":false,"message":"Origin not allowed for this tenant"}';

sub set_origins {
    my ($origins) = @_;
    my $r = $stack->admin_request('PATCH', '/api/v1/admin/tenants/demo', { origins => $origins });
    die "origins not set: $r->{status} $r->{content}" unless $r->{status} == 200;
}

# the tracker's /collect, whose limit (600 a minute) is not track's
sub track_from {
    my ($origin) = @_;
    return $stack->request('POST', '/collect', '{"tenant":"demo","url":"https://origins.example/"}',
                           { Origin => $origin, 'Content-Type' => 'text/plain' });
}

subtest 'loopback origins on any port pass for every tenant; others only where the tenant registered them' => sub {
    # 202 for /collect; its answer names the origin it lets read it
    set_origins([]);
    for my $origin ('http://127.0.0.1:3000', 'http://localhost:5173', 'https://localhost', 'http://[::1]:8000') {
        my $r = track_from($origin);
        is($r->{status}, 202, "$origin: 202");
        is($r->{headers}{'access-control-allow-origin'}, $origin, "$origin: may read it");
    }
    for my $origin ('https://shop.example', 'http://localhost.shop.example', 'http://127.0.0.1:3000.shop.example',
                    'http://LOCALHOST:3000') {
        my $r = track_from($origin);
        is($r->{status}, 403, "$origin: 403 (the pattern is \"~\", case counts)");
        is($r->{content}, $refused, "$origin: says why");
    }
    set_origins(['https://shop.example']);
    is(track_from('https://shop.example')->{status}, 202, 'https://shop.example once the tenant registers it');
    my $r = $stack->request('OPTIONS', '/api/v1/analytics/track', undef,
                            { Origin => 'https://anywhere.example', 'Access-Control-Request-Method' => 'POST',
                              'Access-Control-Request-Headers' => 'content-type' });
    is($r->{headers}{'access-control-allow-origin'}, 'https://anywhere.example',
       'a preflight lets any origin in: it has no body to name the tenant, the POST is checked');
    $stack->wait_until('the accepted rows', 10, sub { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' = 'https://origins.example/'") == 5 });
    $stack->psql("DELETE FROM events");
    set_origins([]);
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
    $first_fetch = time;
    my $dom = $pages->dom('/shop.html');
    like($dom, qr{<title>202 60 \{"success":true,"message":"Event accepted for processing"\}</title>},
         'the fetch got 202, its body and the exposed X-RateLimit-Limit');
    $stack->wait_until('both rows', 15, sub { $stack->psql("SELECT count(*) FROM events") == 2 });
    is($stack->psql("SELECT type || '|' || coalesce(metadata->>'source', metadata->>'url') FROM events ORDER BY type"),
       join("\n", 'pageview|' . $pages->origin . '/shop.html', 'whatsapp_click|127.0.0.1'),
       'the page view from t.js and the tracked click');
};

subtest 'in Chromium: the same page from a site that is not loopback, before and after the tenant registers it' => sub {
    ok(Analytics::Browser::available(), 'Chromium is installed') or return;
    my $pages = Analytics::Browser->new('shop.html' => $page);
    my $site = $pages->origin('shop.example');
    my $dom = $pages->dom('/shop.html', host => 'shop.example');
    like($dom, qr{<title>403 60 \Q$refused\E</title>}, 'not registered: the fetch is refused, and the page can read why');
    sleep 2;
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' LIKE '$site/%' OR metadata->>'source' = 'shop.example'"), 0,
       'neither t.js\'s page view nor the click stored');

    set_origins([$site]);
    $dom = $pages->dom('/shop.html', host => 'shop.example');
    like($dom, qr{<title>202 60 \{"success":true,"message":"Event accepted for processing"\}</title>}, 'registered: 202');
    $stack->wait_until('the page view and the click', 15, sub {
        $stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' = '$site/shop.html' OR metadata->>'source' = 'shop.example'") == 2 });
    is($stack->psql("SELECT string_agg(type, ',' ORDER BY type) FROM events WHERE metadata->>'url' = '$site/shop.html' OR metadata->>'source' = 'shop.example'"),
       'pageview,whatsapp_click', 'both stored');
};

subtest 'the documents\' limits: 60 a minute per client address' => sub {
    my ($accepted, $r, $seconds) = $stack->exhaust_limit('/api/v1/analytics/track',
        { tenant_id => 'demo', type => 'whatsapp_click', metadata => { source => 'limit' } });
    # the bucket holds 60 and the three Chromium pages' fetches took one each
    cmp_ok($accepted, '>=', 57, "57 left of the minute's 60 are accepted ($accepted in all)");
    my $since_first = time - $first_fetch;
    cmp_ok($accepted, '<=', 60 - 3 + int($since_first) + 1,
           sprintf('and at most one more a second since the first fetch (%.1f s)', $since_first));
    is($r->{status}, 429, 'then 429');
    is($r->{headers}{'x-ratelimit-limit'}, 60, 'X-RateLimit-Limit: 60');
};

$stack->finish;
done_testing;
