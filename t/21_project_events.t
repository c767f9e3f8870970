# POST /api/v1/events (webmarketer-api, asynchronous): any JSON object is
# answered 200 with its new id; the aggregator checks it against its event
# type, keeps it as sent once per (project, nonce), and puts the invalid ones
# in the project's trash with every reason. Read back through raw-events and
# trashed-events.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $demo = $stack->demo;
my $uuid = qr/^"([0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"$/;

sub token {
    my ($tenant, @scopes) = @_;
    $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => $tenant, subject => 'wm', scopes => [@scopes] })->{json}{token};
}
my $reader = token('demo', 'manage', 'events:read');
sub call { my ($method, $path, $body, $token) = @_; $stack->request($method, $path, $body, { Authorization => 'Bearer ' . ($token // $reader) }) }
sub send_event { $stack->request('POST', '/api/v1/events', @_) }

# every entry read and acknowledged: what was not stored by now never will be
sub drained {
    my %group = split /\n/, $stack->redis_raw('XINFO', 'GROUPS', '{analytics}:events');
    return defined $group{lag} && $group{lag} eq '0' && $group{pending} eq '0';
}
sub wait_drained { ok($stack->wait_until('the stream to drain', 15, \&drained), 'the stream is drained') }

is(call('POST', '/api/v1/projects/demo/event-types', { reference => 'purchase', name => 'Purchase', fields => [
    { storageKey => 'orderId', type => 'string', required => JSON::PP::true },
    { storageKey => 'turnover', type => 'number', kind => 'statistic', required => JSON::PP::true },
    { storageKey => 'paid', type => 'number', kind => 'state' },
    { storageKey => 'shippedAt', type => 'date' },
    { storageKey => 'email', type => 'string', kind => 'identity' } ] })->{status}, 201, 'an event type');
is(call('POST', '/api/v1/projects/demo/event-types', { reference => 'old', name => 'Old' })->{status}, 201, 'another');
$stack->psql("UPDATE event_types SET archived_at = now() WHERE reference = 'old'");

my $good = '{"projectId":"demo","eventType":"purchase","eventDate":"2024-04-16T20:37:02","trackerId":"t-1",'
         . '"nonce":123456789,"data":{"orderId":"A-1","turnover":4000,"paid":1,"extra":{"kept":true}}}';

subtest 'a valid event: 200 with its id, kept as sent and as an event' => sub {
    my $r = send_event($good);
    is($r->{status}, 200, 'status 200');
    like($r->{content}, $uuid, 'the body is the new id as a JSON string');
    is($r->{headers}{'content-type'}, 'application/json', 'as JSON');
    is($r->{headers}{'x-ratelimit-limit'}, 1000000, 'rate limit headers');
    my ($id) = $r->{content} =~ $uuid;
    ok($stack->wait_until('the raw event', 10, sub { $stack->psql("SELECT count(*) FROM raw_events") == 1 }), 'stored');
    is($stack->psql("SELECT tenant_id, id, nonce, event_type, tracker_id, rfc3339(event_date), body::text FROM raw_events"),
       "$demo->{id}|$id|123456789|purchase|t-1|2024-04-16T20:37:02.000Z|$good", 'the raw event, byte for byte');
    is($stack->psql("SELECT kind, type, metadata::text, visitor_key IS NOT NULL FROM events WHERE id = '$id'"),
       'project_event|purchase|{"paid": 1, "extra": {"kept": true}, "orderId": "A-1", "turnover": 4000}|t',
       'an event with its data, and a visitor from its trackerId');
    is($stack->psql("SELECT count(*) FROM trashed_events"), 0, 'nothing trashed');

    $r = call('GET', "/api/v1/projects/demo/raw-events/$id");
    is($r->{status}, 200, 'GET raw-events/{id}');
    is($r->{json}{_id}, $id, '_id');
    is($r->{json}{nonce}, '123456789', 'the nonce as a string');
    is($r->{json}{projectId}, 'demo', 'projectId');
    is($r->{json}{eventType}, 'purchase', 'eventType');
    is($r->{json}{trackerId}, 't-1', 'trackerId');
    is_deeply($r->{json}{data}, { orderId => 'A-1', turnover => 4000, paid => 1, extra => { kept => JSON::PP::true } }, 'data as sent');
    like($r->{json}{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'createdAt');
};

subtest 'a repeated nonce is stored once' => sub {
    my $r = send_event($good);
    is($r->{status}, 200, 'answered 200 again');
    my ($second) = $r->{content} =~ $uuid;
    ok($second, 'with an id of its own');
    $r = send_event('{"projectId":"demo","eventType":"purchase","nonce":"123456789","data":{"orderId":"B","turnover":1}}');
    is($r->{status}, 200, 'the same nonce as a string: 200');
    wait_drained();
    is($stack->psql("SELECT count(*) FROM raw_events WHERE nonce = '123456789'"), 1, 'one raw event for the nonce');
    is($stack->psql("SELECT count(*) FROM events WHERE kind = 'project_event'"), 1, 'one event');
    is(call('GET', "/api/v1/projects/demo/raw-events/$second")->{status}, 404, 'the repeat has no raw event');
};

subtest 'invalid events land in the trash with every reason' => sub {
    my @cases = (
        [ '{"projectId":"demo","eventType":"purchase","nonce":"n-1","data":{"orderId":5,"paid":2,"shippedAt":"soon"}}',
          [ [ 'data.orderId', 'data.orderId must be a string' ], [ 'data.turnover', 'data.turnover is required' ],
            [ 'data.paid', 'data.paid must be a state: 0 or 1' ], [ 'data.shippedAt', 'data.shippedAt must be an RFC 3339 date-time' ] ] ],
        [ '{"projectId":"demo","eventType":"nope","nonce":"n-2","data":{}}',
          [ [ 'eventType', 'eventType names no event type of this project' ] ] ],
        [ '{"projectId":"demo","eventType":"old","nonce":"n-3","data":{}}',
          [ [ 'eventType', 'eventType names an archived event type' ] ] ],
        [ '{"projectId":"demo","eventDate":"yesterday","trackerId":7,"nonce":[],"data":"x"}',
          [ [ 'eventType', 'eventType is required' ], [ 'eventDate', 'eventDate must be an RFC 3339 date-time' ],
            [ 'trackerId', 'trackerId must be a string of 1 to 256 characters' ],
            [ 'nonce', 'nonce must be a string of 1 to 256 characters or a number' ], [ 'data', 'data must be an object' ] ] ],
    );
    my %expected;
    for my $case (@cases) {
        my $r = send_event($case->[0]);
        is($r->{status}, 200, '200 even so');
        my ($id) = $r->{content} =~ $uuid;
        ok($id, 'with an id');
        $expected{$id} = [ $case->[0], [ map { { key => $_->[0], field => $_->[0], message => $_->[1] } } @{ $case->[1] } ] ];
    }
    ok($stack->wait_until('four trashed', 10, sub { $stack->psql("SELECT count(*) FROM trashed_events") == 4 }), 'four trashed');
    is($stack->psql("SELECT count(*) FROM events WHERE kind = 'project_event'"), 1, 'none became an event');
    my $r = call('GET', '/api/v1/projects/demo/trashed-events');
    is($r->{status}, 200, 'GET trashed-events');
    is_deeply([ $r->{json}{count}, $r->{json}{total} ], [ 4, 4 ], 'count and total');
    for my $item (@{ $r->{json}{data} }) {
        my $want = $expected{ $item->{_id} };
        ok($want, "an event we sent ($item->{_id})") or next;
        is_deeply($item->{errors}, $want->[1], "its reasons: $want->[1][0]{message}");
    }
    my $raw = $stack->psql("SELECT body::text FROM raw_events r JOIN trashed_events USING (tenant_id, id) WHERE r.nonce = 'n-2'");
    is($raw, $cases[1][0], 'kept as sent');

    # rows trashed before migration 024 carry only "field": it adds "key", once
    my $old = "(SELECT id FROM raw_events WHERE nonce = 'n-2')";
    $stack->psql("UPDATE trashed_events SET errors = jsonb_build_array(jsonb_build_object('field', 'data.x', 'message', 'm'),"
                 . " jsonb_build_object('field', 'data.y', 'message', 'n')) WHERE id = $old");
    open(my $fh, '<', 'sql/024_trashed_error_keys.sql') or die "sql/024: $!";
    my $migration = join '', grep { !/^--/ } <$fh>;
    close $fh;
    $stack->psql($migration) for 1 .. 2;
    is($stack->psql("SELECT errors::text FROM trashed_events WHERE id = $old"),
       '[{"key": "data.x", "field": "data.x", "message": "m"}, {"key": "data.y", "field": "data.y", "message": "n"}]',
       'migration 024: key beside field, in order, applied twice');

    $r = call('GET', '/api/v1/projects/demo/trashed-events?offset=1&limit=2');
    is_deeply([ $r->{json}{count}, $r->{json}{total} ], [ 2, 4 ], 'paged');
    is(call('GET', '/api/v1/projects/demo/trashed-events?since=2999-01-01T00:00:00Z')->{json}{total}, 0, 'since the future: none');
    is(call('GET', '/api/v1/projects/demo/trashed-events?until=2000-01-01T00:00:00Z')->{json}{total}, 0, 'until the past: none');
    is(call('GET', '/api/v1/projects/demo/trashed-events?since=2000-01-01T00:00:00Z&until=2999-01-01')->{json}{total}, 4, 'between: all');
    is_deeply([ @{ call('GET', '/api/v1/projects/demo/trashed-events?offset=9')->{json} }{qw(count total)} ], [ 0, 4 ], 'offset past the end');
    is_deeply([ @{ call('GET', '/api/v1/projects/demo/trashed-events?limit=0')->{json} }{qw(count total)} ], [ 0, 4 ], 'limit 0');
    is(call('GET', '/api/v1/projects/demo/trashed-events?limit=1001')->{status}, 400, 'limit over the maximum: 400');
    $r = call('GET', '/api/v1/projects/demo/trashed-events?since=monday');
    is($r->{status}, 400, 'since must be a date-time');
    is($r->{content}, '{"statusCode":400,"message":"since must be an RFC 3339 date-time","error":"Bad Request"}', 'in the project shape');
};

subtest 'only a body that is not a JSON object is refused' => sub {
    for my $case ([ '{"projectId":', 'malformed JSON' ], [ '[1,2]', 'an array' ], [ '"x"', 'a string' ]) {
        my $r = send_event($case->[0]);
        is($r->{status}, 400, "$case->[1]: 400");
        is($r->{json}{statusCode}, 400, 'statusCode');
        is($r->{json}{error}, 'Bad Request', 'error');
        like($r->{json}{message}, qr/^(Malformed JSON body: .+|The request body must be a JSON object\.)$/, 'a message that says why');
    }
    my $r = send_event('{"projectId":"demo","nonce":"text/plain","eventType":"purchase","data":{"orderId":"P","turnover":2}}',
                       { 'Content-Type' => 'text/plain' });
    is($r->{status}, 200, 'text/plain, as sendBeacon sends it: 200');
    $r = $stack->request('GET', '/api/v1/events');
    is($r->{status}, 405, 'GET: 405');
    is($r->{content}, '{"statusCode":405,"message":"Method not allowed: use POST.","error":"Method Not Allowed"}', 'in the project shape');
    $r = $stack->request('POST', '/test/rate-limited/events', '{"a":"' . ('x' x 2000) . '"}');
    is($r->{status}, 413, 'over the body limit: 413');
    is($r->{content}, '{"statusCode":413,"message":"The request body is larger than the configured limit.","error":"Payload Too Large"}',
       'in the project shape');
};

subtest 'an unknown or private project: the same answer, nothing stored' => sub {
    $stack->create_tenant(slug => 'hidden', name => 'Hidden', public => JSON::PP::false);
    my $before = $stack->psql("SELECT count(*) FROM raw_events");
    for my $project ('no-such-project', 'hidden') {
        my $r = send_event(qq({"projectId":"$project","eventType":"purchase","nonce":"u","data":{}}));
        is($r->{status}, 200, "$project: 200");
        like($r->{content}, $uuid, 'with an id');
    }
    my $r = send_event('{"eventType":"purchase","nonce":"u","data":{}}');
    is($r->{status}, 200, 'no projectId: 200');
    wait_drained();
    is($stack->psql("SELECT count(*) FROM raw_events"), $before, 'nothing stored');
    is($stack->psql("SELECT count(*) FROM stream_rejects"), 0, 'and nothing rejected');
};

subtest 'rate limited in the project shape' => sub {
    for my $n (1 .. 2) {
        is($stack->request('POST', '/test/rate-limited/events', '{"projectId":"demo"}', { 'X-Client' => 'c1' })->{status}, 200, "request $n: 200");
    }
    my $r = $stack->request('POST', '/test/rate-limited/events', '[]', { 'X-Client' => 'c1' });
    is($r->{status}, 429, 'the third: 429, before the body is judged');
    is($r->{content}, '{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests"}', 'body');
    ok($r->{headers}{'retry-after'} >= 1, 'Retry-After');
    is($r->{headers}{'x-ratelimit-remaining'}, 0, 'none remaining');
};

subtest 'another project\'s token sees nothing' => sub {
    $stack->create_tenant(slug => 'other-shop', name => 'Other shop');
    my $other = token('other-shop', 'events:read');
    my $id = $stack->psql("SELECT id FROM raw_events LIMIT 1");
    is(call('GET', "/api/v1/projects/demo/raw-events/$id", undef, $other)->{status}, 404, 'raw event: 404');
    is(call('GET', '/api/v1/projects/demo/trashed-events', undef, $other)->{status}, 404, 'trash: 404');
    is(call('GET', "/api/v1/projects/demo/raw-events/not-a-uuid")->{status}, 400, 'an id that is no UUID: 400');
    is(call('GET', '/api/v1/projects/demo/raw-events/00000000-0000-7000-8000-000000000000')->{status}, 404, 'unknown: 404');
    is(call('GET', '/api/v1/projects/demo/trashed-events', undef, token('demo', 'manage'))->{status}, 403, 'without events:read: 403');
};

subtest 'POST /api/v1/events/sync: checked and persisted before the answer' => sub {
    my $writer = token('demo', 'events:write');
    my $sync = sub { $stack->request('POST', '/api/v1/events/sync', $_[0], { Authorization => 'Bearer ' . ($_[1] // $writer) }) };
    my $body = '{"projectId":"demo","eventType":"purchase","nonce":"sync-1","trackerId":"t-1","data":{"orderId":"S-1","turnover":10}}';
    my $r = $sync->($body);
    is($r->{status}, 200, 'status 200');
    my ($id) = $r->{content} =~ $uuid;
    ok($id, 'the new id as a JSON string');
    is($stack->psql("SELECT nonce, body::text FROM raw_events WHERE id = '$id'"), "sync-1|$body", 'the raw event is there at once');
    is($stack->psql("SELECT kind, type, stream_id FROM events WHERE id = '$id'"), 'project_event|purchase|sync', 'and its event');
    is($stack->psql("SELECT count(DISTINCT visitor_key) FROM events WHERE kind = 'project_event' AND metadata->>'orderId' IN ('A-1', 'S-1')"), 1,
       'the same visitor as the async event of the same trackerId');

    $r = $sync->($body);
    is($r->{status}, 200, 'the same nonce again: 200');
    is($r->{content}, qq("$id"), 'with the id kept for it');
    is($stack->psql("SELECT count(*) FROM raw_events WHERE nonce = 'sync-1'"), 1, 'stored once');

    $r = $sync->('{"projectId":"demo","eventType":"purchase","nonce":"sync-2","data":{"turnover":"ten"}}');
    is($r->{status}, 400, 'invalid: 400');
    is_deeply($r->{json}, { statusCode => 400, message => 'data.orderId is required', error => 'Bad Request',
        errors => [ { key => 'data.orderId', field => 'data.orderId', message => 'data.orderId is required' },
                    { key => 'data.turnover', field => 'data.turnover',
                      message => 'data.turnover must be a statistic: a number' } ] }, 'with every reason');
    is($stack->psql("SELECT count(*) FROM raw_events WHERE nonce = 'sync-2'"), 0, 'nothing kept: the caller has the reasons');
    $r = $sync->('{"eventType":"purchase","nonce":"sync-3","data":{}}');
    is($r->{status}, 400, 'no projectId: 400');
    is($r->{json}{message}, 'projectId is required', 'says so');
    $r = $sync->('{"projectId":');
    is($r->{status}, 400, 'malformed: 400');
    is($r->{content}, '{"statusCode":400,"message":"Malformed JSON body","error":"Bad Request"}', 'in the project shape');

    is($sync->($body, 'nope')->{status}, 401, 'a bad token: 401');
    is($sync->($body, token('demo', 'events:read'))->{status}, 403, 'without events:write: 403');
    is($sync->($body, token('other-shop', 'events:write'))->{status}, 404, 'another project\'s token: 404');
    is($sync->('{"projectId":"no-such-project","eventType":"x","nonce":1,"data":{}}')->{status}, 404, 'an unknown project: 404');
};

$stack->finish;
done_testing;
