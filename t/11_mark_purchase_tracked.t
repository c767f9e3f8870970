# POST /services/webshop/v1/orders/mark-purchase-tracked: orders registered
# through the management API; a paid order is marked once, atomically, so
# exactly one caller ever sees already_tracked false.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use POSIX ();
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $path = '/services/webshop/v1/orders/mark-purchase-tracked';
my $demo = $stack->demo;
my $purchase = { transaction_id => 'T-1', value => 150.5, tax => 10, shipping => 5, currency => 'HNL',
                 items => [{ sku => 'cof-1', qty => 2 }] };
my $purchase_json = '{"transaction_id":"T-1","value":150.5,"tax":10,"shipping":5,"currency":"HNL","items":[{"qty":2,"sku":"cof-1"}]}'; # items as sent (the harness sends sorted keys)

sub answer { my ($already, $status) = @_;
    return qq({"error":false,"already_tracked":$already,"payment_status":"$status","purchase":$purchase_json}) }

subtest 'orders are registered through the management API' => sub {
    my $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/orders/abc123def456ghi789',
                                  { payment_status => 'paid', purchase => $purchase });
    is($r->{status}, 201, 'created');
    is($r->{json}{tracked_at}, undef, 'not tracked yet');
    $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/orders/unpaid-1',
                               { payment_status => 'pending', purchase => $purchase });
    is($r->{status}, 201, 'an unpaid order');
    $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/orders/unpaid-1',
                               { payment_status => 'pending', purchase => $purchase });
    is($r->{status}, 200, 'replaced: 200');
    $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/orders/bad', { payment_status => 'Paid!', purchase => $purchase });
    is($r->{status}, 400, 'bad payment status: 400');
    $r = $stack->admin_request('PUT', '/api/v1/admin/tenants/demo/orders/bad', { payment_status => 'paid', purchase => { value => 1 } });
    is($r->{content}, '{"statusCode":400,"message":"purchase.transaction_id must be a string of 1 to 128 characters","error":"Bad Request"}',
       'purchase without transaction id: 400');
    $r = $stack->admin_request('GET', '/api/v1/admin/tenants/demo/orders?limit=1');
    is_deeply([ $r->{status}, $r->{json}{count}, $r->{json}{total}, $r->{json}{data}[0]{order_session} ], [ 200, 1, 2, 'unpaid-1' ],
              'listed, newest first, paged');
    is($stack->admin_request('GET', '/api/v1/admin/tenants/demo/orders?offset=5')->{json}{count}, 0, 'past the end');
};

subtest 'twenty concurrent callers: exactly one sees already_tracked false' => sub {
    my $url = $stack->base_url . $path;
    my @children;
    for my $i (1 .. 20) {
        my $file = $stack->dir . "/mark-$i";
        my $pid = fork // die $!;
        if ($pid == 0) {
            my $r = HTTP::Tiny->new(timeout => 10)->request('POST', $url, {
                content => '{"website_id":"' . $demo->{id} . '","order_session":"abc123def456ghi789","mark":true}',
                headers => { 'Content-Type' => 'application/json' } });
            open my $out, '>', $file or die $!;
            print $out "$r->{status} $r->{content}";
            close $out;
            POSIX::_exit(0);
        }
        push @children, [$pid, $file];
    }
    my %answers;
    for my $child (@children) {
        waitpid($child->[0], 0);
        $answers{ Analytics::Stack::slurp($child->[1]) }++;
    }
    is_deeply(\%answers, { '200 ' . answer('false', 'paid') => 1, '200 ' . answer('true', 'paid') => 19 },
              'one false, nineteen true') or diag explain \%answers;
    ok($stack->wait_until('tracked_at in PostgreSQL', 10, sub {
        $stack->psql("SELECT tracked_at IS NOT NULL FROM orders WHERE order_session = 'abc123def456ghi789'") eq 't' }),
       'the mark reached PostgreSQL through the stream');
    is($stack->psql("SELECT count(*) FROM events WHERE kind = 'order_tracked'"), 1, 'one mark event');
};

subtest 'mark false or null only reads; the website may be named any way' => sub {
    for my $website ($demo->{id}, "$demo->{id}", 'demo', $demo->{uuid}) {
        my $r = $stack->request('POST', $path, { website_id => $website, order_session => 'abc123def456ghi789', mark => JSON::PP::false });
        is($r->{content}, answer('true', 'paid'), "website_id $website");
    }
    my $r = $stack->request('POST', $path, { website_id => 'demo', order_session => 'abc123def456ghi789', mark => undef });
    is($r->{status}, 200, 'null: 200');
    is($r->{headers}{'x-ratelimit-limit'}, 1000000, 'rate limit headers');
};

subtest 'an unpaid order is never marked' => sub {
    for (1 .. 2) {
        my $r = $stack->request('POST', $path, { website_id => 'demo', order_session => 'unpaid-1' });
        is($r->{content}, answer('false', 'pending'), 'mark absent (= true): still not tracked');
    }
    sleep 0.5;
    is($stack->psql("SELECT tracked_at IS NULL FROM orders WHERE order_session = 'unpaid-1'"), 't', 'not in PostgreSQL');
};

subtest 'unknown orders and websites are 404' => sub {
    for my $body ({ website_id => 'demo', order_session => 'nope' }, { website_id => 'no-such-site', order_session => 'abc123def456ghi789' }) {
        my $r = $stack->request('POST', $path, $body);
        is($r->{status}, 404, 'status 404');
        is($r->{content}, '{"error":true,"message":"Order not found."}', 'body');
    }
    my $other = $stack->create_tenant(slug => 'other-shop', name => 'Other');
    my $r = $stack->request('POST', $path, { website_id => $other->{id}, order_session => 'abc123def456ghi789' });
    is($r->{status}, 404, "another website's session: 404");
};

subtest 'validation: 422 in the family shape; malformed JSON 400' => sub {
    my $r = $stack->request('POST', $path, {});
    is($r->{status}, 422, 'empty: 422');
    is($r->{content}, '{"message":"The website id field is required. (and 1 more error)","errors":{"website_id":["The website id field is required."],"order_session":["The order session field is required."]}}', 'body');
    $r = $stack->request('POST', $path, { website_id => 'demo', order_session => 'x', mark => 'yes' });
    is($r->{content}, '{"message":"The mark field must be true or false.","errors":{"mark":["The mark field must be true or false."]}}', 'mark must be boolean');
    $r = $stack->request('POST', $path, '{"website_id":', { 'Content-Type' => 'application/json' });
    is($r->{status}, 400, 'malformed: 400');
    is($r->{content}, q({"error":true,"message":"Malformed JSON body: unexpected token near end of file."}), 'malformed: body');
    $r = $stack->request('POST', '/services/webshop/v1/nothing', {});
    is($r->{content}, '{"error":true,"message":"Not found."}', 'unknown services path');
};

subtest '405 and 413 in the family shape' => sub {
    my $r = $stack->request('GET', $path);
    is($r->{status}, 405, 'GET: 405');
    is($r->{headers}{allow}, 'POST, OPTIONS', 'GET: Allow');
    is($r->{content}, '{"error":true,"message":"Method not allowed: use POST."}', 'GET: body');
    $r = $stack->request('POST', $path, '{"website_id":"1","order_session":"' . ('x' x 17000) . '"}',
                         { 'Content-Type' => 'application/json' });
    is($r->{status}, 413, 'over the body limit: 413');
    is($r->{content}, '{"error":true,"message":"The request body is larger than the configured limit."}',
       'over the body limit: body');
};

subtest 'rate limited: 429 in the family shape' => sub {
    my $limited = '/test/rate-limited/mark-purchase-tracked';
    my @statuses = map { $stack->request('POST', $limited, { website_id => 'demo', order_session => 'unpaid-1' },
                                         { 'X-Client' => 'shop' })->{status} } 1 .. 3;
    is("@statuses", '200 200 429', 'two, then 429');
    my $r = $stack->request('POST', $limited, { website_id => 'demo', order_session => 'unpaid-1' }, { 'X-Client' => 'shop' });
    is($r->{content}, '{"error":true,"message":"Too Many Attempts."}', '429 body');
    ok($r->{headers}{'retry-after'} >= 1, 'Retry-After');
};

subtest 'the mark survives a rebuild of the Redis mirror' => sub {
    $stack->redis('DEL', '{analytics}:orders-tracked', '{analytics}:orders');
    my $pid = Analytics::Stack::slurp($stack->dir . '/aggregator.pid');
    chomp $pid;
    kill 'HUP', $pid;
    ok($stack->wait_until('the rebuild', 10, sub {
        $stack->request('POST', $path, { website_id => 'demo', order_session => 'abc123def456ghi789' })->{content} eq answer('true', 'paid') }),
       'still tracked, from PostgreSQL');
    is($stack->psql("SELECT count(*) FROM events WHERE kind = 'order_tracked'"), 1, 'and not marked again');
};

subtest 'Redis down: 503 in the family shape' => sub {
    is($stack->stack('stop-redis'), 0, 'redis stopped');
    my $r = $stack->request('POST', $path, { website_id => 'demo', order_session => 'abc123def456ghi789' });
    is($r->{status}, 503, 'status 503');
    is($r->{content}, '{"error":true,"message":"Service temporarily unavailable"}', 'body');
    is($stack->stack('start-redis'), 0, 'redis started');
};

$stack->finish;
done_testing;
