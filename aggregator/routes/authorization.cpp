#include "routes/authorization.h"

namespace analytics::routes {

Authorized authorize(postgres::Connection &db, const http::Request &request, const std::string &scope)
{
    auto principal = auth::authenticate(db, request.header("authorization"));
    if (!principal) {
        auto response = http::error_response(401, "Missing or invalid bearer token");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    }
    if (!principal->has_scope(scope)) {
        return http::error_response(403, "This token lacks the " + scope + " scope");
    }
    return *principal;
}

std::variant<tenants::Tenant, http::Response> tenant_in_path(postgres::Connection &db, http::Request &request,
                                                             const std::string &scope, const std::string &param,
                                                             const std::string &not_found)
{
    return tenant_named(db, request, scope, request.path_params[param], not_found);
}

std::variant<tenants::Tenant, http::Response> tenant_named(postgres::Connection &db, const http::Request &request,
                                                           const std::string &scope, const std::string &reference,
                                                           const std::string &not_found)
{
    auto auth = authorize(db, request, scope);
    if (auto *denied = std::get_if<http::Response>(&auth)) return *denied;
    const auto &principal = std::get<auth::Principal>(auth);
    auto tenant = tenants::find(db, reference);
    if (!tenant || (principal.tenant_id && *principal.tenant_id != tenant->id)) {
        return http::error_response(404, not_found);
    }
    return *tenant;
}

std::variant<tenants::Tenant, http::Response> managed_tenant(postgres::Connection &db, http::Request &request)
{
    return tenant_in_path(db, request, "manage", "tenant", "Tenant not found");
}

}  // namespace analytics::routes
