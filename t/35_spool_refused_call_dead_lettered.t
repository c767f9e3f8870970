# A spooled call Redis refuses every time (here: a function no library
# defines, as after an upgrade with a full spool) no longer blocks the calls
# behind it: after five refusals in a row it goes to a dead-letter file in
# the spool's folder (the spool's own format, named so no worker adopts it),
# the error log says why, and every event behind it, in its file and in the
# worker's own spool, is replayed and stored once (before: the adopted file
# was replayed again and again and the own spool never). Renamed spool-*.bin, the dead-letter file is adopted and replayed.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Compress::Zlib qw(crc32);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $spool = $stack->dir . '/nginx/spool';
my $magic = "analytics spool 2\n";

sub record {
    my @args = @_;
    my $body = pack('L', scalar @args) . join('', map { pack('L', length $_) . $_ } @args);
    my $length = pack('L', length $body);
    return $length . pack('L', crc32($body, crc32($length))) . $body;
}
sub spool_files { my @files = glob("$spool/spool-*.bin"); @files }
sub dead_files { my @files = glob("$spool/dead-*.bin"); @files }
# the workers' user must own what the test writes, as nginx made the folder
sub give_to_workers { my @owner = (stat $spool)[4, 5]; chown @owner, @_ or die "chown: $!" }
# count events of load, each answered 202 while Redis is away
sub spool_events {
    my ($load, $count) = @_;
    for my $i (1 .. $count) {
        my $r = $stack->request('POST', '/api/v1/analytics/track',
                                qq({"tenant_id":"demo","type":"call","metadata":{"load":"$load","i":$i}}));
        is($r->{status}, 202, "$load: event $i spooled");
    }
}
sub stored { $stack->psql(q{SELECT count(*) FROM events WHERE metadata->>'load' = 'behind'}) }

is($stack->stack('stop-redis'), 0, 'Redis stopped');
spool_events('behind', 5);
is($stack->stack('stop-nginx'), 0, 'nginx stopped with the events in its spool');
my @files = grep { -s $_ > length $magic } spool_files();
is(scalar @files, 1, 'one spool file with records');
my $records = do { local $/; open my $in, '<:raw', $files[0] or die $!; my $all = <$in>; substr($all, length $magic) };
unlink spool_files();

# the refused call first, then the five
my $poison = record('FCALL', 'analytics_ingest_v0', '0');
open my $out, '>:raw', "$spool/spool-1-1.bin" or die $!;
print $out $magic, $poison, $records;
close $out;
give_to_workers("$spool/spool-1-1.bin");

is($stack->stack('start-nginx'), 0, 'nginx started: it adopts the file');
# and spools three more in its own file, replayed after the adopted one's
spool_events('after', 3);
is($stack->stack('start-redis'), 0, 'Redis back');
ok($stack->wait_until('the events behind the refused call stored', 30, sub { stored() == 5 }),
   'the five events behind the refused call are stored');
ok($stack->wait_until('the events spooled after it stored', 30, sub {
    $stack->psql(q{SELECT count(*) FROM events WHERE metadata->>'load' = 'after'}) == 3 }),
   'and the three in the own spool, behind the adopted file');
is($stack->psql(q{SELECT count(DISTINCT metadata->>'i') FROM events WHERE metadata->>'load' = 'behind'}), 5,
   'each once');
my @dead = dead_files();
is(scalar @dead, 1, 'one dead-letter file') or do { $stack->finish; done_testing; exit };
my $kept = do { local $/; open my $in, '<:raw', $dead[0] or die $!; <$in> };
is($kept, $magic . $poison, 'it holds the refused call, in the spool format');
my $log = Analytics::Stack::slurp($stack->dir . '/nginx/error.log');
like($log, qr/redis refused a spooled call 5 times \(ERR Function not found\): moved to "\Q$dead[0]\E"/,
     'the error log says what and where');
ok($stack->wait_until('the adopted file removed', 10, sub { !-e "$spool/spool-1-1.bin" }), 'the adopted file is gone');

# mended (here: nothing can mend an unknown function, so a real call instead)
# and renamed, a dead-letter file is replayed like any orphan
my $real = substr($records, 0, unpack('L', $records) + 8);
open $out, '>:raw', $dead[0] or die $!;
print $out $magic, $real;
close $out;
my $row_ids = $stack->psql(q{SELECT count(*) FROM events});
rename $dead[0], "$spool/spool-2-2.bin" or die $!;
ok($stack->wait_until('the renamed file adopted and replayed', 15, sub { !-e "$spool/spool-2-2.bin" }),
   'a renamed dead-letter file is adopted and replayed');
sleep 1;
is($stack->psql(q{SELECT count(*) FROM events}), $row_ids, 'its call, seen before, is stored once all the same');

# the alert is expected here
$stack->expect_problems(qr/\[alert\].*redis refused a spooled call 5 times/);
$stack->finish;
done_testing;
