// Bearer tokens: opaque random secrets shown once, stored only as SHA-256,
// each bound to a tenant (or none: admin), a subject, scopes and an expiry.
// Who a request's token is; stores/token_store issues and revokes them.
#pragma once

#include "http/message.h"
#include "postgres/connection.h"

#include <optional>
#include <string>
#include <vector>

namespace analytics::auth {

struct Principal {
    long long token_id = 0;
    std::optional<long long> tenant_id;   // nullopt: an admin token
    std::string subject;
    std::vector<std::string> scopes;

    // the admin scope grants every other
    bool has_scope(const std::string &scope) const;
};

// the principal of a valid, unexpired, unrevoked token; nullopt otherwise
std::optional<Principal> authenticate(postgres::Connection &db, const std::optional<std::string> &authorization);

// the same for a request's Authorization, authenticated once per request
std::optional<Principal> principal_of(postgres::Connection &db, const http::Request &request);

// SHA-256 of the secret as PostgreSQL's bytea hex input (\x...)
std::string token_hash_literal(const std::string &secret);

}  // namespace analytics::auth
