#include "http/compression.h"
#include "split.h"

#include <zlib.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace analytics::http {
namespace {

bool same_word(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

// the q-value of one "coding;q=0.5" item: 1 without one, 0 for one that is
// not a number
double q_value(std::string_view parameters)
{
    while (!parameters.empty()) {
        size_t end = parameters.find(';');
        auto parameter = trimmed(parameters.substr(0, end));
        if (parameter.size() > 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
            std::string number(parameter.substr(2));
            char *rest = nullptr;
            double q = std::strtod(number.c_str(), &rest);
            return rest != nullptr && *rest == '\0' ? q : 0;
        }
        if (end == std::string_view::npos) break;
        parameters.remove_prefix(end + 1);
    }
    return 1;
}

bool is_text(const std::string &content_type)
{
    return content_type.starts_with("application/json") || content_type.starts_with("text/");
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding)
{
    bool named = false, by_name = false, by_star = false;
    while (!accept_encoding.empty()) {
        size_t end = accept_encoding.find(',');
        auto item = trimmed(accept_encoding.substr(0, end));
        size_t semicolon = item.find(';');
        auto coding = trimmed(item.substr(0, semicolon));
        double q = semicolon == std::string_view::npos ? 1 : q_value(item.substr(semicolon + 1));
        if (same_word(coding, "gzip") || same_word(coding, "x-gzip")) {
            named = true;
            by_name = by_name || q > 0;
        } else if (coding == "*") {
            by_star = q > 0;
        }
        if (end == std::string_view::npos) break;
        accept_encoding.remove_prefix(end + 1);
    }
    return named ? by_name : by_star;
}

std::string gzip(std::string_view bytes)
{
    z_stream stream{};
    // 15 window bits + 16: a gzip header and trailer rather than zlib's
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib: deflateInit2 failed");
    }
    std::string out(deflateBound(&stream, static_cast<uLong>(bytes.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    int status = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (status != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
    return out;
}

void compress_if_asked(const Request &request, Response &response)
{
    if (response.body.size() < kMinimumCompressedBytes || !is_text(response.content_type)) return;
    for (const auto &[name, value] : response.headers) {
        if (same_word(name, "Content-Encoding")) return;
    }
    response.headers.emplace_back("Vary", "Accept-Encoding");
    auto asked = request.headers.find("accept-encoding");
    if (asked == request.headers.end() || !accepts_gzip(asked->second)) return;
    response.body = gzip(response.body);
    response.headers.emplace_back("Content-Encoding", "gzip");
}

}  // namespace analytics::http
