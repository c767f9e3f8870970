// 401 for a missing or unknown token, 403 for a valid one without the scope.
#pragma once

#include "auth/tokens.h"
#include "http/message.h"
#include "postgres/connection.h"
#include "tenants/tenant_store.h"

#include <variant>

namespace analytics::routes {

using Authorized = std::variant<auth::Principal, http::Response>;

Authorized authorize(postgres::Connection &db, const http::Request &request, const std::string &scope);

// the tenant the path's {tenant} names, if this principal may manage it: an
// admin, or a token of that very tenant with the manage scope. Another
// tenant's token gets 404, as if the tenant did not exist.
std::variant<tenants::Tenant, http::Response> managed_tenant(postgres::Connection &db, http::Request &request);

}  // namespace analytics::routes
