// What a route handler sees and returns.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace analytics::auth {
struct Principal;
}

namespace analytics::http {

struct Request {
    std::string method;
    std::string path;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers;   // names in lower case
    std::map<std::string, std::string> path_params;
    std::string body;
    std::string client_address;
    // whom the Authorization header names, asked of PostgreSQL once per
    // request by the first to need it (the management limit, then the
    // route): auth::principal_of fills these
    mutable bool principal_known = false;
    mutable std::shared_ptr<const auth::Principal> principal;

    std::optional<std::string> header(const std::string &lower_name) const
    {
        auto found = headers.find(lower_name);
        if (found == headers.end()) return std::nullopt;
        return found->second;
    }
};

struct Response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
};

// {"statusCode": N, "message": "...", "error": "<reason phrase>"}: the shape
// of the Webmarketer-style routes, used by every management route
Response error_response(int status, const std::string &message);

// A check deep in a handler refuses the request by throwing its answer; the
// router sends it as the response. Not a std::exception, so nothing that
// catches failures mistakes a refusal for one.
struct Refusal {
    Response response;
};

// throws Refusal{error_response(status, message)}
[[noreturn]] void refuse(int status, const std::string &message);
[[noreturn]] void refuse(Response response);

const char *reason_phrase(int status);

}  // namespace analytics::http
