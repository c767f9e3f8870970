# POST .../events/insights on a generated data set: the expected numbers are
# computed here, in Perl, from the events as sent (not by the server's SQL),
# for linear and non-linear intervals, both breakdowns, the filter, an
# unknown metric, and after late updates of a state and a statistic.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX qw(strftime floor);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
sub token {
    my ($tenant, @scopes) = @_;
    $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => $tenant, subject => 'bi', scopes => [@scopes] })->{json}{token};
}
my $token = token('demo', 'manage', 'events:write', 'events:read', 'reports:read');
sub call { my ($method, $path, $body, $as) = @_; $stack->request($method, $path, $body, { Authorization => 'Bearer ' . ($as // $token) }) }
my $insights = '/api/v1/projects/demo/events/insights';

for my $type ([ 'order', [ { storageKey => 'turnover', type => 'number', kind => 'statistic' }, { storageKey => 'paid', type => 'number', kind => 'state' } ] ],
              [ 'lead', [ { storageKey => 'qualified', type => 'number', kind => 'state' }, { storageKey => 'turnover', type => 'number', kind => 'statistic' } ] ]) {
    is(call('POST', '/api/v1/projects/demo/event-types', { reference => $type->[0], name => ucfirst $type->[0], fields => $type->[1] })->{status},
       201, "event type $type->[0]");
}

# a fixed pseudo-random series, so a failure can be replayed
my $seed = 20261123;
sub next_random { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648 }

my $year_start = 1704067200;   # 2024-01-01T00:00:00Z
my @events;
for my $n (1 .. 80) {
    my $type = next_random() < 0.6 ? 'order' : 'lead';
    my $at = $year_start + int(next_random() * 366) * 86400 + int(next_random() * 24) * 3600 + int(next_random() * 3600);
    $at = $year_start + 60 * 86400 + ($n % 10) * 86400 + 3600 * ($n % 24) if $n <= 30;   # thirty in 2024-03-01..10
    my %data = $type eq 'order' ? (turnover => int(next_random() * 500), paid => next_random() < 0.5 ? 1 : 0)
                                : (qualified => next_random() < 0.3 ? 1 : 0, ($n % 3 ? (turnover => int(next_random() * 50)) : ()));
    my $r = call('POST', '/api/v1/events/sync', { projectId => 'demo', eventType => $type, nonce => "n$n",
                                                  eventDate => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $at), data => \%data });
    die "event $n: $r->{status} $r->{content}" unless $r->{status} == 200;
    my ($id) = $r->{content} =~ /"(.+)"/;
    push @events, { id => $id, type => $type, at => $at, data => \%data };
}

# the expected rows, from @events alone
sub iso_dow { my $w = (gmtime $_[0])[6]; $w == 0 ? 7 : $w }
my %bucket = (
    day => sub { strftime('%Y-%m-%dT00:00:00.000Z', gmtime $_[0]) },
    week => sub { my $monday = $_[0] - (iso_dow($_[0]) - 1) * 86400; strftime('%Y-%m-%dT00:00:00.000Z', gmtime $monday) },
    month => sub { strftime('%Y-%m-01T00:00:00.000Z', gmtime $_[0]) },
    quarter => sub { my @t = gmtime $_[0]; sprintf('%04d-%02d-01T00:00:00.000Z', $t[5] + 1900, 3 * int($t[4] / 3) + 1) },
    semester => sub { my @t = gmtime $_[0]; sprintf('%04d-%02d-01T00:00:00.000Z', $t[5] + 1900, $t[4] < 6 ? 1 : 7) },
    year => sub { strftime('%Y-01-01T00:00:00.000Z', gmtime $_[0]) },
    dayOfWeek => sub { iso_dow($_[0]) },
    dayOfMonth => sub { (gmtime $_[0])[3] },
    dayOfYear => sub { (gmtime $_[0])[7] + 1 },
    weekOfYear => sub { 0 + strftime('%V', gmtime $_[0]) },
    monthOfYear => sub { (gmtime $_[0])[4] + 1 },
    quarterOfYear => sub { int((gmtime $_[0])[4] / 3) + 1 },
    semesterOfYear => sub { (gmtime $_[0])[4] < 6 ? 1 : 2 },
);
sub metric_of {
    my ($event, $metric) = @_;
    return 1 if $metric eq 'event-count';
    my $value = $event->{data}{$metric};
    return 0 unless defined $value;
    return $metric eq 'turnover' ? $value : ($value == 1 ? 1 : 0);
}
sub expected {
    my ($since, $until, $interval, $metrics, $per_type, $filter, $labels, $types) = @_;
    my %sum;
    for my $e (@events) {
        next if $e->{at} < $since || $e->{at} > $until;
        next if @$filter && !grep { $_ eq $e->{type} } @$filter;
        my $key = $bucket{$interval}->($e->{at}) . "\n" . ($per_type ? $e->{type} : '');
        $sum{$key}{$_} += metric_of($e, $_) for @$metrics;
    }
    my @rows;
    for my $label (@$labels) {
        for my $type ($per_type ? @$types : ('')) {
            my %row = (date => $label, ($per_type ? (eventType => $type) : ()));
            $row{$_} = $sum{"$label\n$type"}{$_} // 0 for @$metrics;
            push @rows, \%row;
        }
    }
    return \@rows;
}
sub ask {
    my (%q) = @_;
    my $r = call('POST', $insights, { since => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $q{since}), until => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $q{until}),
                                      metrics => $q{metrics}, groupBy => $q{per_type} ? 'event-type' : 'project', interval => $q{interval},
                                      filter => $q{filter} });
    die "insights: $r->{status} $r->{content}" unless $r->{status} == 200;
    return $r->{json};
}

my $march1 = $year_start + 60 * 86400;
my $march10_end = $march1 + 10 * 86400 - 1;
my $year_end = $year_start + 366 * 86400 - 1;
my @metrics = ('event-count', 'turnover', 'paid', 'qualified', 'no-such-metric');
my @days = map { strftime('%Y-%m-%dT00:00:00.000Z', gmtime($march1 + $_ * 86400)) } 0 .. 9;

subtest 'linear intervals, project breakdown' => sub {
    is_deeply(ask(since => $march1, until => $march10_end, interval => 'day', metrics => \@metrics),
              expected($march1, $march10_end, 'day', \@metrics, 0, [], \@days), 'day: ten days, each metric, the unknown one 0');
    my @weeks = map { strftime('%Y-%m-%dT00:00:00.000Z', gmtime($year_start - 86400 * 0 + $_ * 7 * 86400)) } 0 .. 52;   # 2024-01-01 is a Monday
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'week', metrics => \@metrics),
              expected($year_start, $year_end, 'week', \@metrics, 0, [], \@weeks), 'week: 53 ISO weeks, Monday first');
    my @months = map { sprintf('2024-%02d-01T00:00:00.000Z', $_) } 1 .. 12;
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'month', metrics => \@metrics),
              expected($year_start, $year_end, 'month', \@metrics, 0, [], \@months), 'month');
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'quarter', metrics => \@metrics),
              expected($year_start, $year_end, 'quarter', \@metrics, 0, [], [ map { sprintf('2024-%02d-01T00:00:00.000Z', $_) } 1, 4, 7, 10 ]), 'quarter');
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'semester', metrics => \@metrics),
              expected($year_start, $year_end, 'semester', \@metrics, 0, [], [ '2024-01-01T00:00:00.000Z', '2024-07-01T00:00:00.000Z' ]), 'semester');
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'year', metrics => \@metrics),
              expected($year_start, $year_end, 'year', \@metrics, 0, [], [ '2024-01-01T00:00:00.000Z' ]), 'year') ;
    my $total = ask(since => $year_start, until => $year_end, interval => 'year', metrics => ['event-count'])->[0]{'event-count'};
    is($total, 80, 'all eighty events in the year');
};

subtest 'a range that starts and ends inside days: whole days and edge hours' => sub {
    my ($from, $to) = ($march1 + 10 * 3600, $march1 + 2 * 86400 + 6 * 3600 - 1);   # 03-01 10:00 to 03-03 05:59:59
    my @three = map { strftime('%Y-%m-%dT00:00:00.000Z', gmtime($march1 + $_ * 86400)) } 0 .. 2;
    is_deeply(ask(since => $from, until => $to, interval => 'day', metrics => \@metrics),
              expected($from, $to, 'day', \@metrics, 0, [], \@three), 'day');
    is_deeply(ask(since => $from, until => $to, interval => 'dayOfWeek', metrics => \@metrics, per_type => 1),
              expected($from, $to, 'dayOfWeek', \@metrics, 1, [], [ 1 .. 7 ], [ 'lead', 'order' ]), 'dayOfWeek per type');
    my ($in_day) = ($march1 + 3 * 86400 + 7 * 3600, $march1 + 3 * 86400 + 15 * 3600 - 1);
    is_deeply(ask(since => $in_day, until => $march1 + 3 * 86400 + 15 * 3600 - 1, interval => 'month', metrics => \@metrics),
              expected($in_day, $march1 + 3 * 86400 + 15 * 3600 - 1, 'month', \@metrics, 0, [], [ '2024-03-01T00:00:00.000Z' ]),
              'hours within one day only');
};

subtest 'non-linear intervals' => sub {
    for my $case ([ 'dayOfWeek', 1, 7 ], [ 'dayOfMonth', 1, 31 ], [ 'dayOfYear', 1, 366 ], [ 'weekOfYear', 1, 53 ],
                  [ 'monthOfYear', 1, 12 ], [ 'quarterOfYear', 1, 4 ], [ 'semesterOfYear', 1, 2 ]) {
        my ($interval, $first, $last) = @$case;
        is_deeply(ask(since => $year_start, until => $year_end, interval => $interval, metrics => \@metrics),
                  expected($year_start, $year_end, $interval, \@metrics, 0, [], [ $first .. $last ]), "$interval: $first to $last");
    }
};

subtest 'event-type breakdown and filter' => sub {
    is_deeply(ask(since => $march1, until => $march10_end, interval => 'day', metrics => \@metrics, per_type => 1),
              expected($march1, $march10_end, 'day', \@metrics, 1, [], \@days, [ 'lead', 'order' ]), 'every live type, each day');
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'quarterOfYear', metrics => \@metrics, per_type => 1, filter => ['order']),
              expected($year_start, $year_end, 'quarterOfYear', \@metrics, 1, ['order'], [ 1 .. 4 ], ['order']), 'the filter keeps orders only');
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'year', metrics => ['event-count'], per_type => 1, filter => ['nothing']),
              [ { date => '2024-01-01T00:00:00.000Z', eventType => 'nothing', 'event-count' => 0 } ], 'a filtered type with no events: zeros');
};

subtest 'late updates of a state and a statistic move the numbers' => sub {
    my ($order) = grep { $_->{type} eq 'order' && $_->{at} >= $march1 && $_->{at} <= $march10_end && $_->{data}{paid} == 0 } @events;
    ok($order, 'an unpaid March order');
    is(call('PUT', "/api/v1/projects/demo/events/$order->{id}/states/paid", { value => 1 })->{status}, 200, 'paid now');
    $order->{data}{paid} = 1;
    is(call('PUT', "/api/v1/projects/demo/events/$order->{id}/statistics/turnover", { value => $order->{data}{turnover} + 1000 })->{status}, 200,
       'its turnover grows by 1000');
    $order->{data}{turnover} += 1000;
    is(call('PUT', "/api/v1/projects/demo/events/$order->{id}/statistics/turnover", { value => 5, date => '2000-01-01T00:00:00Z' })->{status}, 200,
       'a value dated long before changes the history, not the current value');
    is_deeply(ask(since => $march1, until => $march10_end, interval => 'day', metrics => \@metrics),
              expected($march1, $march10_end, 'day', \@metrics, 0, [], \@days), 'the days follow');
    is_deeply(ask(since => $year_start, until => $year_end, interval => 'monthOfYear', metrics => \@metrics, per_type => 1),
              expected($year_start, $year_end, 'monthOfYear', \@metrics, 1, [], [ 1 .. 12 ], [ 'lead', 'order' ]), 'and so do the months');
};

subtest 'bad requests' => sub {
    my %good = (since => '2024-01-01T00:00:00Z', until => '2024-02-01T00:00:00Z', metrics => ['event-count'], groupBy => 'project', interval => 'day');
    for my $case ([ { %good, since => 'x' }, 'since must be an RFC 3339 date-time' ],
                  [ { %good, until => undef }, 'until must be an RFC 3339 date-time' ],
                  [ { %good, until => '2023-01-01T00:00:00Z' }, 'since must not be after until' ],
                  [ { %good, metrics => [] }, 'metrics must be a non-empty array of strings' ],
                  [ { %good, metrics => [ 7 ] }, 'metrics[0] must be a non-empty string' ],
                  [ { %good, groupBy => 'user' }, 'groupBy must be project or event-type' ],
                  [ { %good, interval => 'hour' }, 'interval must be one of day, week, month, quarter, semester, year, dayOfWeek, dayOfMonth, dayOfYear, weekOfYear, monthOfYear, quarterOfYear, semesterOfYear' ],
                  [ { %good, filter => 'order' }, 'filter must be an array of event type references' ],
                  [ { %good, since => '1990-01-01T00:00:00Z', until => '2030-01-01T00:00:00Z' }, 'the range holds more than 10000 intervals' ]) {
        my $r = call('POST', $insights, $case->[0]);
        is($r->{status}, 400, "$case->[1]: 400");
        is($r->{json}{message}, $case->[1], 'says so');
    }
    is(call('POST', $insights, \%good, token('demo', 'events:read'))->{status}, 403, 'without reports:read: 403');
    $stack->create_tenant(slug => 'other-bi', name => 'Other');
    is(call('POST', $insights, \%good, token('other-bi', 'reports:read'))->{status}, 404, 'another project\'s token: 404');
};

$stack->finish;
done_testing;
