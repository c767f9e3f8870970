# Content-Encoding on the POST endpoints: gzip, x-gzip and deflate (zlib's
# format and raw) inflated inside the module; damaged streams 400 and other
# codings 415 in each family's shape; the body limit holds for what a body
# inflates to, and a zip bomb does not grow the worker.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Compress::Deflate qw(deflate);
use IO::Compress::RawDeflate qw(rawdeflate);
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $accepted = '{"success":true,"message":"Event accepted for processing"}';

sub packed {
    my ($how, $text) = @_;
    my $out;
    if ($how eq 'gzip') { gzip(\$text => \$out, -Level => 9) or die $GzipError }
    elsif ($how eq 'deflate') { deflate(\$text => \$out) or die }
    else { rawdeflate(\$text => \$out) or die }
    return $out;
}
sub post {
    my ($path, $body, %headers) = @_;
    return $stack->request('POST', $path, $body, { 'Content-Type' => 'application/json', %headers });
}
sub track_body { my ($case, $pad) = @_; qq({"tenant_id":"demo","type":"whatsapp_click","metadata":{"case":"$case","pad":") . ('x' x ($pad // 0)) . '"}}' }
sub stored { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'case' = '$_[0]'") }

subtest 'gzip, x-gzip and both deflates are read as the plain body' => sub {
    for my $case (['gzip', 'gzip', 'gzip'], ['x-gzip', 'gzip', 'x-gzip'], ['zlib', 'deflate', 'deflate'],
                  ['raw', 'raw', 'deflate'], ['identity', undef, 'identity']) {
        my ($name, $how, $coding) = @$case;
        my $body = $how ? packed($how, track_body($name)) : track_body($name);
        my $r = post('/api/v1/analytics/track', $body, 'Content-Encoding' => $coding);
        is($r->{status}, 202, "$name: 202");
        is($r->{content}, $accepted, "$name: the accepted body");
    }
    $stack->wait_until('five rows', 10, sub { stored('gzip') + stored('x-gzip') + stored('zlib') + stored('raw') + stored('identity') == 5 });
    is($stack->psql("SELECT metadata->>'case' FROM events ORDER BY metadata->>'case'"), join("\n", qw(gzip identity raw x-gzip zlib)),
       'one row each, its metadata read from the inflated JSON');

    my $r = post('/api/v1/analytics/conversion', packed('gzip', '{"tenant_slug":"demo","transaction_id":"gz-1","value":12.5}'),
                 'Content-Encoding' => 'gzip');
    is($r->{content}, '{"status":"ok","transaction_id":"gz-1"}', 'the conversion beacon');
    $r = post('/collect', packed('gzip', '{"tenant":"demo","url":"https://shop.example/gz"}'),
              'Content-Encoding' => 'gzip', 'Content-Type' => 'text/plain');
    is($r->{status}, 202, 'the tracker\'s /collect');
    $stack->wait_until('the conversion and the page view', 10, sub {
        $stack->psql("SELECT count(*) FROM conversions WHERE transaction_id = 'gz-1'") == 1
        && $stack->psql("SELECT count(*) FROM events WHERE metadata->>'url' = 'https://shop.example/gz'") == 1 });
};

subtest 'damaged streams: 400, in each family\'s shape' => sub {
    my $good = packed('gzip', track_body('damaged'));
    my $r = post('/api/v1/analytics/track', substr($good, 0, length($good) - 6), 'Content-Encoding' => 'gzip');
    is($r->{status}, 400, 'a truncated gzip body: 400');
    is($r->{content}, '{"message":"The body is not valid gzip data.","errors":{"body":["The body is not valid gzip data."]}}',
       'Laravel\'s shape');
    $r = post('/api/v1/analytics/track', $good . 'trailing', 'Content-Encoding' => 'gzip');
    is($r->{status}, 400, 'bytes after the stream: 400');
    $r = post('/api/v1/analytics/track', track_body('plain'), 'Content-Encoding' => 'deflate');
    is($r->{status}, 400, 'a plain body that says deflate: 400');
    is($r->{content}, '{"message":"The body is not valid deflate data.","errors":{"body":["The body is not valid deflate data."]}}', 'its body');
    $r = post('/api/v1/events', 'not gzip at all', 'Content-Encoding' => 'gzip', Authorization => 'Bearer x');
    is($r->{status}, 400, '/api/v1/events: 400');
    is($r->{content}, '{"statusCode":400,"message":"The body is not valid gzip data.","error":"Bad Request"}', 'NestJS\'s shape');
    $r = post('/services/webshop/v1/orders/mark-purchase-tracked', 'not gzip', 'Content-Encoding' => 'gzip');
    is($r->{status}, 400, '/services: 400');
    is($r->{content}, '{"error":true,"message":"The body is not valid gzip data."}', 'the /services shape');
    sleep 0.5;
    is(stored('damaged') + stored('plain'), 0, 'nothing stored');
};

subtest 'other codings: 415' => sub {
    for my $coding ('br', 'zstd', 'gzip, br', 'compress') {
        my $r = post('/api/v1/analytics/track', track_body('coding'), 'Content-Encoding' => $coding);
        is($r->{status}, 415, "$coding: 415");
        is($r->{content}, '{"message":"The Content-Encoding must be gzip, deflate or identity.","errors":{"body":["The Content-Encoding must be gzip, deflate or identity."]}}',
           "$coding: the body") if $coding eq 'br';
    }
    my $r = post('/api/v1/events', '{}', 'Content-Encoding' => 'br');
    is($r->{content}, '{"statusCode":415,"message":"The Content-Encoding must be gzip, deflate or identity.","error":"Unsupported Media Type"}',
       '/api/v1/events: NestJS\'s shape');
};

subtest 'the body limit holds for what the body inflates to' => sub {
    my $plain_too_large = post('/api/v1/analytics/track', track_body('big', 17000));
    is($plain_too_large->{status}, 413, 'a plain body over 16k: 413');
    my $under = track_body('under', 16384 - length(track_body('under')));
    is(length $under, 16384, 'a body of exactly the limit');
    my $r = post('/api/v1/analytics/track', packed('gzip', $under), 'Content-Encoding' => 'gzip');
    is($r->{status}, 202, 'gzipped, it inflates to the limit: 202');
    $r = post('/api/v1/analytics/track', packed('gzip', $under . ' '), 'Content-Encoding' => 'gzip');
    is($r->{status}, 413, 'one byte more: 413');
    is($r->{content}, $plain_too_large->{content}, 'as a plain body over the limit is answered');
    $stack->wait_until('the row', 10, sub { stored('under') == 1 });
};

subtest 'a zip bomb costs the worker nothing' => sub {
    my $bomb = packed('gzip', "\0" x (12 * 1024 * 1024));
    cmp_ok(length $bomb, '<', 16384, 'a 12 MB body in ' . length($bomb) . ' bytes, under the wire limit');
    my ($worker) = grep { /^\d+$/ } split /\s+/, `pgrep -P \$(cat ${\ $stack->dir}/nginx/nginx.pid)`;
    my $rss = sub { Analytics::Stack::slurp("/proc/$worker/status") =~ /^VmRSS:\s+(\d+) kB/m ? $1 : die };
    # a first round lets the allocator settle
    post('/api/v1/analytics/track', $bomb, 'Content-Encoding' => 'gzip') for 1 .. 20;
    my $before = $rss->();
    my @statuses = map { post('/api/v1/analytics/track', $bomb, 'Content-Encoding' => 'gzip')->{status} } 1 .. 300;
    is(scalar(grep { $_ == 413 } @statuses), 300, '300 bombs: 413 each');
    my $grown = $rss->() - $before;
  SKIP: {
        # AddressSanitizer keeps freed memory in quarantine: there the RSS
        # says nothing, and its own checks stand in
        skip 'resident memory under AddressSanitizer', 1 if $ENV{STACK_NGINX_PRELOAD};
        cmp_ok($grown, '<', 1024, "the worker's resident memory grew by $grown kB (under 1 MB)");
    }
};

$stack->finish;
done_testing;
