# A server error is not bad data: with a column of events renamed away under
# load (as a botched upgrade would leave it, SQLSTATE 42703), every batch
# waits and retries with backoff, counted in /metrics; nothing goes to
# stream_rejects. Once the column is back, every accepted event is stored
# exactly once.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
sub stored { $stack->psql("SELECT count(*) FROM events WHERE type = 'call'") }
sub failures { ($stack->aggregator_request('GET', '/metrics')->{content} // '') =~ /^analytics_consumer_failures_total (\d+)$/m ? $1 : -1 }

my $track = $stack->base_url . '/api/v1/analytics/track';
for (1 .. 20) { $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call' })->{status} == 202 or die }
ok($stack->wait_until('twenty events', 10, sub { stored() == 20 }), 'twenty events stored first');
my $failures_before = failures();
ok($failures_before >= 0, 'the failure counter is in /metrics');

# a sender under load for the whole fault: 300 events at about 100 a second
my $accepted_file = $stack->dir . '/accepted';
my $sender = fork // die;
if (!$sender) {
    my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 1);
    my $accepted = 0;
    for (1 .. 300) {
        my $r = $http->post($track, { headers => { 'Content-Type' => 'application/json' }, content => '{"tenant_id":"demo","type":"call"}' });
        $accepted++ if $r->{status} == 202;
        sleep 0.01;
    }
    open my $fh, '>', $accepted_file or die;
    print $fh $accepted;
    close $fh;
    POSIX::_exit(0);   # not exit: the stack object must not stop the stack in the child
}

sleep 0.3;
$stack->psql('ALTER TABLE events RENAME COLUMN country TO country_gone');
sleep 3;
my $during = stored();
ok($during < 320, "while the column is gone the events wait ($during stored, all before it went)");
is($stack->psql('SELECT count(*) FROM stream_rejects'), 0, 'none set aside as bad data');
ok($stack->wait_until('retries counted', 10, sub { failures() > $failures_before }), 'the failed attempts show in /metrics');
waitpid $sender, 0;
my $accepted = Analytics::Stack::slurp($accepted_file);
is($accepted, 300, 'the module accepted all 300 meanwhile');
$stack->psql('ALTER TABLE events RENAME COLUMN country_gone TO country');

ok($stack->wait_until('every event', 30, sub { stored() == 320 }), 'once it is back, all 320 are stored') or diag stored();
is($stack->psql("SELECT count(DISTINCT id) FROM events WHERE type = 'call'"), 320, 'each once');
is($stack->psql('SELECT count(*) FROM stream_rejects'), 0, 'and nothing rejected');
$stack->finish;
done_testing;
