package Analytics::Stack;

# A whole stack for one test file: PostgreSQL, Redis, the aggregator and
# nginx with the module, on free loopback ports under a folder of its own, so
# several test runs can go side by side. Started by scripts/local_stack.sh,
# the same script `make run` uses.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep time);

my $root = abs_path(dirname(__FILE__) . '/../../..');

# A test that writes to a server which has already answered and closed (431,
# 413 before the body) must see the write fail and read the answer, not die of
# SIGPIPE half-way through its plan; the kernel keeps the answer readable.
$SIG{PIPE} = 'IGNORE';

sub free_port {
    my $socket = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
        or die "no free port: $!";
    my $port = $socket->sockport;
    close $socket;
    return $port;
}

# a free port may be taken by another process between free_port() and the
# server's bind (tests run side by side): such a start is retried on fresh
# ports, any other failure is not
sub new {
    my ($class, %options) = @_;
    for my $attempt (1 .. 3) {
        my $self = $class->start_on_free_ports(%options);
        return $self if $self;
        diag("a port was taken before the stack could bind it: starting again on others");
    }
    die "the stack did not start: its ports kept being taken\n";
}

sub start_on_free_ports {
    my ($class, %options) = @_;
    my $dir = tempdir('analytics-stack-XXXXXX', TMPDIR => 1);
    chmod 0755, $dir;
    my %ports = (
        STACK_HTTP_PORT       => free_port(),
        STACK_REDIS_PORT      => $options{redis_port} // free_port(),
        STACK_PG_PORT         => free_port(),
        STACK_AGGREGATOR_PORT => free_port(),
    );
    my $self = bless { dir => $dir, ports => \%ports, json => JSON::PP->new->canonical->allow_nonref }, $class;
    local @ENV{keys %ports} = values %ports;
    # test data is thrown away: fsync off makes PostgreSQL start and commit faster
    local $ENV{STACK_PG_FSYNC} = 'off';
    local $ENV{STACK_REDIS_EXTERNAL} = $options{redis_port} ? 1 : '';
    local $ENV{STACK_SPOOL} = exists $options{spool} && !$options{spool} ? 'off'
                            : ($options{spool} // '') eq 'sync' ? 'sync' : 'on';
    local $ENV{STACK_SHARDS} = $options{shards} // 1;
    # the suite's own nginx (generous limits, /test/ locations) unless a
    # test asks for make run's: nginx_conf => 'release'
    local $ENV{STACK_NGINX_CONF} = $options{nginx_conf} // 'test';
    if ($self->stack('start') != 0) {
        my $clash = grep { -f $_ && slurp($_) =~ /Address already in use|could not bind/i }
            map { "$dir/$_" } 'nginx/error.log', 'aggregator.log', 'redis/redis.log', 'postgres/server.log';
        if ($clash) {
            $self->{finished} = 1;
            $self->stack('stop');
            remove_tree($dir);
            return undef;
        }
        $self->dump_logs;
        die "the stack did not start\n";
    }
    $self->{admin_token} = slurp("$dir/admin-token");
    chomp $self->{admin_token};
    $self->{demo} = $self->{json}->decode(slurp("$dir/demo-tenant.json"));
    $self->{http} = HTTP::Tiny->new(timeout => 10, keep_alive => 1);
    return $self;
}

sub stack {
    my ($self, $command) = @_;
    my $out = `bash $root/scripts/local_stack.sh $command $self->{dir} 2>&1`;
    my $status = $? >> 8;
    diag($out) if $status != 0;
    return $status;
}

# how to start an nginx of our own: under the sanitizer build, libasan must be
# preloaded into the stock binary (as scripts/local_stack.sh does)
sub nginx_command {
    my $preload = $ENV{STACK_NGINX_PRELOAD};
    return $preload ? "env LD_PRELOAD=$preload ASAN_OPTIONS=\${ASAN_OPTIONS:-detect_leaks=0} nginx" : 'nginx';
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

sub dir { $_[0]{dir} }
sub demo { $_[0]{demo} }
sub admin_token { $_[0]{admin_token} }
sub http_port { $_[0]{ports}{STACK_HTTP_PORT} }
sub base_url { 'http://127.0.0.1:' . $_[0]->http_port }
sub json { $_[0]{json} }

# request(METHOD, PATH, BODY (string or ref for JSON), HEADERS) -> response with ->{json}
sub request {
    my ($self, $method, $path, $body, $headers) = @_;
    return $self->request_to($self->base_url, $method, $path, $body, $headers);
}

# the aggregator's own port: /metrics, /healthz and /readyz are not public
# through nginx
sub aggregator_url { 'http://127.0.0.1:' . $_[0]{ports}{STACK_AGGREGATOR_PORT} }
sub aggregator_request {
    my ($self, $method, $path, $body, $headers) = @_;
    return $self->request_to($self->aggregator_url, $method, $path, $body, $headers);
}

sub request_to {
    my ($self, $base, $method, $path, $body, $headers) = @_;
    my %headers = %{ $headers || {} };
    my %options = (headers => \%headers);
    if (defined $body) {
        if (ref $body) {
            $options{content} = $self->{json}->encode($body);
            $headers{'Content-Type'} //= 'application/json';
        } else {
            $options{content} = $body;
        }
    }
    my $response = $self->{http}->request($method, $base . $path, \%options);
    $response->{json} = eval { $self->{json}->decode($response->{content}) } if length($response->{content} // '');
    return $response;
}

sub admin_request {
    my ($self, $method, $path, $body, $headers) = @_;
    return $self->request($method, $path, $body,
                          { Authorization => "Bearer $self->{admin_token}", %{ $headers || {} } });
}

# the exact bytes of a raw HTTP/1.1 exchange, for what HTTP::Tiny will not send
sub raw_request {
    my ($self, $bytes) = @_;
    my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->http_port, Proto => 'tcp',
                                       Timeout => 10) or die "connect: $!";
    print $socket $bytes;
    shutdown($socket, 1);
    local $/;
    my $answer = <$socket>;
    close $socket;
    return $answer // '';
}

# a raw exchange written in parts with a pause between them, as a slow client
# or a fragmenting network delivers a body
sub raw_request_in_parts {
    my ($self, @parts) = @_;
    my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->http_port, Proto => 'tcp',
                                       Timeout => 10) or die "connect: $!";
    $socket->autoflush(1);
    for my $part (@parts) {
        print $socket $part;
        sleep 0.2;
    }
    shutdown($socket, 1);
    local $/;
    my $answer = <$socket>;
    close $socket;
    return $answer // '';
}

sub psql {
    my ($self, $sql) = @_;
    my $port = $self->{ports}{STACK_PG_PORT};
    my $out = `psql -X -h 127.0.0.1 -p $port -U postgres -d analytics -v ON_ERROR_STOP=1 -tA -F '|' -c "$sql" 2>&1`;
    die "psql failed: $out" if $? != 0;
    chomp $out;
    return $out;
}

sub redis {
    my ($self, @args) = @_;
    my $port = $self->{ports}{STACK_REDIS_PORT};
    my $quoted = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @args;
    my $out = `redis-cli -p $port --no-raw $quoted 2>&1`;
    chomp $out;
    return $out;
}

sub redis_raw {
    my ($self, @args) = @_;
    my $port = $self->{ports}{STACK_REDIS_PORT};
    my $quoted = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @args;
    my $out = `redis-cli -p $port --raw $quoted 2>&1`;
    chomp $out;
    return $out;
}

# one command in RESP over a socket: arguments are bytes, nothing is quoted
sub redis_resp {
    my ($self, @args) = @_;
    my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{ports}{STACK_REDIS_PORT},
                                       Proto => 'tcp', Timeout => 5) or die "redis: $!";
    print $socket '*' . scalar(@args) . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @args);
    my $line = <$socket>;
    if ($line =~ /^\$(\d+)/) {
        read($socket, my $bulk, $1 + 2);
        $line = substr($bulk, 0, $1);
    }
    close $socket;
    $line =~ s/\r\n$//;
    return $line;
}

# restarts the aggregator with extra ANALYTICS_* settings
sub restart_aggregator {
    my ($self, %env) = @_;
    $self->stack('stop-aggregator') == 0 or die "aggregator did not stop";
    local @ENV{keys %env} = values %env;
    $self->stack('start-aggregator') == 0 or die "aggregator did not start";
}

# runs the stack's aggregator binary with a command (token list, ...) against
# this stack's PostgreSQL and Redis: (exit status, stdout, stderr)
sub aggregator_command {
    my ($self, @args) = @_;
    my %env = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split /\n/, slurp("$self->{dir}/env");
    my $build = $ENV{BUILD_DIR} // "$root/build";
    $build = "$root/$build" unless $build =~ m{^/};
    local $ENV{ANALYTICS_DATABASE_URL} = $env{DATABASE_URL};
    local $ENV{ANALYTICS_REDIS_URL} = $env{REDIS_URL};
    local $ENV{ANALYTICS_SQL_DIR} = "$root/sql";
    my $quoted = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @args;
    my $out = `$build/aggregator $quoted 2>$self->{dir}/command.err`;
    my $status = $? >> 8;
    return ($status, $out, slurp("$self->{dir}/command.err"));
}

# POSTs body to path until the fleet-wide limit answers 429: (the number
# accepted, the 429's response, the seconds it took)
sub exhaust_limit {
    my ($self, $path, $body) = @_;
    my $started = time;
    my ($accepted, $response) = (0);
    while (($response = $self->request('POST', $path, $body))->{status} == 202) {
        $accepted++;
        last if $accepted > 100_000;
    }
    return ($accepted, $response, time - $started);
}

sub wait_until {
    my ($self, $what, $seconds, $check) = @_;
    my $deadline = time + $seconds;
    while (time < $deadline) {
        return 1 if $check->();
        sleep 0.05;
    }
    fail("timed out after ${seconds}s waiting for $what");
    return 0;
}

sub create_tenant {
    my ($self, %fields) = @_;
    my $response = $self->admin_request('POST', '/api/v1/admin/tenants', { %fields });
    die "tenant not created: $response->{status} $response->{content}" unless $response->{status} == 201;
    return $response->{json};
}

# a test that provokes an alert on purpose names it: expect_problems(qr/.../)
sub expect_problems { $_[0]{expected_problems} = $_[1] }

sub error_log_problems {
    my ($self) = @_;
    my @problems;
    for my $log ("$self->{dir}/nginx/error.log", "$self->{dir}/aggregator.log") {
        next unless -f $log;
        open my $fh, '<', $log or next;
        while (my $line = <$fh>) {
            next if $self->{expected_problems} && $line =~ $self->{expected_problems};
            push @problems, $line if $line =~ /\[(alert|crit|emerg)\]|AddressSanitizer|runtime error:|LeakSanitizer/;
        }
    }
    return @problems;
}

sub dump_logs {
    my ($self) = @_;
    for my $log (qw(nginx/error.log aggregator.log)) {
        my $path = "$self->{dir}/$log";
        next unless -f $path;
        my $text = slurp($path);
        $text = substr($text, -4000) if length $text > 4000;
        diag("--- $log ---\n$text");
    }
}

# stops everything and fails the test on any alert or sanitizer report
sub finish {
    my ($self) = @_;
    return if $self->{finished}++;
    $self->stack('stop');
    my @problems = $self->error_log_problems;
    is(scalar @problems, 0, 'no alert, crit or sanitizer report in the logs') or diag(join '', @problems);
    my $failed = !Test::More->builder->is_passing;
    $self->dump_logs if $failed;
    if ($failed || $ENV{STACK_KEEP}) {
        diag("stack kept in $self->{dir}");
    } else {
        remove_tree($self->{dir});
    }
}

sub DESTROY {
    my ($self) = @_;
    $self->stack('stop') unless $self->{finished};
}

1;
