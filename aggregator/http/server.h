// libmicrohttpd, bound to loopback behind nginx: a thread pool over epoll,
// with connection, per-IP, timeout and memory limits, feeding the router.
#pragma once

#include "http/router.h"

#include <microhttpd.h>

#include <memory>
#include <string>

namespace analytics::http {

struct ServerLimits {
    unsigned threads = 4;
    unsigned connection_limit = 512;
    unsigned per_ip_limit = 256;        // nginx connects from one address
    unsigned timeout_seconds = 30;
    size_t max_body_bytes = 1 << 20;
};

class Server {
public:
    Server(const Router &router, ServerLimits limits) : router_(router), limits_(limits) {}
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;
    ~Server() { stop(); }

    void start(const std::string &host, int port);  // throws on failure
    void stop();

private:
    static MHD_Result on_request(void *cls, MHD_Connection *connection, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **request_state);
    static void on_completed(void *cls, MHD_Connection *connection, void **request_state,
                             MHD_RequestTerminationCode code);

    const Router &router_;
    ServerLimits limits_;
    MHD_Daemon *daemon_ = nullptr;
};

}  // namespace analytics::http
