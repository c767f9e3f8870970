// Text split at a separator, empty pieces left out: a path at '/', a list
// option at ','; text without the white space around it; a list option.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace analytics {

inline std::string_view trimmed(std::string_view text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

inline std::vector<std::string> split_nonempty(std::string_view text, char separator)
{
    std::vector<std::string> pieces;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(separator, start);
        if (end == std::string_view::npos) end = text.size();
        if (end > start) pieces.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return pieces;
}

// a comma-separated list option: each piece trimmed, empty ones left out
inline std::vector<std::string> list_option(std::string_view text)
{
    std::vector<std::string> items;
    for (const auto &piece : split_nonempty(text, ',')) {
        if (auto item = trimmed(piece); !item.empty()) items.emplace_back(item);
    }
    return items;
}

}  // namespace analytics
