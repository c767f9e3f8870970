# analytics_tenant_origins: a browser's beacon from an origin that the
# location's analytics_cors_origin list does not let in must come from one
# its tenant registered (PATCH /api/v1/admin/tenants/{id} {"origins":[...]}).
# Refused: track's family 403, a batch's event 403, a conversion "skipped",
# an interaction the 202 of an unknown tenant; nothing stored. A tenant that
# registered none (null) takes any origin; an empty list takes none. Checked
# in Redis with the tenant (one round trip), again when a spooled event is
# replayed; in headless Chromium from a registered page and from another.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Analytics::Browser;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
# no periodic rebuild to touch the mirror's connection while Redis is away:
# the first change after Redis' restart meets the connection Redis closed
$stack->restart_aggregator(ANALYTICS_CACHE_REFRESH_S => 86400);
my $demo = $stack->demo;
my $base = '/test/tenant-origins';
my $refused = '{"success":false,"message":"Origin not allowed for this tenant"}';
my $accepted = '{"success":true,"message":"Event accepted for processing"}';

sub from {
    my ($origin, $path, $body, $headers) = @_;
    return $stack->request('POST', "$base/$path", $body, { ($origin ? (Origin => $origin) : ()), %{ $headers || {} } });
}
sub rows_of { my ($marker) = @_; $stack->psql("SELECT count(*) FROM events WHERE metadata->>'marker' = '$marker'") }
sub set_origins {
    my ($tenant, $origins) = @_;
    my $r = $stack->admin_request('PATCH', "/api/v1/admin/tenants/$tenant", { origins => $origins });
    die "origins not set: $r->{status} $r->{content}" unless $r->{status} == 200;
    return $r->{json}{origins};
}

subtest 'the admin API: origins normalised, without repeats; null by default; every bad one a 400' => sub {
    is_deeply($stack->admin_request('GET', '/api/v1/admin/tenants/demo')->{json}{origins}, undef, 'none registered: null');
    my $r = $stack->admin_request('PATCH', '/api/v1/admin/tenants/demo',
        { origins => ['HTTPS://Shop-A.Example/', 'https://shop-a.example:443', 'http://127.0.0.1:8080', 'https://[::1]:08443'] });
    is($r->{status}, 200, 'PATCH 200');
    is_deeply($r->{json}{origins}, ['https://shop-a.example', 'http://127.0.0.1:8080', 'https://[::1]:8443'],
              'lowercase, default port and trailing slash dropped, the repeat once');
    is_deeply($stack->admin_request('GET', '/api/v1/admin/tenants/demo')->{json}{origins},
              ['https://shop-a.example', 'http://127.0.0.1:8080', 'https://[::1]:8443'], 'read back as stored');
    is($stack->psql("SELECT array_to_string(origins, ' ') FROM tenants WHERE slug = 'demo'"),
       'https://shop-a.example http://127.0.0.1:8080 https://[::1]:8443', 'the row');
    is($stack->redis_resp('HGET', '{analytics}:tenants', "origins:$demo->{id}"),
       "https://shop-a.example\nhttp://127.0.0.1:8080\nhttps://[::1]:8443", 'mirrored for the module, one a line');

    my $list_message = 'origins must be null or an array of at most 100 origins such as https://shop.example'
                     . ' (scheme, host and port; no path)';
    for my $case (['https://shop.example', $list_message, 'a string, not an array'],
                  [[map { "https://s$_.example" } 1 .. 101], $list_message, '101 origins'],
                  [{ a => 1 }, $list_message, 'an object']) {
        $r = $stack->admin_request('PATCH', '/api/v1/admin/tenants/demo', { origins => $case->[0] });
        is($r->{status}, 400, "$case->[2]: 400");
        is($r->{json}{message}, $case->[1], "$case->[2]: the message");
    }
    for my $case ([['https://shop.example/cart'], 0, 'a path'], [['https://a.example', 'shop.example'], 1, 'no scheme'],
                  [['ftp://shop.example'], 0, 'another scheme'], [['null'], 0, '"null"'], [[7], 0, 'a number'],
                  [['https://user@shop.example'], 0, 'user info'], [['https://shop.example:70000'], 0, 'a port past 65535'],
                  [['https://shop.example?x=1'], 0, 'a query'], [['https://sh op.example'], 0, 'a space']) {
        $r = $stack->admin_request('PATCH', '/api/v1/admin/tenants/demo', { origins => $case->[0] });
        is($r->{status}, 400, "$case->[2]: 400");
        is($r->{json}{message}, "origins[$case->[1]] must be an origin such as https://shop.example"
                                . ' (http or https, a host, an optional port; no path, query or user)', "$case->[2]: names the item");
    }
    is_deeply($stack->admin_request('GET', '/api/v1/admin/tenants/demo')->{json}{origins},
              ['https://shop-a.example', 'http://127.0.0.1:8080', 'https://[::1]:8443'], 'nothing changed by the refusals');

    my $created = $stack->create_tenant(slug => 'listed', name => 'Listed', origins => ['https://listed.example']);
    is_deeply($created->{origins}, ['https://listed.example'], 'POST takes origins too');
    is_deeply($stack->create_tenant(slug => 'open', name => 'Open')->{origins}, undef, 'and without them: null');
    is_deeply(set_origins('demo', ['https://shop-a.example']), ['https://shop-a.example'], 'demo: shop-a only');
};

subtest 'track: a registered origin, the static list and no Origin pass; another is 403 and stored nowhere' => sub {
    my $event = sub { { tenant_id => 'demo', type => 'whatsapp_click', metadata => { marker => $_[0] } } };
    my $r = from('https://shop-a.example', 'track', $event->('registered'));
    is($r->{status}, 202, 'registered: 202');
    is($r->{content}, $accepted, 'registered: body');
    is($r->{headers}{'access-control-allow-origin'}, 'https://shop-a.example', 'registered: the origin may read it');
    is(from('https://SHOP-A.example:443', 'track', $event->('registered'))->{status}, 202,
       'the same origin spelt otherwise: normalised before the check');
    is(from('https://shop.example', 'track', $event->('static'))->{status}, 202, 'analytics_cors_origin: any tenant');
    is(from(undef, 'track', $event->('no-origin'))->{status}, 202, 'no Origin (a server): not checked');

    $r = from('https://evil.example', 'track', $event->('refused'));
    is($r->{status}, 403, 'another origin: 403');
    is($r->{content}, $refused, 'in the track family\'s shape');
    is($r->{headers}{'access-control-allow-origin'}, 'https://evil.example', 'readable by the page, which learns why');
    is($r->{headers}{'x-ratelimit-limit'}, 1000000, 'counted as any request');
    is(from('null', 'track', $event->('refused'))->{status}, 403, 'Origin: null (a sandboxed frame) is no registered origin');
    is(from('http://shop-a.example', 'track', $event->('refused'))->{status}, 403, 'http is not https');
    is(from('https://shop-a.example:8443', 'track', $event->('refused'))->{status}, 403, 'nor another port');
    is(from('https://evil.example', 'track', { tenant_id => 'nobody', type => 'call' })->{status}, 404,
       'an unknown tenant is still 404');
    is(from('https://evil.example', 'track', { tenant_id => 'demo', type => 'teleport' })->{status}, 422,
       'an invalid event still gets its error');

    is(from('https://evil.example', 'track', { tenant_id => 'open', type => 'call', metadata => { marker => 'open' } })->{status},
       202, 'a tenant that registered none: any origin');
    is(from('https://evil.example', 'track', { tenant_id => 'listed', type => 'call', metadata => { marker => 'refused' } })->{status},
       403, 'each tenant its own list');

    $stack->wait_until('the accepted rows', 10, sub { rows_of('registered') == 2 && rows_of('static') == 1 && rows_of('no-origin') == 1 && rows_of('open') == 1 });
    sleep 1;
    is(rows_of('refused'), 0, 'no refused event stored');
    is(rows_of('registered') . rows_of('static') . rows_of('no-origin') . rows_of('open'), '2111', 'each accepted one once');
};

subtest 'a preflight lets any origin in: the tenant is in the body, the POST is checked' => sub {
    my $r = $stack->request('OPTIONS', "$base/track", undef,
                            { Origin => 'https://evil.example', 'Access-Control-Request-Method' => 'POST',
                              'Access-Control-Request-Headers' => 'content-type' });
    is($r->{status}, 204, 'the preflight answered 204');
    is($r->{headers}{'access-control-allow-origin'}, 'https://evil.example', 'the origin echoed');
    is($r->{headers}{'access-control-allow-methods'}, 'POST, OPTIONS', 'the methods');
    is($r->{headers}{vary}, 'Origin', 'Vary: Origin');
    $r = $stack->request('OPTIONS', '/api/v1/analytics/track', undef,
                         { Origin => 'https://evil.example', 'Access-Control-Request-Method' => 'POST' });
    is($r->{headers}{'access-control-allow-origin'}, undef, 'where the directive is off, only the static list');
};

subtest 'batches, conversions, interactions and the tracker refuse as their single answers do' => sub {
    my $r = from('https://evil.example', 'batch', { batch => [
        { tenant_id => 'demo', type => 'call', metadata => { marker => 'refused' } },
        { tenant_id => 'open', type => 'call', metadata => { marker => 'batch-open' } },
        { tenant_id => 'demo', type => 'teleport' },
    ] });
    is($r->{status}, 207, 'batch: 207');
    is($r->{json}{accepted}, 1, 'one accepted');
    is_deeply([map { $_->{status} } @{ $r->{json}{results} }], [403, 202, 422], 'each event\'s status');
    is($r->{json}{results}[0]{message}, 'Origin not allowed for this tenant', 'the refused one says why');
    is(from('https://shop-a.example', 'batch', { batch => [({ tenant_id => 'demo', type => 'call', metadata => { marker => 'batch-ok' } }) x 2] })->{content},
       '{"success":true,"accepted":2}', 'from a registered origin: all accepted');

    $r = from('https://evil.example', 'conversion', { tenant_slug => 'demo', transaction_id => 'txn-evil', value => 5 });
    is($r->{status}, 200, 'conversion: 200, as every conversion beacon');
    is($r->{content}, '{"status":"skipped","transaction_id":"txn-evil"}', 'skipped');
    is(from('https://shop-a.example', 'conversion', { tenant_slug => 'demo', transaction_id => 'txn-ok', value => 5 })->{content},
       '{"status":"ok","transaction_id":"txn-ok"}', 'from a registered origin: ok');

    $r = from('https://evil.example', 'interactions', { tenant_id => $demo->{id}, type => 'view', metadata => { marker => 'refused' } });
    is($r->{status}, 202, 'interactions: 202');
    is($r->{content}, '{"status":"accepted"}', 'the answer of an unchecked tenant: no enumeration');
    is(from('https://shop-a.example', 'interactions', { tenant_id => $demo->{id}, type => 'view', metadata => { marker => 'interaction-ok' } })->{content},
       '{"status":"success"}', 'from a registered origin: recorded');

    $r = from('https://evil.example', 'collect', '{"tenant":"demo","url":"https://evil.example/","name":"refused"}',
              { 'Content-Type' => 'text/plain' });
    is($r->{status}, 403, 'the tracker\'s /collect: 403');
    is($r->{content}, $refused, 'its body');
    $r = from('https://evil.example', 'collect/batch', { batch => [{ tenant => 'demo', url => 'https://evil.example/', name => 'refused' }] },
              { 'Content-Type' => 'text/plain' });
    is($r->{status}, 207, '/collect/batch: 207');
    is($r->{json}{results}[0]{status}, 403, 'its hit 403');
    $r = $stack->request('GET', "$base/collect.gif?t=demo&u=" . 'https%3A%2F%2Fshop-a.example%2Fpixel');
    is($r->{status}, 200, 'the pixel (an image: browsers send no Origin) is not checked');

    $stack->wait_until('the accepted ones', 10, sub {
        rows_of('batch-open') == 1 && rows_of('batch-ok') == 2 && rows_of('interaction-ok') == 1
        && $stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'txn-ok'") == 1
        && $stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' = 'https://shop-a.example/pixel'") == 1 });
    sleep 1;
    is(rows_of('refused'), 0, 'none of the refused stored');
    is($stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'txn-evil'"), 0, 'nor the skipped conversion');
    is($stack->psql("SELECT count(*) FROM events WHERE type = 'refused' OR metadata->>'name' = 'refused'"), 0, 'nor the tracker\'s hits');
};

subtest 'changing the list takes effect at once; null opens it again, [] closes it to all but the static list' => sub {
    my $event = { tenant_id => 'demo', type => 'call' };
    is(from('https://shop-b.example', 'track', $event)->{status}, 403, 'shop-b not yet');
    set_origins('demo', ['https://shop-a.example', 'https://shop-b.example']);
    is(from('https://shop-b.example', 'track', $event)->{status}, 202, 'shop-b added: 202');
    set_origins('demo', []);
    is(from('https://shop-a.example', 'track', $event)->{status}, 403, '[]: shop-a refused');
    is(from('https://shop.example', 'track', $event)->{status}, 202, '[]: the static list still passes');
    is(from(undef, 'track', $event)->{status}, 202, '[]: no Origin still passes');
    is(set_origins('demo', undef), undef, 'null');
    is($stack->redis_raw('HEXISTS', '{analytics}:tenants', "origins:$demo->{id}"), '0', 'the mirror\'s field dropped');
    is(from('https://evil.example', 'track', $event)->{status}, 202, 'null: any origin');

    set_origins('demo', ['https://shop-a.example']);
    $stack->redis('DEL', '{analytics}:tenants');
    my $pid = Analytics::Stack::slurp($stack->dir . '/aggregator.pid');
    chomp $pid;
    kill 'HUP', $pid;
    ok($stack->wait_until('the rebuild', 10, sub { from('https://shop-a.example', 'track', $event)->{status} == 202 }),
       'the rebuilt mirror (SIGHUP) has the tenant');
    is(from('https://evil.example', 'track', $event)->{status}, 403, 'and its origins');
};

subtest 'Redis away: both are spooled and answered accepted; the replay keeps only the registered one' => sub {
    is($stack->stack('stop-redis'), 0, 'Redis stopped');
    is(from('https://shop-a.example', 'track', { tenant_id => 'demo', type => 'call', metadata => { marker => 'spooled-ok' } })->{status},
       202, 'registered: 202 (spooled)');
    is(from('https://evil.example', 'track', { tenant_id => 'demo', type => 'call', metadata => { marker => 'refused' } })->{status},
       202, 'another: 202 too, the tenant cannot be asked');
    is($stack->stack('start-redis'), 0, 'Redis started');
    # the aggregator's mirror connection is the one Redis closed: the first
    # change after the restart must still reach the module at once (it
    # waited for the periodic rebuild before the fix)
    set_origins('demo', ['https://shop-a.example', 'https://shop-d.example']);
    is(from('https://shop-d.example', 'track', { tenant_id => 'demo', type => 'call' })->{status}, 202,
       'a change made just after the restart is mirrored at once');
    $stack->wait_until('the registered one', 20, sub { rows_of('spooled-ok') == 1 });
    sleep 2;
    is(rows_of('spooled-ok'), 1, 'stored once');
    is(rows_of('refused'), 0, 'the other dropped on replay, as an unknown tenant\'s is');
};

subtest 'in Chromium: t.js and a JSON fetch from a registered page, and from another' => sub {
    ok(Analytics::Browser::available(), 'Chromium is installed (scripts/install_deps.sh)') or return;
    my $collector = $stack->base_url;
    my $page = <<"HTML";
<!doctype html><html><head><title>loading</title>
<script async src="$collector/t.js" data-tenant="demo" data-endpoint="$collector$base/collect"></script></head>
<body><script>
fetch('$collector$base/track', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenant_id: 'demo', type: 'whatsapp_click', metadata: { marker: 'browser-' + location.hostname } })
}).then(function (r) {
    return r.text().then(function (text) { document.title = r.status + ' ' + text; });
}).catch(function (e) { document.title = 'refused: ' + e.message; });
</script></body></html>
HTML
    my $pages = Analytics::Browser->new('shop.html' => $page);
    set_origins('demo', [$pages->origin]);
    my $dom = $pages->dom('/shop.html');
    like($dom, qr{<title>202 \Q$accepted\E</title>}, 'the registered page: its fetch answered 202');
    my $own = $pages->origin;
    $stack->wait_until('the page view and the click', 15, sub {
        rows_of('browser-127.0.0.1') == 1
        && $stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' = '$own/shop.html'") == 1 });
    is(rows_of('browser-127.0.0.1'), 1, 'the click stored');

    $dom = $pages->dom('/shop.html', host => 'shop-c.example');
    like($dom, qr{<title>403 \Q$refused\E</title>}, 'another page: its fetch is read, a 403 that says why');
    sleep 2;
    my $other = $pages->origin('shop-c.example');
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' LIKE '$other/%'"), 0, 'no page view from it');
    is(rows_of('browser-shop-c.example'), 0, 'no click from it');
};

$stack->finish;
done_testing;
