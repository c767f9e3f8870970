// The management and reporting routes' rate limit, kept in Redis like the
// public ones and by the same function (the module's GCRA, called to count
// only), so one limit holds across every aggregator: per bearer token, or per
// client address without one. Every answer of a limited route carries
// X-RateLimit-Limit and X-RateLimit-Remaining; over the limit: 429 with
// Retry-After, in the family's shape. With Redis away the limit fails open.
#pragma once

#include "http/router.h"
#include "redis/connection.h"

#include <chrono>
#include <string>

namespace analytics::limits {

class ManagementLimit {
public:
    // limit requests per period; limit 0: no limit
    ManagementLimit(redis::Address address, long long limit, std::chrono::milliseconds period)
        : address_(std::move(address)), limit_(limit), period_(period) {}
    ManagementLimit(const ManagementLimit &) = delete;
    ManagementLimit &operator=(const ManagementLimit &) = delete;

    std::variant<http::Response, http::Headers> check(const http::Request &request) const;

private:
    redis::Address address_;
    long long limit_;
    std::chrono::milliseconds period_;
};

}  // namespace analytics::limits
