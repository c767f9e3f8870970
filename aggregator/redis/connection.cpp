#include "redis/connection.h"

#include "cluster_slot.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace analytics::redis {

class ReplyArena {
public:
    // 8-byte aligned, as redisReply needs; null without memory, which the
    // reader reports as its out-of-memory error (an exception must not
    // unwind through hiredis's C frames)
    void *allocate(size_t size) noexcept
    {
        size = (size + 7) & ~size_t{7};
        if (size > left_) {
            size_t block = std::max(size, std::min(kLargestBlock, last_block_ * 2));
            try {
                blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(block));
            } catch (...) {
                return nullptr;
            }
            next_ = blocks_.back().get();
            left_ = block;
            last_block_ = block;
        }
        void *at = next_;
        next_ += size;
        left_ -= size;
        return at;
    }

private:
    // blocks double from 1 KiB (a status or an integer reply) to 1 MiB
    static constexpr size_t kLargestBlock = size_t{1} << 20;
    std::vector<std::unique_ptr<std::byte[]>> blocks_;
    std::byte *next_ = nullptr;
    size_t left_ = 0;
    size_t last_block_ = 512;
};

namespace {

// hiredis's reader calls these with the arena as the task's privdata; they
// do what its own do (hiredis.c), with the arena in place of malloc
redisReply *arena_object(const redisReadTask *task, int type)
{
    auto *object = static_cast<redisReply *>(static_cast<ReplyArena *>(task->privdata)->allocate(sizeof(redisReply)));
    if (object == nullptr) return nullptr;
    *object = redisReply{};
    object->type = type;
    if (task->parent != nullptr) {
        static_cast<redisReply *>(task->parent->obj)->element[task->idx] = object;
    }
    return object;
}

void *arena_string(const redisReadTask *task, char *str, size_t len)
{
    redisReply *object = arena_object(task, task->type);
    auto *text = static_cast<char *>(static_cast<ReplyArena *>(task->privdata)->allocate(len + 1));
    if (object == nullptr || text == nullptr) return nullptr;
    std::memcpy(text, str, len);
    text[len] = '\0';
    object->str = text;
    object->len = len;
    return object;
}

void *arena_array(const redisReadTask *task, int elements)
{
    redisReply *object = arena_object(task, REDIS_REPLY_ARRAY);
    if (object == nullptr) return nullptr;
    if (elements > 0) {
        auto count = static_cast<size_t>(elements);
        object->element = static_cast<redisReply **>(
            static_cast<ReplyArena *>(task->privdata)->allocate(count * sizeof(redisReply *)));
        if (object->element == nullptr) return nullptr;
        std::fill_n(object->element, count, nullptr);
        object->elements = count;
    }
    return object;
}

void *arena_integer(const redisReadTask *task, long long value)
{
    redisReply *object = arena_object(task, REDIS_REPLY_INTEGER);
    if (object == nullptr) return nullptr;
    object->integer = value;
    return object;
}

void *arena_nil(const redisReadTask *task)
{
    return arena_object(task, REDIS_REPLY_NIL);
}

// the arena frees everything at once, also what a failed read left
void arena_free(void *) {}

redisReplyObjectFunctions arena_functions = {arena_string, arena_array, arena_integer, arena_nil, arena_free};

}  // namespace

Reply::Reply() = default;
Reply::Reply(Reply &&) noexcept = default;
Reply &Reply::operator=(Reply &&) noexcept = default;
Reply::~Reply() = default;

void Reply::reset()
{
    root_ = nullptr;
    arena_.reset();
}

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
    context_->reader->fn = &arena_functions;
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
    Reply reply;
    reply.arena_ = std::make_unique<ReplyArena>();
    context_->reader->privdata = reply.arena_.get();
    reply.root_ = static_cast<const redisReply *>(
        redisCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(), argvlen.data()));
    if (reply.root_ == nullptr) {
        throw Error(std::string("Redis: ") + (context_->err ? context_->errstr : "no reply"));
    }
    return reply;
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
