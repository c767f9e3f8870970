// What keeps a silent PostgreSQL (stopped with SIGSTOP, black-holed by the
// network) from hanging a thread for ever: libpq's calls block, and a
// stopped server's kernel still acknowledges every byte and keepalive, so
// no TCP timeout fires. Every statement runs under a deadline; a thread of
// the watchdog's own shuts the socket of one that overruns, and libpq's
// blocked read fails at once as a lost connection (retried like any).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

namespace analytics::postgres {

class Watchdog {
public:
    using Clock = std::chrono::steady_clock;

    static Watchdog &instance();
    Watchdog(const Watchdog &) = delete;
    Watchdog &operator=(const Watchdog &) = delete;

    // conn runs a statement until leave; timeout 0 watches nothing
    void enter(PGconn *conn, std::chrono::milliseconds timeout);
    // true when the watchdog dropped the connection meanwhile
    bool leave(PGconn *conn);
    // before PQfinish: the socket is no longer the watchdog's to shut
    void forget(PGconn *conn);
    // every statement running now ends within grace (a stopping process)
    void hurry(std::chrono::milliseconds grace);

    // the default deadline of a statement (ANALYTICS_PG_STATEMENT_TIMEOUT_MS;
    // 0: none, as the command line's migrate runs)
    static void set_statement_timeout(std::chrono::milliseconds timeout);
    static std::chrono::milliseconds statement_timeout();

private:
    Watchdog();
    void watch();

    std::mutex mutex_;
    std::condition_variable changed_;
    std::unordered_map<PGconn *, Clock::time_point> busy_;
    std::set<PGconn *> dropped_;
    std::thread thread_;
};

// enter on construction, leave on destruction; dropped() says if it fired
class Watched {
public:
    Watched(PGconn *conn, std::chrono::milliseconds timeout);
    ~Watched();
    Watched(const Watched &) = delete;
    Watched &operator=(const Watched &) = delete;
    // leaves now; true when the statement overran and its connection was shut
    bool dropped();

private:
    PGconn *conn_;
    bool watching_;
    bool left_ = false;
    bool dropped_ = false;
};

}  // namespace analytics::postgres
