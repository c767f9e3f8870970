#include "http/router.h"
#include "log.h"
#include "split.h"

#include <exception>

namespace analytics::http {
namespace {

std::vector<std::string> split_path(const std::string &path)
{
    return split_nonempty(path, '/');
}

bool match(const std::vector<std::string> &pattern, const std::vector<std::string> &path,
           std::map<std::string, std::string> &params)
{
    if (pattern.size() != path.size()) return false;
    std::map<std::string, std::string> found;
    for (size_t i = 0; i < pattern.size(); i++) {
        if (pattern[i].size() > 2 && pattern[i].front() == '{' && pattern[i].back() == '}') {
            found[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

// the handler's response, or the refusal a check in it raised
Response answer(const Handler &handler, Request &request)
{
    try {
        return handler(request);
    } catch (Refusal &refusal) {
        return std::move(refusal.response);
    }
}

}  // namespace

void Router::add(const std::string &method, const std::string &pattern, Handler handler)
{
    routes_.push_back({method, pattern, split_path(pattern), std::move(handler)});
}

std::vector<std::string> Router::describe() const
{
    std::vector<std::string> lines;
    for (const auto &route : routes_) lines.push_back(route.method + " " + route.pattern);
    return lines;
}

Response Router::dispatch(Request &request) const
{
    auto path = split_path(request.path);
    std::string allowed;
    for (const auto &route : routes_) {
        std::map<std::string, std::string> params;
        if (!match(route.segments, path, params)) continue;
        if (route.method != request.method) {
            allowed += allowed.empty() ? route.method : ", " + route.method;
            continue;
        }
        request.path_params = std::move(params);
        try {
            Headers extra;
            if (guard_) {
                auto verdict = guard_(request);
                if (auto *refusal = std::get_if<Response>(&verdict)) return *refusal;
                extra = std::move(std::get<Headers>(verdict));
            }
            auto response = answer(route.handler, request);
            response.headers.insert(response.headers.end(), extra.begin(), extra.end());
            return response;
        } catch (const std::exception &e) {
            log::error(request.method + " " + request.path + ": " + e.what());
            return error_response(500, "Internal server error");
        }
    }
    if (!allowed.empty()) {
        auto response = error_response(405, "Method " + request.method + " is not allowed on this route");
        response.headers.emplace_back("Allow", allowed);
        return response;
    }
    return error_response(404, "Cannot " + request.method + " " + request.path);
}

}  // namespace analytics::http
