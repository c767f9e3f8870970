// A small static router: METHOD plus a path pattern whose {name} segments
// become path parameters. An unknown path is 404; a known path with another
// method is 405 with Allow.
#pragma once

#include "http/message.h"

#include <functional>
#include <string>
#include <vector>

namespace analytics::http {

using Handler = std::function<Response(Request &)>;

class Router {
public:
    void add(const std::string &method, const std::string &pattern, Handler handler);
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
};

}  // namespace analytics::http
