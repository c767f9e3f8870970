package Analytics::Browser;
# Pages of another origin (a port of their own on loopback, served by
# python3's http.server), loaded in Debian's headless Chromium: what a
# customer's page does with the collector, as a browser enforces CORS.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Analytics::Stack;

my $chromium = '/usr/bin/chromium';

sub available { -x $chromium }

# new(NAME => HTML, ...): the pages, served until the object goes away
sub new {
    my ($class, %pages) = @_;
    my $dir = tempdir(CLEANUP => 1);
    for my $name (keys %pages) {
        open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
        print $fh $pages{$name};
        close $fh;
    }
    my $port = Analytics::Stack::free_port();
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        chdir $dir;
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec 'python3', '-m', 'http.server', $port, '--bind', '127.0.0.1';
        exit 127;
    }
    my $self = bless { port => $port, pid => $pid }, $class;
    for (1 .. 100) {
        last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        select undef, undef, undef, 0.1;
    }
    return $self;
}

# the pages' origin; with a host name, the pages served under it (Chromium
# is told that the name is 127.0.0.1), so a page can come from an origin
# that is not loopback
sub origin {
    my ($self, $host) = @_;
    return 'http://' . ($host // '127.0.0.1') . ":$self->{port}";
}

# the DOM of the page at path once its scripts have run (3 s of virtual
# time); host => NAME loads it from origin(NAME)
sub dom {
    my ($self, $path, %options) = @_;
    my $profile = tempdir(CLEANUP => 1);
    my $url = $self->origin($options{host}) . $path;
    my $resolve = $options{host} ? "--host-resolver-rules='MAP $options{host} 127.0.0.1'" : '';
    # a headless Chromium says so in its User-Agent, and analytics_bots
    # drops what it sends: the pages are a person's, so it says what a
    # desktop Chrome says
    my $agent = "--user-agent='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'";
    return `timeout 60 $chromium $agent --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$profile $resolve --virtual-time-budget=3000 --dump-dom '$url' 2>/dev/null`;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
}

1;
