# The release as operators install it: `make deb`'s two packages built with
# Debian's tooling, checked by lintian, installed with apt-get on this
# machine, then the distribution's nginx with the installed snippets and the
# installed aggregator (as its own user, telling systemd it is ready) answer
# the documents' requests into the test's PostgreSQL; purge leaves nothing
# but data.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use Time::HiRes qw(sleep time);
use Analytics::Stack;

plan skip_all => 'apt-get install needs root' if $> != 0;
# the packages are built without sanitizers: the sanitizer pass adds nothing
plan skip_all => 'the sanitizer pass does not build packages' if ($ENV{BUILD_DIR} // '') =~ /sanitize/;

my $root = abs_path('.');
my $work = tempdir('analytics-deb-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @packages = qw(libnginx-mod-http-analytics analytics-aggregator);

sub installed { grep { `dpkg-query -W -f='\${Status}' $_ 2>/dev/null` =~ /install ok installed/ } @packages }
sub purge { system("apt-get purge -y -qq @_ >> $work/apt.log 2>&1") }
# (local $?: the commands of an END block would set the exit status)
END { local $?; purge(installed()) if installed() }

# --- build -----------------------------------------------------------------
my $out = `make -s deb DEB_OUT=$work 2>&1`;
is($?, 0, 'make deb builds') or diag(substr($out, -4000));
my ($module_deb) = glob "$work/libnginx-mod-http-analytics_*_amd64.deb";
my ($aggregator_deb) = glob "$work/analytics-aggregator_*_amd64.deb";
ok($module_deb && $aggregator_deb, 'both packages are there') or BAIL_OUT('no packages');

$out = `lintian --fail-on error $work/*.changes 2>&1`;
is($?, 0, 'lintian: no errors') or diag($out);
note("lintian: $out") if $out;

subtest 'the module depends on the ABI of the nginx it was built against' => sub {
    my ($abi) = `cat /usr/share/nginx/src/debian/libnginx-mod.abisubstvars` =~ /^nginx:abi=(\S+)/m;
    like(`dpkg-deb -f $module_deb Depends`, qr/(^|, )\Q$abi\E(,|$)/m, "Depends names $abi");
    like(`dpkg-query -W -f='\${Provides}' nginx`, qr/\Q$abi\E/, 'which the installed nginx provides');
    # the same package for another nginx: apt refuses it before anything loads
    system("dpkg-deb -R $module_deb $work/other-abi") == 0 or die;
    system("sed -i 's/\Q$abi\E/nginx-abi-9.9.9-1/' $work/other-abi/DEBIAN/control") == 0 or die;
    system("dpkg-deb -b $work/other-abi $work/other-abi.deb > /dev/null") == 0 or die;
    my $refused = `apt-get install --dry-run -y $work/other-abi.deb 2>&1`;
    isnt($?, 0, 'a module built for another nginx is refused by apt');
    like($refused, qr/Depends: nginx-abi-9\.9\.9-1 but it is not installable/, 'for the unmet nginx-abi dependency');
};

# --- install ---------------------------------------------------------------
purge(installed()) if installed();
$out = `apt-get install -y -q $module_deb $aggregator_deb 2>&1`;
is($?, 0, 'apt-get install ./*.deb') or diag($out);

subtest 'installed files' => sub {
    is(readlink('/etc/nginx/modules-enabled/50-mod-http-analytics.conf'),
       '/usr/share/nginx/modules-available/mod-http-analytics.conf', 'the module enabled as Debian enables modules');
    is(Analytics::Stack::slurp('/usr/share/nginx/modules-available/mod-http-analytics.conf'),
       "load_module modules/ngx_http_analytics_module.so;\n", 'its load_module line');
    ok(-f '/usr/lib/nginx/modules/ngx_http_analytics_module.so', 'the module in nginx\'s module folder');
    is(Analytics::Stack::slurp('/etc/nginx/snippets/analytics-locations.conf'),
       Analytics::Stack::slurp("$root/config/nginx/analytics-locations.conf"), 'the locations snippet');
    is(Analytics::Stack::slurp('/etc/nginx/snippets/analytics-http.conf'),
       Analytics::Stack::slurp("$root/config/nginx/analytics-http.conf"), 'the http snippet');
    is(Analytics::Stack::slurp('/usr/share/nginx-analytics/t.js'), Analytics::Stack::slurp("$root/tracker/t.js"), 't.js');
    is(`stat -c '%U:%G %a' /var/spool/nginx-analytics`, "www-data:www-data 750\n", 'the spool folder, for nginx\'s workers');
    is(`stat -c '%U:%G %a' /etc/analytics/aggregator.conf`, "root:analytics 640\n", 'the aggregator\'s settings, for its group only');
    like(`getent passwd analytics`, qr{^analytics:x:\d+:\d+:[^:]*:/nonexistent:/usr/sbin/nologin$}, 'the service\'s own user');
    ok(-x '/usr/sbin/analytics-aggregator', 'the aggregator');
    ok(-f '/usr/share/analytics-aggregator/sql/001_foundation.sql', 'its migrations');
    ok(!-e '/etc/systemd/system/multi-user.target.wants/analytics-aggregator.service',
       'the service is neither enabled nor started before it is configured');
    my $verify = `systemd-analyze verify /lib/systemd/system/analytics-aggregator.service 2>&1`;
    is($?, 0, 'systemd-analyze verify accepts the unit') or diag($verify);
    is($verify, '', 'without a remark');
};

my $check = `nginx -t 2>&1`;
is($?, 0, 'the distribution\'s nginx.conf passes nginx -t with the module enabled');
is($check, "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
         . "nginx: configuration file /etc/nginx/nginx.conf test is successful\n", 'without a warning');

# --- run: the test's PostgreSQL and Redis, the installed nginx and aggregator
my $stack = Analytics::Stack->new(spool => 0);
my $dir = $stack->dir;
$stack->stack('stop-nginx') == 0 or die;
$stack->stack('stop-aggregator') == 0 or die;
my %env = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split /\n/, Analytics::Stack::slurp("$dir/env");
my ($redis_port) = $env{REDIS_URL} =~ /:(\d+)$/;
my ($aggregator_port) = $stack->aggregator_url =~ /:(\d+)$/;

# the operator's edit of the installed settings: this test's servers
my $settings = Analytics::Stack::slurp('/etc/analytics/aggregator.conf');
$settings =~ s{^ANALYTICS_DATABASE_URL=.*$}{ANALYTICS_DATABASE_URL=$env{DATABASE_URL}}m or die;
$settings =~ s{^ANALYTICS_REDIS_URL=.*$}{ANALYTICS_REDIS_URL=$env{REDIS_URL}}m or die;
$settings =~ s{^ANALYTICS_LISTEN=.*$}{ANALYTICS_LISTEN=127.0.0.1:$aggregator_port}m or die;
write_file("$work/aggregator.conf", $settings);
system("chgrp analytics $work/aggregator.conf && chmod 0640 $work/aggregator.conf && chmod 0755 $work") == 0 or die;

# as the unit runs it: its user, Type=notify (a datagram socket of ours)
my $notify_path = "$work/notify";
my $notify = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $notify_path) or die "notify socket: $!";
chmod 0777, $notify_path;
my $aggregator = fork // die;
if (!$aggregator) {
    open STDOUT, '>>', "$dir/aggregator.log";
    open STDERR, '>&', \*STDOUT;
    $ENV{NOTIFY_SOCKET} = $notify_path;
    # setpriv execs (runuser would stay between us and the signals)
    exec 'setpriv', '--reuid=analytics', '--regid=analytics', '--init-groups',
         '/usr/sbin/analytics-aggregator', '--config', "$work/aggregator.conf", 'serve';
    exit 127;
}

sub notification {
    my $got = '';
    my $deadline = time + 20;
    while (time < $deadline) {
        my $bits = '';
        vec($bits, fileno($notify), 1) = 1;
        next unless select(my $ready = $bits, undef, undef, 0.2);
        $notify->recv($got, 4096);
        return $got;
    }
    return $got;
}

is(notification(), "READY=1\nSTATUS=consuming and serving", 'it tells systemd it is ready');
is($stack->aggregator_request('GET', '/readyz')->{status}, 200, 'and is: /readyz answers 200');

# the operator's edit of the installed http snippet: this test's Redis and
# aggregator; the spool stays the package's /var/spool/nginx-analytics
my $http = Analytics::Stack::slurp('/etc/nginx/snippets/analytics-http.conf');
$http =~ s{^analytics_redis\s+127\.0\.0\.1:6379;}{analytics_redis 127.0.0.1:$redis_port;}m or die;
$http =~ s{server 127\.0\.0\.1:8081;}{server 127.0.0.1:$aggregator_port;} or die;
write_file("$work/analytics-http.conf", $http);
my $port = $stack->http_port;
write_file("$work/nginx.conf", <<CONF);
# as Debian's nginx.conf loads modules and runs workers
include /etc/nginx/modules-enabled/*.conf;
user www-data;
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log notice;
events {}
http {
    access_log off;
    client_body_temp_path $dir/nginx/client_body;
    proxy_temp_path $dir/nginx/proxy;
    include $work/analytics-http.conf;
    server {
        listen 127.0.0.1:$port;
        analytics_cors_origin https://www.example-shop.com;
        include /etc/nginx/snippets/analytics-locations.conf;
    }
}
CONF
# load_module names modules/ under the prefix, which Debian's
# /usr/share/nginx links to /usr/lib/nginx/modules: the scratch prefix too
symlink('/usr/lib/nginx/modules', "$dir/nginx/modules") or die "symlink: $!";
$out = `/usr/sbin/nginx -p $dir/nginx -c $work/nginx.conf -t 2>&1`;
is($?, 0, 'nginx -t with the installed snippets') or diag($out);
unlike($out, qr/\[warn\]|\[emerg\]/, 'without a warning');
system("/usr/sbin/nginx -p $dir/nginx -c $work/nginx.conf") == 0 or die 'nginx did not start';
$stack->wait_until('nginx answers', 10, sub { $stack->request('GET', '/t.js')->{status} == 200 });

my $total;   # the events stored
subtest 'the documents\' requests through the installed snippet' => sub {
    my $body = { tenant_id => 'demo', type => 'whatsapp_click', metadata => { source => 'package' } };
    # a bucket of 60 that gets one request back every second
    my ($accepted, $r, $seconds) = $stack->exhaust_limit('/api/v1/analytics/track', $body);
    cmp_ok($accepted, '>=', 60, "the first 60 of a minute are accepted ($accepted in all)");
    cmp_ok($accepted - 60, '<=', int($seconds) + 1, sprintf('and at most one more a second (%.1f s)', $seconds));
    is($r->{status}, 429, 'the request over the limit: 429');
    is($r->{content}, '{"message":"Too Many Attempts.","errors":{}}', 'in the documents\' shape');
    is($r->{headers}{'x-ratelimit-limit'}, 60, 'X-RateLimit-Limit: 60');
    is($r->{headers}{'x-ratelimit-remaining'}, 0, 'X-RateLimit-Remaining: 0');
    ok(($r->{headers}{'retry-after'} // 0) == 1, 'Retry-After: 1 s, when the next one comes back');
    $stack->wait_until("$accepted rows", 20, sub {
        $stack->psql("SELECT count(*) FROM events WHERE metadata->>'source' = 'package'") == $accepted });
    sleep 1;
    is($stack->psql("SELECT count(*) FROM events WHERE metadata->>'source' = 'package' AND type = 'whatsapp_click'"), $accepted,
       'a row in PostgreSQL for each 202, none for the 429');
    $total = $accepted + 1;

    $r = $stack->request('OPTIONS', '/api/v1/analytics/track', undef,
                         { Origin => 'https://www.example-shop.com', 'Access-Control-Request-Method' => 'POST' });
    is($r->{headers}{'access-control-allow-origin'}, 'https://www.example-shop.com', 'the server\'s origin is let in');
    $r = $stack->request('POST', '/collect', '{"tenant":"demo","url":"https://www.example-shop.com/"}',
                         { 'Content-Type' => 'text/plain', Origin => 'https://customer.example' });
    is($r->{status}, 202, 'the tracker\'s /collect: 202 from another origin, the tenant having registered none');
    is($r->{headers}{'access-control-allow-origin'}, 'https://customer.example', 'which may read it');
    my $patched = $stack->admin_request('PATCH', '/api/v1/admin/tenants/demo', { origins => ['https://www.example-shop.com'] });
    is($patched->{status}, 200, 'the tenant registers its site');
    $r = $stack->request('POST', '/collect', '{"tenant":"demo","url":"https://www.example-shop.com/"}',
                         { 'Content-Type' => 'text/plain', Origin => 'https://customer.example' });
    is($r->{status}, 403, 'then the snippet\'s analytics_tenant_origins refuses another origin');
    is($stack->request('GET', '/metrics')->{status}, 403, '/metrics is not public');
};

subtest 'the operator\'s commands of the installed aggregator' => sub {
    my @command = ('/usr/sbin/analytics-aggregator', '--config', "$work/aggregator.conf");
    my $token = `@command token create --admin --subject package-test 2>&1`;
    is($?, 0, 'token create --admin') or diag($token);
    chomp $token;
    my $r = $stack->request('GET', '/api/v1/admin/tenants/demo', undef, { Authorization => "Bearer $token" });
    is($r->{status}, 200, 'its token reads a tenant through the installed nginx');
    like(`@command tenant list`, qr/\bdemo\b/, 'tenant list names the demo tenant');
    my ($line) = grep { /\tpackage-test\t/ } split /\n/, `@command token list`;
    ok($line, 'token list names the new token') or return;
    my ($id) = split /\t/, $line;
    like(`@command tenant create --slug from-package --name 'From the package'`, qr/^\d+\t[0-9a-f-]{36}\tfrom-package$/,
         'tenant create prints ID UUID SLUG');
    is($stack->request('GET', '/api/v1/admin/tenants/from-package', undef, { Authorization => "Bearer $token" })->{status}, 200,
       'the new tenant is served');
    is(system("@command token revoke $id > /dev/null"), 0, 'token revoke');
    is($stack->request('GET', '/api/v1/admin/tenants/demo', undef, { Authorization => "Bearer $token" })->{status}, 401,
       'the revoked token is refused at once');
    like(`@command migrate`, qr/^applied 0 migration\(s\)$/m, 'migrate: the served schema is current');
};

# --- stop, purge ------------------------------------------------------------
kill 'QUIT', Analytics::Stack::slurp("$dir/nginx/nginx.pid") =~ /(\d+)/;
$stack->wait_until('nginx stopped', 20, sub { !-f "$dir/nginx/nginx.pid" });
kill 'TERM', $aggregator;
is(notification(), 'STOPPING=1', 'SIGTERM: it tells systemd it is stopping');
waitpid $aggregator, 0;
is($?, 0, 'and exits 0');

$out = `apt-get purge -y -q @packages 2>&1`;
is($?, 0, 'apt-get purge') or diag($out);
for my $gone ('/etc/analytics', '/var/spool/nginx-analytics', '/usr/share/nginx-analytics', '/usr/share/analytics-aggregator',
              '/etc/nginx/modules-enabled/50-mod-http-analytics.conf', '/etc/nginx/snippets/analytics-locations.conf',
              '/etc/nginx/snippets/analytics-http.conf', '/usr/lib/nginx/modules/ngx_http_analytics_module.so',
              '/lib/systemd/system/analytics-aggregator.service', '/usr/sbin/analytics-aggregator') {
    ok(!-e $gone && !-l $gone, "purge removed $gone");
}
is(`nginx -t 2>&1`, $check, 'the distribution\'s nginx.conf still passes nginx -t');
is($stack->psql("SELECT count(*) FROM events"), $total, 'the data stays: the tracked events and the page hit');

$stack->finish;
done_testing;

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}
