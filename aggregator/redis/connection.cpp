#include "redis/connection.h"

#include "cluster_slot.h"

#include <charconv>

namespace analytics::redis {

Address Address::parse(std::string_view url)
{
    Address address;
    if (url.starts_with("redis://")) {
        url.remove_prefix(8);
    }
    if (auto slash = url.find('/'); slash != std::string_view::npos) {
        url = url.substr(0, slash);
    }
    auto colon = url.rfind(':');
    if (colon == std::string_view::npos) {
        address.host = std::string(url);
        return address;
    }
    address.host = std::string(url.substr(0, colon));
    auto port = url.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (ec != std::errc() || end != port.data() + port.size() || address.port <= 0
        || address.port > 65535 || address.host.empty())
    {
        throw Error("invalid Redis address: " + std::string(url));
    }
    return address;
}

Connection::Connection(const Address &address, std::chrono::milliseconds timeout, std::string_view routing_key)
    : context_(nullptr, redisFree)
{
    connect(address.host, address.port, timeout);

    // [[first slot, last slot, [ip, port, ...], replicas...], ...]; a
    // standalone Redis answers an error and we stay
    auto slots = command({"CLUSTER", "SLOTS"});
    if (slots->type != REDIS_REPLY_ARRAY) return;
    unsigned slot = analytics_cluster_key_slot(routing_key.data(), routing_key.size());
    for (size_t i = 0; i < slots->elements; i++) {
        const redisReply *range = slots->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[0]->integer > slot
            || range->element[1]->integer < slot)
        {
            continue;
        }
        const redisReply *node = range->element[2];
        if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 || node->element[0]->type != REDIS_REPLY_STRING) {
            return;
        }
        std::string host(node->element[0]->str, node->element[0]->len);
        int port = static_cast<int>(node->element[1]->integer);
        if (host != address.host || port != address.port) {
            connect(host, port, timeout);
        }
        return;
    }
}

void Connection::connect(const std::string &host, int port, std::chrono::milliseconds timeout)
{
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    context_.reset(redisConnectWithTimeout(host.c_str(), port, tv));
    if (!context_) {
        throw Error("cannot allocate a Redis context");
    }
    if (context_->err) {
        throw Error("cannot connect to Redis at " + host + ":" + std::to_string(port) + ": " + context_->errstr);
    }
    redisSetTimeout(context_.get(), tv);
}

Reply Connection::command(const std::vector<std::string> &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> argvlen;
    argv.reserve(args.size());
    argvlen.reserve(args.size());
    for (const auto &arg : args) {
        argv.push_back(arg.data());
        argvlen.push_back(arg.size());
    }
    auto *raw = static_cast<redisReply *>(
        redisCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(), argvlen.data()));
    if (raw == nullptr) {
        throw Error(std::string("Redis: ") + (context_->err ? context_->errstr : "no reply"));
    }
    return Reply(raw, freeReplyObject);
}

Reply Connection::checked(const std::vector<std::string> &args)
{
    auto reply = command(args);
    if (reply->type == REDIS_REPLY_ERROR) {
        throw Error("Redis " + args.front() + ": " + std::string(reply->str, reply->len));
    }
    return reply;
}

}  // namespace analytics::redis
