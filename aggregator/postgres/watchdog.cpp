#include "postgres/watchdog.h"

#include <sys/socket.h>

#include <atomic>

namespace analytics::postgres {
namespace {

std::atomic<long long> statement_timeout_ms{0};

}  // namespace

Watchdog &Watchdog::instance()
{
    // never destroyed: connections of other statics may outlive main
    static Watchdog *watchdog = new Watchdog;
    return *watchdog;
}

Watchdog::Watchdog() : thread_([this] { watch(); })
{
    thread_.detach();
}

void Watchdog::enter(PGconn *conn, std::chrono::milliseconds timeout)
{
    std::lock_guard lock(mutex_);
    busy_[conn] = Clock::now() + timeout;
    changed_.notify_one();
}

bool Watchdog::leave(PGconn *conn)
{
    std::lock_guard lock(mutex_);
    busy_.erase(conn);
    return dropped_.erase(conn) > 0;
}

void Watchdog::forget(PGconn *conn)
{
    std::lock_guard lock(mutex_);
    busy_.erase(conn);
    dropped_.erase(conn);
}

void Watchdog::hurry(std::chrono::milliseconds grace)
{
    std::lock_guard lock(mutex_);
    auto by = Clock::now() + grace;
    for (auto &[conn, deadline] : busy_) deadline = std::min(deadline, by);
    changed_.notify_one();
}

void Watchdog::watch()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        auto now = Clock::now();
        auto next = now + std::chrono::seconds(1);
        for (auto it = busy_.begin(); it != busy_.end();) {
            if (it->second <= now) {
                // the fd stays open (libpq closes it): shutting it only
                // wakes the blocked call with an error
                ::shutdown(PQsocket(it->first), SHUT_RDWR);
                dropped_.insert(it->first);
                it = busy_.erase(it);
            } else {
                next = std::min(next, it->second);
                ++it;
            }
        }
        changed_.wait_until(lock, next);
    }
}

void Watchdog::set_statement_timeout(std::chrono::milliseconds timeout)
{
    statement_timeout_ms = timeout.count();
}

std::chrono::milliseconds Watchdog::statement_timeout()
{
    return std::chrono::milliseconds(statement_timeout_ms.load());
}

Watched::Watched(PGconn *conn, std::chrono::milliseconds timeout)
    : conn_(conn), watching_(timeout.count() > 0)
{
    if (watching_) Watchdog::instance().enter(conn_, timeout);
}

Watched::~Watched()
{
    dropped();
}

bool Watched::dropped()
{
    if (watching_ && !left_) {
        dropped_ = Watchdog::instance().leave(conn_);
        left_ = true;
    }
    return dropped_;
}

}  // namespace analytics::postgres
