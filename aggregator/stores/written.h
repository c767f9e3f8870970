// What a store's change did when it can find no row or meet a unique
// constraint: routes answer 404 and 409 from it without catching anything.
#pragma once

#include <optional>

namespace analytics::stores {

enum class Outcome { written, not_found, duplicate };

template <typename Row>
struct Written {
    Outcome outcome = Outcome::not_found;
    std::optional<Row> row;   // set when written

    static Written of(std::optional<std::optional<Row>> attempt)
    {
        if (!attempt) return {Outcome::duplicate, std::nullopt};
        if (!*attempt) return {Outcome::not_found, std::nullopt};
        return {Outcome::written, std::move(**attempt)};
    }
};

}  // namespace analytics::stores
