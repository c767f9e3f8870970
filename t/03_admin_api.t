# The aggregator's admin routes behind nginx: bearer tokens (401 vs 403),
# tenant creation and validation, tokens issued and revoked.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $tenants = '/api/v1/admin/tenants';

sub error_body {
    my ($status, $error, $message) = @_;
    return qq({"statusCode":$status,"message":"$message","error":"$error"});
}

subtest 'no token, a wrong token: 401; a token without the scope: 403' => sub {
    my $r = $stack->request('GET', $tenants);
    is($r->{status}, 401, 'missing: status');
    is($r->{content}, '{"statusCode":401,"message":"Unauthorized"}', "missing: NestJS's own body");
    is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate');

    $r = $stack->request('GET', $tenants, undef, { Authorization => 'Bearer ak_' . ('0' x 64) });
    is($r->{status}, 401, 'unknown token');
    $r = $stack->request('GET', $tenants, undef, { Authorization => 'Basic dXNlcjpwYXNz' });
    is($r->{status}, 401, 'not a bearer token');

    my $issued = $stack->admin_request('POST', '/api/v1/admin/tokens',
        { tenant_id => 'demo', subject => 'shop-backend', scopes => ['events:write'] });
    is($issued->{status}, 201, 'tenant token issued');
    like($issued->{json}{token}, qr/^ak_[0-9a-f]{64}$/, 'an opaque secret');
    is($issued->{json}{tenant_id}, $stack->demo->{id}, 'bound to the tenant');
    is($stack->psql("SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to('$issued->{json}{token}', 'UTF8'))"),
       1, 'stored as its SHA-256');
    is($stack->psql("SELECT count(*) FROM api_tokens WHERE prefix = '$issued->{json}{prefix}' AND position('$issued->{json}{token}' IN token_hash::text) > 0"),
       0, 'the secret itself is not stored');

    $r = $stack->request('GET', $tenants, undef, { Authorization => "Bearer $issued->{json}{token}" });
    is($r->{status}, 403, 'lacking the admin scope: 403');
    is($r->{content}, error_body(403, 'Forbidden', 'This token lacks the admin scope'), '403 body');

    my $revoked = $stack->admin_request('DELETE', "/api/v1/admin/tokens/$issued->{json}{id}");
    is($revoked->{status}, 204, 'revoked');
    $r = $stack->request('GET', $tenants, undef, { Authorization => "Bearer $issued->{json}{token}" });
    is($r->{status}, 401, 'a revoked token is 401');
    is($stack->admin_request('DELETE', "/api/v1/admin/tokens/$issued->{json}{id}")->{status}, 404, 'revoking twice: 404');

    my $expired = $stack->admin_request('POST', '/api/v1/admin/tokens',
        { subject => 'old', scopes => ['admin'], expires_at => '2020-01-01T00:00:00Z' });
    is($expired->{status}, 201, 'an already expired token can be issued');
    is($stack->request('GET', $tenants, undef, { Authorization => "Bearer $expired->{json}{token}" })->{status},
       401, 'an expired token is 401');
};

subtest 'token requests are validated' => sub {
    my $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { subject => 'x', scopes => ['events:write'] });
    is($r->{status}, 400, 'a non-admin token needs a tenant');
    is($r->{content}, error_body(400, 'Bad Request', 'tenant_id is required unless the token has the admin scope'), 'body');
    $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { subject => 'x', scopes => [], tenant_id => 'demo' });
    is($r->{status}, 400, 'empty scopes');
    $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { subject => 'x', scopes => ['admin'], expires_at => 'tomorrow' });
    is($r->{content}, error_body(400, 'Bad Request', 'expires_at must be an RFC 3339 date-time'), 'bad expiry');
    $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { subject => 'x', scopes => ['events:write'], tenant_id => 'nobody-here' });
    is($r->{status}, 404, 'unknown tenant');
};

subtest 'tenants: create, read by any reference, list, conflicts, validation' => sub {
    my $r = $stack->admin_request('POST', $tenants, { slug => 'mi-negocio', name => 'Mi Negocio' });
    is($r->{status}, 201, 'created');
    my $t = $r->{json};
    like($t->{uuid}, qr/^[0-9a-f-]{36}$/, 'uuid');
    is_deeply([@$t{qw(slug name active public)}], ['mi-negocio', 'Mi Negocio', JSON::PP::true, JSON::PP::true], 'fields and defaults');
    is($stack->psql("SELECT slug, name, active, public FROM tenants WHERE id = $t->{id}"), 'mi-negocio|Mi Negocio|t|t', 'row');
    is($stack->redis_raw('HGET', '{analytics}:tenants', 'slug:mi-negocio'), "$t->{id}:1:1", 'mirrored for the module (slug)');
    is($stack->redis_raw('HGET', '{analytics}:tenants', "uuid:$t->{uuid}"), "$t->{id}:1:1", 'mirrored for the module (uuid)');

    for my $ref ($t->{id}, $t->{uuid}, 'mi-negocio') {
        is($stack->admin_request('GET', "$tenants/$ref")->{json}{id}, $t->{id}, "found by $ref");
    }
    $r = $stack->admin_request('GET', "$tenants/nope-nope");
    is($r->{status}, 404, 'unknown: 404');
    is($r->{content}, error_body(404, 'Not Found', 'Tenant not found'), 'unknown: body');

    $r = $stack->admin_request('POST', $tenants, { slug => 'mi-negocio', name => 'Again' });
    is($r->{status}, 409, 'slug taken: 409');

    my @bad = (
        [ { name => 'x' }, 'slug is required' ],
        [ { slug => 'ab', name => 'x' }, 'slug must be 3 to 64 characters of a-z, 0-9 and single hyphens' ],
        [ { slug => 'Bad_Slug', name => 'x' }, 'slug must be 3 to 64 characters of a-z, 0-9 and single hyphens' ],
        [ { slug => 'a--b', name => 'x' }, 'slug must be 3 to 64 characters of a-z, 0-9 and single hyphens' ],
        [ { slug => 'good-slug' }, 'name is required' ],
        [ { slug => 'good-slug', name => 'x', active => 'yes' }, 'active must be a boolean' ],
    );
    for my $case (@bad) {
        $r = $stack->admin_request('POST', $tenants, $case->[0]);
        is($r->{status}, 400, "400: $case->[1]");
        is($r->{content}, error_body(400, 'Bad Request', $case->[1]), "body: $case->[1]");
    }
    $r = $stack->admin_request('POST', $tenants, '{"slug":', { 'Content-Type' => 'application/json' });
    is($r->{content}, error_body(400, 'Bad Request', 'Malformed JSON body'), 'malformed JSON');

    $r = $stack->admin_request('GET', "$tenants?offset=1&limit=1");
    is($r->{status}, 200, 'list');
    is($r->{json}{total}, 2, 'total');
    is($r->{json}{count}, 1, 'count');
    is($r->{json}{data}[0]{slug}, 'mi-negocio', 'second page');
    is($stack->admin_request('GET', "$tenants?offset=5")->{json}{count}, 0, 'offset past the end: empty page');
    is($stack->admin_request('GET', "$tenants?limit=0")->{json}{count}, 0, 'limit 0');
    is($stack->admin_request('GET', "$tenants?limit=1001")->{status}, 400, 'limit over the maximum');
    is($stack->admin_request('GET', "$tenants?offset=-1")->{status}, 400, 'negative offset');
};

subtest 'products: a tenant manages its own, and no other' => sub {
    my $own = $stack->admin_request('POST', '/api/v1/admin/tokens',
        { tenant_id => 'demo', subject => 'catalog-sync', scopes => ['manage'] })->{json}{token};
    my $path = '/api/v1/admin/tenants/demo/products';
    my $r = $stack->request('POST', $path, { name => 'Coffee 1 lb', sku => 'cof-1' }, { Authorization => "Bearer $own" });
    is($r->{status}, 201, "the tenant's manage token creates a product");
    my $product = $r->{json};
    is_deeply([@$product{qw(tenant_id name sku)}], [$stack->demo->{id}, 'Coffee 1 lb', 'cof-1'], 'fields');
    is($stack->redis_raw('SISMEMBER', '{analytics}:products', "$stack->{demo}{id}:$product->{id}"), 1, 'mirrored for the module');

    is($stack->request('POST', $path, { name => 'Again', sku => 'cof-1' }, { Authorization => "Bearer $own" })->{status},
       409, 'sku taken: 409');
    is($stack->request('POST', $path, { sku => 'x' }, { Authorization => "Bearer $own" })->{content},
       error_body(400, 'Bad Request', 'name must be a string of 1 to 200 characters'), 'name required');

    $r = $stack->request('GET', "$path/$product->{id}", undef, { Authorization => "Bearer $own" });
    is($r->{json}{name}, 'Coffee 1 lb', 'read back');
    $r = $stack->request('GET', "$path?limit=10", undef, { Authorization => "Bearer $own" });
    is_deeply([$r->{json}{count}, $r->{json}{total}], [1, 1], 'listed');
    $r = $stack->request('PATCH', "$path/$product->{id}", { name => 'Coffee 2 lb' }, { Authorization => "Bearer $own" });
    is_deeply([ $r->{status}, @{ $r->{json} }{qw(name sku)} ], [ 200, 'Coffee 2 lb', 'cof-1' ], 'renamed, sku kept');
    $r = $stack->request('PATCH', "$path/$product->{id}", { sku => undef }, { Authorization => "Bearer $own" });
    is($r->{json}{sku}, undef, 'sku null clears it');
    is($stack->request('PATCH', "$path/$product->{id}", { name => '' }, { Authorization => "Bearer $own" })->{status}, 400, 'an empty name: 400');
    is($stack->request('PATCH', "$path/999999", { name => 'x' }, { Authorization => "Bearer $own" })->{status}, 404, 'unknown: 404');
    is($stack->redis_raw('SISMEMBER', '{analytics}:products', "$stack->{demo}{id}:$product->{id}"), 1, 'still mirrored');

    my $stranger = $stack->create_tenant(slug => 'stranger-shop', name => 'Stranger');
    $r = $stack->request('GET', "/api/v1/admin/tenants/stranger-shop/products", undef, { Authorization => "Bearer $own" });
    is($r->{status}, 404, "another tenant's products: 404, not 403");
    is($r->{content}, error_body(404, 'Not Found', 'Tenant not found'), 'body');
    my $events_token = $stack->admin_request('POST', '/api/v1/admin/tokens',
        { tenant_id => 'demo', subject => 'beacon', scopes => ['events:write'] })->{json}{token};
    is($stack->request('GET', $path, undef, { Authorization => "Bearer $events_token" })->{status}, 403,
       'without the manage scope: 403');
    is($stack->admin_request('GET', "$path/999999")->{status}, 404, 'unknown product: 404');
};

subtest 'the Redis mirror is rebuilt from PostgreSQL' => sub {
    $stack->redis('DEL', '{analytics}:tenants');
    is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call' })->{status}, 404,
       'with the cache gone the module cannot find the tenant');
    my $pid = Analytics::Stack::slurp($stack->dir . '/aggregator.pid');
    chomp $pid;
    kill 'HUP', $pid;
    ok($stack->wait_until('the rebuild', 10, sub {
        $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call' })->{status} == 202 }),
       'SIGHUP rebuilds the cache');
    $stack->redis('DEL', '{analytics}:products');
    kill 'HUP', $pid;
    ok($stack->wait_until('the products', 10, sub { $stack->redis_raw('SCARD', '{analytics}:products') == 1 }),
       'products are rebuilt too');
};

subtest 'tokens are listed without their secrets' => sub {
    my $tenant = $stack->create_tenant(slug => 'token-list', name => 'Token list');
    my @ids;
    for my $subject (qw(first second)) {
        my $r = $stack->admin_request('POST', '/api/v1/admin/tokens',
                                      { tenant_id => 'token-list', subject => $subject, scopes => ['reports:read', 'manage'] });
        push @ids, $r->{json}{id};
    }
    is($stack->admin_request('DELETE', "/api/v1/admin/tokens/$ids[1]")->{status}, 204, 'the second revoked');
    my $r = $stack->admin_request('GET', '/api/v1/admin/tokens?tenant_id=token-list');
    is($r->{status}, 200, 'listed');
    is($r->{json}{total}, 2, 'two tokens of that tenant');
    is(join(',', map { $_->{subject} } @{ $r->{json}{data} }), 'first,second', 'in the order they were made');
    my $first = $r->{json}{data}[0];
    is_deeply([ sort keys %$first ], [ qw(created_at expires_at id prefix revoked_at scopes subject tenant_id) ],
              'no secret and no hash among the fields');
    is_deeply($first->{scopes}, ['reports:read', 'manage'], 'scopes');
    is($first->{tenant_id}, $tenant->{id}, 'tenant');
    is($first->{revoked_at}, undef, 'the first is live');
    like($r->{json}{data}[1]{revoked_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'the second revoked, with the time');
    $r = $stack->admin_request('GET', '/api/v1/admin/tokens?tenant_id=token-list&offset=1&limit=1');
    is($r->{json}{count}, 1, 'paged: one');
    is($r->{json}{data}[0]{subject}, 'second', 'the second');
    is($stack->admin_request('GET', '/api/v1/admin/tokens?tenant_id=nobody-here')->{status}, 404, 'unknown tenant: 404');
    is($stack->request('GET', '/api/v1/admin/tokens', undef, { Authorization => 'Bearer ' . $stack->admin_request('POST', '/api/v1/admin/tokens',
        { tenant_id => 'token-list', subject => 'x', scopes => ['manage'] })->{json}{token} })->{status}, 403, 'a tenant token: 403');
};

subtest 'operator commands: tenant create|list, token create|list|revoke' => sub {
    my ($status, $out, $err) = $stack->aggregator_command('tenant', 'create', '--slug', 'from-shell', '--name', 'From a shell');
    is($status, 0, 'tenant create: exit 0');
    my $tenant = $stack->admin_request('GET', '/api/v1/admin/tenants/from-shell')->{json};
    is($out, "$tenant->{id}\t$tenant->{uuid}\tfrom-shell\n", 'prints id, uuid and slug');
    is($stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'from-shell', type => 'call' })->{status}, 202,
       'the module takes the new tenant at once');
    ($status, $out, $err) = $stack->aggregator_command('tenant', 'create', '--slug', 'from-shell');
    is("$status|$out|$err", "1||tenant create: the slug from-shell is taken\n", 'a taken slug: exit 1 and why');
    ($status, $out, $err) = $stack->aggregator_command('tenant', 'create', '--slug', 'No Good');
    is("$status|$err", "2|tenant create: --slug must be 3 to 64 characters of a-z, 0-9 and single hyphens\n", 'a bad slug: exit 2');
    ($status, $out) = $stack->aggregator_command('tenant', 'list');
    my @lines = split /\n/, $out;
    is($lines[0], "ID\tUUID\tSLUG\tNAME\tACTIVE\tPUBLIC", 'tenant list: a header');
    is((grep { $_ eq "$tenant->{id}\t$tenant->{uuid}\tfrom-shell\tFrom a shell\tyes\tyes" } @lines), 1, 'and the new tenant');
    is(scalar(@lines) - 1, $stack->admin_request('GET', '/api/v1/admin/tenants?limit=0')->{json}{total}, 'every tenant');

    ($status, my $secret) = $stack->aggregator_command('token', 'create', '--tenant', 'from-shell', '--subject', 'crm',
                                                       '--scopes', 'funnel:write,events:read');
    chomp $secret;
    is($status, 0, 'token create: exit 0');
    my $funnel = { steps => ['first_published_at'] };
    is($stack->request('POST', '/services/platforms/v1/funnel/track', $funnel, { Authorization => "Bearer $secret" })->{status},
       200, 'the token works in the module at once');
    ($status, $out) = $stack->aggregator_command('token', 'list', '--tenant', 'from-shell');
    my $listed = $stack->admin_request('GET', '/api/v1/admin/tokens?tenant_id=from-shell')->{json}{data}[0];
    is($out, "ID\tPREFIX\tSUBJECT\tSCOPES\tTENANT\tEXPIRES\tREVOKED\n"
             . "$listed->{id}\t$listed->{prefix}\tcrm\tfunnel:write,events:read\t$tenant->{id}\t-\t-\n",
       'token list: the tenant\'s token, without its secret');
    unlike($out, qr/\Q$secret\E/, 'the secret is not shown');
    ($status, $out) = $stack->aggregator_command('token', 'revoke', $listed->{id});
    is("$status|$out", "0|revoked token $listed->{id}\n", 'token revoke: exit 0');
    is($stack->request('POST', '/services/platforms/v1/funnel/track', $funnel, { Authorization => "Bearer $secret" })->{status},
       401, 'the module refuses it at once');
    ($status, $out) = $stack->aggregator_command('token', 'list', '--tenant', 'from-shell');
    like((split /\n/, $out)[1], qr/\t-\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'listed as revoked, with the time');
    ($status, $out, $err) = $stack->aggregator_command('token', 'revoke', $listed->{id});
    is("$status|$err", "1|token revoke: no live token $listed->{id}\n", 'twice: exit 1');
    ($status, $out, $err) = $stack->aggregator_command('token', 'revoke', 'abc');
    is("$status|$err", "2|token revoke: give the token's ID (token list shows it)\n", 'not an id: exit 2');
    ($status, $out, $err) = $stack->aggregator_command('token', 'list', '--tenant', 'nobody-here');
    is("$status|$err", "1|token list: no tenant nobody-here\n", 'an unknown tenant: exit 1');
};

subtest 'answers of 1 KB and more are gzipped when asked' => sub {
    use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
    $stack->create_tenant(slug => "gzip-$_", name => "A tenant to make the list long, number $_") for 1 .. 8;
    my $plain = $stack->admin_request('GET', '/api/v1/admin/tenants?limit=100');
    ok(length($plain->{content}) >= 1024, 'the list is ' . length($plain->{content}) . ' bytes');
    is($plain->{headers}{'content-encoding'}, undef, 'not compressed unless asked');
    is($plain->{headers}{vary}, 'Accept-Encoding', 'Vary: Accept-Encoding');
    my $r = $stack->admin_request('GET', '/api/v1/admin/tenants?limit=100', undef, { 'Accept-Encoding' => 'gzip' });
    is($r->{headers}{'content-encoding'}, 'gzip', 'through nginx: Content-Encoding gzip');
    ok(length($r->{content}) < length($plain->{content}) / 2, 'less than half the bytes (' . length($r->{content}) . ')');
    gunzip(\$r->{content} => \my $inflated) or die $GunzipError;
    is($inflated, $plain->{content}, 'the same answer once inflated');
    $r = $stack->admin_request('GET', '/api/v1/admin/tenants?limit=100', undef, { 'Accept-Encoding' => 'gzip;q=0, br' });
    is($r->{headers}{'content-encoding'}, undef, 'gzip;q=0: sent as it is');
    $r = $stack->admin_request('GET', '/api/v1/admin/tenants?limit=1', undef, { 'Accept-Encoding' => 'gzip' });
    is($r->{headers}{'content-encoding'}, undef, 'under 1 KB: sent as it is');
};

subtest 'unknown routes and methods' => sub {
    my $r = $stack->request('GET', '/api/v1/admin/nothing');
    is($r->{status}, 404, 'unknown path: 404');
    is($r->{content}, error_body(404, 'Not Found', 'Cannot GET /api/v1/admin/nothing'), 'body');
    $r = $stack->admin_request('DELETE', $tenants);
    is($r->{status}, 405, 'wrong method: 405');
    is($r->{headers}{allow}, 'POST, GET', 'Allow');
    is($stack->aggregator_request('GET', '/healthz')->{content}, '{"status":"ok"}', 'healthz');
    is($stack->aggregator_request('GET', '/readyz')->{content}, '{"status":"ready"}', 'readyz');
    for my $path ('/metrics', '/healthz', '/readyz') {
        is($stack->request('GET', $path)->{status}, 403, "$path is not public through nginx: 403");
    }
    like($stack->aggregator_request('GET', '/metrics')->{content}, qr/^analytics_events_written_total \d+$/m,
         'metrics on the aggregator\'s own port');
};

$stack->finish;
done_testing;
