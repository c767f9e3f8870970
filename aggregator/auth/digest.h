// Digests as lower-case hex, the form every hash we keep or compare takes:
// token hashes, identity hashes, tracker visitor keys.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace analytics::auth {

std::string hex(const unsigned char *bytes, size_t size);

// md: EVP_sha256(), EVP_sha1()...
std::string hex_digest(const EVP_MD *md, std::string_view text);

}  // namespace analytics::auth
