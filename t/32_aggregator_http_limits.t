# The aggregator's own port (loopback, reachable without nginx) keeps its
# limits against a client that misbehaves: headers past the connection's
# memory, a declared body past ANALYTICS_MAX_BODY_BYTES (refused before it is
# read), a client that stops sending (closed after
# ANALYTICS_HTTP_IDLE_TIMEOUT_S), and more connections than
# ANALYTICS_HTTP_CONNECTIONS (they wait in the kernel's backlog, unserved,
# until a slot frees); each time the next request is answered.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
$stack->restart_aggregator(ANALYTICS_HTTP_CONNECTIONS => 8, ANALYTICS_HTTP_IDLE_TIMEOUT_S => 2,
                           ANALYTICS_MAX_BODY_BYTES => 4096);
my ($port) = $stack->aggregator_url =~ /:(\d+)$/;

sub connect_direct { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 5) or die "connect: $!" }

# everything the server sends until it closes, or undef after $seconds
sub read_until_closed {
    my ($socket, $seconds) = @_;
    my ($answer, $deadline) = ('', time + $seconds);
    my $select = IO::Select->new($socket);
    while (time < $deadline) {
        next unless $select->can_read($deadline - time);
        my $read = sysread($socket, my $chunk, 65536);
        return $answer if !$read;
        $answer .= $chunk;
    }
    return undef;
}

sub status_of { my ($answer) = @_; defined $answer && $answer =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 'closed' }

sub healthy { $stack->aggregator_request('GET', '/healthz')->{status} }

subtest "headers past the connection memory, sent on after the server has answered and closed" => sub {
    my $socket = connect_direct();
    print $socket "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " . ('a' x 32_000_000) . "\r\nConnection: close\r\n\r\n";
    my $answer = read_until_closed($socket, 5);
    is(status_of($answer), 431, '431 Request Header Fields Too Large');
    is(healthy(), 200, 'the next request is answered');
};

subtest 'a declared body past the limit is refused before it is sent' => sub {
    my $socket = connect_direct();
    print $socket "POST /api/v1/admin/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                . "Content-Length: 100000000\r\n\r\n";
    my $answer = read_until_closed($socket, 5);
    is(status_of($answer), 413, '413 with none of the 100 MB sent');
    like($answer // '', qr/\r\n\r\n\{"statusCode":413,"message":"Request body is larger than 4096 bytes","error":"Payload Too Large"\}$/,
         'in the API\'s error shape');
    my $chunked = connect_direct();
    print $chunked "POST /api/v1/admin/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                 . sprintf('%x', 5000) . "\r\n" . ('x' x 5000) . "\r\n0\r\n\r\n";
    is(status_of(read_until_closed($chunked, 5)), 413, 'a chunked body, whose length is not declared, past the limit too');
    is(healthy(), 200, 'the next request is answered');
};

subtest 'a client that stops sending is closed after the idle timeout' => sub {
    my $socket = connect_direct();
    my $started = time;
    print $socket "GET /healthz HTTP/1.1\r\nHost: x\r\n";   # and never the blank line
    my $answer = read_until_closed($socket, 10);
    my $waited = time - $started;
    ok(defined $answer, 'the server closed the connection');
    is($answer, '', 'without an answer');
    ok($waited >= 1.5 && $waited < 6, sprintf('after %.1f s (timeout 2 s)', $waited));
    my $body = connect_direct();
    print $body "POST /api/v1/admin/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"id\":";
    $started = time;
    $answer = read_until_closed($body, 10);
    ok(defined $answer && time - $started < 6, 'a body that stops half-way is closed too');
    is(healthy(), 200, 'the others are answered meanwhile');
};

subtest 'connections past ANALYTICS_HTTP_CONNECTIONS wait in the backlog' => sub {
    my @held = map { connect_direct() } 1 .. 8;
    sleep 0.3;
    my $extra = connect_direct();
    print $extra "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    is(read_until_closed($extra, 1), undef, 'the ninth is not served while eight are open');
    close $_ for @held;
    my $answer = read_until_closed($extra, 5);
    is(status_of($answer), 200, 'and is answered once they are gone');
    is(healthy(), 200, 'the next request too');
};

done_testing;
