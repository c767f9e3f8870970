# A tenant's time zone: set and checked against the tz database, and the
# reports' days, weeks and months counted in it (DST days of 23 hours
# included), from the same rollups a UTC tenant reads.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX ();
use Analytics::Stack;

my $stack = Analytics::Stack->new;
sub token {
    my ($tenant, @scopes) = @_;
    $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => $tenant, subject => 'tz', scopes => [@scopes] })->{json}{token};
}

subtest 'the time zone is a tenant setting' => sub {
    my $r = $stack->admin_request('POST', '/api/v1/admin/tenants', { slug => 'madrid-shop', name => 'Madrid' });
    is($r->{json}{timeZone}, 'UTC', 'UTC by default');
    $r = $stack->admin_request('PATCH', '/api/v1/admin/tenants/madrid-shop', { timeZone => 'Europe/Madrid' });
    is_deeply([ $r->{status}, $r->{json}{timeZone} ], [ 200, 'Europe/Madrid' ], 'set to Europe/Madrid');
    $r = $stack->admin_request('POST', '/api/v1/admin/tenants', { slug => 'kiritimati-shop', name => 'Line Islands', timeZone => 'Pacific/Kiritimati' });
    is_deeply([ $r->{status}, $r->{json}{timeZone} ], [ 201, 'Pacific/Kiritimati' ], 'or given at creation');
    $stack->create_tenant(slug => 'utc-shop', name => 'UTC');
    for my $bad ('Mars/Olympus', '+03', 'posixrules', 'Europe/../etc', '', 42) {
        $r = $stack->admin_request('PATCH', '/api/v1/admin/tenants/madrid-shop', { timeZone => $bad });
        is("$r->{status} $r->{json}{message}", '400 timeZone must be an IANA time zone name such as UTC or Europe/Madrid',
           "'$bad': 400");
    }
    is($stack->admin_request('GET', '/api/v1/admin/tenants/madrid-shop')->{json}{timeZone}, 'Europe/Madrid', 'unchanged by the refusals');
};

# conversions at chosen instants (their timestamps), credited to Direct
my $n = 0;
sub convert_at {
    my ($tenant, $at) = @_;
    my $r = $stack->request('POST', '/api/v1/analytics/conversion',
                            { tenant_slug => $tenant, transaction_id => 'tz-' . ++$n, value => 1, timestamp => $at });
    die "conversion: $r->{content}" unless $r->{content} =~ /"ok"/;
}
my @instants = ('2024-01-14T22:30:00Z',   # Madrid 2024-01-14 23:30
                '2024-01-14T23:30:00Z',   # Madrid 2024-01-15 00:30
                '2024-01-15T22:30:00Z',   # Madrid 2024-01-15 23:30
                '2024-01-15T23:30:00Z',   # Madrid 2024-01-16 00:30
                '2024-03-30T22:50:00Z',   # Madrid 2024-03-30 23:50 (CET, +01)
                '2024-03-30T23:10:00Z',   # Madrid 2024-03-31 00:10, the day of 23 hours
                '2024-03-31T21:50:00Z',   # Madrid 2024-03-31 23:50 (CEST, +02)
                '2024-03-31T22:10:00Z');  # Madrid 2024-04-01 00:10
for my $tenant ('madrid-shop', 'utc-shop') { convert_at($tenant, $_) for @instants }
ok($stack->wait_until('sixteen conversions attributed', 20, sub {
    $stack->psql("SELECT count(*) FROM attributions a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug IN ('madrid-shop', 'utc-shop')") == 16 }),
   'every conversion attributed');

subtest "the funnel report counts the tenant's days" => sub {
    my %token = map { $_ => token($_, 'reports:read') } qw(madrid-shop utc-shop kiritimati-shop);
    my $conversions = sub {
        my ($tenant, $range) = @_;
        my $r = $stack->request('GET', "/api/v1/reports/funnel?account_id=$tenant&report_type=Source&date_range=$range", undef,
                                { Authorization => "Bearer $token{$tenant}" });
        die "report: $r->{content}" unless $r->{status} == 200;
        my ($direct) = grep { $_->{Source} eq 'Direct' } @{ $r->{json}{data} };
        return $direct ? $direct->{conversions} : 0;
    };
    is($conversions->('madrid-shop', '20240115,20240115'), 2, "Madrid's 15 January: 00:30 and 23:30 there");
    is($conversions->('utc-shop', '20240115,20240115'), 2, "UTC's 15 January: 22:30 and 23:30 UTC");
    is($conversions->('madrid-shop', '20240114,20240114'), 1, "Madrid's 14 January: one");
    is($conversions->('utc-shop', '20240114,20240114'), 2, "UTC's 14 January: two");
    is($conversions->('madrid-shop', '20240331,20240331'), 2, 'the 23-hour DST day in Madrid: its first and last ten minutes');
    is($conversions->('utc-shop', '20240331,20240331'), 2, "UTC's 31 March");
    is($conversions->('madrid-shop', '20240330,20240330'), 1, "Madrid's 30 March");
    is($conversions->('utc-shop', '20240330,20240330'), 2, "UTC's 30 March");
    is($conversions->('madrid-shop', '20240101,20240430'), 8, 'a range of months: all eight');

    # "today" on the tenant's clock: 14 hours ahead of UTC
    my $midnight_epoch = $stack->psql("SELECT extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'Pacific/Kiritimati')"
                                      . " AT TIME ZONE 'Pacific/Kiritimati')::bigint");
    my $at = sub { POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) };
    my ($midnight, $before, $after) = map { $at->($_) } $midnight_epoch, $midnight_epoch - 60, $midnight_epoch + 1;
    convert_at('kiritimati-shop', $_) for $before, $after;
    ok($stack->wait_until('two more', 20, sub {
        $stack->psql("SELECT count(*) FROM attributions a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'kiritimati-shop'") == 2 }),
       'attributed');
    is($conversions->('kiritimati-shop', 'today'), 1, "today on Kiritimati's clock: from its midnight ($midnight) on");
    is($conversions->('kiritimati-shop', 'yesterday'), 1, 'the minute before it: yesterday there');
};

subtest "insights: the project's days, labelled with their offset" => sub {
    my $token = token('madrid-shop', 'manage', 'events:write', 'reports:read');
    my $call = sub { $stack->request($_[0], $_[1], $_[2], { Authorization => "Bearer $token" }) };
    is($call->('POST', '/api/v1/projects/madrid-shop/event-types', { reference => 'lead', name => 'Lead' })->{status}, 201, 'an event type');
    for my $at (@instants) {
        my $r = $call->('POST', '/api/v1/events/sync', { projectId => 'madrid-shop', eventType => 'lead', nonce => "tz-$at", eventDate => $at, data => {} });
        die "event: $r->{content}" unless $r->{status} == 200;
    }
    my $r = $call->('POST', '/api/v1/projects/madrid-shop/events/insights',
                    { since => '2024-03-29T23:00:00Z', until => '2024-04-01T21:59:59Z', metrics => ['event-count'], groupBy => 'project', interval => 'day' });
    is($r->{status}, 200, 'asked by day');
    is_deeply($r->{json}, [ { date => '2024-03-30T00:00:00.000+01:00', 'event-count' => 1 },
                            { date => '2024-03-31T00:00:00.000+01:00', 'event-count' => 2 },
                            { date => '2024-04-01T00:00:00.000+02:00', 'event-count' => 1 } ],
              'three Madrid days, the DST one with two events, each labelled with its midnight\'s offset');
    $r = $call->('POST', '/api/v1/projects/madrid-shop/events/insights',
                 { since => '2024-01-01T00:00:00+01:00', until => '2024-04-30T23:59:59+02:00', metrics => ['event-count'], groupBy => 'project', interval => 'month' });
    is_deeply($r->{json}, [ { date => '2024-01-01T00:00:00.000+01:00', 'event-count' => 4 },
                            { date => '2024-02-01T00:00:00.000+01:00', 'event-count' => 0 },
                            { date => '2024-03-01T00:00:00.000+01:00', 'event-count' => 3 },
                            { date => '2024-04-01T00:00:00.000+02:00', 'event-count' => 1 } ],
              'by month: the one after the DST change in April');
    $r = $call->('POST', '/api/v1/projects/madrid-shop/events/insights',
                 { since => '2024-01-01T00:00:00Z', until => '2024-12-31T00:00:00Z', metrics => ['event-count'], groupBy => 'project', interval => 'dayOfMonth' });
    my %by_day = map { $_->{date} => $_->{'event-count'} } @{ $r->{json} };
    is_deeply([ @by_day{14, 15, 16, 30, 31, 1} ], [ 1, 2, 1, 1, 2, 1 ], 'ordinals counted in Madrid too');
};

$stack->finish;
done_testing;
