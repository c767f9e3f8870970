#include "routes/request_body.h"

#include "event_time.h"

#include <charconv>

namespace analytics::routes {

bool parse_whole(const std::string &text, long long &out)
{
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

json::Value json_object_body(const http::Request &request)
{
    auto parsed = json::parse(request.body);
    if (!parsed) {
        http::refuse(400, "Malformed JSON body");
    }
    if (!json_is_object(parsed->get())) {
        http::refuse(400, "The request body must be a JSON object");
    }
    return std::move(*parsed);
}

Page page_of(const http::Request &request, long long max_limit)
{
    Page page;
    if (auto found = request.query.find("offset"); found != request.query.end()) {
        if (!parse_whole(found->second, page.offset) || page.offset < 0) {
            http::refuse(400, "offset must be a whole number of at least 0");
        }
    }
    if (auto found = request.query.find("limit"); found != request.query.end()) {
        if (!parse_whole(found->second, page.limit) || page.limit < 0 || page.limit > max_limit) {
            http::refuse(400, "limit must be a whole number from 0 to " + std::to_string(max_limit));
        }
    }
    return page;
}

std::optional<std::string> query_param(const http::Request &request, const char *name)
{
    auto found = request.query.find(name);
    if (found == request.query.end()) return std::nullopt;
    return found->second;
}

std::optional<std::string> rfc3339_instant(std::string_view text)
{
    int64_t ms = 0;
    if (analytics_time_parse_iso8601(text.data(), text.size(), &ms) != 0) return std::nullopt;
    char formatted[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(ms, formatted);
    return std::string(formatted);
}

std::optional<std::string> rfc3339_instant(json_t *value)
{
    if (!json_is_string(value)) return std::nullopt;
    return rfc3339_instant(std::string_view(json_string_value(value), json_string_length(value)));
}

std::optional<std::string> instant_param(const http::Request &request, const char *name)
{
    auto text = query_param(request, name);
    if (!text) return std::optional<std::string>{};
    auto instant = rfc3339_instant(*text);
    if (!instant) http::refuse(400, std::string(name) + " must be an RFC 3339 date-time");
    return instant;
}

http::Response json_response(int status, json::Value body)
{
    return http::Response{status, json::dump(body.get()), "application/json", {}};
}

http::Response page_response(json::Value data, long long total)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "count", json_integer(static_cast<json_int_t>(json_array_size(data.get()))));
    json_object_set_new(body.get(), "total", json_integer(total));
    json_object_set(body.get(), "data", data.get());
    return json_response(200, std::move(body));
}

}  // namespace analytics::routes
