# Interactions get their source classified, other events are attributed over
# the visitor's interactions by the tenant's model, and the hourly rollups
# count each event once, redeliveries included.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $demo = $stack->demo;

sub interaction {
    my ($tenant, $visitor, $metadata) = @_;
    my $r = $stack->request('POST', '/api/v1/interactions', { tenant_id => $tenant->{id}, type => 'view',
                                                              metadata => $metadata }, { 'User-Agent' => $visitor });
    is($r->{status}, 201, "interaction of $visitor recorded");
}

sub wait_rows {
    my ($what, $sql, $expected) = @_;
    $stack->wait_until($what, 15, sub { $stack->psql($sql) eq $expected }) or diag $stack->psql($sql);
}

subtest 'the attribution model is a setting of the tenant' => sub {
    my $r = $stack->admin_request('PATCH', "/api/v1/admin/tenants/$demo->{id}", { attributionModel => 'linearish' });
    is($r->{status}, 400, 'an unknown model is refused');
    is($r->{json}{message}, 'attributionModel must be one of last_non_direct, first_touch, linear, position_based, time_decay',
       'with the models named');
    $r = $stack->admin_request('PATCH', "/api/v1/admin/tenants/$demo->{id}", { attributionLookbackDays => 0 });
    is($r->{status}, 400, 'a lookback of 0 days is refused');
    $r = $stack->admin_request('GET', "/api/v1/admin/tenants/$demo->{id}");
    is($r->{json}{attributionModel}, 'last_non_direct', 'last non-direct touch by default');
    is($r->{json}{attributionLookbackDays}, 30, '30 days by default');
};

subtest 'linear: 40.00 after a Google and a Facebook touch gives 20.00 to each' => sub {
    my $shop = $stack->create_tenant(slug => 'linear-shop', name => 'Linear', attributionModel => 'linear');
    is($shop->{attributionModel}, 'linear', 'model set at creation');
    interaction($shop, 'visitor-a', { url => 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring' });
    interaction($shop, 'visitor-a', { url => 'https://shop.example/landing', referrer => 'https://l.facebook.com/l.php' });
    wait_rows('two interactions', "SELECT count(*) FROM interactions WHERE tenant_id = $shop->{id}", 2);
    is($stack->psql("SELECT source, medium, campaign, direct, landing_page FROM interactions"
                    . " WHERE tenant_id = $shop->{id} ORDER BY occurred_at"),
       "Google|cpc|spring|f|https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring\n"
       . "Facebook|social||f|https://shop.example/landing", 'sources classified');

    my $r = $stack->request('POST', '/api/v1/analytics/conversion',
                            { tenant_slug => 'linear-shop', transaction_id => 'T-1', value => 40, currency => 'USD' },
                            { 'User-Agent' => 'visitor-a' });
    is($r->{content}, '{"status":"ok","transaction_id":"T-1"}', 'conversion accepted');
    wait_rows('the attribution', "SELECT count(*) FROM attributions WHERE tenant_id = $shop->{id}", 2);
    is($stack->psql("SELECT source, medium, campaign, event_type, credit_micros, value_minor, currency, model"
                    . " FROM attributions WHERE tenant_id = $shop->{id} ORDER BY source"),
       "Facebook|social||purchase|500000|2000|USD|linear\nGoogle|cpc|spring|purchase|500000|2000|USD|linear",
       'half each');
    is($stack->psql("SELECT source, medium, campaign, event_type, credit_micros, value_minor, currency"
                    . " FROM rollup_attributed_hourly WHERE tenant_id = $shop->{id} ORDER BY source"),
       "Facebook|social||purchase|500000|2000|USD\nGoogle|cpc|spring|purchase|500000|2000|USD",
       'and so in the rollup');
    is($stack->psql("SELECT source, medium, campaign, interactions FROM rollup_interactions_hourly"
                    . " WHERE tenant_id = $shop->{id} ORDER BY source"),
       "Facebook|social||1\nGoogle|cpc|spring|1", 'interactions rolled up by source');
    is($stack->psql("SELECT event_type, events, value_minor, currency FROM rollup_events_hourly"
                    . " WHERE tenant_id = $shop->{id} ORDER BY event_type"),
       "purchase|1|4000|USD\nview|2|0|", 'events rolled up by type');

    $r = $stack->request('POST', '/api/v1/analytics/conversion',
                         { tenant_slug => 'linear-shop', transaction_id => 'T-1', value => 40, currency => 'USD' },
                         { 'User-Agent' => 'visitor-a' });
    is($r->{content}, '{"status":"ok","transaction_id":"T-1"}', 'the repeated transaction is answered the same');
    interaction($shop, 'visitor-z', {});
    wait_rows('a later event', "SELECT count(*) FROM interactions WHERE tenant_id = $shop->{id}", 3);
    is($stack->psql("SELECT sum(value_minor) FROM rollup_attributed_hourly WHERE tenant_id = $shop->{id}"), 4000,
       'and counted once');
};

subtest 'last non-direct touch: a later direct visit does not take the credit' => sub {
    interaction($demo, 'visitor-b', { url => 'https://shop.example/p?gclid=abc' });
    interaction($demo, 'visitor-b', { url => 'https://shop.example/p' });
    wait_rows('two interactions', "SELECT count(*) FROM interactions WHERE tenant_id = $demo->{id}", 2);
    my $r = $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'cart_add' },
                            { 'User-Agent' => 'visitor-b' });
    is($r->{status}, 202, 'cart_add accepted');
    $r = $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'whatsapp_click' },
                         { 'User-Agent' => 'visitor-c' });
    is($r->{status}, 202, 'a visitor without touches');
    wait_rows('two attributions', "SELECT count(*) FROM attributions WHERE tenant_id = $demo->{id}", 2);
    is($stack->psql("SELECT event_type, source, medium, credit_micros, touch_event_id IS NULL FROM attributions"
                    . " WHERE tenant_id = $demo->{id} ORDER BY event_type"),
       "cart_add|Google|cpc|1000000|f\nwhatsapp_click|Direct|(none)|1000000|t", 'Google takes the cart, Direct the rest');
};

subtest 'a redelivered interaction changes nothing' => sub {
    my ($id, $ms, $visitor, $metadata) = split /\|/, $stack->psql(
        "SELECT id, (extract(epoch FROM received_at) * 1000)::bigint, visitor_key, metadata::text FROM events"
        . " WHERE tenant_id = $demo->{id} AND kind = 'interaction' ORDER BY received_at LIMIT 1");
    my $before = $stack->psql("SELECT string_agg(source || ':' || interactions, ',' ORDER BY source)"
                              . " FROM rollup_interactions_hourly WHERE tenant_id = $demo->{id}");
    $stack->redis('XADD', '{analytics}:events', '*', v => 1, kind => 'interaction', id => $id, received_at => $ms,
                  tenant_ref => $demo->{id}, tenant_id => $demo->{id}, type => 'view', metadata => $metadata,
                  visitor => $visitor);
    interaction($demo, 'visitor-marker', {});
    wait_rows('the marker behind it', "SELECT count(*) FROM interactions WHERE tenant_id = $demo->{id}", 3);
    is($stack->psql("SELECT string_agg(source || ':' || interactions, ',' ORDER BY source)"
                    . " FROM rollup_interactions_hourly WHERE tenant_id = $demo->{id}"),
       $before =~ s/Direct:1/Direct:2/r, 'only the marker was counted');
    is($stack->psql("SELECT count(*) FROM events WHERE id = '$id'"), 1, 'one row');
};

subtest 'a touch that arrives after the event it explains has the event split again' => sub {
    my $shop = $stack->create_tenant(slug => 'late-shop', name => 'Late', attributionModel => 'linear');
    my $r = $stack->request('POST', '/api/v1/analytics/conversion',
                            { tenant_slug => 'late-shop', transaction_id => 'L-1', value => 40, currency => 'USD' },
                            { 'User-Agent' => 'visitor-late' });
    is($r->{content}, '{"status":"ok","transaction_id":"L-1"}', 'conversion accepted');
    my $shares = "SELECT source || ':' || credit_micros || ':' || value_minor FROM attributions"
                 . " WHERE tenant_id = $shop->{id} ORDER BY source";
    my $rolled = "SELECT string_agg(source || ':' || credit_micros || ':' || value_minor, ',' ORDER BY source)"
                 . " FROM rollup_attributed_hourly WHERE tenant_id = $shop->{id}";
    wait_rows('Direct, for now', $shares, 'Direct:1000000:4000');
    my ($ms, $visitor) = split /\|/, $stack->psql(
        "SELECT (extract(epoch FROM received_at) * 1000)::bigint, visitor_key FROM events WHERE tenant_id = $shop->{id}");

    # touches made before the conversion, reaching PostgreSQL after it (as
    # from another stream shard)
    my $late_touch = sub {
        my ($ago_ms, $metadata) = @_;
        $stack->redis('XADD', '{analytics}:events', '*', v => 1, kind => 'interaction',
                      id => $stack->psql('SELECT gen_random_uuid()'), received_at => $ms - $ago_ms,
                      tenant_ref => $shop->{id}, tenant_id => $shop->{id}, type => 'view',
                      metadata => encode_json($metadata), visitor => $visitor);
    };
    $late_touch->(60_000, { url => 'https://shop.example/?utm_source=google&utm_medium=cpc' });
    wait_rows('the Google touch credited', $shares, 'Google:1000000:4000');
    is($stack->psql($rolled), 'Direct:0:0,Google:1000000:4000', 'the rollup gave Direct\'s share back to Google');

    $late_touch->(120_000, { url => 'https://shop.example/landing', referrer => 'https://l.facebook.com/l.php' });
    wait_rows('split over both', $shares, "Facebook:500000:2000\nGoogle:500000:2000");
    is($stack->psql($rolled), 'Direct:0:0,Facebook:500000:2000,Google:500000:2000', 'and so did the rollup');
    is($stack->psql("SELECT string_agg(source || ':' || credit_micros, ',' ORDER BY source) FROM rollup_attributed_daily"
                    . " WHERE tenant_id = $shop->{id}"), 'Direct:0,Facebook:500000,Google:500000', 'and the day rollup');

    # a touch after the conversion reaches nothing
    $late_touch->(-60_000, { url => 'https://shop.example/?utm_source=bing&utm_medium=cpc' });
    interaction($shop, 'visitor-marker', {});
    wait_rows('both touches stored', "SELECT count(*) FROM interactions WHERE tenant_id = $shop->{id}", 4);
    is(join(',', split /\n/, $stack->psql($shares)), 'Facebook:500000:2000,Google:500000:2000', 'a later touch changes nothing');
};

subtest 'the rollups agree with the raw rows' => sub {
    is($stack->psql("SELECT sum(events) FROM rollup_events_hourly"), $stack->psql("SELECT count(*) FROM events"),
       'every event counted once');
    is($stack->psql("SELECT sum(interactions) FROM rollup_interactions_hourly"),
       $stack->psql("SELECT count(*) FROM interactions"), 'every interaction counted once');
    is($stack->psql("SELECT sum(credit_micros) FROM rollup_attributed_hourly"),
       $stack->psql("SELECT count(*) * 1000000 FROM events WHERE kind <> 'interaction'"),
       'every other event attributed exactly once');
    # the lag reads 0 once a consumer's blocking read has found nothing (up to
    # ANALYTICS_BATCH_WAIT_MS after the last commit)
    my $metrics;
    $stack->wait_until('the consumer caught up', 15, sub {
        $metrics = $stack->aggregator_request('GET', '/metrics')->{content};
        $metrics =~ /^analytics_consumer_lag_seconds\{stream="\{analytics\}:events"\} 0$/m;
    });
    my ($batches) = $metrics =~ /^analytics_batches_committed_total (\d+)$/m;
    ok($batches > 0, "$batches batches committed");
    like($metrics, qr/^analytics_batch_seconds_bucket\{le="\+Inf"\} $batches$/m, 'each in the latency histogram');
    like($metrics, qr/^analytics_batch_seconds_count $batches$/m, 'counted once');
    like($metrics, qr/^analytics_consumer_lag_seconds\{stream="\{analytics\}:events"\} 0$/m, 'caught up: no lag');
    like($metrics, qr/^analytics_interactions_written_total 10$/m, 'ten interactions written');
};

subtest 'events land in monthly partitions made ahead' => sub {
    is($stack->psql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"), 4,
       'this month, the next two and the default');
    is($stack->psql("SELECT DISTINCT tableoid::regclass FROM events"),
       $stack->psql("SELECT 'events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')"), 'events are in this month\'s');
    $stack->psql("INSERT INTO events (tenant_id, id, received_at, kind, type, stream_id)"
                 . " VALUES ($demo->{id}, gen_random_uuid(), now() + interval '5 months', 'track', 'call', '0-1')");
    is($stack->psql("SELECT count(*) FROM events_default"), 1, 'a row far ahead waits in the default partition');
    is($stack->psql("SELECT make_event_partitions(6)"), 4, 'four more months made');
    is($stack->psql("SELECT count(*) FROM events_default"), 0, 'the row moved out of the default');
    is($stack->psql("SELECT tableoid::regclass FROM events WHERE received_at > now() + interval '4 months'"),
       $stack->psql("SELECT 'events_' || to_char((now() + interval '5 months') AT TIME ZONE 'UTC', 'YYYY_MM')"),
       'into its month');
    is($stack->psql("SELECT make_event_partitions(6)"), 0, 'making them again makes nothing');
};

subtest 'the day rollups are the hour rollups folded into UTC days' => sub {
    for my $case ([ 'rollup_interactions', 'source, medium, campaign, country', 'sum(interactions)' ],
                  [ 'rollup_attributed', 'event_type, source, medium, campaign, country, currency', 'sum(credit_micros), sum(value_minor)' ]) {
        my ($table, $key, $sums) = @$case;
        my $folded = "SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, $key, $sums FROM ${table}_hourly GROUP BY 1, 2, $key";
        my $daily = "SELECT tenant_id, day, $key, " . join(', ', map { s/sum\((\w+)\)/$1/r } split /, /, $sums) . " FROM ${table}_daily";
        ok($stack->psql("SELECT count(*) FROM ${table}_daily") > 0, "${table}_daily has rows");
        is($stack->psql("SELECT count(*) FROM (($folded EXCEPT $daily) UNION ALL ($daily EXCEPT $folded)) AS d"), 0,
           "${table}_daily equals its hours");
    }
};

$stack->finish;
done_testing;
