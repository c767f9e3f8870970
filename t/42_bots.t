# analytics_bots: crawlers, monitors and headless browsers, by their
# User-Agent. On the browsers' beacons the built-in list drops their valid
# hits by default, answered as accepted and counted; off per location; a
# file's list replaces the built-in one; the token endpoints are not judged.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $accepted = '{"success":true,"message":"Event accepted for processing"}';
my $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
my %agents = (
    googlebot  => 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    bingbot    => 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    ahrefs     => 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
    baidu      => 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
    facebook   => 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    headless   => 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
    lighthouse => 'Mozilla/5.0 (Linux; Android 7.0; Moto G (4)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 Chrome-Lighthouse',
    uptime     => 'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
);
my %people = (
    chrome => $chrome,
    cubot  => 'Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
    curl   => 'curl/7.88.1',
    python => 'python-requests/2.31.0',
);

sub track { my ($path, $case, $agent) = @_;
    $stack->request('POST', $path, { tenant_id => 'demo', type => 'whatsapp_click', metadata => { case => $case } },
                    { 'User-Agent' => $agent }) }
sub stored { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'case' = '$_[0]'") }
sub metric {
    my ($name) = @_;
    my $text = $stack->request('GET', '/analytics-metrics')->{content};
    return $text =~ /^\Q$name\E (\d+)$/m ? $1 : die "no $name";
}

subtest 'the built-in list on track: crawlers answered as accepted, not stored' => sub {
    for my $name (sort keys %agents) {
        my $r = track('/api/v1/analytics/track', "bot-$name", $agents{$name});
        is($r->{status}, 202, "$name: 202");
        is($r->{content}, $accepted, "$name: the accepted body");
    }
    for my $name (sort keys %people) {
        is(track('/api/v1/analytics/track', "person-$name", $people{$name})->{status}, 202, "$name: 202");
    }
    $stack->wait_until('the people\'s rows', 10, sub { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'case' LIKE 'person-%'") == 4 });
    sleep 0.5;
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'case' LIKE 'bot-%'"), 0, 'no crawler stored');
    is(metric('analytics_module_skipped_total{endpoint="track",reason="bot"}'), scalar(keys %agents), 'each counted as a bot');
};

subtest 'the tracker and the conversion beacon drop them too' => sub {
    my $r = $stack->request('GET', '/collect.gif?t=demo&u=https%3A%2F%2Fshop.example%2Fbot', undef, { 'User-Agent' => $agents{googlebot} });
    is($r->{status}, 200, 'pixel: 200');
    is(substr($r->{content}, 0, 6), 'GIF89a', 'pixel: the GIF');
    $r = $stack->request('POST', '/api/v1/analytics/conversion', { tenant_slug => 'demo', transaction_id => 'bot-1', value => 3 },
                         { 'User-Agent' => $agents{headless} });
    is($r->{content}, '{"status":"ok","transaction_id":"bot-1"}', 'conversion: ok');
    sleep 0.5;
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' = 'https://shop.example/bot'"), 0, 'no page view');
    is($stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'bot-1'"), 0, 'no conversion');
    is(metric('analytics_module_skipped_total{endpoint="collect",reason="bot"}'), 1, 'collect: 1 counted');
    is(metric('analytics_module_skipped_total{endpoint="conversion",reason="bot"}'), 1, 'conversion: 1 counted');
};

subtest 'an invalid body from a crawler still gets its error' => sub {
    my $r = $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo' }, { 'User-Agent' => $agents{googlebot} });
    is($r->{status}, 422, 'no type: 422');
};

subtest 'analytics_bots off' => sub {
    is(track('/test/bots-off/track', 'off-googlebot', $agents{googlebot})->{status}, 202, 'googlebot: 202');
    $stack->wait_until('its row', 10, sub { stored('off-googlebot') == 1 });
};

subtest 'analytics_bots FILE replaces the built-in list' => sub {
    track('/test/bots-file/track', 'file-monitorx', 'MonitorX/3 (checks)');
    track('/test/bots-file/track', 'file-probe', 'Internal-Probe 1.0');
    track('/test/bots-file/track', 'file-googlebot', $agents{googlebot});
    track('/test/bots-file/track', 'file-chrome', $chrome);
    $stack->wait_until('two rows', 10, sub { stored('file-googlebot') + stored('file-chrome') == 2 });
    sleep 0.5;
    is(stored('file-monitorx') + stored('file-probe'), 0, 'its two patterns (case aside, spaces trimmed) dropped');
    is(stored('file-googlebot'), 1, 'Googlebot, not on it, stored');
};

subtest 'the token endpoints are not judged' => sub {
    $stack->request('POST', '/api/v1/events', { projectId => 'demo', type => 'x' }, { 'User-Agent' => $agents{googlebot} });
    is(metric('analytics_module_skipped_total{endpoint="project_events",reason="bot"}'), 0, 'no bot counted on /api/v1/events');
};

$stack->finish;
done_testing;
