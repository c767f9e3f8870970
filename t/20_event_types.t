# Webmarketer event types: create, read by reference, and list with every
# filter, the multi-field sort and pagination; project-scoped tokens.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $base = '/api/v1/projects/demo/event-types';
sub token {
    my ($tenant, @scopes) = @_;
    $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => $tenant, subject => 'wm', scopes => [@scopes] })->{json}{token};
}
my $manager = token('demo', 'manage', 'events:read');
sub call { my ($method, $path, $body, $token) = @_; $stack->request($method, $path, $body, { Authorization => 'Bearer ' . ($token // $manager) }) }

subtest 'create and read by reference' => sub {
    my $r = call('POST', $base, { reference => 'contact-form', name => 'Generic Contact form',
        fields => [ { storageKey => 'email', type => 'string', kind => 'identity', required => JSON::PP::true },
                    { storageKey => 'first_name', type => 'string' },
                    { storageKey => 'turnover', type => 'number', kind => 'statistic' } ],
        metadata => {} });
    is($r->{status}, 201, 'created');
    like($r->{json}{_id}, qr/^[0-9a-f-]{36}$/, 'an id');
    is($r->{json}{projectId}, 'demo', 'the project');
    is($r->{json}{archivedAt}, undef, 'not archived');
    is_deeply($r->{json}{fields}[1], { storageKey => 'first_name', name => 'first_name', type => 'string', kind => 'field',
                                       required => JSON::PP::false }, 'defaults filled in');
    is_deeply($r->{json}{phoneParsingConfig}, [], 'phoneParsingConfig');
    $r = call('GET', "$base/contact-form");
    is($r->{status}, 200, 'read back');
    is($r->{json}{name}, 'Generic Contact form', 'by its reference');
    $r = call('GET', "$base/nope");
    is($r->{status}, 404, 'an unknown reference: 404');
    is($r->{content}, '{"statusCode":404,"message":"Event type not found","error":"Not Found"}', 'in the project shape');
    $r = call('POST', $base, { reference => 'contact-form', name => 'Again' });
    is($r->{status}, 409, 'a reference twice: 409');
};

subtest 'create is validated' => sub {
    my @cases = (
        [ { name => 'x' }, 'reference must be 1 to 64 characters of a-z, 0-9 and single hyphens' ],
        [ { reference => 'Bad Ref', name => 'x' }, 'reference must be 1 to 64 characters of a-z, 0-9 and single hyphens' ],
        [ { reference => 'ok', name => '' }, 'name must be a string of 1 to 200 characters' ],
        [ { reference => 'ok', name => 'x', fields => {} }, 'fields must be an array of at most 200 fields' ],
        [ { reference => 'ok', name => 'x', fields => [ { type => 'string' } ] }, 'fields[0].storageKey must be 1 to 64 letters, digits or _' ],
        [ { reference => 'ok', name => 'x', fields => [ { storageKey => 'a', type => 'text' } ] }, 'fields[0].type must be one of string, number, boolean, date' ],
        [ { reference => 'ok', name => 'x', fields => [ { storageKey => 'a', type => 'date', kind => 'metric' } ] }, 'fields[0].kind must be one of field, state, statistic, identity' ],
        [ { reference => 'ok', name => 'x', fields => [ { storageKey => 'a', type => 'date' }, { storageKey => 'a', type => 'date' } ] }, 'fields[1].storageKey repeats an earlier field' ],
        [ { reference => 'ok', name => 'x', metadata => [] }, 'metadata must be an object' ],
    );
    for my $case (@cases) {
        my $r = call('POST', $base, $case->[0]);
        is($r->{status}, 400, "400: $case->[1]");
        is($r->{json}{message}, $case->[1], 'the reason');
    }
};

subtest 'list: filters, sort, pages' => sub {
    call('POST', $base, { reference => 'order', name => 'Order', fields => [ { storageKey => 'turnover', type => 'number', kind => 'statistic' } ] });
    call('POST', $base, { reference => 'b-lead', name => 'Lead', fields => [ { storageKey => 'email', type => 'string' } ] });
    call('POST', $base, { reference => 'a-lead', name => 'Lead' });
    $stack->psql("UPDATE event_types SET archived_at = now() WHERE reference = 'order'");
    my $list = sub { [ map { $_->{reference} } @{ call('GET', "$base?$_[0]")->{json}{data} } ] };
    my $r = call('GET', $base);
    is($r->{json}{total}, 3, 'three live event types');
    is_deeply($list->('sort=name,-createdAt'), [ 'contact-form', 'a-lead', 'b-lead' ], 'sort=name,-createdAt');
    is_deeply($list->('sort=-name,reference'), [ 'a-lead', 'b-lead', 'contact-form' ], 'sort=-name,reference');
    is_deeply($list->('archived=true'), [ 'order' ], 'archived=true');
    is_deeply($list->('search=LEAD&sort=reference'), [ 'a-lead', 'b-lead' ], 'search, without case');
    is_deeply($list->('storageKey=email&sort=reference'), [ 'b-lead', 'contact-form' ], 'storageKey');
    is_deeply($list->('reference=a-lead'), [ 'a-lead' ], 'reference');
    $r = call('GET', "$base?sort=reference&offset=1&limit=1");
    is_deeply([ $r->{json}{total}, $r->{json}{count}, $r->{json}{data}[0]{reference} ], [ 3, 1, 'b-lead' ], 'offset 1, limit 1');
    $r = call('GET', "$base?offset=10");
    is_deeply([ $r->{json}{total}, $r->{json}{count} ], [ 3, 0 ], 'past the end: empty');
    is(call('GET', "$base?limit=1001")->{status}, 400, 'limit over the maximum: 400');
    is(call('GET', "$base?sort=size")->{status}, 400, 'an unknown sort field: 400');
    is(call('GET', "$base?archived=maybe")->{status}, 400, 'archived must be a boolean');
};

subtest 'PATCH changes name, fields, metadata and expirationPolicy; never the reference' => sub {
    my $before = call('GET', "$base/a-lead")->{json};
    sleep 1;
    my $r = call('PATCH', "$base/a-lead", { name => 'Lead (A)', fields => [ { storageKey => 'phone', type => 'string', kind => 'identity' } ],
                                           metadata => { team => 'sales' }, expirationPolicy => { days => 90 } });
    is($r->{status}, 200, 'changed: 200');
    is_deeply([ @{ $r->{json} }{qw(_id reference name metadata expirationPolicy createdAt)} ],
              [ $before->{_id}, 'a-lead', 'Lead (A)', { team => 'sales' }, { days => 90 }, $before->{createdAt} ],
              'the same type with the new values');
    is_deeply($r->{json}{fields}, [ { storageKey => 'phone', name => 'phone', type => 'string', kind => 'identity', required => JSON::PP::false } ],
              'the fields replaced, defaults filled in');
    ok($r->{json}{updatedAt} gt $before->{updatedAt}, 'updatedAt moves');
    is_deeply(call('GET', "$base/a-lead")->{json}, $r->{json}, 'read back the same');
    $r = call('PATCH', "$base/a-lead", { name => 'Lead' });
    is_deeply([ @{ $r->{json} }{qw(name metadata expirationPolicy)} ], [ 'Lead', { team => 'sales' }, { days => 90 } ],
              'what is not named is kept');
    is(call('PATCH', "$base/a-lead", { reference => 'a-lead', name => 'Lead' })->{status}, 200, 'the same reference may be sent');
    my @cases = (
        [ { reference => 'b-lead' }, 400, 'reference cannot be changed' ],
        [ { name => '' }, 400, 'name must be a string of 1 to 200 characters' ],
        [ { fields => [ { storageKey => 'a' } ] }, 400, 'fields[0].type must be one of string, number, boolean, date' ],
        [ { expirationPolicy => { days => 0 } }, 400, 'expirationPolicy must be null or {"days": N} with N from 1 to 3650' ],
        [ { expirationPolicy => { days => 1, unit => 'day' } }, 400, 'expirationPolicy must be null or {"days": N} with N from 1 to 3650' ],
        [ { phoneParsingConfig => [ { storageKey => 'phone' } ] }, 400, 'phoneParsingConfig must be an empty array: phone numbers are kept as sent' ],
    );
    for my $case (@cases) {
        $r = call('PATCH', "$base/a-lead", $case->[0]);
        is("$r->{status} $r->{json}{message}", "$case->[1] $case->[2]", "$case->[1]: $case->[2]");
    }
    is(call('PATCH', "$base/a-lead", { phoneParsingConfig => [] })->{status}, 200, 'an empty phoneParsingConfig is taken');
    $r = call('PATCH', "$base/nope", { name => 'x' });
    is($r->{content}, '{"statusCode":404,"message":"Event type not found","error":"Not Found"}', 'an unknown reference: 404');
    is(call('PATCH', "$base/a-lead", { name => 'x' }, token('demo', 'events:read'))->{status}, 403, 'changing needs manage');
};

subtest 'archive and unarchive: out of the list, events refused, then back' => sub {
    my $r = call('POST', "$base/b-lead/archive");
    is($r->{status}, 200, 'archived: 200');
    like($r->{json}{archivedAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'archivedAt set');
    my $first = $r->{json}{archivedAt};
    is(call('POST', "$base/b-lead/archive")->{json}{archivedAt}, $first, 'archiving again keeps the first archivedAt');
    is_deeply([ map { $_->{reference} } @{ call('GET', "$base?archived=true&sort=reference")->{json}{data} } ], [ 'b-lead', 'order' ],
              'listed with archived=true');
    is(scalar(grep { $_->{reference} eq 'b-lead' } @{ call('GET', $base)->{json}{data} }), 0, 'not in the default list');
    my $sync = call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => 'b-lead', nonce => 'archived-1', data => { email => 'a@b.c' } },
                    token('demo', 'events:write'));
    is($sync->{status}, 400, 'an event of an archived type is refused');
    like($sync->{content}, qr/eventType names an archived event type/, 'saying why');
    $r = call('POST', "$base/b-lead/unarchive");
    is_deeply([ $r->{status}, $r->{json}{archivedAt} ], [ 200, undef ], 'unarchived: archivedAt null');
    is(call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => 'b-lead', nonce => 'archived-2', data => { email => 'a@b.c' } },
            token('demo', 'events:write'))->{status}, 200, 'its events are taken again');
    is(call('POST', "$base/nope/archive")->{status}, 404, 'an unknown reference: 404');
    is(call('POST', "$base/b-lead/archive", undef, token('demo', 'events:read'))->{status}, 403, 'archiving needs manage');
};

subtest 'tokens and projects' => sub {
    my $r = $stack->request('GET', $base);
    is($r->{status}, 401, 'no token: 401');
    is($r->{content}, '{"statusCode":401,"message":"Unauthorized"}', "the Webmarketer document's 401 body");
    is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');
    is(call('GET', $base, undef, token('demo', 'events:write'))->{status}, 403, 'without events:read: 403');
    is(call('POST', $base, { reference => 'x1', name => 'x' }, token('demo', 'events:read'))->{status}, 403, 'creating needs manage');
    $stack->create_tenant(slug => 'other-project', name => 'Other');
    is(call('GET', $base, undef, token('other-project', 'events:read'))->{status}, 404, "another project's token: 404");
    is(call('GET', '/api/v1/projects/no-such-project/event-types')->{status}, 404, 'an unknown project: 404');
    is($stack->admin_request('GET', $base)->{status}, 200, 'an admin token may');
};

$stack->finish;
done_testing;
