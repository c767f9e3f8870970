# Under load: an nginx reload fails no request and loses no accepted event;
# an aggregator killed with SIGKILL mid-stream and started again leaves
# exactly one row per accepted event.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $url = $stack->base_url . '/api/v1/analytics/track';

# $clients processes, each sending $per_client events on fresh connections
# (as beacons do); returns a file per client with one status a line
sub start_load {
    my ($tag, $clients, $per_client) = @_;
    my @children;
    for my $client (1 .. $clients) {
        my $file = $stack->dir . "/load-$tag-$client";
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
            open my $out, '>', $file or die $!;
            for my $i (1 .. $per_client) {
                my $r = $http->request('POST', $url, {
                    content => qq({"tenant_id":"demo","type":"call","metadata":{"load":"$tag","client":$client,"i":$i}}),
                    headers => { 'Content-Type' => 'application/json' } });
                print $out "$r->{status}\n";
            }
            close $out;
            POSIX::_exit(0);   # no destructors: the stack belongs to the parent
        }
        push @children, [$pid, $file];
    }
    return \@children;
}

sub finish_load {
    my ($children) = @_;
    my %statuses;
    for my $child (@$children) {
        waitpid($child->[0], 0);
        open my $in, '<', $child->[1] or die $!;
        $statuses{$_}++ for map { chomp; $_ } <$in>;
    }
    return \%statuses;
}

sub rows_of { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'load' = '$_[0]'") }

subtest 'nginx reloads twice under load' => sub {
    my $master = Analytics::Stack::slurp($stack->dir . '/nginx/nginx.pid');
    chomp $master;
    my $load = start_load('reload', 4, 400);
    sleep 0.5;
    ok(kill('HUP', $master), 'first reload');
    sleep 0.7;
    ok(kill('HUP', $master), 'second reload');
    my $statuses = finish_load($load);
    is_deeply($statuses, { 202 => 1600 }, 'all 1600 requests accepted, none failed') or diag explain $statuses;
    ok($stack->wait_until('1600 rows', 30, sub { rows_of('reload') == 1600 }), 'every accepted event stored');
};

subtest 'the aggregator is killed with SIGKILL under load and started again' => sub {
    my $load = start_load('crash', 4, 150);
    sleep 0.6;
    my $pid = Analytics::Stack::slurp($stack->dir . '/aggregator.pid');
    chomp $pid;
    ok(kill('KILL', $pid), 'SIGKILL');
    sleep 0.5;
    is($stack->stack('start-aggregator'), 0, 'started again');
    my $statuses = finish_load($load);
    is_deeply($statuses, { 202 => 600 }, 'all accepted: ingest does not depend on the aggregator') or diag explain $statuses;
    ok($stack->wait_until('600 rows', 30, sub { rows_of('crash') == 600 }), 'every event stored');
    sleep 1;
    is(rows_of('crash'), 600, 'exactly once');
    is($stack->psql("SELECT count(DISTINCT (metadata->>'client', metadata->>'i')) FROM events WHERE metadata->>'load' = 'crash'"),
       600, 'each event once');
    is((split /\n/, $stack->redis_raw('XPENDING', '{analytics}:events', 'aggregator'))[0], 0, 'nothing left pending');
    is($stack->psql("SELECT sum(events) FROM rollup_events_hourly"), $stack->psql("SELECT count(*) FROM events"),
       'the rollup counts every event once');
    is($stack->psql("SELECT sum(credit_micros) FROM rollup_attributed_hourly"),
       $stack->psql("SELECT count(*) * 1000000 FROM events WHERE kind <> 'interaction'"),
       'each event attributed exactly once');
};

$stack->finish;
done_testing;
