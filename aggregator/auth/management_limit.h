// The management and reporting routes' rate limit, kept in Redis like the
// public ones and by the same function (the module's GCRA, called to count
// only), so one limit holds across every aggregator: per authenticated token
// (its id), or per client address for a request without a valid one, so
// rotating made-up tokens buys nothing. The address is the peer's, or, when
// the peer is a trusted proxy (nginx), the last X-Forwarded-For entry: the
// one the proxy added, never one the client chose. Every answer of a limited route carries
// X-RateLimit-Limit and X-RateLimit-Remaining; over the limit: 429 with
// Retry-After, in the family's shape. With Redis away the limit fails open.
#pragma once

#include "http/router.h"
#include "postgres/connection.h"
#include "redis/connection.h"

#include <chrono>
#include <string>
#include <vector>

namespace analytics::limits {

class ManagementLimit {
public:
    // limit requests per period; limit 0: no limit
    ManagementLimit(redis::Address address, long long limit, std::chrono::milliseconds period, postgres::Pool &db,
                    std::vector<std::string> trusted_proxies)
        : address_(std::move(address)), limit_(limit), period_(period), db_(db),
          trusted_proxies_(std::move(trusted_proxies)) {}
    ManagementLimit(const ManagementLimit &) = delete;
    ManagementLimit &operator=(const ManagementLimit &) = delete;

    std::variant<http::Response, http::Headers> check(const http::Request &request) const;

    // who is counted: "token:<id>" or "address:<ip>"
    std::string client_of(const http::Request &request) const;

private:
    redis::Address address_;
    long long limit_;
    std::chrono::milliseconds period_;
    postgres::Pool &db_;
    std::vector<std::string> trusted_proxies_;
};

}  // namespace analytics::limits
