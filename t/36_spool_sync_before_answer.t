# analytics_spool ... sync=answer: with Redis away, a spooled event is
# answered only after the spool's fdatasync (the appends of one loop turn
# share it), so a 202 means the event is on the host's disk. Watched with
# strace on the one worker: every 202 written to a client follows an
# fdatasync that follows the event's append. The default (sync=tick) answers
# first and syncs within 200 ms, which the same watch shows.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Analytics::Stack;

local $ENV{STACK_NGINX_WORKERS} = 1;

# the system calls of the worker while five events are spooled, in order:
# [kind, text] with kind append, sync or answer
sub watch_spooling {
    my ($stack) = @_;
    my $dir = $stack->dir;
    my ($master) = Analytics::Stack::slurp("$dir/nginx/nginx.pid") =~ /(\d+)/;
    my ($worker) = `pgrep -P $master` =~ /(\d+)/ or die 'no worker';
    my $trace = "$dir/strace.out";
    my $strace = fork // die "fork: $!";
    if ($strace == 0) {
        exec 'strace', '-qq', '-p', $worker, '-e', 'trace=pwritev,fdatasync,writev,write,sendfile', '-s', '16',
             '-o', $trace;
        exit 127;
    }
    sleep 1;   # attached
    my @statuses;
    for my $i (1 .. 5) {
        my $r = $stack->request('POST', '/api/v1/analytics/track',
                                qq({"tenant_id":"demo","type":"call","metadata":{"i":$i}}));
        push @statuses, $r->{status};
    }
    sleep 0.5;   # the default's tick
    kill 'INT', $strace;
    waitpid $strace, 0;
    my @calls;
    open my $in, '<', $trace or return (\@statuses, undef);
    while (my $line = <$in>) {
        if ($line =~ /^pwritev\(/) { push @calls, 'append' }
        elsif ($line =~ /^fdatasync\(/) { push @calls, 'sync' }
        elsif ($line =~ /^(writev|write)\(\d+, .*"HTTP\/1\.1 202/) { push @calls, 'answer' }
    }
    return (\@statuses, \@calls);
}

# for each answer: was the last append before it synced before it?
sub answers_after_sync {
    my ($calls) = @_;
    my ($pending, $synced_answers, $answers) = (0, 0, 0);
    for my $call (@$calls) {
        if ($call eq 'append') { $pending = 1 }
        elsif ($call eq 'sync') { $pending = 0 }
        else { $answers++; $synced_answers++ if !$pending }
    }
    return ($answers, $synced_answers);
}

for my $mode (['sync', 'sync=answer'], ['on', 'sync=tick (the default)']) {
    my ($spool, $name) = @$mode;
    my $stack = Analytics::Stack->new(spool => $spool);
    is($stack->stack('stop-redis'), 0, "$name: Redis stopped");
    my ($statuses, $calls) = watch_spooling($stack);
    is("@$statuses", '202 202 202 202 202', "$name: five events spooled and accepted");
    if (!$calls) {
        fail("$name: strace could not watch the worker");
    } else {
        my ($answers, $synced) = answers_after_sync($calls);
        is($answers, 5, "$name: five answers seen");
        is(scalar(grep { $_ eq 'append' } @$calls), 5, "$name: five appends");
        if ($spool eq 'sync') {
            is($synced, 5, 'sync=answer: every answer after the fdatasync of its append');
        } else {
            cmp_ok($synced, '<', 5, 'sync=tick: answers go before the sync');
            ok(scalar(grep { $_ eq 'sync' } @$calls) >= 1, 'sync=tick: and the tick syncs');
        }
    }
    is($stack->stack('start-redis'), 0, "$name: Redis back");
    ok($stack->wait_until("$name: replayed", 30, sub {
        $stack->psql(q{SELECT count(*) FROM events WHERE metadata ? 'i'}) == 5 }), "$name: all five stored");
    $stack->finish;
}

done_testing;
