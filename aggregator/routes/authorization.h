// 401 for a missing or unknown token, 403 for a valid one without the scope.
#pragma once

#include "auth/tokens.h"
#include "http/message.h"
#include "postgres/connection.h"

#include <variant>

namespace analytics::routes {

using Authorized = std::variant<auth::Principal, http::Response>;

Authorized authorize(postgres::Connection &db, const http::Request &request, const std::string &scope);

}  // namespace analytics::routes
