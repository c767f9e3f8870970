// gzip for the API's answers (the funnel-report document recommends
// Accept-Encoding: gzip): bodies of at least kMinimumBytes of a text type
// are compressed with zlib when the client's Accept-Encoding takes gzip.
#pragma once

#include "http/message.h"

#include <string>
#include <string_view>

namespace analytics::http {

// smaller answers are sent as they are: gzip's 18 bytes of framing and the
// CPU would buy nothing
constexpr size_t kMinimumCompressedBytes = 1024;

// whether an Accept-Encoding value takes gzip: "gzip", "x-gzip" or "*" with
// a q-value above 0, and gzip not refused by name ("gzip;q=0")
bool accepts_gzip(std::string_view accept_encoding);

// the bytes as one gzip member (RFC 1952); throws std::runtime_error if
// zlib fails
std::string gzip(std::string_view bytes);

// compresses response in place when the request asks and it is worth it,
// adding Content-Encoding and Vary
void compress_if_asked(const Request &request, Response &response);

}  // namespace analytics::http
