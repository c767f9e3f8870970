#include "routes/authorization.h"

namespace analytics::routes {

Authorized authorize(postgres::Connection &db, const http::Request &request, const std::string &scope)
{
    auto principal = auth::principal_of(db, request);
    if (!principal) {
        // NestJS's own 401, as the Webmarketer document shows it
        http::Response response{401, R"({"statusCode":401,"message":"Unauthorized"})", "application/json", {}};
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        http::refuse(response);
    }
    if (!principal->has_scope(scope)) {
        http::refuse(403, "This token lacks the " + scope + " scope");
    }
    return *principal;
}

tenants::Tenant tenant_in_path(postgres::Connection &db, http::Request &request,
                               const std::string &scope, const std::string &param,
                               const std::string &not_found)
{
    return tenant_named(db, request, scope, request.path_params[param], not_found);
}

tenants::Tenant tenant_named(postgres::Connection &db, const http::Request &request,
                             const std::string &scope, const std::string &reference,
                             const std::string &not_found)
{
    auto principal = authorize(db, request, scope);
    auto tenant = tenants::find(db, reference);
    if (!tenant || (principal.tenant_id && *principal.tenant_id != tenant->id)) {
        http::refuse(404, not_found);
    }
    return *tenant;
}

tenants::Tenant managed_tenant(postgres::Connection &db, http::Request &request)
{
    return tenant_in_path(db, request, "manage", "tenant", "Tenant not found");
}

}  // namespace analytics::routes
