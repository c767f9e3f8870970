#include "stores/raw_event_store.h"
#include "stores/list_query.h"

namespace analytics::raw_events {
namespace {

constexpr const char *kRawColumns = "r.id::text, r.nonce, rfc3339(r.received_at), r.body::text";

RawEvent raw_row(const postgres::Result &rows, int i)
{
    return RawEvent{std::string(rows.text(i, 0)), rows.optional_text(i, 1), std::string(rows.text(i, 2)),
                    std::string(rows.text(i, 3))};
}

}  // namespace

std::optional<RawEvent> find(postgres::Connection &db, long long tenant_id, const std::string &id)
{
    auto rows = db.exec(std::string("SELECT ") + kRawColumns + " FROM raw_events r WHERE r.tenant_id = $1 AND r.id = $2",
                        {std::to_string(tenant_id), id});
    if (rows.rows() == 0) return std::nullopt;
    return raw_row(rows, 0);
}

std::optional<std::string> id_of_nonce(postgres::Connection &db, long long tenant_id, const std::string &nonce)
{
    auto rows = db.exec("SELECT id::text FROM raw_events WHERE tenant_id = $1 AND nonce = $2",
                        {std::to_string(tenant_id), nonce});
    if (rows.rows() != 1) return std::nullopt;
    return std::string(rows.text(0, 0));
}

stores::Listed<TrashedEvent> trashed(postgres::Connection &db, long long tenant_id, const postgres::Param &since,
                                     const postgres::Param &until, stores::Window window)
{
    stores::ListQuery query{std::string(kRawColumns) + ", t.errors::text, rfc3339(t.trashed_at)",
                            " FROM trashed_events t JOIN raw_events r USING (tenant_id, id) WHERE t.tenant_id = $1"
                            " AND ($2::timestamptz IS NULL OR t.received_at >= $2)"
                            " AND ($3::timestamptz IS NULL OR t.received_at <= $3)",
                            "t.received_at DESC, t.id"};
    return stores::fetch_listed(db, query, {std::to_string(tenant_id), since, until}, window,
                                [](const postgres::Result &rows, int i) {
                                    return TrashedEvent{raw_row(rows, i), std::string(rows.text(i, 4)),
                                                        std::string(rows.text(i, 5))};
                                });
}

}  // namespace analytics::raw_events
