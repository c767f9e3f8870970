# Redis away while nginx changes under load: a reload, a binary upgrade
# (USR2, WINCH, QUIT) and worker_processes 4 -> 2. Old and new workers never
# share a spool file (each is named for its process and held with flock),
# and the files of workers that are gone are adopted by the living. Redis
# back: every event answered 2xx is stored exactly once, and only the two
# live workers' (empty) files remain.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep);
use Analytics::Stack;

local $ENV{STACK_NGINX_WORKERS} = 4;
my $stack = Analytics::Stack->new;
my $dir = $stack->dir . '/nginx';
my $url = $stack->base_url . '/api/v1/analytics/track';
my $stop_file = $stack->dir . '/stop-load';

# 0 while the file is being renamed or written (never signal that: it is our own group)
sub master_pid { open my $in, '<', "$dir/nginx.pid" or return 0; my $pid = <$in> // ''; $pid =~ /^(\d+)/ && $1 > 1 ? $1 : 0 }
sub spool_files { my @files = glob("$dir/spool/spool-*.bin"); @files }
sub spool_count { my @files = spool_files(); scalar @files }
sub spooled { my $bytes = 0; $bytes += (-s $_) - 18 for spool_files(); $bytes }

# clients sending until the stop file appears; each writes "i status" lines
sub start_load {
    my ($clients) = @_;
    my @children;
    for my $client (1 .. $clients) {
        my $file = $stack->dir . "/load-$client";
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
            open my $out, '>', $file or die $!;
            $out->autoflush(1);
            for (my $i = 1; !-e $stop_file; $i++) {
                my $r = $http->request('POST', $url, {
                    content => qq({"tenant_id":"demo","type":"call","metadata":{"load":"upgrade","client":$client,"i":$i}}),
                    headers => { 'Content-Type' => 'application/json' } });
                print $out "$i $r->{status}\n";
                sleep 0.005;
            }
            close $out;
            POSIX::_exit(0);
        }
        push @children, [$pid, $file];
    }
    return \@children;
}

is($stack->stack('stop-redis'), 0, 'Redis stopped');
my $load = start_load(4);
sleep 1.5;

my $master = master_pid() or die 'no master';
ok(kill('HUP', $master), 'reload');
sleep 2;

ok(kill('USR2', $master), 'binary upgrade: USR2');
ok($stack->wait_until('the new master', 20, sub { -e "$dir/nginx.pid.oldbin" && master_pid() && master_pid() != $master }),
   'a new master runs beside the old');
my $new_master = master_pid() or die 'no new master';
sleep 1;
ok(kill('WINCH', $master), 'WINCH: the old workers leave');
sleep 1.5;
ok(kill('QUIT', $master), 'QUIT: the old master goes');
ok($stack->wait_until('the old master gone', 20, sub { !kill(0, $master) }), 'the old master is gone');
sleep 1;

my $conf = Analytics::Stack::slurp("$dir/nginx.conf");
$conf =~ s/worker_processes 4;/worker_processes 2;/ or die 'no worker_processes 4';
open my $out, '>', "$dir/nginx.conf" or die $!;
print $out $conf;
close $out;
ok(kill('HUP', $new_master), 'reload with worker_processes 2');
sleep 2.5;

open my $stop, '>', $stop_file or die $!;
close $stop;
my (%answered, %statuses);
for my $child (@$load) {
    waitpid($child->[0], 0);
    my ($client) = $child->[1] =~ /load-(\d+)$/;
    open my $in, '<', $child->[1] or die $!;
    for (<$in>) {
        my ($i, $status) = split;
        $statuses{$status}++;
        $answered{"$client/$i"} = 1 if $status =~ /^2/;
    }
}
my $accepted = keys %answered;
diag('statuses: ' . join(', ', map { "$_ x$statuses{$_}" } sort keys %statuses));
ok($accepted > 200, "$accepted events accepted into the spool");
is(join(',', grep { !/^202$/ } keys %statuses), '', 'every answer a 202');
ok(spooled() > 0, 'spooled: ' . spooled() . ' bytes in ' . spool_count() . ' files');

is($stack->stack('start-redis'), 0, 'Redis back');
sub stored { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'load' = 'upgrade'") }
ok($stack->wait_until("$accepted rows", 60, sub { stored() >= $accepted && spooled() == 0 }), 'the spools replayed');
sleep 1;
is(stored(), $accepted, 'as many rows as 2xx answers');
my %stored = map { $_ => 1 } split /\n/,
    $stack->psql("SELECT (metadata->>'client') || '/' || (metadata->>'i') FROM events WHERE metadata->>'load' = 'upgrade'");
is(scalar(grep { !$stored{$_} } keys %answered), 0, 'every accepted event stored');
is($stack->psql("SELECT count(*) - count(DISTINCT (metadata->>'client', metadata->>'i')) FROM events WHERE metadata->>'load' = 'upgrade'"),
   0, 'none twice');
ok($stack->wait_until('two spool files', 15, sub { spool_count() == 2 }),
   'the files of gone workers removed once replayed: ' . join(' ', map { s{.*/}{}r } spool_files()));

done_testing;
