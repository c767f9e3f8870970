// Reading a JSON object body and paging parameters with errors in the
// management routes' shape.
#pragma once

#include "http/message.h"
#include "json.h"
#include "stores/list_query.h"

#include <variant>

namespace analytics::routes {

json::Value json_object_body(const http::Request &request);

// text that is a whole number and nothing else (an optional leading minus)
bool parse_whole(const std::string &text, long long &out);

// ?offset= and ?limit=, 400 when either is no whole number in range
using Page = stores::Window;
Page page_of(const http::Request &request, long long max_limit);

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
std::optional<std::string> instant_param(const http::Request &request, const char *name);

// 200 {"count": size of data, "total": total, "data": data}: a page of a list
http::Response page_response(json::Value data, long long total);

// a JSON array of rows, each as to_json(row) shapes it (a new json_t *)
template <typename Row, typename ToJson>
json::Value rows_json(const std::vector<Row> &rows, ToJson to_json)
{
    auto data = json::take(json_array());
    for (const auto &row : rows) json_array_append_new(data.get(), to_json(row));
    return data;
}

// page_response for a store's page
template <typename Row, typename ToJson>
http::Response page_response(const stores::Listed<Row> &listed, ToJson to_json)
{
    return page_response(rows_json(listed.rows, to_json), listed.total);
}

}  // namespace analytics::routes
