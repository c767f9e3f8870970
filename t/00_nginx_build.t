# The module builds the way operators build nginx modules
# (./configure --add-dynamic-module) against Debian's nginx sources, and the
# result loads into the stock nginx and passes nginx -t.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);

my $root = abs_path('.');
my $dir = tempdir('analytics-nginx-build-XXXXXX', TMPDIR => 1, CLEANUP => 1);

is(system("cp -r /usr/share/nginx/src $dir/nginx"), 0, 'nginx sources copied');
my $configure = qq{cd $dir/nginx && . ./conf_flags && ./configure "\${NGX_CONF_FLAGS[@]}" }
              . qq{--with-cc-opt=-fPIC --with-ld-opt=-fPIC --add-dynamic-module=$root/module > configure.log 2>&1};
is(system('bash', '-c', $configure), 0, 'configure --add-dynamic-module') or diag `tail -20 $dir/nginx/configure.log`;
is(system("make -C $dir/nginx -f objs/Makefile -j2 modules > $dir/nginx/make.log 2>&1"), 0, 'make modules')
    or diag `grep -B2 -A5 error $dir/nginx/make.log | head -60`;
ok(-f "$dir/nginx/objs/ngx_http_analytics_module.so", 'the .so exists');

open my $conf, '>', "$dir/nginx.conf" or die $!;
print $conf <<CONF;
load_module $dir/nginx/objs/ngx_http_analytics_module.so;
error_log $dir/error.log;
pid $dir/nginx.pid;
events {}
http {
    analytics_redis 127.0.0.1:6379;
    server {
        listen 127.0.0.1:1;
        location = /api/v1/analytics/track { analytics_track; }
    }
}
CONF
close $conf;
my $out = `nginx -p $dir -c $dir/nginx.conf -e $dir/error.log -t 2>&1`;
is($?, 0, 'nginx -t accepts the module') or diag $out;

# configuration errors name the directive at nginx -t
open $conf, '>', "$dir/bad.conf" or die $!;
print $conf <<CONF;
load_module $dir/nginx/objs/ngx_http_analytics_module.so;
events {}
http { server { listen 127.0.0.1:1; location / { analytics_track; } } }
CONF
close $conf;
$out = `nginx -p $dir -c $dir/bad.conf -e $dir/error.log -t 2>&1`;
isnt($?, 0, 'nginx -t fails without analytics_redis');
like($out, qr/analytics endpoints are configured but "analytics_redis" is not/, 'and says why');

# an origin pattern that does not compile is refused at nginx -t, with PCRE's reason
open $conf, '>', "$dir/bad-origin.conf" or die $!;
print $conf <<CONF;
load_module $dir/nginx/objs/ngx_http_analytics_module.so;
events {}
http { analytics_redis 127.0.0.1:6379; server { listen 127.0.0.1:1; analytics_cors_origin "~^https://(shop"; } }
CONF
close $conf;
$out = `nginx -p $dir -c $dir/bad-origin.conf -e $dir/error.log -t 2>&1`;
isnt($?, 0, 'nginx -t fails on an origin pattern that does not compile');
like($out, qr/analytics_cors_origin: pcre2_compile\(\) failed: missing closing parenthesis in "\^https:\/\/\(shop"/, 'and says why')
    or diag $out;

# a bots file with a pattern that does not compile names its line
open my $bots, '>', "$dir/bots.txt" or die $!;
print $bots "# crawlers\nbot\\b\nbroken(\n";
close $bots;
open $conf, '>', "$dir/bad-bots.conf" or die $!;
print $conf <<CONF;
load_module $dir/nginx/objs/ngx_http_analytics_module.so;
events {}
http { analytics_redis 127.0.0.1:6379; server { listen 127.0.0.1:1; analytics_bots $dir/bots.txt; } }
CONF
close $conf;
$out = `nginx -p $dir -c $dir/bad-bots.conf -e $dir/error.log -t 2>&1`;
isnt($?, 0, 'nginx -t fails on a bots file with a bad pattern');
like($out, qr{analytics_bots: \Q$dir\E/bots\.txt:3: pcre2_compile\(\) failed: missing closing parenthesis}, 'and names its line')
    or diag $out;

done_testing;
