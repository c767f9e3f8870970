// When the API compresses an answer: Accept-Encoding read with its q-values,
// bodies of a text type from 1 KB, one gzip member that zlib reads back.
#include "http/compression.h"

#include <zlib.h>

#include <string>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
extern "C" {
#include <cmocka.h>
}

using analytics::http::Request;
using analytics::http::Response;
using analytics::http::accepts_gzip;
using analytics::http::compress_if_asked;

namespace {

std::string gunzip(const std::string &bytes)
{
    z_stream stream{};
    assert_int_equal(inflateInit2(&stream, 15 + 16), Z_OK);
    std::string out(1 << 20, '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    assert_int_equal(inflate(&stream, Z_FINISH), Z_STREAM_END);
    out.resize(stream.total_out);
    inflateEnd(&stream);
    return out;
}

void test_accept_encoding(void **)
{
    assert_true(accepts_gzip("gzip"));
    assert_true(accepts_gzip("deflate, gzip;q=0.5, br"));
    assert_true(accepts_gzip(" GZIP ; q=1.0"));
    assert_true(accepts_gzip("x-gzip"));
    assert_true(accepts_gzip("*"));
    assert_false(accepts_gzip(""));
    assert_false(accepts_gzip("br, deflate"));
    assert_false(accepts_gzip("gzip;q=0"));
    assert_false(accepts_gzip("gzip;q=0.000"));
    assert_false(accepts_gzip("*, gzip;q=0"));   // refused by name beats the star
    assert_false(accepts_gzip("*;q=0"));
    assert_false(accepts_gzip("gzip;q=x"));
    assert_false(accepts_gzip("gzipped"));
}

Response json_of(size_t size)
{
    Response response;
    response.body = "[" + std::string(size - 2, '1') + "]";
    return response;
}

void test_large_json_is_compressed_when_asked(void **)
{
    Request request;
    request.headers["accept-encoding"] = "gzip, deflate";
    auto response = json_of(5000);
    const std::string original = response.body;
    compress_if_asked(request, response);
    assert_int_equal(response.headers.size(), 2);
    assert_string_equal(response.headers[0].first.c_str(), "Vary");
    assert_string_equal(response.headers[0].second.c_str(), "Accept-Encoding");
    assert_string_equal(response.headers[1].first.c_str(), "Content-Encoding");
    assert_string_equal(response.headers[1].second.c_str(), "gzip");
    assert_true(response.body.size() < 100);
    assert_true(gunzip(response.body) == original);
}

void test_small_or_unasked_bodies_are_kept(void **)
{
    Request asked;
    asked.headers["accept-encoding"] = "gzip";
    auto small = json_of(1023);
    compress_if_asked(asked, small);
    assert_int_equal(small.headers.size(), 0);
    assert_int_equal(small.body.size(), 1023);

    auto at_limit = json_of(1024);
    compress_if_asked(asked, at_limit);
    assert_int_equal(at_limit.headers.size(), 2);

    Request plain;
    auto unasked = json_of(5000);
    compress_if_asked(plain, unasked);
    assert_int_equal(unasked.headers.size(), 1);   // Vary only
    assert_int_equal(unasked.body.size(), 5000);

    auto gif = json_of(5000);
    gif.content_type = "image/gif";
    compress_if_asked(asked, gif);
    assert_int_equal(gif.headers.size(), 0);
}

}  // namespace

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_large_json_is_compressed_when_asked),
        cmocka_unit_test(test_small_or_unasked_bodies_are_kept),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
