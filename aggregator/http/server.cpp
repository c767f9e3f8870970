#include "http/server.h"

#include "http/compression.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace analytics::http {
namespace {

struct PendingRequest {
    std::string body;
    bool too_large = false;
};

MHD_Result collect_header(void *cls, MHD_ValueKind, const char *key, const char *value)
{
    auto *request = static_cast<Request *>(cls);
    std::string name(key);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    request->headers[name] = value ? value : "";
    return MHD_YES;
}

MHD_Result collect_query(void *cls, MHD_ValueKind, const char *key, const char *value)
{
    auto *request = static_cast<Request *>(cls);
    request->query[key] = value ? value : "";
    return MHD_YES;
}

// the peer's address as text: nginx's, when the request came through it
std::string client_address_of(MHD_Connection *connection)
{
    const MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == nullptr || info->client_addr == nullptr) return "";
    char text[INET6_ADDRSTRLEN] = "";
    if (info->client_addr->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(info->client_addr)->sin_addr, text, sizeof(text));
    } else if (info->client_addr->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(info->client_addr)->sin6_addr, text, sizeof(text));
    }
    return text;
}

Response too_large(size_t max_body_bytes)
{
    return error_response(413, "Request body is larger than " + std::to_string(max_body_bytes) + " bytes");
}

MHD_Result send(MHD_Connection *connection, const Response &response)
{
    MHD_Response *out = MHD_create_response_from_buffer(
        response.body.size(), const_cast<char *>(response.body.data()), MHD_RESPMEM_MUST_COPY);
    if (out == nullptr) return MHD_NO;
    MHD_add_response_header(out, "Content-Type", response.content_type.c_str());
    MHD_add_response_header(out, "Cache-Control", "no-store");
    for (const auto &[name, value] : response.headers) {
        MHD_add_response_header(out, name.c_str(), value.c_str());
    }
    MHD_Result result = MHD_queue_response(connection, static_cast<unsigned>(response.status), out);
    MHD_destroy_response(out);
    return result;
}

}  // namespace

void Server::start(const std::string &host, int port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        throw std::runtime_error("ANALYTICS_LISTEN: not an IPv4 address: " + host);
    }
    daemon_ = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
        static_cast<uint16_t>(port), nullptr, nullptr, &Server::on_request, this,
        MHD_OPTION_SOCK_ADDR, &address,
        MHD_OPTION_THREAD_POOL_SIZE, limits_.threads,
        MHD_OPTION_CONNECTION_LIMIT, limits_.connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits_.per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, limits_.timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, &Server::on_completed, this,
        MHD_OPTION_END);
    if (daemon_ == nullptr) {
        throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port));
    }
}

void Server::stop()
{
    if (daemon_ != nullptr) {
        MHD_stop_daemon(daemon_);
        daemon_ = nullptr;
    }
}

MHD_Result Server::on_request(void *cls, MHD_Connection *connection, const char *url,
                              const char *method, const char *, const char *upload_data,
                              size_t *upload_data_size, void **request_state)
{
    auto *server = static_cast<Server *>(cls);

    if (*request_state == nullptr) {
        // ownership passes to libmicrohttpd until on_completed takes it back
        *request_state = std::make_unique<PendingRequest>().release();
        // a declared body over the limit is refused before a byte of it is read
        const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length != nullptr && std::strtoull(length, nullptr, 10) > server->limits_.max_body_bytes) {
            return send(connection, too_large(server->limits_.max_body_bytes));
        }
        return MHD_YES;
    }
    auto *pending = static_cast<PendingRequest *>(*request_state);

    if (*upload_data_size > 0) {
        if (pending->body.size() + *upload_data_size > server->limits_.max_body_bytes) {
            pending->too_large = true;
        } else {
            pending->body.append(upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (pending->too_large) {
        return send(connection, too_large(server->limits_.max_body_bytes));
    }

    Request request;
    request.method = method;
    request.path = url;
    request.body = std::move(pending->body);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &request);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_query, &request);
    request.client_address = client_address_of(connection);

    try {
        auto response = server->router_.dispatch(request);
        compress_if_asked(request, response);
        return send(connection, response);
    } catch (...) {
        return send(connection, error_response(500, "Internal server error"));
    }
}

void Server::on_completed(void *, MHD_Connection *, void **request_state, MHD_RequestTerminationCode)
{
    std::unique_ptr<PendingRequest> owned(static_cast<PendingRequest *>(*request_state));
    *request_state = nullptr;
}

}  // namespace analytics::http
