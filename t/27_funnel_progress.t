# What funnel/track recorded, read back: one subject's progress (steps with
# their first times, what is pending, the onboarding state) and the tenant's
# completion of each step over a cohort of subjects, exact to the row.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $tenant = $stack->demo;
my $base = "/api/v1/admin/tenants/demo/funnel-steps";

sub token {
    my ($subject, @scopes) = @_;
    my $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => 'demo', subject => $subject, scopes => [@scopes] });
    die "no token: $r->{content}" unless $r->{status} == 201;
    return $r->{json}{token};
}
sub track {
    my ($subject, $body) = @_;
    my $r = $stack->request('POST', '/services/platforms/v1/funnel/track', $body,
                            { Authorization => 'Bearer ' . token($subject, 'funnel:write') });
    die "funnel/track: $r->{status} $r->{content}" unless $r->{status} == 200;
}
sub steps_stored { $stack->psql("SELECT count(*) FROM onboarding_steps") }
my $reader = token('reporter', 'reports:read');
sub get { my ($path, $as) = @_; $stack->request('GET', $path, undef, { Authorization => 'Bearer ' . ($as // $reader) }) }

track('ann', { steps => ['celebration_opened_at'], domain_path => 'buy_new' });
ok($stack->wait_until('ann', 10, sub { steps_stored() == 1 }), "ann's step stored");
sleep 1.1;
my $cohort_start = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time));
sleep 1.1;
track('bob', { steps => ['celebration_opened_at', 'first_published_at'], closed_early => JSON::PP::true });
track('cat', { steps => ['celebration_opened_at', 'first_published_at', 'domain_choice_step_at'], domain_path => 'skipped' });
ok($stack->wait_until('bob and cat', 10, sub { steps_stored() == 6 }), "bob's and cat's steps stored");
my %first_at = map { my ($s, $step, $at) = split /\|/; ("$s/$step" => $at) }
               split /\n/, $stack->psql("SELECT subject, step, rfc3339(first_at) FROM onboarding_steps");

subtest "one subject's progress" => sub {
    my $r = get("$base/progress?subject=bob");
    is($r->{status}, 200, 'status 200');
    is_deeply($r->{json}, {
        subject => 'bob',
        steps => [ { step => 'celebration_opened_at', first_at => $first_at{'bob/celebration_opened_at'} },
                   { step => 'first_published_at', first_at => $first_at{'bob/first_published_at'} } ],
        pending => ['domain_choice_step_at'],
        domain_path => undef, closed_early => JSON::PP::true,
        updated_at => $stack->psql("SELECT rfc3339(updated_at) FROM onboarding_subjects WHERE subject = 'bob'"),
    }, 'steps done in order, the one pending, closed early');
    $r = get("$base/progress?subject=ann");
    is_deeply([ map { $_->{step} } @{ $r->{json}{steps} } ], ['celebration_opened_at'], 'ann: one step');
    is_deeply($r->{json}{pending}, ['first_published_at', 'domain_choice_step_at'], 'two pending, in the tenant\'s order');
    is_deeply([ $r->{json}{domain_path}, $r->{json}{closed_early} ], [ 'buy_new', undef ], 'her domain path; closed early never said');
    $r = get("$base/progress?subject=nobody");
    is_deeply([ $r->{status}, $r->{json}{message} ], [ 404, 'Subject not found' ], 'an unknown subject: 404');
    $r = get("$base/progress");
    is_deeply([ $r->{status}, $r->{json}{message} ], [ 400, 'subject is required' ], 'no subject: 400');
};

subtest 'the completion report' => sub {
    my $r = get("$base/report");
    is($r->{status}, 200, 'status 200');
    my $row = sub { my ($step, $done, $rate, @who) = @_;
        my @times = sort map { $first_at{"$_/$step"} } @who;
        { step => $step, configured => JSON::PP::true, completed => $done, rate => $rate,
          first_at => $times[0], last_at => $times[-1] } };
    is_deeply($r->{json}, {
        subjects => 3, closed_early => 1, domain_path => { buy_new => 1, already_have => 0, skipped => 1 },
        data => [ $row->('celebration_opened_at', 3, 1, qw(ann bob cat)),
                  $row->('first_published_at', 2, 0.6667, qw(bob cat)),
                  $row->('domain_choice_step_at', 1, 0.3333, qw(cat)) ],
    }, 'every subject: each step with its count, share and first and last time');
    $r = get("$base/report?since=$cohort_start");
    is_deeply([ $r->{json}{subjects}, map { [ $_->{completed}, $_->{rate} ] } @{ $r->{json}{data} } ],
              [ 2, [ 2, 1 ], [ 2, 1 ], [ 1, 0.5 ] ], 'those who started since: bob and cat');
    $r = get("$base/report?until=$cohort_start");
    is_deeply([ $r->{json}{subjects}, map { $_->{completed} } @{ $r->{json}{data} } ], [ 1, 1, 0, 0 ], 'before: ann alone');
    is_deeply([ @{ $r->{json}{data}[1] }{qw(first_at last_at rate)} ], [ undef, undef, 0 ], 'a step nobody did: no times, rate 0');

    is($stack->admin_request('PUT', $base, { steps => ['celebration_opened_at', 'paid_at'] })->{status}, 200, 'the tenant renames its steps');
    $r = get("$base/report");
    is_deeply([ map { "$_->{step}:" . ($_->{configured} ? 1 : 0) . ":$_->{completed}" } @{ $r->{json}{data} } ],
              [ 'celebration_opened_at:1:3', 'paid_at:1:0', 'domain_choice_step_at:0:1', 'first_published_at:0:2' ],
              'its steps first, then steps done that it no longer names');
    is_deeply(get("$base/progress?subject=ann")->{json}{pending}, ['paid_at'], 'pending follows the new steps');

    $r = get("$base/report?since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z");
    is_deeply([ $r->{status}, $r->{json}{message} ], [ 400, 'since must be before until' ], 'an empty range: 400');
    $r = get("$base/report?since=yesterday");
    is_deeply([ $r->{status}, $r->{json}{message} ], [ 400, 'since must be an RFC 3339 date-time' ], 'not a time: 400');
};

subtest 'who may read' => sub {
    is(get("$base/report", token('x', 'funnel:write'))->{status}, 403, 'funnel:write alone: 403');
    is($stack->admin_request('GET', "$base/report")->{status}, 200, 'an admin token may');
    my $other = $stack->create_tenant(slug => 'other-platform', name => 'Other');
    my $r = $stack->admin_request('POST', '/api/v1/admin/tokens', { tenant_id => 'other-platform', subject => 'o', scopes => ['reports:read'] });
    is(get("$base/progress?subject=bob", $r->{json}{token})->{status}, 404, "another tenant's token: 404");
    is($stack->request('GET', "$base/report")->{status}, 401, 'no token: 401');
};

$stack->finish;
done_testing;
