#include "auth/management_limit.h"
#include "auth/tokens.h"
#include "json.h"
#include "log.h"
#include "split.h"

#include "analytics_redis_library.h"
#include "redis_keys.h"

#include <algorithm>
#include <memory>

namespace analytics::limits {
namespace {

// one connection per HTTP thread, made on first use and after any error
thread_local std::unique_ptr<redis::Connection> thread_connection;

// the text after the last comma of an X-Forwarded-For, trimmed
std::string last_forwarded(std::string_view forwarded)
{
    size_t comma = forwarded.rfind(',');
    return std::string(trimmed(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1)));
}

http::Response too_many(const http::Request &request)
{
    if (request.path.starts_with("/api/v1/reports/")) {
        auto body = json::take(json_object());
        json_object_set_new(body.get(), "status", json_string("error"));
        json_object_set_new(body.get(), "message", json_string("Too Many Attempts."));
        return http::Response{429, json::dump(body.get()), "application/json", {}};
    }
    return http::error_response(429, "Too Many Attempts.");
}

}  // namespace

std::string ManagementLimit::client_of(const http::Request &request) const
{
    if (request.header("authorization")) {
        try {
            auto db = db_.borrow_within(std::chrono::seconds(1));
            if (auto principal = auth::principal_of(*db, request)) {
                return "token:" + std::to_string(principal->token_id);
            }
        } catch (const std::exception &) {
            // PostgreSQL cannot say: the address is counted
        }
    }
    std::string address = request.client_address;
    bool trusted = std::find(trusted_proxies_.begin(), trusted_proxies_.end(), address) != trusted_proxies_.end();
    if (auto forwarded = request.header("x-forwarded-for"); trusted && forwarded) {
        std::string last = last_forwarded(*forwarded);
        if (!last.empty()) address = last;
    }
    return "address:" + address;
}

std::variant<http::Response, http::Headers> ManagementLimit::check(const http::Request &request) const
{
    if (limit_ <= 0 || !request.path.starts_with("/api/")) return http::Headers{};

    // KEYS and ARGV in redis_keys.h's order for ANALYTICS_FUNCTION_LIMIT
    std::vector<std::string> call = {"FCALL", ANALYTICS_FUNCTION_LIMIT, std::to_string(ANALYTICS_LIMIT_KEYS),
                                     ANALYTICS_RATE_KEY_MANAGEMENT + client_of(request), std::to_string(limit_),
                                     std::to_string(period_.count())};
    try {
        if (!thread_connection) {
            thread_connection = std::make_unique<redis::Connection>(address_, std::chrono::seconds(1));
        }
        auto reply = thread_connection->command(call);
        if (reply->type == REDIS_REPLY_ERROR && std::string_view(reply->str, reply->len).find("Function not found")
                                                    != std::string_view::npos)
        {
            // no nginx has loaded the library on this Redis yet
            thread_connection->checked({"FUNCTION", "LOAD", "REPLACE", analytics_redis_library});
            reply = thread_connection->command(call);
        }
        bool answered = reply->type == REDIS_REPLY_ARRAY && reply->elements >= ANALYTICS_ANSWER_OWN;
        for (size_t i = 0; answered && i < ANALYTICS_ANSWER_OWN; i++) {
            answered = reply->element[i]->type == REDIS_REPLY_INTEGER;
        }
        if (!answered) {
            throw redis::Error(reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                                : "unexpected reply");
        }
        long long status = reply->element[ANALYTICS_ANSWER_STATUS]->integer;
        http::Headers headers = {{"X-RateLimit-Limit", std::to_string(reply->element[ANALYTICS_ANSWER_LIMIT]->integer)},
                                 {"X-RateLimit-Remaining", std::to_string(reply->element[ANALYTICS_ANSWER_REMAINING]->integer)}};
        if (status == 429) {
            auto refusal = too_many(request);
            refusal.headers = headers;
            refusal.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, reply->element[ANALYTICS_ANSWER_RETRY_AFTER]->integer)));
            return refusal;
        }
        return headers;
    } catch (const std::exception &e) {
        thread_connection.reset();
        log::warn(std::string("management rate limit not checked (Redis): ") + e.what());
        return http::Headers{};
    }
}

}  // namespace analytics::limits
