#include "stores/time_zone_store.h"

namespace analytics::time_zones {
namespace {

std::string bigint_array(const std::vector<int64_t> &values)
{
    std::string literal = "{";
    for (size_t i = 0; i < values.size(); i++) {
        if (i > 0) literal += ',';
        literal += std::to_string(values[i]);
    }
    return literal + "}";
}

std::vector<int64_t> each(postgres::Connection &db, const std::string &sql, const std::string &zone,
                          const std::vector<int64_t> &values)
{
    auto rows = db.exec(sql, {zone, bigint_array(values)});
    std::vector<int64_t> out;
    out.reserve(values.size());
    for (int i = 0; i < rows.rows(); i++) out.push_back(rows.integer(i, 0));
    return out;
}

}  // namespace

bool is_utc(const std::string &zone)
{
    return zone == "UTC" || zone == "Etc/UTC";
}

int64_t wall_now_ms(postgres::Connection &db, const std::string &zone)
{
    return db.exec("SELECT round(extract(epoch FROM now() AT TIME ZONE $1) * 1000)::bigint", {zone}).integer(0, 0);
}

std::vector<int64_t> instants_of(postgres::Connection &db, const std::string &zone, const std::vector<int64_t> &walls)
{
    if (is_utc(zone)) return walls;
    return each(db,
                "SELECT round(extract(epoch FROM (to_timestamp(w::float8 / 1000) AT TIME ZONE 'UTC') AT TIME ZONE $1)"
                " * 1000)::bigint FROM unnest($2::bigint[]) WITH ORDINALITY AS u (w, n) ORDER BY n",
                zone, walls);
}

std::vector<int64_t> walls_of(postgres::Connection &db, const std::string &zone, const std::vector<int64_t> &instants)
{
    if (is_utc(zone)) return instants;
    return each(db,
                "SELECT round(extract(epoch FROM to_timestamp(i::float8 / 1000) AT TIME ZONE $1) * 1000)::bigint"
                " FROM unnest($2::bigint[]) WITH ORDINALITY AS u (i, n) ORDER BY n",
                zone, instants);
}

}  // namespace analytics::time_zones
