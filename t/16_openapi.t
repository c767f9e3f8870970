# docs/openapi.json describes the API that is actually served: every route
# the aggregator registers is in it and nothing else of the aggregator's; every
# public path in it is answered by nginx, from the example configuration too;
# every $ref resolves.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Analytics::Stack;

my $root = abs_path(dirname(__FILE__) . '/..');
my $doc = decode_json(Analytics::Stack::slurp("$root/docs/openapi.json"));
my @methods = qw(get put post patch delete);

like($doc->{openapi}, qr/^3\.\d+\.\d+$/, "OpenAPI $doc->{openapi}");

my (%documented, %served_by);
for my $path (sort keys %{ $doc->{paths} }) {
    for my $method (grep { $doc->{paths}{$path}{$_} } @methods) {
        my $op = $doc->{paths}{$path}{$method};
        my $key = uc($method) . " $path";
        $documented{$key} = $op;
        $served_by{ $op->{'x-served-by'} // 'nobody' }{$key} = 1;
        ok(%{ $op->{responses} || {} }, "$key has responses");
    }
}
is(join(',', sort keys %served_by), 'aggregator,nginx', 'every operation says who serves it');

subtest 'every $ref resolves' => sub {
    my @refs;
    my $walk;
    $walk = sub {
        my ($node) = @_;
        if (ref $node eq 'HASH') {
            push @refs, $node->{'$ref'} if exists $node->{'$ref'};
            $walk->($_) for values %$node;
        } elsif (ref $node eq 'ARRAY') {
            $walk->($_) for @$node;
        }
    };
    $walk->($doc);
    ok(@refs > 10, scalar(@refs) . ' references');
    for my $ref (sort { $a cmp $b } keys %{ { map { $_ => 1 } @refs } }) {
        my ($section, $name) = $ref =~ m{^#/components/(\w+)/(\w+)$};
        ok($section && $doc->{components}{$section}{$name}, "$ref exists");
    }
};

subtest 'the aggregator registers exactly the documented aggregator routes' => sub {
    my $build = $ENV{BUILD_DIR} // 'build';
    $build = "$root/$build" unless $build =~ m{^/};
    my @registered = grep { length } split /\n/, `$build/aggregator routes`;
    is($?, 0, 'aggregator routes ran');
    ok(@registered > 10, scalar(@registered) . ' routes registered');
    is_deeply([ sort @registered ], [ sort keys %{ $served_by{aggregator} } ], 'the same routes, no more, no fewer');
};

my $stack = Analytics::Stack->new;
my $example = Analytics::Stack::slurp("$root/config/nginx/analytics-locations.conf");

# what an empty request gets from each public route: proof it is answered
# there, not by a catch-all
my %public_answer = (
    'POST /api/v1/analytics/track' => 422, 'POST /api/v1/analytics/conversion' => 200,
    'POST /api/v1/interactions' => 422, 'POST /services/webshop/v1/orders/mark-purchase-tracked' => 422,
    'POST /collect' => 422, 'GET /collect.gif' => 422, 'GET /t.js' => 200,
    'POST /services/platforms/v1/funnel/track' => 401,
    'POST /api/v1/events' => 200,
    'POST /api/v1/analytics/batch' => 400, 'POST /collect/batch' => 400,
);

subtest 'every documented route is answered through nginx' => sub {
    is_deeply([ sort keys %{ $served_by{nginx} } ], [ sort keys %public_answer ], 'the public routes this test knows');
    for my $key (sort keys %documented) {
        my ($method, $path) = split / /, $key, 2;
        (my $concrete = $path) =~ s/\{tenant\}/demo/g;
        $concrete =~ s/\{projectId\}/demo/g;
        $concrete =~ s/\{session\}/s-1/g;
        $concrete =~ s/\{id\}/1/g;
        # health and metrics: on the aggregator's own port, refused by nginx
        if ($path =~ m{^/(metrics|healthz|readyz)$}) {
            is($stack->request($method, $concrete)->{status}, 403, "$key through nginx: 403");
            is($stack->aggregator_request($method, $concrete)->{status}, 200, "$key on the aggregator's port: 200");
            next;
        }
        my $r = $stack->request($method, $concrete, $method =~ /^(POST|PUT|PATCH)$/ ? {} : undef);
        my $expected = $served_by{nginx}{$key} ? $public_answer{$key}
                     : $documented{$key}{'x-scope'} ? 401 : 200;
        is($r->{status}, $expected, "$key without a token: $expected");
        if ($served_by{nginx}{$key}) {
            like($example, qr/location = \Q$path\E \{/, "$path is in config/nginx/analytics-locations.conf");
        }
    }
};

$stack->finish;
done_testing;
