// Reading a JSON object body and paging parameters with errors in the
// management routes' shape.
#pragma once

#include "http/message.h"
#include "json.h"

#include <variant>

namespace analytics::routes {

std::variant<json::Value, http::Response> json_object_body(const http::Request &request);

// text that is a whole number and nothing else (an optional leading minus)
bool parse_whole(const std::string &text, long long &out);

struct Page {
    long long offset = 0;
    long long limit = 20;
};
std::variant<Page, http::Response> page_of(const http::Request &request, long long max_limit);

http::Response json_response(int status, json::Value body);

// a query parameter, or nullopt when the request has none
std::optional<std::string> query_param(const http::Request &request, const char *name);

// text that is an RFC 3339 instant, as text PostgreSQL takes (milliseconds,
// UTC); nullopt when it is not one
std::optional<std::string> rfc3339_instant(std::string_view text);
// the same for a JSON value, which must be a string
std::optional<std::string> rfc3339_instant(json_t *value);

// an RFC 3339 query parameter as text PostgreSQL takes (milliseconds, UTC);
// nullopt when absent, 400 "<name> must be an RFC 3339 date-time" when it is not one
std::variant<std::optional<std::string>, http::Response> instant_param(const http::Request &request, const char *name);

// 200 {"count": size of data, "total": total, "data": data}: a page of a list
http::Response page_response(json::Value data, long long total);

}  // namespace analytics::routes
