#include "auth/digest.h"

#include <stdexcept>

namespace analytics::auth {

std::string hex(const unsigned char *bytes, size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (size_t i = 0; i < size; i++) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0x0f];
    }
    return out;
}

std::string hex_digest(const EVP_MD *md, std::string_view text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, md, nullptr) != 1) {
        throw std::runtime_error("digest failed");
    }
    return hex(digest, length);
}

}  // namespace analytics::auth
