// One page of a filtered list: the total and the page's rows, from one
// " FROM ... WHERE ..." text written once for both statements. The SQL is
// built by pure functions (unit-tested in tests/unit/test_list_query.cpp);
// fetch_page runs it.
#pragma once

#include "postgres/connection.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::stores {

struct ListQuery {
    std::string columns;      // the SELECT list of one row
    std::string from_where;   // " FROM t WHERE ..." over the filter parameters $1..$n
    std::string order_by;     // ORDER BY terms, ending in a unique column so pages never overlap

    std::string count_sql() const;
    // OFFSET and LIMIT are the two parameters after the filter_params filters
    std::string page_sql(size_t filter_params) const;
};

// the rows a page holds: skip offset, return at most limit
struct Window {
    long long offset = 0;
    long long limit = 20;
};

struct PageOfRows {
    long long total = 0;
    postgres::Result rows;
};

PageOfRows fetch_page(postgres::Connection &db, const ListQuery &query, std::vector<postgres::Param> filters,
                      Window window);

// a page of a list as a store returns it: every row the filter matches
// counts in total, rows holds the window's
template <typename Row>
struct Listed {
    long long total = 0;
    std::vector<Row> rows;
};

// fetch_page with each row made by row_of(result, row number)
template <typename RowOf>
auto fetch_listed(postgres::Connection &db, const ListQuery &query, std::vector<postgres::Param> filters,
                  Window window, RowOf row_of)
{
    auto page = fetch_page(db, query, std::move(filters), window);
    Listed<decltype(row_of(page.rows, 0))> listed{page.total, {}};
    for (int i = 0; i < page.rows.rows(); i++) listed.rows.push_back(row_of(page.rows, i));
    return listed;
}

// "name,-createdAt" as ORDER BY terms over columns (the API's field name to
// its column), each ASC or, with a leading -, DESC; nullopt for a field
// columns lacks or an empty one
std::optional<std::string> sort_terms(std::string_view sort, const std::map<std::string, std::string> &columns);

// an ILIKE pattern matching text anywhere, its %, _ and \ taken literally
std::string contains_pattern(std::string_view text);

}  // namespace analytics::stores
