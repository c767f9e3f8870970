#include "stores/list_query.h"

namespace analytics::stores {

std::string ListQuery::count_sql() const
{
    return "SELECT count(*)" + from_where;
}

std::string ListQuery::page_sql(size_t filter_params) const
{
    return "SELECT " + columns + from_where + " ORDER BY " + order_by + " OFFSET $" + std::to_string(filter_params + 1)
           + " LIMIT $" + std::to_string(filter_params + 2);
}

PageOfRows fetch_page(postgres::Connection &db, const ListQuery &query, std::vector<postgres::Param> filters,
                      Window window)
{
    long long total = db.exec(query.count_sql(), filters).integer(0, 0);
    size_t filter_params = filters.size();
    filters.push_back(std::to_string(window.offset));
    filters.push_back(std::to_string(window.limit));
    return PageOfRows{total, db.exec(query.page_sql(filter_params), filters)};
}

std::optional<std::string> sort_terms(std::string_view sort, const std::map<std::string, std::string> &columns)
{
    std::string terms;
    size_t start = 0;
    for (;;) {
        size_t comma = sort.find(',', start);
        std::string_view field = sort.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        bool descending = field.starts_with('-');
        if (descending) field.remove_prefix(1);
        auto column = columns.find(std::string(field));
        if (column == columns.end()) return std::nullopt;
        terms += (terms.empty() ? "" : ", ") + column->second + (descending ? " DESC" : " ASC");
        if (comma == std::string_view::npos) return terms;
        start = comma + 1;
    }
}

std::string contains_pattern(std::string_view text)
{
    std::string pattern = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
    }
    return pattern + "%";
}

}  // namespace analytics::stores
