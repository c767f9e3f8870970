# The ingest calls a worker gathers in one turn of its event loop go to Redis
# as one FCALL (analytics_ingest_batch_v16), and each request still gets its
# own answer: accepted, unknown tenant, unknown product, invalid body and
# over the limit, side by side in one batch. The events the batch admits go
# into one version 3 stream entry; the aggregator stores each of them, and
# keeps a malformed one apart from its neighbours.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $json = JSON::PP->new->canonical;
my $product = $stack->admin_request('POST', '/api/v1/admin/tenants/demo/products', { name => 'Batched' })->{json}{id};

sub fcalls {
    my ($stats) = grep { /^cmdstat_fcall:/ } split /\r?\n/, $stack->redis_raw('INFO', 'commandstats');
    return ($stats // '') =~ /calls=(\d+)/ ? $1 : 0;
}

# [path, body, extra headers, expected status, expected body (undef: any)]
my @cases;
push @cases, [ '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call', metadata => { batch => $_ } }, {}, 202,
               '{"success":true,"message":"Event accepted for processing"}' ] for 1 .. 12;
push @cases, [ '/api/v1/analytics/track', { tenant_id => 'nobody', type => 'call' }, {}, 404,
               '{"success":false,"message":"Tenant not found or not available"}' ];
push @cases, [ '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call', product_id => 999999 }, {}, 422,
               '{"message":"The selected product id is invalid.","errors":{"product_id":["The selected product id is invalid."]}}' ];
push @cases, [ '/api/v1/analytics/track', { tenant_id => 'demo', type => 'cart_add', product_id => $product, metadata => { batch => 'product' } }, {}, 202, undef ];
push @cases, [ '/api/v1/analytics/track', { tenant_id => 'demo', type => 'nope' }, {}, 422, undef ];
push @cases, [ '/api/v1/interactions', { tenant_id => $stack->demo->{id}, type => 'view', metadata => { batch => 'interaction' } }, {}, 201, '{"status":"success"}' ];
push @cases, [ '/api/v1/analytics/conversion', { tenant_slug => 'demo', transaction_id => 'batched-1', value => 3 }, {}, 200,
               '{"status":"ok","transaction_id":"batched-1"}' ];
# three a minute on this location: of five, two are refused, whichever they are
push @cases, [ '/test/rate-limited/track', { tenant_id => 'demo', type => 'call', metadata => { batch => 'limited' } }, { 'X-Client' => 'batch' }, 'limited', undef ] for 1 .. 5;

my $worker = `ps -o pid= --ppid \$(cat @{[ $stack->dir ]}/nginx/nginx.pid)`;
$worker =~ s/\s+//g;
ok($worker, "the worker ($worker)");
my $before = fcalls();

# the worker is held while every request is written, so it finds them all at once
my @sockets = map {
    IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $stack->http_port, Proto => 'tcp', Timeout => 10)
        or die "connect: $!"
} @cases;
# each connection is accepted and kept alive first: then the worker finds
# every request readable in one turn of its event loop
for my $socket (@sockets) {
    print $socket "GET /bench/return-204 HTTP/1.1\r\nHost: batch\r\n\r\n";
    my $head = '';
    $head .= getc($socket) // last until $head =~ /\r\n\r\n\z/;
    die "no keep-alive answer: $head" unless $head =~ m{^HTTP/1\.1 204};
}
kill 'STOP', $worker;
for my $i (0 .. $#cases) {
    my ($path, $body, $headers) = @{ $cases[$i] };
    my $content = $json->encode($body);
    my $head = join '', map { "$_: $headers->{$_}\r\n" } sort keys %$headers;
    print { $sockets[$i] } "POST $path HTTP/1.1\r\nHost: batch\r\nContent-Type: application/json\r\n${head}"
                         . "Content-Length: " . length($content) . "\r\nConnection: close\r\n\r\n$content";
}
kill 'CONT', $worker;

my %limited;
for my $i (0 .. $#cases) {
    local $/;
    my $answer = readline($sockets[$i]) // '';
    my ($status) = $answer =~ m{^HTTP/1\.1 (\d{3})};
    my ($body) = $answer =~ /\r\n\r\n(.*)\z/s;
    my ($path, $sent, undef, $want_status, $want_body) = @{ $cases[$i] };
    if ($want_status eq 'limited') {
        $limited{$status // 'none'}++;
        next;
    }
    is($status, $want_status, "request $i ($path): $want_status");
    is($body, $want_body, "request $i: its own body") if defined $want_body;
}
is_deeply(\%limited, { 202 => 3, 429 => 2 }, 'the limited location: three accepted, two refused, in one batch');

my $calls = fcalls() - $before;
ok($calls >= 1 && $calls <= 3, "$calls FCALL(s) carried " . scalar(@cases) . ' requests');

ok($stack->wait_until('the accepted events', 15, sub {
    $stack->psql("SELECT count(*) FROM events WHERE metadata ? 'batch'") == 12 + 1 + 1 + 3 }), 'every accepted event is stored');
is($stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'batched-1'"), 1, 'the conversion too');
my $entries = $stack->psql("SELECT count(DISTINCT stream_id) FROM events WHERE metadata ? 'batch'");
ok($entries >= 1 && $entries <= $calls, "the 17 events came in $entries stream entries, one per FCALL");

subtest 'a malformed event of a version 3 entry is kept apart, its neighbours stored' => sub {
    my $ms = $stack->psql("SELECT (extract(epoch FROM now()) * 1000)::bigint");
    my $tenant = $stack->demo->{id};
    my @ids = map { $stack->psql('SELECT gen_random_uuid()') } 1 .. 3;
    my $h = sub { join '', map { length($_) . ":$_" } 'track', $_[0], $ms, 'demo', $_[1], '', '' };
    my $id = $stack->redis_raw('XADD', '{analytics}:events', '*', v => 3,
                               h => $h->($ids[0], 'packed_one'), metadata => '{"packed":1}', tenant_id => $tenant,
                               h => 'not a header', metadata => '{"packed":2}', tenant_id => $tenant,
                               h => $h->($ids[2], 'packed_three'), metadata => '{"packed":3}', tenant_id => $tenant);
    ok($stack->wait_until('the good two', 15, sub {
        $stack->psql("SELECT count(*) FROM events WHERE metadata ? 'packed'") == 2 }), 'two events stored');
    is($stack->psql("SELECT string_agg(type || ':' || stream_id, ',' ORDER BY type) FROM events WHERE metadata ? 'packed'"),
       "packed_one:$id,packed_three:$id", 'each with the entry\'s id');
    ok($stack->wait_until('the trash row', 15, sub {
        $stack->psql("SELECT count(*) FROM stream_rejects WHERE stream_id LIKE '$id%'") == 1 }), 'one kept apart');
    is($stack->psql("SELECT stream_id || '|' || problem || '|' || (fields->>'metadata') FROM stream_rejects"
                    . " WHERE stream_id LIKE '$id%'"),
       "$id/2|h is not a packed header|{\"packed\":2}", 'as the entry\'s second event, with what is wrong and its fields');

    # fields before the first h: an event of their own, refused, shown as they came
    my $stray = $stack->redis_raw('XADD', '{analytics}:events', '*', v => 3, metadata => '{"packed":4}',
                                  h => $h->($ids[1], 'packed_four'), metadata => '{"packed":5}', tenant_id => $tenant);
    ok($stack->wait_until('the event after the stray field', 15, sub {
        $stack->psql("SELECT count(*) FROM events WHERE metadata ? 'packed'") == 3 }), 'the good event stored');
    ok($stack->wait_until('the stray field kept', 15, sub {
        $stack->psql("SELECT count(*) FROM stream_rejects WHERE stream_id LIKE '$stray%'") == 1 }), 'the stray kept apart');
    is($stack->psql("SELECT stream_id || '|' || problem || '|' || fields::text FROM stream_rejects WHERE stream_id LIKE '$stray%'"),
       "$stray/1|a packed event does not start with h|{\"v\": \"2\", \"metadata\": \"{\\\"packed\\\":4}\"}",
       'as the entry\'s first event, with its field');
};

$stack->finish;
done_testing;
