// 401 for a missing or unknown token, 403 for a valid one without the scope.
#pragma once

#include "auth/tokens.h"
#include "http/message.h"
#include "postgres/connection.h"
#include "stores/tenant_store.h"

#include <variant>

namespace analytics::routes {

using Authorized = auth::Principal;

Authorized authorize(postgres::Connection &db, const http::Request &request, const std::string &scope);

// the tenant the path's {param} names, if this principal may use it with
// scope: an admin, or a token of that very tenant holding scope. Another
// tenant's token gets 404 with not_found, as if the tenant did not exist.
tenants::Tenant tenant_in_path(postgres::Connection &db, http::Request &request,
                               const std::string &scope, const std::string &param,
                               const std::string &not_found);

// the same for a tenant the request names elsewhere (its body, say)
tenants::Tenant tenant_named(postgres::Connection &db, const http::Request &request,
                             const std::string &scope, const std::string &reference,
                             const std::string &not_found);

// the path's {tenant}, for the manage scope
tenants::Tenant managed_tenant(postgres::Connection &db, http::Request &request);

}  // namespace analytics::routes
