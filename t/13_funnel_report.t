# The funnel report over a generated data set: interactions from four
# sources, events attributed by each model (linear first, then the same data
# set for every other model in a tenant of its own), expected numbers computed
# here from the raw data set (not from the rollups), for each report type,
# a country filter, pages and every error the document shows.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use POSIX qw(strftime);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $shop = $stack->create_tenant(slug => 'funnel-shop', name => 'Funnel', attributionModel => 'linear');
my $other = $stack->create_tenant(slug => 'other-shop', name => 'Other');

sub token {
    my ($tenant, @scopes) = @_;
    my $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => $tenant, subject => 'reports', scopes => [@scopes] });
    die "no token: $r->{content}" unless $r->{status} == 201;
    return $r->{json}{token};
}
my $reader = token('funnel-shop', 'reports:read');

sub report {
    my ($query, $token) = @_;
    return $stack->request('GET', "/api/v1/reports/funnel?$query", undef,
                           defined $token ? { Authorization => "Bearer $token" } : {});
}

# source, medium, campaign of each kind of touch, and the metadata that makes it
my %touch = (
    google   => [ 'Google', 'cpc', 'brand', { url => 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand' } ],
    facebook => [ 'Facebook', 'social', '(not set)', { url => 'https://shop.example/', referrer => 'https://www.facebook.com/' } ],
    blog     => [ 'Referrer', 'referral', '(not set)', { url => 'https://shop.example/', referrer => 'https://blog.example.org/a' } ],
    direct   => [ 'Direct', '(none)', '(not set)', { url => 'https://shop.example/' } ],
);
my @kinds = sort keys %touch;
srand(7);
my (@visitors, $interactions);
for my $n (1 .. 14) {
    my $visitor = { agent => "funnel-visitor-$n", country => $n % 2 ? 'ES' : '', touches => [], events => [] };
    push @{ $visitor->{touches} }, $kinds[int rand @kinds] for 1 .. int(rand 4);   # 0 to 3 touches
    push @{ $visitor->{events} }, (qw(cart_add whatsapp_click purchase))[int rand 3] for 1 .. 1 + int(rand 3);
    $interactions += @{ $visitor->{touches} };
    push @visitors, $visitor;
}

# the same data set into a tenant of its own, for each other attribution model
my %model_shop = map { $_ => $stack->create_tenant(slug => "funnel-$_" =~ tr/_/-/r, name => "Funnel $_", attributionModel => $_) }
                 qw(last_non_direct first_touch position_based time_decay);

sub send_data_set {
    my ($tenant) = @_;
    for my $v (@visitors) {
        my %headers = ('User-Agent' => $v->{agent}, $v->{country} ? ('X-Country' => $v->{country}) : ());
        for my $t (@{ $v->{touches} }) {
            my $r = $stack->request('POST', '/api/v1/interactions', { tenant_id => $tenant->{id}, type => 'view',
                                                                      metadata => $touch{$t}[3] }, \%headers);
            die "interaction: $r->{status}" unless $r->{status} == 201;
        }
    }
    $stack->wait_until('the interactions', 20,
        sub { $stack->psql("SELECT count(*) FROM interactions WHERE tenant_id = $tenant->{id}") == $interactions }) or return 0;
    my ($events, $n) = (0, 0);
    for my $v (@visitors) {
        my %headers = ('User-Agent' => $v->{agent}, $v->{country} ? ('X-Country' => $v->{country}) : ());
        for my $e (@{ $v->{events} }) {
            my $r = $e eq 'purchase'
                ? $stack->request('POST', '/api/v1/analytics/conversion',
                                  { tenant_slug => $tenant->{slug}, transaction_id => 'F-' . ++$n, value => 10 }, \%headers)
                : $stack->request('POST', '/api/v1/analytics/track', { tenant_id => $tenant->{slug}, type => $e }, \%headers);
            die "event: $r->{status}" unless $r->{status} == 200 || $r->{status} == 202;
            $events++;
        }
    }
    return $stack->wait_until('the events', 20,
        sub { $stack->psql("SELECT count(*) FROM events WHERE tenant_id = $tenant->{id} AND kind <> 'interaction'") == $events });
}

subtest 'the data set goes in through the public endpoints' => sub {
    ok(send_data_set($shop), "$interactions interactions and every event stored");
};

# each touch's share of one event under a model (touches in time order; the
# touches of this data set are seconds apart, so time decay's weights,
# 2^(-age / 7 days), differ from linear's only past the report's two decimals)
sub shares {
    my ($model, @kinds) = @_;
    my $n = @kinds;
    return (1) if $n == 1;
    if ($model eq 'first_touch') { return (1, (0) x ($n - 1)) }
    if ($model eq 'last_non_direct') {
        my ($last) = grep { $kinds[$_] ne 'direct' } reverse 0 .. $n - 1;
        $last //= $n - 1;
        return map { $_ == $last ? 1 : 0 } 0 .. $n - 1;
    }
    if ($model eq 'position_based') {
        return (0.5, 0.5) if $n == 2;
        return (0.4, (0.2 / ($n - 2)) x ($n - 2), 0.4);
    }
    return (1 / $n) x $n;   # linear, time_decay
}

# the report computed from the data set: clicks count touches, and the model
# splits each event over the visitor's touches (linear by default)
sub expected {
    my ($dimension, $country, $model) = @_;
    $model //= 'linear';
    my $index = { Source => 0, Medium => 1, Campaign => 2 }->{$dimension};
    my %stage_of = (purchase => 'conversions', whatsapp_click => 'microconversions', cart_add => 'add-to-cart');
    my %rows;
    for my $v (@visitors) {
        next if $country && $v->{country} ne $country;
        my @names = map { $touch{$_}[$index] } @{ $v->{touches} };
        $rows{$_}{clicks}++ for @names;
        my @credited = @names ? @names : ($dimension eq 'Campaign' ? '(not set)' : { Source => 'Direct', Medium => '(none)' }->{$dimension});
        my @share = @names ? shares($model, @{ $v->{touches} }) : (1);
        for my $e (@{ $v->{events} }) {
            $rows{ $credited[$_] }{ $stage_of{$e} } += $share[$_] for 0 .. $#credited;
        }
    }
    my @rows;
    for my $name (keys %rows) {
        my $r = $rows{$name};
        my $total = 0;
        $total += $r->{$_} // 0 for qw(conversions microconversions add-to-cart);
        push @rows, { $dimension => $name, clicks => $r->{clicks} // 0,
                      map({ $_ => 0 + sprintf('%.2f', $r->{$_} // 0) } qw(conversions microconversions add-to-cart)),
                      checkout => 0, _total => $total };
    }
    @rows = sort { $b->{clicks} <=> $a->{clicks} or $b->{_total} <=> $a->{_total} or $a->{$dimension} cmp $b->{$dimension} } @rows;
    delete $_->{_total} for @rows;
    return \@rows;
}

sub numbers_of { [ map { my %r = %$_; $r{$_} = 0 + $r{$_} for grep { $_ ne 'Source' && $_ ne 'Medium' && $_ ne 'Campaign' } keys %r; \%r } @{ $_[0] } ] }

subtest 'each report type matches the data set' => sub {
    for my $dimension (qw(Source Medium Campaign)) {
        my $r = report("account_id=funnel-shop&report_type=$dimension&date_range=today", $reader);
        is($r->{status}, 200, "$dimension: 200");
        is($r->{json}{status}, 'ok', "$dimension: ok");
        is_deeply(numbers_of($r->{json}{data}), expected($dimension), "$dimension: every row") or diag explain $r->{json}{data};
    }
    my $r = report("account_id=$shop->{id}&report_type=Source&date_range=today", $reader);
    like($r->{content}, qr/^\{"status":"ok","data":\[\{"Source":"[^"]+","clicks":\d+,"conversions":[\d.]+,"microconversions":[\d.]+,"add-to-cart":[\d.]+,"checkout":0\}/,
         'the document\'s key order; the account by its numeric id');
};

subtest 'every attribution model over the same data set' => sub {
    my $json = JSON::PP->new->canonical;
    my %seen;
    $seen{ $json->encode(expected('Source', undef, $_)) }++ for qw(linear last_non_direct first_touch position_based);
    is(scalar keys %seen, 4, 'the data set tells the four deterministic models apart');
    for my $model (sort keys %model_shop) {
        ok(send_data_set($model_shop{$model}), "$model: the data set is in");
        for my $dimension (qw(Source Campaign)) {
            my $r = report("account_id=$model_shop{$model}{slug}&report_type=$dimension&date_range=today",
                           token($model_shop{$model}{slug}, 'reports:read'));
            is_deeply(numbers_of($r->{json}{data}), expected($dimension, undef, $model), "$model, $dimension: every row")
                or diag explain $r->{json}{data};
        }
    }
};

subtest 'the country filter, date ranges and pages' => sub {
    my $r = report('account_id=funnel-shop&report_type=Source&date_range=today&country=es', $reader);
    is_deeply(numbers_of($r->{json}{data}), expected('Source', 'ES'), 'country=es: Spanish visitors only');
    my $today = strftime('%Y%m%d', gmtime);
    $r = report("account_id=funnel-shop&report_type=Source&date_range=$today,$today", $reader);
    is_deeply(numbers_of($r->{json}{data}), expected('Source'), 'an explicit range of today');
    $r = report('account_id=funnel-shop&report_type=Source&date_range=yesterday', $reader);
    is($r->{content}, '{"status":"ok","data":[]}', 'nothing yesterday');
    my $all = expected('Source');
    $r = report('account_id=funnel-shop&report_type=Source&date_range=last_7_days&skip=1&limit=2', $reader);
    is_deeply(numbers_of($r->{json}{data}), [ @$all[1 .. ($#$all < 2 ? $#$all : 2)] ], 'skip 1, limit 2');
    $r = report('account_id=funnel-shop&report_type=Source&date_range=this_month&skip=50', $reader);
    is($r->{content}, '{"status":"ok","data":[]}', 'a skip past the end is an empty page');
};

subtest 'configured stages replace the document\'s' => sub {
    my $r = $stack->admin_request('PUT', "/api/v1/admin/tenants/funnel-shop/funnel-stages",
                                  { stages => [ { name => 'engaged', eventTypes => ['whatsapp_click', 'cart_add'] },
                                                { name => 'bought', eventTypes => ['purchase'] } ] });
    is($r->{status}, 200, 'stages set');
    is($r->{content}, '{"configured":true,"data":[{"name":"engaged","eventTypes":["whatsapp_click","cart_add"]},'
                      . '{"name":"bought","eventTypes":["purchase"]}]}', 'and answered');
    $r = report('account_id=funnel-shop&report_type=Medium&date_range=today', $reader);
    my %expected = map { $_->{Medium} => $_ } @{ expected('Medium') };
    for my $row (@{ $r->{json}{data} }) {
        my $e = $expected{ $row->{Medium} };
        is_deeply([ sort keys %$row ], [ 'Medium', 'bought', 'clicks', 'engaged' ], "$row->{Medium}: the configured columns");
        is(sprintf('%.2f', $row->{engaged}), sprintf('%.2f', $e->{microconversions} + $e->{'add-to-cart'}), "$row->{Medium}: engaged");
        is(0 + $row->{bought}, $e->{conversions}, "$row->{Medium}: bought");
    }
    for my $bad ([ { stages => [ { name => 'clicks', eventTypes => ['x'] } ] }, 'stages[0].name must be' ],
                 [ { stages => [ { name => 'a', eventTypes => [] } ] }, 'stages[0].eventTypes must be an array of 1 to 50' ],
                 [ { stages => [ { name => 'a', eventTypes => ['x'] }, { name => 'a', eventTypes => ['y'] } ] }, 'stages[1].name repeats' ],
                 [ { stages => 'all' }, 'stages must be an array' ]) {
        $r = $stack->admin_request('PUT', "/api/v1/admin/tenants/funnel-shop/funnel-stages", $bad->[0]);
        is($r->{status}, 400, "400: $bad->[1]");
        like($r->{json}{message}, qr/^\Q$bad->[1]\E/, 'with the reason');
    }
    $r = $stack->request('GET', "/api/v1/admin/tenants/funnel-shop/funnel-stages", undef,
                         { Authorization => 'Bearer ' . token('other-shop', 'manage') });
    is($r->{status}, 404, "another tenant's token: 404");
    $r = $stack->admin_request('PUT', "/api/v1/admin/tenants/funnel-shop/funnel-stages", { stages => [] });
    is($r->{json}{configured}, JSON::PP::false, 'an empty list goes back to the defaults');
    is($r->{json}{data}[0]{name}, 'conversions', 'the document\'s first stage');
};

subtest 'the default checkout stage counts the documents\' own beacons' => sub {
    my $checkout = $stack->create_tenant(slug => 'checkout-shop', name => 'Checkout', attributionModel => 'last_non_direct');
    my %shopper = ('User-Agent' => 'checkout-shopper');
    is($stack->request('POST', '/api/v1/interactions', { tenant_id => $checkout->{id}, type => 'view',
                                                         metadata => $touch{google}[3] }, \%shopper)->{status}, 201, 'a visit from Google');
    ok($stack->wait_until('the touch', 10, sub {
        $stack->psql("SELECT count(*) FROM interactions WHERE tenant_id = $checkout->{id}") == 1 }), 'stored');
    is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'checkout-shop', type => 'cart_add' }, \%shopper)->{status},
       202, 'a cart_add');
    is($stack->admin_request('PUT', '/api/v1/admin/tenants/checkout-shop/orders/order-1',
        { payment_status => 'paid', purchase => { transaction_id => 'C-1', value => 20, currency => 'HNL' } })->{status}, 201,
       'the shop registers the paid order');
    my $r = $stack->request('POST', '/services/webshop/v1/orders/mark-purchase-tracked',
                            { website_id => 'checkout-shop', order_session => 'order-1' }, \%shopper);
    is($r->{status}, 200, 'the confirmation page marks it');
    is($stack->request('POST', '/api/v1/analytics/conversion', { tenant_slug => 'checkout-shop', transaction_id => 'C-1', value => 20 },
                       \%shopper)->{status}, 200, 'and sends the purchase beacon');
    ok($stack->wait_until('three events attributed', 10, sub {
        $stack->psql("SELECT count(*) FROM attributions WHERE tenant_id = $checkout->{id}") == 3 }), 'attributed');
    my $token = token('checkout-shop', 'reports:read');
    $r = report('account_id=checkout-shop&report_type=Source&date_range=today', $token);
    is($r->{content}, '{"status":"ok","data":[{"Source":"Google","clicks":1,"conversions":1,"microconversions":0,'
                      . '"add-to-cart":1,"checkout":1}]}', 'Google: one click, one cart, one checkout, one conversion');
};

subtest 'errors in the document\'s shape' => sub {
    my $r = report('account_id=funnel-shop&report_type=Source&date_range=today');
    is($r->{status}, 401, 'no token: 401');
    is($r->{content}, '{"status":"error","message":"Unauthenticated"}', 'the document\'s body');
    is(report('account_id=funnel-shop&report_type=Source&date_range=today', 'ak_' . ('0' x 64))->{status}, 401,
       'an unknown token: 401');
    $r = report('account_id=funnel-shop&report_type=Source&date_range=today', token('funnel-shop', 'events:write'));
    is($r->{status}, 403, 'without reports:read: 403');
    is($r->{content}, '{"status":"error","message":"This token lacks the reports:read scope"}', 'body');
    $r = report('account_id=other-shop&report_type=Source&date_range=today', $reader);
    is($r->{status}, 404, "another tenant's account: 404");
    is($r->{content}, '{"status":"error","message":"Account not found"}', 'body');
    my @cases = (
        [ 'report_type=Source&date_range=today', 'Missing required parameter: account_id' ],
        [ 'account_id=funnel-shop&date_range=today', 'Missing required parameter: report_type' ],
        [ 'account_id=funnel-shop&report_type=Source', 'Missing required parameter: date_range' ],
        [ 'account_id=funnel-shop&report_type=source&date_range=today', 'Invalid parameter: report_type must be Source, Medium or Campaign' ],
        [ 'account_id=funnel-shop&report_type=Source&date_range=20230630,20230601', 'Invalid parameter: date_range must be YYYYMMDD,YYYYMMDD (start not after end) or one of today, yesterday, this_week, last_week, this_month, last_month, last_7_days, last_30_days, this_year' ],
        [ 'account_id=funnel-shop&report_type=Source&date_range=today&limit=0', 'Invalid parameter: limit must be a whole number from 1 to 100' ],
        [ 'account_id=funnel-shop&report_type=Source&date_range=today&limit=101', 'Invalid parameter: limit must be a whole number from 1 to 100' ],
        [ 'account_id=funnel-shop&report_type=Source&date_range=today&skip=-1', 'Invalid parameter: skip must be a whole number of at least 0' ],
        [ 'account_id=funnel-shop&report_type=Source&date_range=today&country=spain', 'Invalid parameter: country must be an ISO 3166-1 alpha-2 code' ],
    );
    for my $case (@cases) {
        $r = report($case->[0], $reader);
        is($r->{status}, 400, "400: $case->[1]");
        is($r->{content}, qq({"status":"error","message":"$case->[1]"}), 'body');
    }
    is(report('account_id=funnel-shop&report_type=Source&date_range=today&limit=100', $reader)->{status}, 200, 'limit 100 is allowed');
};

$stack->finish;
done_testing;
