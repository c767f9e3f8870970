# PostgreSQL stopped with SIGSTOP under load (its kernel still acknowledges
# every byte, so no TCP timeout fires): /healthz answers from memory within
# a second, /readyz says why within seconds, SIGTERM ends the aggregator
# within 10 s, and after SIGCONT every accepted event is stored once.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(time sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
sub stored { $stack->psql("SELECT count(*) FROM events WHERE type = 'call'") }
my $track = $stack->base_url . '/api/v1/analytics/track';
my $direct = HTTP::Tiny->new(timeout => 15);

for (1 .. 20) { $stack->request('POST', '/api/v1/analytics/track', { tenant_id => 'demo', type => 'call' })->{status} == 202 or die }
ok($stack->wait_until('twenty events', 10, sub { stored() == 20 }), 'twenty events stored first');

# the postmaster and every backend: a server that hangs, not one that is gone
my $postmaster = (split /\n/, Analytics::Stack::slurp($stack->dir . '/postgres/postmaster.pid'))[0];
my @postgres = ($postmaster, map { chomp; $_ } `pgrep -P $postmaster`);
ok(@postgres > 2, scalar(@postgres) . ' PostgreSQL processes');
kill 'STOP', @postgres;

my $sender = fork // die;
if (!$sender) {
    my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 1);
    my $accepted = 0;
    for (1 .. 200) {
        my $r = $http->post($track, { headers => { 'Content-Type' => 'application/json' }, content => '{"tenant_id":"demo","type":"call"}' });
        $accepted++ if $r->{status} == 202;
        sleep 0.01;
    }
    open my $fh, '>', $stack->dir . '/accepted' or die;
    print $fh $accepted;
    close $fh;
    POSIX::_exit(0);
}

sleep 2;
my $started = time;
my $r = $direct->get($stack->aggregator_url . '/healthz');
my $took = time - $started;
is($r->{status}, 200, '/healthz: 200 while PostgreSQL hangs');
ok($took < 1, sprintf('within a second (%.3f s)', $took));
$started = time;
$r = $direct->get($stack->aggregator_url . '/readyz');
$took = time - $started;
is($r->{status}, 503, '/readyz: 503');
like($r->{content}, qr/postgresql: /, 'saying it is PostgreSQL: ' . $r->{content});
ok($took < 8, sprintf('within seconds (%.3f s)', $took));
waitpid $sender, 0;
is(Analytics::Stack::slurp($stack->dir . '/accepted'), 200, 'the module accepted all 200 meanwhile');

my $aggregator = Analytics::Stack::slurp($stack->dir . '/aggregator.pid');
chomp $aggregator;
kill 'TERM', $aggregator;
$started = time;
sleep 0.1 while kill(0, $aggregator) && time - $started < 15;
$took = time - $started;
ok(!kill(0, $aggregator), sprintf('SIGTERM: the aggregator is gone within 10 s (%.1f s)', $took)) or kill 'KILL', $aggregator;
ok($took < 10, 'under 10 s');

kill 'CONT', @postgres;
is($stack->stack('start-aggregator'), 0, 'PostgreSQL back, the aggregator started again');
ok($stack->wait_until('every event', 30, sub { stored() == 220 }), 'all 220 stored') or diag stored();
is($stack->psql("SELECT count(DISTINCT id) FROM events WHERE type = 'call'"), 220, 'each once');
is($stack->psql('SELECT count(*) FROM stream_rejects'), 0, 'nothing rejected');
$stack->finish;
done_testing;
