# Custom ads: integrations, explicit campaigns and the implicit ones traffic
# makes, and outlays; every filter, sort and order of both lists, updates
# answering {modifiedCount}, and the document's rules (unique slug per
# integration, an outlay's start before its end).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
sub token {
    my ($tenant, @scopes) = @_;
    $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => $tenant, subject => 'ads', scopes => [@scopes] })->{json}{token};
}
my $token = token('demo', 'manage', 'reports:read');
sub call { my ($method, $path, $body, $as) = @_; $stack->request($method, $path, $body, { Authorization => 'Bearer ' . ($as // $token) }) }
my $base = '/api/v1/projects/demo/custom-ads';

subtest 'integrations' => sub {
    my $r = call('POST', $base, { name => 'Spreadsheet ads', wmktId => 'sheet-1', currency => 'USD' });
    is($r->{status}, 201, 'created');
    is_deeply([ @{ $r->{json} }{qw(wmktId name currency)} ], [ 'sheet-1', 'Spreadsheet ads', 'USD' ], 'as asked');
    $r = call('POST', $base, { name => 'Generated' });
    is($r->{status}, 201, 'without a wmktId');
    like($r->{json}{wmktId}, qr/^wm[0-9a-f]{16}$/, 'one is made');
    is($r->{json}{currency}, 'HNL', 'HNL by default');
    is(call('POST', $base, { name => 'Again', wmktId => 'sheet-1' })->{status}, 409, 'a wmktId twice: 409');
    is(call('POST', $base, { name => 'x', wmktId => 'bad id' })->{json}{message}, 'wmktId must be 1 to 64 letters, digits, _ or -', 'a bad wmktId');
    is(call('POST', $base, { name => 'x', currency => 'usd' })->{json}{message}, 'currency must be an ISO 4217 code such as HNL', 'a bad currency');
    is(call('GET', $base)->{json}{total}, 2, 'listed');
    $r = call('GET', "$base/sheet-1");
    is_deeply([ $r->{status}, @{ $r->{json} }{qw(wmktId name currency)} ], [ 200, 'sheet-1', 'Spreadsheet ads', 'USD' ], 'read one');
    is_deeply(call('PATCH', "$base/sheet-1", { name => 'Sheet ads' })->{json}, { modifiedCount => 1 }, 'renamed: modifiedCount 1');
    is_deeply(call('PATCH', "$base/sheet-1", { name => 'Sheet ads', currency => 'USD' })->{json}, { modifiedCount => 0 }, 'unchanged: 0');
    is(call('PATCH', "$base/sheet-1", { currency => 'dollars' })->{json}{message}, 'currency must be an ISO 4217 code such as HNL', 'a bad currency: 400');
    is(call('GET', "$base/nope")->{status}, 404, 'an unknown wmktId: 404');
    is(call('GET', "$base/nope/campaigns")->{status}, 404, 'an unknown integration: 404');
};

my %id;
subtest 'campaigns: create, read, update' => sub {
    for my $c ([ 'spring', 'Spring sale', 1 ], [ 'summer', 'Summer', 0 ], [ 'autumn', 'autumn leaves', 1 ]) {
        my $r = call('POST', "$base/sheet-1/campaigns", { campaignSlug => $c->[0], name => $c->[1], active => $c->[2] ? JSON::PP::true : JSON::PP::false });
        is($r->{status}, 201, "$c->[0]: 201");
        like($r->{json}{id}, qr/^[0-9a-f-]{36}$/, 'its id');
        $id{ $c->[0] } = $r->{json}{id};
    }
    my $r = call('POST', "$base/sheet-1/campaigns", { campaignSlug => 'spring', name => 'Twice' });
    is($r->{status}, 409, 'a slug twice: 409');
    is($r->{json}{message}, 'A campaign with slug spring exists already in this integration', 'says so');
    is(call('POST', "$base/sheet-1/campaigns", { name => 'x' })->{json}{message}, 'campaignSlug must be a string of 1 to 200 characters', 'no slug: 400');
    is(call('POST', "$base/sheet-1/campaigns", { campaignSlug => 'x' })->{json}{message}, 'name must be a string of 1 to 200 characters', 'no name: 400');
    is(call('POST', "$base/sheet-1/campaigns", { campaignSlug => 'x', name => 'x', active => 'yes' })->{json}{message}, 'active must be a boolean', 'active a string: 400');

    $r = call('GET', "$base/sheet-1/campaigns/$id{spring}");
    is($r->{status}, 200, 'read');
    is_deeply([ @{ $r->{json} }{qw(id integrationId projectId name campaignSlug active explicit)} ],
              [ $id{spring}, 'sheet-1', 'demo', 'Spring sale', 'spring', JSON::PP::true, JSON::PP::true ], 'the document\'s fields');
    is(call('GET', "$base/sheet-1/campaigns/00000000-0000-4000-8000-000000000000")->{status}, 404, 'unknown: 404');

    $r = call('PATCH', "$base/sheet-1/campaigns/$id{summer}", { active => JSON::PP::true, name => 'Summer sale' });
    is_deeply($r->{json}, { modifiedCount => 1 }, 'updated: modifiedCount 1');
    $r = call('PATCH', "$base/sheet-1/campaigns/$id{summer}", { active => JSON::PP::true });
    is_deeply($r->{json}, { modifiedCount => 0 }, 'the same again: modifiedCount 0');
    $r = call('PATCH', "$base/sheet-1/campaigns/$id{summer}", { active => JSON::PP::false });
    is($stack->psql("SELECT name, active FROM custom_ads_campaigns WHERE id = '$id{summer}'"), 'Summer sale|f', 'kept');
};

subtest 'traffic naming an unknown slug makes an implicit campaign' => sub {
    for my $slug ('winter', 'winter', 'spring') {
        $stack->request('GET', '/collect.gif?t=demo&u=' . 'https%3A%2F%2Fshop.example%2F%3Fwmktid%3Dsheet-1%26wmkt_campaign%3D' . $slug);
    }
    $stack->request('GET', '/collect.gif?t=demo&u=https%3A%2F%2Fshop.example%2F%3Fwmktid%3Dunknown-integration%26wmkt_campaign%3Dx');
    ok($stack->wait_until('four interactions', 10, sub { $stack->psql("SELECT count(*) FROM interactions WHERE wmkt_id IS NOT NULL") == 4 }),
       'the hits are in');
    is($stack->psql("SELECT campaign_slug, name, explicit, active FROM custom_ads_campaigns ORDER BY campaign_slug"),
       "autumn|autumn leaves|t|t\nspring|Spring sale|t|t\nsummer|Summer sale|t|f\nwinter|winter|f|t",
       'one implicit campaign for winter; none for a declared slug or an unknown integration');
    my $r = call('POST', "$base/sheet-1/campaigns", { campaignSlug => 'winter', name => 'Winter deals' });
    is($r->{status}, 201, 'declaring an implicit slug: 201');
    $id{winter} = $r->{json}{id};
    is($stack->psql("SELECT name, explicit FROM custom_ads_campaigns WHERE campaign_slug = 'winter'"), 'Winter deals|t',
       'the implicit campaign becomes explicit, with the same id');
};

subtest 'campaigns: every filter, sort and order' => sub {
    $stack->psql("INSERT INTO custom_ads_campaigns (tenant_id, integration_id, campaign_slug, name, explicit)"
               . " SELECT tenant_id, integration_id, 'fall_2', 'Fall_2', false FROM custom_ads_campaigns WHERE id = '$id{spring}'");
    my $list = sub { [ map { $_->{campaignSlug} } @{ call('GET', "$base/sheet-1/campaigns?$_[0]")->{json}{data} } ] };
    is_deeply($list->(''), [ qw(autumn fall_2 spring summer winter) ], 'by name without case, ascending');
    is_deeply($list->('order=DESC'), [ qw(winter summer spring fall_2 autumn) ], 'order=DESC');
    is_deeply($list->('active=false'), [ 'summer' ], 'active=false');
    is_deeply($list->('explicit=false'), [ 'fall_2' ], 'explicit=false');
    is_deeply($list->("campaignId=$id{autumn}"), [ 'autumn' ], 'campaignId');
    is_deeply($list->('campaignSlug=spring'), [ 'spring' ], 'campaignSlug');
    is_deeply($list->('nameLike=SALE'), [ qw(spring summer) ], 'nameLike, without case');
    is_deeply($list->('nameLike=_'), [ 'fall_2' ], 'nameLike takes _ literally');
    is_deeply($list->('sort=active&order=ASC&nameLike=s'), [ 'summer', 'autumn', 'spring', 'winter' ], 'sort=active (false first, then by name)');
    my $sorted = join ',', sort map { $id{$_} } qw(autumn spring summer winter);
    is(join(',', map { $id{$_} // () } @{ $list->('sort=campaignId&explicit=true') }), $sorted, 'sort=campaignId');
    my $r = call('GET', "$base/sheet-1/campaigns?offset=1&limit=2");
    is_deeply([ @{ $r->{json} }{qw(count total offset limit)} ], [ 2, 5, 1, 2 ], 'the page is echoed');
    is_deeply([ @{ call('GET', "$base/sheet-1/campaigns?offset=9")->{json} }{qw(count total)} ], [ 0, 5 ], 'past the end');
    is(call('GET', "$base/sheet-1/campaigns?limit=0")->{json}{count}, 0, 'limit 0');
    for my $bad ('sort=slug', 'order=UP', 'active=1', 'explicit=yes', 'campaignId=7', 'limit=1001') {
        is(call('GET', "$base/sheet-1/campaigns?$bad")->{status}, 400, "$bad: 400");
    }
};

subtest 'outlays' => sub {
    my $outlays = "$base/sheet-1/campaigns/$id{spring}/outlays";
    my @made;
    for my $o ([ 120.5, '2024-03-01T00:00:00Z', '2024-03-31T23:59:59Z', 'HN', 'north' ],
               [ 80, '2024-04-01T00:00:00Z', '2024-04-30T00:00:00+02:00', undef, undef ],
               [ 300, '2024-02-01', '2024-02-29', 'GT', 'south' ]) {
        my $r = call('POST', $outlays, { amount => $o->[0], startDate => $o->[1], endDate => $o->[2],
                                         (defined $o->[3] ? (country => $o->[3], region => $o->[4]) : ()) });
        is($r->{status}, 201, "outlay of $o->[0]: 201") or diag $r->{content};
        push @made, $r->{json}{id};
    }
    my $r = call('GET', "$outlays/$made[0]");
    is($r->{status}, 200, 'read');
    is_deeply([ @{ $r->{json} }{qw(_id projectId integrationId campaignId startDate endDate country region deletedAt)} ],
              [ $made[0], 'demo', 'sheet-1', $id{spring}, '2024-03-01T00:00:00.000Z', '2024-03-31T23:59:59.000Z', 'HN', 'north', undef ],
              'the document\'s fields');
    is_deeply($r->{json}{amount}, { value => 120.5, currency => 'USD' }, 'the amount in the integration\'s currency');

    my $list = sub { [ map { $_->{amount}{value} } @{ call('GET', "$outlays?$_[0]")->{json}{data} } ] };
    is_deeply($list->(''), [ 300, 120.5, 80 ], 'by start date');
    is_deeply($list->('sort=amount&order=DESC'), [ 300, 120.5, 80 ], 'sort=amount DESC');
    is_deeply($list->('sort=amount'), [ 80, 120.5, 300 ], 'sort=amount ASC');
    is_deeply($list->('sort=country'), [ 300, 120.5, 80 ], 'sort=country, none last');
    is_deeply($list->('sort=endDate&order=DESC'), [ 80, 120.5, 300 ], 'sort=endDate DESC');
    is_deeply($list->('since=2024-03-15T00:00:00Z'), [ 120.5, 80 ], 'since: those ending after');
    is_deeply($list->('until=2024-03-15T00:00:00Z'), [ 300, 120.5 ], 'until: those starting before');
    is_deeply($list->('since=2024-03-15T00:00:00Z&until=2024-03-20T00:00:00Z'), [ 120.5 ], 'both: overlapping the window');
    $r = call('GET', "$outlays?offset=2&limit=5");
    is_deeply([ @{ $r->{json} }{qw(count total offset limit)} ], [ 1, 3, 2, 5 ], 'paged, echoed');
    for my $bad ('sort=size', 'order=down', 'since=monday') {
        is(call('GET', "$outlays?$bad")->{status}, 400, "$bad: 400");
    }

    for my $case ([ { amount => 1, startDate => '2024-05-02T00:00:00Z', endDate => '2024-05-01T00:00:00Z' }, 'startDate must be before endDate' ],
                  [ { amount => 1, startDate => '2024-05-01T00:00:00Z', endDate => '2024-05-01T00:00:00Z' }, 'startDate must be before endDate' ],
                  [ { startDate => '2024-05-01T00:00:00Z', endDate => '2024-05-02T00:00:00Z' }, 'amount is required' ],
                  [ { amount => -1, startDate => '2024-05-01T00:00:00Z', endDate => '2024-05-02T00:00:00Z' }, 'amount must be a number of at least 0' ],
                  [ { amount => 1, startDate => 'May', endDate => '2024-05-02T00:00:00Z' }, 'startDate must be an RFC 3339 date-time' ],
                  [ { amount => 1, startDate => '2024-05-01T00:00:00Z', endDate => '2024-05-02T00:00:00Z', country => 7 }, 'country must be a string of at most 100 characters' ]) {
        $r = call('POST', $outlays, $case->[0]);
        is($r->{status}, 400, "$case->[1]: 400");
        is($r->{json}{message}, $case->[1], 'says so');
    }

    $r = call('PATCH', "$outlays/$made[1]", { amount => 90, region => 'east' });
    is_deeply($r->{json}, { modifiedCount => 1 }, 'updated');
    is_deeply(call('PATCH', "$outlays/$made[1]", { amount => 90 })->{json}, { modifiedCount => 0 }, 'unchanged: 0');
    is(call('PATCH', "$outlays/$made[1]", { endDate => '2024-03-01T00:00:00Z' })->{json}{message}, 'startDate must be before endDate',
       'an end before the kept start: 400');
    is(call('PATCH', "$outlays/$made[1]", { campaignId => '00000000-0000-4000-8000-000000000000' })->{json}{message},
       'campaignId must name a campaign of this integration', 'a foreign campaign: 400');
    is_deeply(call('PATCH', "$outlays/$made[1]", { campaignId => $id{autumn} })->{json}, { modifiedCount => 1 }, 'moved to another campaign');
    is(call('GET', "$outlays/$made[1]")->{status}, 404, 'no longer under the first');
    is(call('GET', "$base/sheet-1/campaigns/$id{autumn}/outlays/$made[1]")->{json}{region}, 'east', 'found under the second');
    is(call('GET', "$outlays/not-an-id")->{status}, 404, 'a bad outlay id: 404');
    my $doomed = call('POST', $outlays, { amount => 999, startDate => '2024-03-10T00:00:00Z', endDate => '2024-03-11T00:00:00Z' })->{json}{id};
    is_deeply($list->(''), [ 300, 120.5, 999 ], 'an outlay to delete, listed');
    is(call('DELETE', "$outlays/$doomed", undef, token('demo', 'reports:read'))->{status}, 403, 'deleting needs manage');
    $r = call('DELETE', "$outlays/$doomed");
    is_deeply([ $r->{status}, $r->{json} ], [ 200, { deletedCount => 1 } ], 'deleted: {"deletedCount":1}');
    $r = call('GET', "$outlays/$doomed");
    is($r->{status}, 200, 'still read by its id');
    like($r->{json}{deletedAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'with deletedAt');
    is_deeply($list->(''), [ 300, 120.5 ], 'out of the list');
    is_deeply(call('DELETE', "$outlays/$doomed")->{json}, { deletedCount => 0 }, 'deleted twice: 0');
    is_deeply(call('PATCH', "$outlays/$doomed", { amount => 1 })->{json}, { modifiedCount => 0 }, 'a deleted outlay is not changed');
    is(call('DELETE', "$outlays/00000000-0000-4000-8000-000000000000")->{status}, 404, 'an unknown outlay: 404');
};

subtest 'offline interactions' => sub {
    my $offline = '/api/v1/projects/demo/interactions/offline';
    is(call('POST', '/api/v1/projects/demo/event-types', { reference => 'call', name => 'Call', fields => [
        { storageKey => 'email', type => 'string', kind => 'identity' }, { storageKey => 'phone', type => 'string', kind => 'identity' } ] })->{status},
       201, 'an event type declares the identity fields');
    my $writer = token('demo', 'events:write');
    my $r = call('POST', $offline, { date => '2023-08-01T22:00:00.000Z', userData => { email => ' Bob@Example.com' },
                                     nodeData => { wmktId => 'sheet-1', cid => $id{spring} } }, $writer);
    is($r->{status}, 201, 'an offline interaction: 201') or diag $r->{content};
    like($r->{json}{id}, qr/^[0-9a-f-]{36}$/, 'its id');
    my $user = $r->{json}{userId};
    like($user, qr/^[0-9a-f-]{36}$/, 'and its user');
    is($stack->psql("SELECT kind, source, medium, campaign, wmkt_id, campaign_slug, rfc3339(occurred_at), user_id FROM interactions WHERE event_id = '$r->{json}{id}'"),
       "offline|Custom Ads|offline|Spring sale|sheet-1|spring|2023-08-01T22:00:00.000Z|$user", 'an interaction of its campaign and user');
    unlike($stack->psql("SELECT metadata::text FROM events WHERE id = '$r->{json}{id}'"), qr/bob/i, 'the user\'s data is not kept');
    $r = call('POST', $offline, { userData => { email => 'bob@example.com', phone => '+504 5555' }, nodeData => { wmktId => 'sheet-1', campaignSlug => 'fair-2024' } }, $writer);
    is($r->{status}, 201, 'the same email again, with a slug nobody declared');
    is($r->{json}{userId}, $user, 'the same user');
    is($stack->psql("SELECT explicit FROM custom_ads_campaigns WHERE campaign_slug = 'fair-2024'"), 'f', 'an implicit campaign for the slug');
    is($stack->psql("SELECT count(*) FROM user_identities WHERE user_id = '$user'"), 2, 'the phone now names the user too');

    for my $case ([ { userData => { email => 'x' } }, 'nodeData must be an object' ],
                  [ { userData => { email => 'x' }, nodeData => {} }, 'wmktId must be present in nodeData' ],
                  [ { userData => { email => 'x' }, nodeData => { wmktId => '' } }, 'wmktId must be present in nodeData' ],
                  [ { userData => { email => 'x' }, nodeData => { wmktId => 'nope' } }, 'wmktId must name a custom ads integration of this project' ],
                  [ { userData => { email => 'x' }, nodeData => { wmktId => 'sheet-1', cid => 'nope' } }, 'cid must name a campaign of this integration' ],
                  [ { nodeData => { wmktId => 'sheet-1' } }, 'userData must be an object' ],
                  [ { userData => {}, nodeData => { wmktId => 'sheet-1' } }, 'userData must name the user with at least one identity field' ],
                  [ { userData => { first_name => 'Bob' }, nodeData => { wmktId => 'sheet-1' } }, 'userData.first_name is not an identity field of this project' ],
                  [ { userData => { email => [1] }, nodeData => { wmktId => 'sheet-1' } }, 'userData.email must be a string or a number' ],
                  [ { date => 'yesterday', userData => { email => 'x' }, nodeData => { wmktId => 'sheet-1' } }, 'date must be an RFC 3339 date-time' ]) {
        $r = call('POST', $offline, $case->[0], $writer);
        is($r->{status}, 400, "$case->[1]: 400");
        is($r->{content}, '{"statusCode":400,"message":"' . $case->[1] . '","error":"Bad Request"}', 'in the document\'s shape');
    }
    is(call('POST', $offline, { userData => { email => 'x' }, nodeData => { wmktId => 'sheet-1' } }, token('demo', 'events:read'))->{status},
       403, 'without events:write: 403');
};

subtest 'offline touches are credited with their user\'s events' => sub {
    my $writer = token('demo', 'events:write');
    my $uuid = qr/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;
    my $sync = sub {
        my ($nonce, $email, $date) = @_;
        my $r = call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => 'call', nonce => $nonce,
                                                      eventDate => $date, data => { email => $email } }, $writer);
        is($r->{status}, 200, "event $nonce stored") or diag $r->{content};
        my ($id) = $r->{content} =~ $uuid;
        return $id;
    };
    my $shares = sub {
        join ',', split /\n/, $stack->psql("SELECT source || '|' || medium || '|' || campaign || '|' || credit_micros"
                                            . " FROM attributions WHERE event_id = '$_[0]' ORDER BY position");
    };

    # Bob's offline touch of 2023-08-01 (above) reaches his call two days later
    my $call = $sync->('bob-call', 'bob@example.com', '2023-08-03T10:00:00.000Z');
    is($shares->($call), 'Custom Ads|offline|Spring sale|1000000', 'his call is credited to the offline touch');

    # Carol calls first; her offline touch of the day before is imported later
    my $carol = $sync->('carol-call', 'carol@example.com', '2023-09-10T10:00:00.000Z');
    is($shares->($carol), 'Direct|(none)||1000000', 'nothing explains her call yet');
    my $day = "SELECT string_agg(source || ':' || campaign || ':' || credit_micros, ',' ORDER BY source) FROM rollup_attributed_daily"
              . " WHERE tenant_id = ${ \$stack->demo->{id} } AND day = '2023-09-10' AND event_type = 'call'";
    is($stack->psql($day), 'Direct::1000000', 'the day rollup says Direct');
    my $r = call('POST', '/api/v1/projects/demo/interactions/offline',
                 { date => '2023-09-09T10:00:00.000Z', userData => { email => 'carol@example.com' },
                   nodeData => { wmktId => 'sheet-1', cid => $id{autumn} } }, $writer);
    is($r->{status}, 201, 'her offline touch imported');
    is($shares->($carol), 'Custom Ads|offline|autumn leaves|1000000', 'her call is split again, to the touch');
    is($stack->psql($day), 'Custom Ads:autumn leaves:1000000,Direct::0', 'and the day rollup moved with it');

    # a touch after the event reaches nothing
    call('POST', '/api/v1/projects/demo/interactions/offline',
         { date => '2023-09-11T10:00:00.000Z', userData => { email => 'carol@example.com' },
           nodeData => { wmktId => 'sheet-1', cid => $id{spring} } }, $writer);
    is($shares->($carol), 'Custom Ads|offline|autumn leaves|1000000', 'a later touch changes nothing');

    # Dave calls; an offline touch of the day before names only a phone,
    # another user then; an event naming his email and that phone merges
    # the two, and his call is split again over the merged path
    my $dave = $sync->('dave-call', 'dave@example.com', '2023-10-10T10:00:00.000Z');
    is($shares->($dave), 'Direct|(none)||1000000', 'nothing explains his call yet');
    $r = call('POST', '/api/v1/projects/demo/interactions/offline',
              { date => '2023-10-09T10:00:00.000Z', userData => { phone => '+504 7777' },
                nodeData => { wmktId => 'sheet-1', cid => $id{spring} } }, $writer);
    is($r->{status}, 201, 'an offline touch of a phone nobody knows');
    is($shares->($dave), 'Direct|(none)||1000000', 'another user\'s touch: still Direct');
    $r = call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => 'call', nonce => 'dave-both',
                                               eventDate => '2023-10-12T10:00:00.000Z',
                                               data => { email => 'dave@example.com', phone => '+504 7777' } }, $writer);
    is($r->{status}, 200, 'an event naming both') or diag $r->{content};
    my ($both) = $r->{content} =~ $uuid;
    is($stack->psql("SELECT count(DISTINCT user_id) FROM interactions WHERE tenant_id = ${ \$stack->demo->{id} }"
                    . " AND occurred_at = '2023-10-09T10:00:00Z'"), 1, 'the touch moved to one user');
    is($shares->($dave), 'Custom Ads|offline|Spring sale|1000000', 'his call is split again, to the merged user\'s touch');
    is($shares->($both), 'Custom Ads|offline|Spring sale|1000000', 'and the merging event credited to it too');
    my $dave_day = "SELECT string_agg(source || ':' || credit_micros, ',' ORDER BY source) FROM rollup_attributed_daily"
                   . " WHERE tenant_id = ${ \$stack->demo->{id} } AND day = '2023-10-10' AND event_type = 'call'";
    is($stack->psql($dave_day), 'Custom Ads:1000000,Direct:0', 'the day rollup moved with it');
};

subtest 'the funnel report\'s cost columns' => sub {
    my $report = sub { call('GET', "/api/v1/reports/funnel?account_id=demo&$_[0]") };
    my $row = sub { my ($r, $key, $name) = @_; (grep { $_->{$key} eq $name } @{ $r->{json}{data} })[0] };

    my $r = $report->('report_type=Campaign&date_range=20240301,20240331&extra_columns=cost,cost_per_conversion,roas');
    is($r->{status}, 200, 'asked for');
    my $spring = $row->($r, 'Campaign', 'spring');
    is_deeply([ @$spring{qw(cost cost_per_conversion roas)} ], [ 120.5, undef, 0 ], 'March: the whole spring outlay, no conversion, no revenue');
    ok(!$row->($r, 'Campaign', 'autumn'), 'the April outlay is not in March');
    $r = $report->('report_type=Campaign&date_range=20240316,20240331&extra_columns=cost');
    my $share = 120.5 * (16 * 86400 - 1) / (31 * 86400 - 1);
    is($row->($r, 'Campaign', 'spring')->{cost}, sprintf('%.2f', $share) + 0, 'half of March: the covered share of the outlay');
    ok(!exists $row->($r, 'Campaign', 'spring')->{roas}, 'only the columns asked for');
    $r = $report->('report_type=Source&date_range=20240101,20241231&extra_columns=cost');
    is($row->($r, 'Source', 'Custom Ads')->{cost}, 120.5 + 300 + 90, 'Source: every outlay of the year under Custom Ads');
    $r = $report->('report_type=Source&date_range=20240101,20241231&extra_columns=cost&country=GT');
    is($row->($r, 'Source', 'Custom Ads')->{cost}, 300 + 90, 'country: outlays of that country or of none');
    is($report->('report_type=Source&date_range=today&extra_columns=cpa')->{json}{message},
       'Invalid parameter: extra_columns takes cost, cost_per_conversion and roas, separated by commas', 'an unknown column: 400');

    # today: an outlay of 200 over yesterday and today, a hit of the winter
    # campaign and a conversion of 50 USD by the same visitor
    my @today = gmtime;
    my $midnight = time - ($today[2] * 3600 + $today[1] * 60 + $today[0]);
    use POSIX ();
    my $at = sub { POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) };
    is(call('POST', "$base/sheet-1/campaigns/$id{winter}/outlays", { amount => 200, startDate => $at->($midnight - 86400), endDate => $at->($midnight + 86400) })->{status},
       201, 'an outlay over yesterday and today');
    $stack->request('GET', '/collect.gif?t=demo&u=https%3A%2F%2Fshop.example%2F%3Fwmktid%3Dsheet-1%26wmkt_campaign%3Dwinter');
    sleep 1.1;
    is($stack->request('POST', '/api/v1/analytics/conversion', { tenant_slug => 'demo', transaction_id => 'roas-1', value => 50, currency => 'USD' })->{status},
       200, 'a conversion of 50 USD');
    ok($stack->wait_until('the conversion attributed', 10, sub {
        $stack->psql("SELECT count(*) FROM attributions a JOIN conversions c ON c.event_id = a.event_id WHERE c.transaction_id = 'roas-1'") > 0 }),
       'attributed');
    $r = $report->('report_type=Campaign&date_range=today&extra_columns=cost,cost_per_conversion,roas');
    my $winter = $row->($r, 'Campaign', 'winter');
    is_deeply([ @$winter{qw(conversions cost cost_per_conversion roas)} ], [ 1, 100, 100, 0.5 ],
              'today\'s half of the outlay, one conversion: 100 per conversion, 50 back for 100 spent');
};

subtest 'tokens' => sub {
    is(call('GET', "$base/sheet-1/campaigns", undef, token('demo', 'events:read'))->{status}, 403, 'without reports:read: 403');
    is(call('POST', "$base/sheet-1/campaigns", { campaignSlug => 'x', name => 'x' }, token('demo', 'reports:read'))->{status}, 403,
       'without manage: 403');
    $stack->create_tenant(slug => 'rival', name => 'Rival');
    is(call('GET', "$base/sheet-1/campaigns", undef, token('rival', 'reports:read', 'manage'))->{status}, 404, 'another project\'s token: 404');
    is($stack->request('GET', "$base/sheet-1/campaigns")->{status}, 401, 'no token: 401');
};

$stack->finish;
done_testing;
