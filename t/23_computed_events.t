# Webmarketer's computed events: each valid event stitched to a user by its
# trackerId or identity fields (kept hashed), its states and statistics kept
# with their dates, updated later through PUT .../states and .../statistics
# (each change kept), and read back per event and per user.
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
my $token = token('demo', 'manage', 'events:read', 'events:write');
sub call { my ($method, $path, $body, $as) = @_; $stack->request($method, $path, $body, { Authorization => 'Bearer ' . ($as // $token) }) }
my $base = '/api/v1/projects/demo';

is(call('POST', "$base/event-types", { reference => 'lead', name => 'Lead', fields => [
    { storageKey => 'email', type => 'string', kind => 'identity' },
    { storageKey => 'qualified', type => 'number', kind => 'state' },
    { storageKey => 'converted', type => 'number', kind => 'state' },
    { storageKey => 'turnover', type => 'number', kind => 'statistic' },
    { storageKey => 'note', type => 'string' } ] })->{status}, 201, 'an event type with an identity, states and a statistic');

sub async_event {
    my ($body) = @_;
    my $r = $stack->request('POST', '/api/v1/events', $body);
    my ($id) = $r->{content} =~ $uuid;
    return $id;
}
my $a = async_event('{"projectId":"demo","eventType":"lead","trackerId":"trk-1","nonce":"a","eventDate":"2023-08-01T10:00:00Z",'
                  . '"data":{"email":"  Ann@Example.COM ","qualified":0,"turnover":100,"note":"first"}}');
my $c = async_event('{"projectId":"demo","eventType":"lead","trackerId":"trk-2","nonce":"c","data":{"converted":true}}');
my $d = async_event('{"projectId":"demo","eventType":"lead","nonce":"d","data":{"note":"nobody"}}');
ok($stack->wait_until('three computed events', 10, sub { $stack->psql("SELECT count(*) FROM computed_events") == 3 }), 'computed');
my $sync = call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => 'lead', nonce => 'b', data => { email => 'ann@example.com', converted => 1 } });
is($sync->{status}, 200, 'a synchronous event of the same email');
my ($b) = $sync->{content} =~ $uuid;

my %user = map { $_ => $stack->psql("SELECT coalesce(user_id::text, '') FROM computed_events WHERE id = '${ \($_) }'") } ($a, $b, $c, $d);

subtest 'users stitched by trackerId and identity, identities hashed' => sub {
    ok($user{$a}, 'the first event has a user');
    is($user{$b}, $user{$a}, 'the same email (other case, no blanks) is the same user');
    ok($user{$c} && $user{$c} ne $user{$a}, 'another trackerId: another user');
    is($user{$d}, '', 'nothing names the last one: no user');
    is($stack->psql("SELECT count(*) FROM project_users"), 2, 'two users');
    is($stack->psql("SELECT string_agg(kind, ',' ORDER BY kind) FROM user_identities WHERE user_id = '$user{$a}'"), 'email,trackerId',
       'the first user is named by an email and a trackerId');
    is($stack->psql("SELECT count(*) FROM user_identities WHERE value_hash = encode(sha256(convert_to('$demo->{id}' || chr(10) || 'email' || chr(10) || 'ann\@example.com', 'UTF8')), 'hex')"),
       1, 'the email kept as SHA-256 of tenant, kind and the trimmed, lower-cased value');
    is($stack->psql("SELECT count(*) FROM user_identities WHERE value_hash LIKE '%ann%'"), 0, 'never in clear');
};

subtest 'GET .../events/{id}: the computed event' => sub {
    my $r = call('GET', "$base/events/$a");
    is($r->{status}, 200, 'status 200');
    my $e = $r->{json};
    is_deeply([ @$e{qw(_id projectId userId eventDate eventType attributable expirationPolicy)} ],
              [ $a, 'demo', $user{$a}, '2023-08-01T10:00:00.000Z', 'lead', JSON::PP::true, undef ], 'the event\'s fields');
    is_deeply($e->{event}, { email => '  Ann@Example.COM ', qualified => 0, turnover => 100, note => 'first' }, 'its data as parsed');
    is($e->{user}{_id}, $user{$a}, 'its user');
    is_deeply([ map { [ $_->{storageKey}, $_->{type}, $_->{value}, $_->{metricDate} ] } @{ $e->{metrics} } ],
              [ [ 'qualified', 'state', 0, '2023-08-01T10:00:00.000Z' ], [ 'turnover', 'statistic', 100, '2023-08-01T10:00:00.000Z' ] ],
              'its states and statistics, dated by the event');
    is(call('GET', "$base/events/$d")->{json}{user}, undef, 'an event without a user');
    is(call('GET', "$base/events/$d")->{json}{attributable}, JSON::PP::false, 'is not attributable: no user, no traffic to credit');
    is(call('GET', "$base/events/00000000-0000-7000-8000-000000000000")->{status}, 404, 'unknown: 404');
    is(call('GET', "$base/events/nope")->{status}, 400, 'not a UUID: 400');
};

subtest 'states and statistics change, each change kept' => sub {
    my $r = call('PUT', "$base/events/$a/states/qualified", { value => 1, date => '2023-08-10T14:30:00Z' });
    is($r->{status}, 200, 'state qualified: 200');
    my %now = map { $_->{storageKey} => $_ } @{ $r->{json}{metrics} };
    is_deeply([ $now{qualified}{value}, $now{qualified}{metricDate} ], [ 1, '2023-08-10T14:30:00.000Z' ], 'answered with the new current value');
    $r = call('PUT', "$base/events/$a/statistics/turnover", { value => 4000 });
    is($r->{status}, 200, 'statistic turnover: 200');
    %now = map { $_->{storageKey} => $_ } @{ $r->{json}{metrics} };
    is($now{turnover}{value}, 4000, 'turnover is 4000 now');
    is($stack->psql("SELECT count(*) FROM event_metrics WHERE event_id = '$a'"), 4, 'four values kept: two of each');
    $r = call('PUT', "$base/events/$a/states/converted", { value => 1, date => '2023-08-18T17:30:00Z' });
    is($r->{status}, 200, 'a state the event did not carry yet: 200');

    my $missing = '{"statusCode":404,"message":"No storageKey matching field in this eventType","error":"Not Found"}';
    for my $case ([ 'states/turnover', 'a statistic as a state' ], [ 'states/nope', 'an unknown state' ],
                  [ 'statistics/qualified', 'a state as a statistic' ], [ 'statistics/note', 'a plain field' ]) {
        $r = call('PUT', "$base/events/$a/$case->[0]", { value => 1 });
        is($r->{status}, 404, "$case->[1]: 404");
        is($r->{content}, $missing, 'with the document\'s message');
    }
    for my $case ([ 'states/qualified', { value => 2 }, 'value must be 0 or 1' ],
                  [ 'states/qualified', {}, 'value must be 0 or 1' ],
                  [ 'statistics/turnover', { value => '12' }, 'value must be a number' ],
                  [ 'statistics/turnover', { value => 1, date => 'later' }, 'date must be an RFC 3339 date-time' ]) {
        $r = call('PUT', "$base/events/$a/$case->[0]", $case->[1]);
        is($r->{status}, 400, "$case->[2]: 400");
        is($r->{json}{message}, $case->[2], 'says so');
    }
    is(call('PUT', "$base/events/00000000-0000-7000-8000-000000000000/states/qualified", { value => 1 })->{status}, 404,
       'an unknown event: 404');
    is(call('PUT', "$base/events/$a/states/qualified", { value => 1 }, token('demo', 'events:read'))->{status}, 403,
       'without events:write: 403');
    $stack->create_tenant(slug => 'elsewhere', name => 'Elsewhere');
    is(call('GET', "$base/events/$a", undef, token('elsewhere', 'events:read'))->{status}, 404, 'another project\'s token: 404');
};

subtest 'GET .../users/{id}/metrics' => sub {
    my $list = sub { call('GET', "$base/users/$user{$a}/metrics?$_[0]")->{json} };
    my $all = $list->('sort=metricDate&order=ASC');
    is($all->{total}, 6, 'six values over both events of the user');
    is_deeply([ map { "$_->{storageKey}=$_->{value}" } @{ $all->{data} } ],
              [ 'qualified=0', 'turnover=100', 'qualified=1', 'converted=1', 'converted=1', 'turnover=4000' ],
              'in metric date order: the first event\'s, the two dated updates, the second event\'s, the undated update')
        or diag explain $all->{data};
    is($list->('type=state')->{total}, 4, 'type=state');
    is($list->('type=statistic')->{total}, 2, 'type=statistic');
    is($list->('since=2023-08-05T00:00:00Z&until=2023-08-31T00:00:00Z')->{total}, 2, 'since and until, on the metric date');
    my $page = $list->('sort=metricDate&order=ASC&offset=1&limit=2');
    is_deeply([ $page->{count}, $page->{total}, $page->{data}[0]{storageKey} ], [ 2, 6, 'turnover' ], 'paged');
    is_deeply([ @{ $list->('offset=6') }{qw(count total)} ], [ 0, 6 ], 'offset past the end');
    is_deeply([ @{ $list->('limit=0') }{qw(count total)} ], [ 0, 6 ], 'limit 0');
    is(call('GET', "$base/users/$user{$a}/metrics?limit=1001")->{status}, 400, 'limit over the maximum: 400');
    is(call('GET', "$base/users/$user{$a}/metrics?since=soon")->{status}, 400, 'a bad since: 400');
    is(call('GET', "$base/users/$user{$a}/metrics", undef, token('elsewhere', 'events:read'))->{status}, 404, 'another project\'s token: 404');
    is(call('GET', "$base/users/$user{$a}/metrics", undef, token('demo', 'manage'))->{status}, 403, 'without events:read: 403');
    is(call('GET', "$base/users/$user{$a}/metrics?sort=value")->{status}, 400, 'an unknown sort: 400');
    is(call('GET', "$base/users/$user{$a}/metrics?order=up")->{status}, 400, 'an unknown order: 400');
    is(call('GET', "$base/users/$user{$a}/metrics?type=field")->{status}, 400, 'an unknown type: 400');
    is(call('GET', "$base/users/00000000-0000-4000-8000-000000000000/metrics")->{status}, 404, 'an unknown user: 404');
};

subtest "GET .../users/{id}/events: the user's computed events" => sub {
    my $r = call('GET', "$base/users/$user{$a}/events");
    is($r->{status}, 200, 'status 200');
    is_deeply([ $r->{json}{count}, $r->{json}{total} ], [ 2, 2 ], 'both events of the email');
    is_deeply([ map { $_->{_id} } @{ $r->{json}{data} } ], [ $b, $a ], 'the latest event date first');
    is_deeply($r->{json}{data}[1], call('GET', "$base/events/$a")->{json}, 'each item as GET .../events/{id} answers it')
        or diag explain $r->{json}{data}[1];
    is_deeply([ map { "$_->{storageKey}=$_->{value}" } @{ $r->{json}{data}[1]{metrics} } ],
              [ 'converted=1', 'qualified=1', 'turnover=4000' ], 'with the current value of each metric');
    my $until = call('GET', "$base/users/$user{$a}/events?until=2023-12-31T00:00:00Z")->{json};
    is_deeply([ map { $_->{_id} } @{ $until->{data} } ], [ $a ], 'until bounds the event date');
    is(call('GET', "$base/users/$user{$a}/events?since=2999-01-01T00:00:00Z")->{json}{total}, 0, 'since the future: none');
    my $page = call('GET', "$base/users/$user{$a}/events?offset=1&limit=1")->{json};
    is_deeply([ $page->{count}, $page->{total}, $page->{data}[0]{_id} ], [ 1, 2, $a ], 'paged');
    is_deeply([ map { $_->{_id} } @{ call('GET', "$base/users/$user{$c}/events")->{json}{data} } ], [ $c ],
              'another user: its own event only');
    is(call('GET', "$base/users/00000000-0000-4000-8000-000000000000/events")->{status}, 404, 'an unknown user: 404');
    is(call('GET', "$base/users/nope/events")->{status}, 400, 'not a UUID: 400');
    is(call('GET', "$base/users/$user{$a}/events?since=soon")->{status}, 400, 'a bad since: 400');
    is(call('GET', "$base/users/$user{$a}/events?limit=1001")->{status}, 400, 'limit over the maximum: 400');
    is(call('GET', "$base/users/$user{$a}/events", undef, token('elsewhere', 'events:read'))->{status}, 404,
       "another project's token: 404");
    is(call('GET', "$base/users/$user{$a}/events", undef, token('demo', 'manage'))->{status}, 403, 'without events:read: 403');
};

subtest 'two users whose identities meet in one event become one' => sub {
    my $older = $user{$a};
    my $younger = $user{$c};
    my $metrics = sub { call('GET', "$base/users/$_[0]/metrics")->{json}{total} };
    my $before = $metrics->($older) + $metrics->($younger);
    my $e = async_event('{"projectId":"demo","eventType":"lead","trackerId":"trk-2","nonce":"e","data":{"email":"ann@example.com"}}');
    ok($stack->wait_until('the event', 10, sub { $stack->psql("SELECT count(*) FROM computed_events WHERE id = '$e'") == 1 }),
       'an event of trk-2 (the younger user) naming ann (the older one)');
    is($stack->psql("SELECT user_id FROM computed_events WHERE id = '$e'"), $older, 'belongs to the older user');
    is($stack->psql("SELECT user_id FROM computed_events WHERE id = '$c'"), $older, 'and so does the younger user\'s event');
    is($stack->psql("SELECT count(*) FROM project_users WHERE id = '$younger'"), 0, 'the younger user is gone');
    is($stack->psql("SELECT string_agg(kind, ',' ORDER BY kind) FROM user_identities WHERE user_id = '$older'"),
       'email,trackerId,trackerId', 'its identities are the older user\'s');
    is($metrics->($older), $before, 'every state and statistic of both, listed under the older user');
    is(call('GET', "$base/users/$younger/metrics")->{status}, 404, 'the younger user: 404');
};

subtest "the document's own date examples all name one instant" => sub {
    my @dates;
    for my $date ('2022-04-01Z05:00:00', '2022-04-01T06:00:00+01:00', '2022-04-01T03:00:00-02:00', '20220401T050000Z') {
        my $r = call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => 'lead', nonce => "date-$date", eventDate => $date,
                                                       data => { note => 'dated' } });
        is($r->{status}, 200, "eventDate $date: 200") or diag $r->{content};
        my ($id) = $r->{content} =~ $uuid;
        push @dates, call('GET', "$base/events/$id")->{json}{eventDate};
    }
    is_deeply(\@dates, [ ('2022-04-01T05:00:00.000Z') x 4 ], 'each stored as 2022-04-01T05:00:00.000Z');
};

subtest 'expirationPolicy: no state or statistic dated after the event expired' => sub {
    my $r = call('PATCH', "$base/event-types/lead", { expirationPolicy => { days => 30 } });
    is($r->{status}, 200, 'the type now expires its events after 30 days');
    is_deeply($r->{json}{expirationPolicy}, { days => 30 }, 'answered with the policy');
    is_deeply(call('GET', "$base/events/$a")->{json}{expirationPolicy}, { days => 30 }, "the event shows its type's policy");
    $r = call('PUT', "$base/events/$a/states/converted", { value => 1, date => '2023-08-31T10:00:00Z' });
    is($r->{status}, 200, 'on the last day (eventDate 2023-08-01T10:00Z + 30 days): taken');
    my $kept = $stack->psql("SELECT count(*) FROM event_metrics WHERE event_id = '$a'");
    $r = call('PUT', "$base/events/$a/states/converted", { value => 0, date => '2023-08-31T10:00:00.001Z' });
    is($r->{status}, 409, 'a millisecond later: 409');
    is($r->{content}, '{"statusCode":409,"message":"The event expired at 2023-08-31T10:00:00.000Z: its states and statistics'
                      . ' no longer change","error":"Conflict"}', 'in the project shape, with when');
    $r = call('PUT', "$base/events/$a/statistics/turnover", { value => 5 });
    is($r->{status}, 409, 'undated (now): 409 too');
    is($stack->psql("SELECT count(*) FROM event_metrics WHERE event_id = '$a'"), $kept, 'neither refused value kept');
    is(call('PUT', "$base/events/$c/states/converted", { value => 1 })->{status}, 200,
       'an event of today is not expired');
    is(call('PATCH', "$base/event-types/lead", { expirationPolicy => undef })->{status}, 200, 'the policy removed');
    is(call('PUT', "$base/events/$a/statistics/turnover", { value => 5 })->{status}, 200, 'and the event changes again');
};

$stack->finish;
done_testing;
