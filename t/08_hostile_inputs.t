# Hostile bodies against the track endpoint, each with its exact answer: no
# crash, no hang, no nginx error page, nothing stored.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $track = '/api/v1/analytics/track';

sub malformed {
    my ($reason) = @_;
    my $message = "Malformed JSON body: $reason.";
    $message =~ s/(["\\])/\\$1/g;
    return qq({"message":"$message","errors":{"body":["$message"]}});
}
sub invalid {
    my ($field, $message) = @_;
    return qq({"message":"$message","errors":{"$field":["$message"]}});
}

my @table = (
    [ 'deep nesting', '[' x 3000 . ']' x 3000, 400, malformed(q|maximum parsing depth reached near '['|) ],
    [ 'deep metadata', '{"tenant_id":"demo","type":"call","metadata":' . '{"a":' x 2100 . '1' . '}' x 2100 . '}',
      400, malformed(q|maximum parsing depth reached near '{'|) ],
    [ 'integer beyond 64 bits', '{"tenant_id":"demo","type":"call","product_id":123456789012345678901234567890}',
      400, malformed('too big integer') ],
    [ 'real overflow', '{"tenant_id":"demo","type":"call","product_id":1e400}', 400, malformed(q|real number overflow near '1e400'|) ],
    [ 'invalid UTF-8', qq({"tenant_id":"de\xffmo","type":"call"}), 400, malformed(q|unable to decode byte 0xff near '"de'|) ],
    [ 'escaped NUL', '{"tenant_id":"de\u0000mo","type":"call"}', 400, malformed('NUL characters (\u0000) are not allowed') ],
    [ 'raw NUL byte', qq({"tenant_id":"demo"\x00,"type":"call"}), 400, malformed(q|'}' expected near end of file|) ],
    [ 'duplicate keys', '{"tenant_id":"demo","type":"call","tenant_id":"x"}', 400, malformed(q|duplicate object key near '"tenant_id"'|) ],
    [ 'lone surrogate', '{"tenant_id":"\ud800","type":"call"}', 400, malformed(q|invalid Unicode '\uD800' near '"\ud800"'|) ],
    [ 'trailing garbage', '{"tenant_id":"demo","type":"call"} {}', 400, malformed(q|end of file expected near '{'|) ],
    [ 'a number', '42', 400, invalid('body', 'The request body must be a JSON object.') ],
    [ 'a string', '"hello"', 400, invalid('body', 'The request body must be a JSON object.') ],
    [ 'null', 'null', 400, invalid('body', 'The request body must be a JSON object.') ],
    [ 'type as an array', '{"tenant_id":"demo","type":["call"]}', 422, invalid('type', 'The type field must be a string.') ],
    [ 'tenant as an object', '{"tenant_id":{"id":1},"type":"call"}', 422, invalid('tenant_id', 'The tenant id field must be a string.') ],
    [ 'negative product', '{"tenant_id":"demo","type":"call","product_id":-5}', 422, invalid('product_id', 'The product id field must be at least 1.') ],
    [ 'boolean product', '{"tenant_id":"demo","type":"call","product_id":true}', 422, invalid('product_id', 'The product id field must be an integer.') ],
    [ 'metadata as a string', '{"tenant_id":"demo","type":"call","metadata":"{}"}', 422, invalid('metadata', 'The metadata field must be an object.') ],
    [ 'an emoji tenant', qq({"tenant_id":"\xf0\x9f\x98\x80","type":"call"}), 404, '{"success":false,"message":"Tenant not found or not available"}' ],
    [ 'one megabyte', '{"tenant_id":"demo","type":"call","metadata":{"k":"' . 'x' x (1 << 20) . '"}}',
      413, invalid('body', 'The request body is larger than the configured limit.') ],
);

for my $case (@table) {
    my ($name, $body, $status, $expected) = @$case;
    my $r = $stack->request('POST', $track, $body, { 'Content-Type' => 'application/json' });
    is($r->{status}, $status, "$name: status $status");
    is($r->{content}, $expected, "$name: body");
}

my $r = $stack->request('POST', $track, '{"tenant_id":"demo","type":"call","metadata":{"k":"' . 'x' x 16000 . '"}}',
                        { 'Content-Type' => 'application/json' });
is($r->{status}, 202, 'a body just under the limit is accepted');

# a client that announces a body and never sends it is timed out by nginx,
# not left holding a worker
my $raw = $stack->raw_request("POST $track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tenant_id\"");
is($raw, '', 'a half-sent body gets no answer and no crash (the socket closes)');

# bodies that arrive in pieces are put together
my $body = '{"tenant_id":"demo","type":"cart_add","metadata":{"slow":true}}';
$raw = $stack->raw_request_in_parts(
    "POST $track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n",
    substr($body, 0, 10), substr($body, 10, 20), substr($body, 30));
like($raw, qr{^HTTP/1\.1 202 .*\r\n\r\n\{"success":true,"message":"Event accepted for processing"\}$}s, 'a body in three pieces: 202');

$raw = $stack->raw_request_in_parts(
    "POST $track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    sprintf("%x\r\n%s\r\n", 20, substr($body, 0, 20)), sprintf("%x\r\n%s\r\n", length($body) - 20, substr($body, 20)),
    "0\r\n\r\n");
like($raw, qr{^HTTP/1\.1 202 }, 'a chunked body in pieces: 202');

my $big = 'x' x 6000;
$raw = $stack->raw_request_in_parts(
    "POST $track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    map({ sprintf("%x\r\n%s\r\n", length $big, $big) } 1 .. 4), "0\r\n\r\n");
like($raw, qr{^HTTP/1\.1 413 .*\r\n\r\n\Q{"message":"The request body is larger than the configured limit.","errors":{"body":["The request body is larger than the configured limit."]}}\E$}s,
     'a chunked body that grows past the limit on a later read: 413 in the family shape');

$stack->wait_until('the three accepted events', 10, sub { $stack->psql('SELECT count(*) FROM events') == 3 });
sleep 1;
is($stack->psql('SELECT count(*) FROM events'), 3, 'nothing else was stored');
is($stack->aggregator_request('GET', '/healthz')->{status}, 200, 'still serving');

$stack->finish;
done_testing;
