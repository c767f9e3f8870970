#include "stores/event_type_store.h"
#include "stores/list_query.h"

namespace analytics::event_types {
namespace {

constexpr const char *kColumns =
    "id::text, rfc3339(created_at), rfc3339(updated_at), rfc3339(archived_at), reference, name,"
    " fields::text, metadata::text, expiration_policy::text";

EventType row(const postgres::Result &rows, int i)
{
    return EventType{std::string(rows.text(i, 0)), std::string(rows.text(i, 1)), std::string(rows.text(i, 2)),
                     rows.optional_text(i, 3), std::string(rows.text(i, 4)), std::string(rows.text(i, 5)),
                     std::string(rows.text(i, 6)), std::string(rows.text(i, 7)), rows.optional_text(i, 8)};
}

}  // namespace

std::optional<std::string> order_by(const std::string &sort)
{
    static const std::map<std::string, std::string> columns = {
        {"name", "name"}, {"reference", "reference"}, {"createdAt", "created_at"}, {"updatedAt", "updated_at"}};
    auto terms = stores::sort_terms(sort, columns);
    if (!terms) return std::nullopt;
    return *terms + ", id";
}

stores::Listed<EventType> list(postgres::Connection &db, long long tenant_id, const EventTypeFilter &filter,
                               const std::string &order_terms, stores::Window window)
{
    stores::ListQuery query{
        kColumns,
        " FROM event_types WHERE tenant_id = $1 AND (archived_at IS NOT NULL) = coalesce($2::boolean, false)"
        " AND ($3::text IS NULL OR name ILIKE $3 OR reference ILIKE $3)"
        " AND ($4::text IS NULL OR fields @> jsonb_build_array(jsonb_build_object('storageKey', $4::text)))"
        " AND ($5::text IS NULL OR reference = $5)",
        order_terms};
    postgres::Param search;
    if (filter.search) search = stores::contains_pattern(*filter.search);
    return stores::fetch_listed(
        db, query, {std::to_string(tenant_id), filter.archived, search, filter.storage_key, filter.reference}, window,
        row);
}

std::optional<EventType> create(postgres::Connection &db, long long tenant_id, const std::string &reference,
                                const std::string &name, const std::string &fields_json, const std::string &metadata_json,
                                const postgres::Param &expiration_json)
{
    auto rows = postgres::unless_duplicate([&] {
        return db.exec(std::string("INSERT INTO event_types (tenant_id, reference, name, fields, metadata,"
                                   " expiration_policy) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb)"
                                   " RETURNING ") + kColumns,
                       {std::to_string(tenant_id), reference, name, fields_json, metadata_json, expiration_json});
    });
    if (!rows) return std::nullopt;
    return row(*rows, 0);
}

std::optional<EventType> find(postgres::Connection &db, long long tenant_id, const std::string &reference)
{
    auto rows = db.exec(std::string("SELECT ") + kColumns + " FROM event_types WHERE tenant_id = $1 AND reference = $2",
                        {std::to_string(tenant_id), reference});
    if (rows.rows() == 0) return std::nullopt;
    return row(rows, 0);
}

std::optional<EventType> update(postgres::Connection &db, long long tenant_id, const std::string &reference,
                                const EventTypeChanges &changes)
{
    auto rows = db.exec(std::string("UPDATE event_types SET name = coalesce($3, name), fields = coalesce($4::jsonb, fields),"
                                    " metadata = coalesce($5::jsonb, metadata),"
                                    " expiration_policy = CASE WHEN $6::boolean THEN $7::jsonb ELSE expiration_policy END,"
                                    " updated_at = now() WHERE tenant_id = $1 AND reference = $2 RETURNING ") + kColumns,
                        {std::to_string(tenant_id), reference, changes.name, changes.fields_json, changes.metadata_json,
                         std::string(changes.expiration_given ? "true" : "false"), changes.expiration_json});
    if (rows.rows() == 0) return std::nullopt;
    return row(rows, 0);
}

std::optional<EventType> set_archived(postgres::Connection &db, long long tenant_id, const std::string &reference,
                                      bool archived)
{
    auto rows = db.exec(std::string("UPDATE event_types SET archived_at = CASE WHEN $3::boolean"
                                    " THEN coalesce(archived_at, now()) END,"
                                    " updated_at = CASE WHEN (archived_at IS NOT NULL) = $3::boolean THEN updated_at"
                                    " ELSE now() END"
                                    " WHERE tenant_id = $1 AND reference = $2 RETURNING ") + kColumns,
                        {std::to_string(tenant_id), reference, std::string(archived ? "true" : "false")});
    if (rows.rows() == 0) return std::nullopt;
    return row(rows, 0);
}

std::vector<std::string> live_references(postgres::Connection &db, long long tenant_id)
{
    auto rows = db.exec("SELECT reference FROM event_types WHERE tenant_id = $1 AND archived_at IS NULL",
                        {std::to_string(tenant_id)});
    std::vector<std::string> references;
    for (int i = 0; i < rows.rows(); i++) references.emplace_back(rows.text(i, 0));
    return references;
}

std::set<std::string> identity_fields(postgres::Connection &db, long long tenant_id)
{
    auto rows = db.exec("SELECT DISTINCT f->>'storageKey' FROM event_types t, jsonb_array_elements(t.fields) f"
                        " WHERE t.tenant_id = $1 AND f->>'kind' = 'identity'",
                        {std::to_string(tenant_id)});
    std::set<std::string> keys;
    for (int i = 0; i < rows.rows(); i++) keys.emplace(rows.text(i, 0));
    return keys;
}

}  // namespace analytics::event_types
