#include "http/message.h"
#include "json.h"

namespace analytics::http {

const char *reason_phrase(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

Response error_response(int status, const std::string &message)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "statusCode", json_integer(status));
    json_object_set_new(body.get(), "message", json::string(message));
    json_object_set_new(body.get(), "error", json_string(reason_phrase(status)));
    return Response{status, json::dump(body.get()), "application/json", {}};
}

void refuse(int status, const std::string &message)
{
    throw Refusal{error_response(status, message)};
}

void refuse(Response response)
{
    throw Refusal{std::move(response)};
}

}  // namespace analytics::http
