// /api/v1/admin/tokens: issue (the secret is shown once), list and revoke tokens.
#include "event_time.h"
#include "json.h"
#include "json_field.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/tenant_store.h"
#include "stores/token_store.h"

#include <regex>

namespace analytics::routes {
namespace {

// the token a POST body asks for, checked; or the 400 (404 for an unknown tenant) refusing it
tokens::TokenRequest token_request_of(postgres::Connection &db, json_t *body)
{
    tokens::TokenRequest token;
    json_t *subject = json_object_get(body, "subject");
    if (!json_is_string(subject) || json_string_length(subject) == 0 || json_string_length(subject) > 200) {
        http::refuse(400, "subject must be a string of 1 to 200 characters");
    }
    token.subject = json_string_value(subject);

    json_t *scopes = json_object_get(body, "scopes");
    static const std::regex scope_pattern("^[a-z]+(:[a-z_-]+)?$");
    if (!json_is_array(scopes) || json_array_size(scopes) == 0) {
        http::refuse(400, "scopes must be a non-empty array of strings");
    }
    size_t i;
    json_t *scope;
    json_array_foreach(scopes, i, scope) {
        if (!json_is_string(scope) || !std::regex_match(json_string_value(scope), scope_pattern)) {
            http::refuse(400, "scopes must be words such as events:read or admin");
        }
        token.scopes.emplace_back(json_string_value(scope));
    }

    json_t *tenant = json_object_get(body, "tenant_id");
    if (tenant && !json_is_null(tenant)) {
        std::string reference = json_is_integer(tenant) ? std::to_string(json_integer_value(tenant))
                                : json_is_string(tenant) ? json_string_value(tenant) : "";
        auto found = tenants::find(db, reference);
        if (!found) http::refuse(404, "Tenant not found");
        token.tenant_id = found->id;
    } else if (std::find(token.scopes.begin(), token.scopes.end(), "admin") == token.scopes.end()) {
        http::refuse(400, "tenant_id is required unless the token has the admin scope");
    }

    json_t *expires = json_object_get(body, "expires_at");
    if (expires && !json_is_null(expires)) {
        int64_t ms = 0;
        if (!analytics_json_time(expires, &ms)) {
            http::refuse(400, "expires_at must be an RFC 3339 date-time");
        }
        char text[ANALYTICS_RFC3339_MS_LEN + 1];
        analytics_time_format_rfc3339_ms(ms, text);
        token.expires_at = text;
    }
    return token;
}

}  // namespace

void register_token_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/admin/tokens", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");
        auto parsed = json_object_body(request);
        json_t *body = parsed.get();
        auto token = token_request_of(*db, body);

        auto issued = tokens::issue(*db, services.module_cache, token);
        auto out = json::take(json_object());
        json_object_set_new(out.get(), "id", json_integer(issued.id));
        json_object_set_new(out.get(), "token", json::string(issued.secret));
        json_object_set_new(out.get(), "prefix", json::string(issued.prefix));
        json_object_set_new(out.get(), "subject", json::string(token.subject));
        json_object_set(out.get(), "scopes", json_object_get(body, "scopes"));
        json_object_set_new(out.get(), "tenant_id", token.tenant_id ? json_integer(*token.tenant_id) : json_null());
        json_object_set_new(out.get(), "expires_at", token.expires_at ? json::string(*token.expires_at) : json_null());
        return json_response(201, std::move(out));
    });

    router.add("GET", "/api/v1/admin/tokens", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");
        auto page = page_of(request, 1000);

        std::optional<long long> tenant_id;
        if (auto found = request.query.find("tenant_id"); found != request.query.end()) {
            auto tenant = tenants::find(*db, found->second);
            if (!tenant) return http::error_response(404, "Tenant not found");
            tenant_id = tenant->id;
        }
        return page_response(tokens::list(*db, tenant_id, page), tokens::to_json);
    });

    router.add("DELETE", "/api/v1/admin/tokens/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");
        const auto &id = request.path_params["id"];
        if (id.empty() || id.size() > 18 || !std::all_of(id.begin(), id.end(), ::isdigit)) {
            return http::error_response(404, "Token not found");
        }
        if (!tokens::revoke(*db, services.module_cache, std::stoll(id))) return http::error_response(404, "Token not found");
        return http::Response{204, "", "application/json", {}};
    });
}

}  // namespace analytics::routes
