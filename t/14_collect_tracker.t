# The page tracker: POST /collect (text/plain JSON, as sendBeacon sends it),
# GET /collect.gif, t.js itself, and t.js in a real headless Chromium on a
# page of another origin, down to classified interactions in PostgreSQL.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Compress::Gzip qw(gzip);
use Digest::SHA qw(sha1_hex);
use Analytics::Browser;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $accepted = '{"success":true,"message":"Event accepted for processing"}';

sub interactions { $stack->psql("SELECT count(*) FROM interactions") }

subtest 'POST /collect: a page view and a custom event' => sub {
    my $r = $stack->request('POST', '/collect',
        '{"tenant":"demo","url":"https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=winter","referrer":"https://www.google.com/"}',
        { 'Content-Type' => 'text/plain;charset=UTF-8', Origin => 'https://customer.example' });
    is($r->{status}, 202, 'status 202');
    is($r->{content}, $accepted, 'body');
    is($r->{headers}{'access-control-allow-origin'}, '*', 'any origin may post');
    $r = $stack->request('POST', '/collect', { tenant => 'demo', url => 'https://shop.example/p/1', name => 'signup',
                                               props => { plan => 'pro' }, trackerId => 'user-7' });
    is($r->{status}, 202, 'a custom event: 202');
    $stack->wait_until('two interactions', 10, sub { interactions() == 2 });
    is($stack->psql("SELECT e.type, i.source, i.medium, i.campaign, e.metadata->>'trackerId' FROM events e"
                    . " JOIN interactions i ON i.event_id = e.id ORDER BY e.received_at"),
       "pageview|Google|cpc|winter|\nsignup|Direct|(none)||user-7", 'stored as classified interactions');
};

subtest 'a trackerId names the visitor, whatever the agent, without the day\'s salt' => sub {
    my $before = interactions();
    for my $agent (qw(agent-one agent-two)) {
        is($stack->request('POST', '/collect', { tenant => 'demo', url => 'https://shop.example/member', trackerId => 'member-9' },
                           { 'User-Agent' => $agent })->{status}, 202, "a hit from $agent");
    }
    $stack->request('POST', '/collect', { tenant => 'demo', url => 'https://shop.example/member' }, { 'User-Agent' => 'agent-one' });
    $stack->wait_until('three more', 10, sub { interactions() == $before + 3 });
    my @keys = split /\n/, $stack->psql("SELECT visitor_key FROM events WHERE metadata->>'url' = 'https://shop.example/member'"
                                         . " ORDER BY (metadata->>'trackerId') NULLS LAST, received_at");
    is($keys[0], $keys[1], 'one visitor across two agents');
    is($keys[0], sha1_hex("$stack->{demo}{id}\ntracker\nmember-9"), 'sha1 of tenant and trackerId: the same on any day');
    isnt($keys[2], $keys[0], 'without a trackerId: address and agent');
};

subtest 'GET /collect.gif' => sub {
    my $r = $stack->request('GET', '/collect.gif?t=demo&u=https%3A%2F%2Fshop.example%2F%3Ffbclid%3Dx&r=&n=view_item&p=%7B%22sku%22%3A%22A1%22%7D&cb=123');
    is($r->{status}, 200, 'status 200');
    is($r->{headers}{'content-type'}, 'image/gif', 'a GIF');
    is(length $r->{content}, 43, 'of 43 bytes');
    is(substr($r->{content}, 0, 6), 'GIF89a', 'GIF89a');
    is($r->{headers}{'cache-control'}, 'no-store', 'never cached');
    $stack->wait_until('the pixel hit', 10, sub { interactions() == 6 });
    is($stack->psql("SELECT e.type, i.source, e.metadata->'props'->>'sku' FROM events e JOIN interactions i ON i.event_id = e.id"
                    . " WHERE e.type = 'view_item'"), 'view_item|Facebook|A1', 'stored');
};

subtest 'bad hits get the family\'s errors' => sub {
    my $r = $stack->request('POST', '/collect', '{"tenant":"demo"}');
    is($r->{status}, 422, 'no url: 422');
    is($r->{content}, '{"message":"The url field is required.","errors":{"url":["The url field is required."]}}', 'body');
    $r = $stack->request('GET', '/collect.gif?t=demo&u=javascript:alert(1)');
    is($r->{status}, 422, 'a pixel with a bad url: 422');
    is($r->{content}, '{"message":"The url field must be a valid URL.","errors":{"url":["The url field must be a valid URL."]}}', 'body');
    $r = $stack->request('POST', '/collect', '{"tenant":');
    is($r->{status}, 400, 'malformed JSON: 400');
    $r = $stack->request('POST', '/collect', { tenant => 'nobody-here', url => 'https://a.example/' });
    is($r->{status}, 404, 'an unknown tenant: 404');
    is($r->{content}, '{"success":false,"message":"Tenant not found or not available"}', 'body');
    $r = $stack->request('PUT', '/collect', '{}');
    is($r->{status}, 405, 'PUT: 405');
    is($r->{headers}{allow}, 'GET, POST, OPTIONS', 'Allow names GET too');
    $r = $stack->request('POST', '/collect', '{"tenant":"demo","url":"https://a.example/' . ('x' x 9000) . '"}');
    is($r->{status}, 413, 'over the 8k limit: 413');
    sleep 1;
    is(interactions(), 6, 'none of them stored');
};

subtest 't.js is served small' => sub {
    my $r = $stack->request('GET', '/t.js');
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'}, qr{^application/javascript}, 'JavaScript');
    like($r->{content}, qr/sendBeacon/, 'the tracker');
    gzip(\$r->{content} => \my $zipped, -Level => 9) or die;
    cmp_ok(length $zipped, '<', 2048, 'under 2 KB gzipped (' . length($zipped) . ' bytes)');
    $r = $stack->request('GET', '/t.js', undef, { 'Accept-Encoding' => 'gzip' });
    is($r->{headers}{'content-encoding'}, 'gzip', 'and sent gzipped');
};

subtest 't.js in headless Chromium, from a page of another origin' => sub {
    ok(Analytics::Browser::available(), 'Chromium is installed (scripts/install_deps.sh)') or return;
    my $collector = $stack->base_url;
    my $pages = Analytics::Browser->new('shop.html' => <<"HTML");
<!doctype html><html><head><title>A customer's shop</title>
<script>window.analytics = { q: [['track', ['newsletter_signup', { list: 'weekly' }]]] };</script>
<script async src="$collector/t.js" data-tenant="demo"></script></head>
<body><script>setTimeout(function () { history.pushState({}, '', '/shop.html?step=2'); }, 300);</script></body></html>
HTML
    my $before = interactions();
    my $answers = sub {
        my ($endpoint) = @_;
        my ($n, $metrics) = (0, $stack->request('GET', '/analytics-metrics')->{content});
        $n += $1 while $metrics =~ /^analytics_module_answers_total\{endpoint="$endpoint",status="\d+"\} (\d+)$/mg;
        return $n;
    };
    my %sent_before = map { $_ => $answers->($_) } qw(collect collect_batch);
    my $page = $pages->origin;
    my $url = "$page/shop.html?utm_source=newsletter&utm_medium=email&utm_campaign=browser";
    my $dom = $pages->dom('/shop.html?utm_source=newsletter&utm_medium=email&utm_campaign=browser');
    like($dom, qr/A customer's shop/, 'Chromium loaded the page');
    ok($stack->wait_until('three hits', 15, sub { interactions() == $before + 3 }), 'three hits arrived');
    is($stack->psql("SELECT e.type || '|' || i.source || '|' || i.medium || '|' || i.campaign || '|' || (e.metadata->>'url')"
                    . " FROM events e JOIN interactions i ON i.event_id = e.id WHERE e.received_at > now() - interval '1 minute'"
                    . " AND e.metadata->>'url' LIKE '$page/%' ORDER BY e.type, e.metadata->>'url'"),
       join("\n", "newsletter_signup|newsletter|email|browser|$url",
                  "pageview|Direct|(none)||$page/shop.html?step=2",
                  "pageview|newsletter|email|browser|$url"),
       'the landing page view, the queued custom event, and the history navigation');
    is($answers->('collect') - $sent_before{collect}, 1, 'the first hit went out alone, at once');
    is($answers->('collect_batch') - $sent_before{collect_batch}, 1, 'the two of the next second as one batch');
    is($stack->psql("SELECT count(*) FROM interactions i JOIN events e ON e.id = i.event_id WHERE e.metadata->>'url' LIKE '$page/%'"
                    . " AND i.occurred_at <= e.received_at AND i.occurred_at > e.received_at - interval '5 seconds'"),
       3, 'each at its own time, by the page\'s clock corrected');
};

$stack->finish;
done_testing;
