// RAII over jansson values.
#pragma once

#include <jansson.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace analytics::json {

struct Decref {
    void operator()(json_t *value) const { json_decref(value); }
};
using Value = std::unique_ptr<json_t, Decref>;

inline Value take(json_t *value) { return Value(value); }

// nullopt when text is not JSON
inline std::optional<Value> parse(std::string_view text)
{
    json_error_t error;
    json_t *value = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &error);
    if (value == nullptr) return std::nullopt;
    return Value(value);
}

inline std::string dump(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == nullptr) return "null";
    std::string out(text);
    free(text);
    return out;
}

inline json_t *string(std::string_view text) { return json_stringn(text.data(), text.size()); }

}  // namespace analytics::json
