#include "stores/token_store.h"
#include "auth/digest.h"
#include "auth/tokens.h"
#include "json.h"
#include "stores/list_query.h"

#include <sys/random.h>

#include <stdexcept>

namespace analytics::tokens {
namespace {

std::string random_hex(size_t bytes)
{
    std::vector<unsigned char> buffer(bytes);
    size_t filled = 0;
    while (filled < bytes) {
        ssize_t n = getrandom(buffer.data() + filled, bytes - filled, 0);
        if (n < 0) throw std::runtime_error("getrandom failed");
        filled += static_cast<size_t>(n);
    }
    return auth::hex(buffer.data(), buffer.size());
}

postgres::Param number_or_null(const std::optional<long long> &value)
{
    if (!value) return std::nullopt;
    return std::to_string(*value);
}

}  // namespace

IssuedToken issue(postgres::Connection &db, cache::ModuleCache &mirror, const TokenRequest &request)
{
    IssuedToken token;
    token.secret = "ak_" + random_hex(32);
    token.prefix = token.secret.substr(0, 11);
    auto result = db.exec(
        "INSERT INTO api_tokens (tenant_id, subject, scopes, token_hash, prefix, expires_at)"
        " VALUES ($1, $2, $3::text[], $4::bytea, $5, $6::timestamptz) RETURNING id",
        {number_or_null(request.tenant_id), request.subject, postgres::text_array_literal(request.scopes),
         auth::token_hash_literal(token.secret), token.prefix, request.expires_at});
    token.id = result.integer(0, 0);
    cache::mirror_or_warn("token " + std::to_string(token.id), [&] { mirror.publish_token(db, token.id); });
    return token;
}

stores::Listed<Token> list(postgres::Connection &db, std::optional<long long> tenant_id, stores::Window window)
{
    stores::ListQuery query{"id, prefix, subject, array_to_json(scopes)::text, tenant_id,"
                            " rfc3339(expires_at), rfc3339(revoked_at), rfc3339(created_at)",
                            " FROM api_tokens WHERE $1::bigint IS NULL OR tenant_id = $1", "id"};
    return stores::fetch_listed(db, query, {number_or_null(tenant_id)}, window, [](const postgres::Result &rows, int row) {
        return Token{rows.integer(row, 0), std::string(rows.text(row, 1)), std::string(rows.text(row, 2)),
                     std::string(rows.text(row, 3)), rows.is_null(row, 4) ? std::nullopt : std::optional(rows.integer(row, 4)),
                     rows.optional_text(row, 5), rows.optional_text(row, 6), rows.optional_text(row, 7)};
    });
}

bool revoke(postgres::Connection &db, cache::ModuleCache &mirror, long long id)
{
    auto revoked = db.exec("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                           {std::to_string(id)});
    if (revoked.affected_rows() == 0) return false;
    cache::mirror_or_warn("token " + std::to_string(id), [&] { mirror.publish_token(db, id); });
    return true;
}

json_t *to_json(const Token &token)
{
    auto optional_text = [](const std::optional<std::string> &text) { return text ? json::string(*text) : json_null(); };
    json_t *item = json_object();
    json_object_set_new(item, "id", json_integer(token.id));
    json_object_set_new(item, "prefix", json::string(token.prefix));
    json_object_set_new(item, "subject", json::string(token.subject));
    auto scopes = json::parse(token.scopes_json);
    json_object_set_new(item, "scopes", scopes ? json_incref(scopes->get()) : json_array());
    json_object_set_new(item, "tenant_id", token.tenant_id ? json_integer(*token.tenant_id) : json_null());
    json_object_set_new(item, "expires_at", optional_text(token.expires_at));
    json_object_set_new(item, "revoked_at", optional_text(token.revoked_at));
    json_object_set_new(item, "created_at", optional_text(token.created_at));
    return item;
}

}  // namespace analytics::tokens
