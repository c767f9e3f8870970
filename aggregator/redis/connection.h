// RAII over hiredis's synchronous API, for the aggregator's threads. A
// context is never reused after an error: the owner reconnects.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::redis {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Address {
    std::string host = "127.0.0.1";
    int port = 6379;

    // redis://host:port[/db] or host:port
    static Address parse(std::string_view url);
};

class ReplyArena;

// A reply and every element in it, built by hiredis's reader into blocks
// this object owns and frees together: one allocation per block instead of
// one per element (a batch of stream entries has tens of thousands).
class Reply {
public:
    Reply();
    Reply(Reply &&) noexcept;
    Reply &operator=(Reply &&) noexcept;
    ~Reply();

    const redisReply *get() const { return root_; }
    const redisReply *operator->() const { return root_; }
    explicit operator bool() const { return root_ != nullptr; }
    void reset();

private:
    friend class Connection;
    std::unique_ptr<ReplyArena> arena_;
    const redisReply *root_ = nullptr;
};

class Connection {
public:
    // On a Redis Cluster, connects on to the node that owns routing_key's
    // slot (every key we use shares the {analytics} hash tag); a MOVED reply
    // later is an error, and the owner reconnects.
    Connection(const Address &address, std::chrono::milliseconds timeout,
               std::string_view routing_key = "{analytics}");
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // throws Error on I/O failure; an error reply is returned, not thrown
    Reply command(const std::vector<std::string> &args);
    // the same, but an error reply throws too
    Reply checked(const std::vector<std::string> &args);
    bool broken() const { return context_->err != 0; }

private:
    void connect(const std::string &host, int port, std::chrono::milliseconds timeout);

    std::unique_ptr<redisContext, decltype(&redisFree)> context_;
};

}  // namespace analytics::redis
