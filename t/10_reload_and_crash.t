# Under load: an nginx reload fails no request and loses no accepted event;
# an aggregator killed with SIGKILL mid-stream and started again leaves
# exactly one row per accepted event; of two aggregators sharing the stream,
# the one left alive takes over what the killed one held.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep);
use Analytics::Stack;
use Cwd ();
use File::Basename ();

my $stack = Analytics::Stack->new;
my $url = $stack->base_url . '/api/v1/analytics/track';
my $root_dir = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/..');

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

subtest 'two aggregators share the stream; one is killed and the other takes over' => sub {
    my %env = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } split /\n/, Analytics::Stack::slurp($stack->dir . '/env');
    my $build = $ENV{BUILD_DIR} // 'build';
    $build = "$root_dir/$build" unless $build =~ m{^/};
    my $port = Analytics::Stack::free_port();
    my $second = fork // die;
    if (!$second) {
        @ENV{qw(ANALYTICS_DATABASE_URL ANALYTICS_REDIS_URL ANALYTICS_LISTEN ANALYTICS_CONSUMER_NAME
                ANALYTICS_CLAIM_IDLE_MS ANALYTICS_MAINTENANCE_INTERVAL_MS ANALYTICS_SQL_DIR)}
            = ($env{DATABASE_URL}, $env{REDIS_URL}, "127.0.0.1:$port", 'survivor', 1500, 300, "$root_dir/sql");
        open STDOUT, '>>', $stack->dir . '/aggregator-2.log';
        open STDERR, '>&', \*STDOUT;
        exec "$build/aggregator", 'serve';
    }
    ok($stack->wait_until('the second aggregator', 20, sub { HTTP::Tiny->new->get("http://127.0.0.1:$port/healthz")->{status} == 200 }),
       'a second aggregator consumes the same stream');

    my $load = start_load('pair', 4, 150);
    sleep 0.8;
    my $pid = Analytics::Stack::slurp($stack->dir . '/aggregator.pid');
    chomp $pid;
    ok(kill('KILL', $pid), 'the first is killed with SIGKILL and stays dead') or diag "pid '$pid': $!";
    my $statuses = finish_load($load);
    is_deeply($statuses, { 202 => 600 }, 'all 600 accepted') or diag explain $statuses;
    ok($stack->wait_until('600 rows', 60, sub { rows_of('pair') == 600 }), 'the survivor wrote them all, claimed ones included');
    sleep 1;
    is(rows_of('pair'), 600, 'exactly once');
    is((split /\n/, $stack->redis_raw('XPENDING', '{analytics}:events', 'aggregator'))[0], 0, 'nothing left pending');
    is($stack->psql("SELECT sum(events) FROM rollup_events_hourly"), $stack->psql("SELECT count(*) FROM events"),
       'the rollups count every event once');
    kill 'TERM', $second;
    waitpid $second, 0;
    is($? >> 8, 0, 'the survivor stops cleanly on SIGTERM');
    is($stack->stack('start-aggregator'), 0, 'the first started again for the teardown');
};

$stack->finish;
done_testing;
