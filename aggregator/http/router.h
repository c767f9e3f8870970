// A small static router: METHOD plus a path pattern whose {name} segments
// become path parameters. An unknown path is 404; a known path with another
// method is 405 with Allow.
#pragma once

#include "http/message.h"

#include <functional>
#include <variant>
#include <string>
#include <vector>

namespace analytics::http {

using Handler = std::function<Response(Request &)>;
using Headers = std::vector<std::pair<std::string, std::string>>;
// runs before every matched route: a Response refuses the request (it is the
// answer); otherwise its headers join the route's answer
using Guard = std::function<std::variant<Response, Headers>(const Request &)>;

class Router {
public:
    void add(const std::string &method, const std::string &pattern, Handler handler);
    void guard(Guard guard) { guard_ = std::move(guard); }
    Response dispatch(Request &request) const;
    // every route as "METHOD pattern", in the order they were added
    std::vector<std::string> describe() const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
    Guard guard_;
};

}  // namespace analytics::http
