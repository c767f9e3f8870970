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

}  // namespace analytics::routes
