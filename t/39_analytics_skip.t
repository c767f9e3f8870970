# analytics_skip: an operator's exclusions with nginx's own variables (DNT,
# Sec-GPC, a geo network). A skipped valid event is answered as accepted and
# reaches neither the rate limit nor Redis; an invalid one still gets its
# error.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Analytics::Stack;

my $stack = Analytics::Stack->new;
my $accepted = '{"success":true,"message":"Event accepted for processing"}';

sub fcalls { $stack->redis('INFO', 'commandstats') =~ /cmdstat_fcall:calls=(\d+)/ ? $1 : die 'no FCALL count' }
sub stored { $stack->psql("SELECT count(*) FROM events WHERE metadata->>'case' = '$_[0]'") }
sub track {
    my ($case, %headers) = @_;
    return $stack->request('POST', '/test/skip/track',
                           { tenant_id => 'demo', type => 'whatsapp_click', metadata => { case => $case } }, \%headers);
}

subtest 'skipped: answered as accepted, nothing stored, no limit counted' => sub {
    track('first');   # so that FCALL has a count
    my $calls = fcalls();
    for my $case (['dnt', DNT => 1], ['gpc', 'Sec-GPC' => 1], ['office', 'X-Test-Address' => '10.20.3.4']) {
        my ($name, @headers) = @$case;
        my $r = track($name, @headers);
        is($r->{status}, 202, "$name: 202");
        is($r->{content}, $accepted, "$name: the accepted body");
        is($r->{headers}{'x-ratelimit-limit'}, undef, "$name: no limit headers, nothing was counted");
    }
    is(fcalls() - $calls, 0, 'not one call reached Redis');
};

subtest 'not skipped: DNT 0, another network, no header' => sub {
    my $calls = fcalls();
    for my $case (['dnt0', DNT => 0], ['elsewhere', 'X-Test-Address' => '10.21.0.1'], ['plain']) {
        my ($name, @headers) = @$case;
        my $r = track($name, @headers);
        is($r->{status}, 202, "$name: 202");
        is($r->{headers}{'x-ratelimit-limit'}, 60, "$name: counted by the limit");
    }
    is(fcalls() - $calls, 3, 'one call each');
    $stack->wait_until('the three rows', 10, sub { stored('dnt0') + stored('elsewhere') + stored('plain') == 3 });
    sleep 0.5;
    is(stored('dnt') + stored('gpc') + stored('office'), 0, 'none of the skipped ones is stored');
};

subtest 'an invalid body is refused whatever the exclusions' => sub {
    my $r = $stack->request('POST', '/test/skip/track', { tenant_id => 'demo' }, { DNT => 1 });
    is($r->{status}, 422, 'no type: 422');
    is($r->{content}, '{"message":"The type field is required.","errors":{"type":["The type field is required."]}}', 'its body');
};

subtest 'the conversion beacon and the tracker answer as accepted' => sub {
    my $r = $stack->request('POST', '/test/skip/conversion', { tenant_slug => 'demo', transaction_id => 'skip-1', value => 10 },
                            { 'Sec-GPC' => 1 });
    is($r->{status}, 200, 'conversion: 200');
    is($r->{content}, '{"status":"ok","transaction_id":"skip-1"}', 'conversion: ok');
    $r = $stack->request('GET', '/test/skip/collect?t=demo&u=https%3A%2F%2Fshop.example%2F', undef, { DNT => 1 });
    is($r->{status}, 200, 'pixel: 200');
    is(substr($r->{content}, 0, 6), 'GIF89a', 'pixel: the GIF');
    $r = $stack->request('POST', '/test/skip/collect', '{"tenant":"demo","url":"https://shop.example/"}',
                         { 'Content-Type' => 'text/plain', DNT => 1 });
    is($r->{status}, 202, 'collect: 202');
    sleep 1;
    is($stack->psql("SELECT count(*) FROM conversions"), 0, 'no conversion stored');
    is($stack->psql("SELECT count(*) FROM events WHERE type = 'pageview'"), 0, 'no page view stored');
};

$stack->finish;
done_testing;
