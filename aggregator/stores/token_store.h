// API tokens in PostgreSQL: issued (the secret shown once, only its SHA-256
// kept), listed by prefix, revoked; each change mirrored to the hash the
// module authenticates funnel/track against. Authentication itself is
// auth/tokens.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"
#include "redis/module_cache.h"

#include <jansson.h>

#include <optional>
#include <string>
#include <vector>

namespace analytics::tokens {

struct TokenRequest {
    std::optional<long long> tenant_id;      // nullopt: an admin token
    std::string subject;
    std::vector<std::string> scopes;
    std::optional<std::string> expires_at;   // RFC 3339
};

struct IssuedToken {
    long long id = 0;
    std::string secret;   // shown once, never stored
    std::string prefix;
};

// what a listing shows: never the secret nor its hash
struct Token {
    long long id = 0;
    std::string prefix;
    std::string subject;
    std::string scopes_json;   // a JSON array of strings
    std::optional<long long> tenant_id;
    std::optional<std::string> expires_at, revoked_at, created_at;
};

IssuedToken issue(postgres::Connection &db, cache::ModuleCache &mirror, const TokenRequest &request);
// by id; every tenant's when tenant_id is nullopt
stores::Listed<Token> list(postgres::Connection &db, std::optional<long long> tenant_id, stores::Window window);
// false when there is no such live token
bool revoke(postgres::Connection &db, cache::ModuleCache &mirror, long long id);

json_t *to_json(const Token &token);

}  // namespace analytics::tokens
