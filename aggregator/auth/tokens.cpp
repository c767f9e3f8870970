#include "auth/tokens.h"
#include "auth/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace analytics::auth {
namespace {

std::vector<std::string> parse_array(std::string_view text)
{
    // scopes are [a-z:_-] words, so PostgreSQL prints them unquoted
    std::vector<std::string> items;
    if (text.size() < 2) return items;
    text = text.substr(1, text.size() - 2);
    size_t start = 0;
    while (start < text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        items.emplace_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return items;
}

}  // namespace

bool Principal::has_scope(const std::string &scope) const
{
    return std::find(scopes.begin(), scopes.end(), "admin") != scopes.end()
           || std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string token_hash_literal(const std::string &secret)
{
    return "\\x" + hex_digest(EVP_sha256(), secret);
}

std::optional<Principal> authenticate(postgres::Connection &db, const std::optional<std::string> &authorization)
{
    if (!authorization) return std::nullopt;
    std::string_view value(*authorization);
    if (value.size() < 8 || !(value.starts_with("Bearer ") || value.starts_with("bearer "))) {
        return std::nullopt;
    }
    std::string secret(value.substr(7));
    while (!secret.empty() && secret.back() == ' ') secret.pop_back();
    if (secret.empty() || secret.size() > 256) return std::nullopt;

    // the lookup is by hash, so its timing tells nothing about the secret
    auto result = db.exec(
        "SELECT id, tenant_id, subject, scopes FROM api_tokens"
        " WHERE token_hash = $1::bytea AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > now())",
        {token_hash_literal(secret)});
    if (result.rows() != 1) return std::nullopt;

    Principal principal;
    principal.token_id = result.integer(0, 0);
    if (!result.is_null(0, 1)) principal.tenant_id = result.integer(0, 1);
    principal.subject = std::string(result.text(0, 2));
    principal.scopes = parse_array(result.text(0, 3));
    return principal;
}

std::optional<Principal> principal_of(postgres::Connection &db, const http::Request &request)
{
    if (!request.principal_known) {
        // a failure to ask (PostgreSQL away) throws, and leaves it unknown
        auto principal = authenticate(db, request.header("authorization"));
        request.principal = principal ? std::make_shared<const Principal>(std::move(*principal)) : nullptr;
        request.principal_known = true;
    }
    if (!request.principal) return std::nullopt;
    return *request.principal;
}

}  // namespace analytics::auth
