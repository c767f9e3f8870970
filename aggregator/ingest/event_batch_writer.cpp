#include "ingest/attribution_step.h"
#include "ingest/event_batch_writer.h"
#include "ingest/interaction_rows.h"
#include "ingest/rollups.h"
#include "json.h"

#include "event_time.h"
#include "stream_entry.h"

#include <string_view>

namespace analytics::ingest {
namespace {

constexpr const char *kEventColumns =
    "tenant_id, id, received_at, kind, type, product_id, metadata, country, visitor_key, stream_id";

std::string_view reply_text(const redisReply *reply)
{
    return {reply->str, reply->len};
}

// the fields of one entry as the contract's plain pairs; names point into
// the reply, whose strings hiredis NUL-terminates
bool to_stream_entry(const redisReply *fields, analytics_stream_entry &entry)
{
    entry.count = 0;
    if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type != REDIS_REPLY_STRING
            || fields->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            return false;
        }
        analytics_stream_entry_add(&entry, fields->element[i]->str, fields->element[i + 1]->str,
                                   fields->element[i + 1]->len);
    }
    return true;
}

json::Value fields_as_json(const redisReply *fields)
{
    auto object = json::take(json_object());
    if (fields != nullptr && fields->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < fields->elements; i += 2) {
            if (fields->element[i]->type == REDIS_REPLY_STRING
                && fields->element[i + 1]->type == REDIS_REPLY_STRING)
            {
                std::string key(reply_text(fields->element[i]));
                json_object_set_new(object.get(), key.c_str(),
                                    json::string(reply_text(fields->element[i + 1])));
            }
        }
    }
    return object;
}

// nullopt for text that is not a JSON object: one bad entry must not fail the COPY
std::optional<json::Value> json_object_of(std::string_view text)
{
    auto parsed = json::parse(text);
    if (!parsed || !json_is_object(parsed->get())) return std::nullopt;
    return parsed;
}

void keep_reject(postgres::Connection &db, const std::string &stream, const std::string &stream_id,
                 const redisReply *fields, const std::string &problem)
{
    db.exec("INSERT INTO stream_rejects (stream, stream_id, fields, problem)"
            " VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING",
            {stream, stream_id, json::dump(fields_as_json(fields).get()), problem});
}

}  // namespace

void EventBatchWriter::prepare(postgres::Connection &db)
{
    db.exec("CREATE TEMP TABLE IF NOT EXISTS events_incoming"
            " (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
    // the events of this batch that were not stored before: what the
    // interactions, attributions and rollups count
    db.exec("CREATE TEMP TABLE IF NOT EXISTS events_fresh"
            " (tenant_id bigint NOT NULL, id uuid NOT NULL) ON COMMIT DELETE ROWS");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS interactions_incoming"
            " (LIKE interactions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS attributions_incoming"
            " (LIKE attributions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
}

BatchResult EventBatchWriter::write(postgres::Connection &db,
                                    const std::vector<const redisReply *> &entries)
{
    BatchResult result;
    std::string copy_rows;
    std::string interaction_rows;
    std::vector<std::pair<std::string, std::string>> rejects;  // stream id, problem
    std::vector<const redisReply *> reject_fields;
    size_t decoded = 0;

    for (const redisReply *item : entries) {
        std::string_view stream_id = reply_text(item->element[0]);
        const redisReply *fields = item->element[1];

        analytics_stream_entry entry;
        analytics_stream_event event;
        const char *problem = "fields are not string pairs";
        bool ok = to_stream_entry(fields, entry)
                  && analytics_stream_event_decode(&entry, &event, &problem) == 0;
        std::string_view kind(event.kind, event.kind_len);
        if (ok && kind != "track" && kind != "conversion" && kind != "interaction"
            && kind != "order_tracked")
        {
            ok = false;
            problem = "unknown kind";
        }
        std::optional<json::Value> metadata;
        if (ok && !(metadata = json_object_of({event.metadata, event.metadata_len}))) {
            ok = false;
            problem = "metadata is not a JSON object";
        }
        if (!ok) {
            rejects.emplace_back(std::string(stream_id), problem);
            reject_fields.push_back(fields);
            continue;
        }

        char received_at[ANALYTICS_RFC3339_MS_LEN + 1];
        analytics_time_format_rfc3339_ms(event.received_at_ms, received_at);

        postgres::CopyRow row(copy_rows);
        row.number(event.tenant_id)
            .text({event.id, event.id_len})
            .text(received_at)
            .text({event.kind, event.kind_len})
            .text({event.type, event.type_len});
        if (event.has_product_id) {
            row.number(event.product_id);
        } else {
            row.null();
        }
        row.text({event.metadata, event.metadata_len})
            .text_or_null(event.country_len == 2 ? std::string_view(event.country, 2) : "")
            .text_or_null({event.visitor, event.visitor_len})
            .text(stream_id);
        if (kind == "interaction") {
            append_interaction_row(interaction_rows, event, metadata->get());
        }
        decoded++;
    }

    postgres::Transaction tx(db);
    if (decoded > 0) {
        db.copy_in(std::string("COPY events_incoming (") + kEventColumns + ") FROM STDIN", copy_rows);
        // a conversion's event row only with the first sighting of its transaction
        auto inserted = db.exec(
            std::string("WITH new_conversions AS ("
                        " INSERT INTO conversions (tenant_id, transaction_id, event_id, received_at, occurred_at,"
                        "  event, value_minor, currency)"
                        " SELECT tenant_id, metadata->>'transaction_id', id, received_at,"
                        "  event_occurred_at(kind, metadata, received_at), type,"
                        "  event_value_minor(kind, metadata), event_currency(kind, metadata)"
                        " FROM events_incoming WHERE kind = 'conversion' AND metadata->>'transaction_id' IS NOT NULL"
                        " ON CONFLICT DO NOTHING RETURNING event_id),"
                        " inserted AS (INSERT INTO events (") + kEventColumns + ") SELECT " + kEventColumns
            + " FROM events_incoming WHERE kind <> 'conversion' OR metadata->>'transaction_id' IS NULL"
              " OR id IN (SELECT event_id FROM new_conversions) ON CONFLICT DO NOTHING RETURNING tenant_id, id)"
              " INSERT INTO events_fresh SELECT tenant_id, id FROM inserted");
        result.inserted = static_cast<size_t>(inserted.affected_rows());
        result.duplicates = decoded - result.inserted;

        if (!interaction_rows.empty()) {
            db.copy_in(std::string("COPY interactions_incoming (") + kInteractionColumns + ") FROM STDIN",
                       interaction_rows);
            result.interactions = static_cast<size_t>(
                db.exec(std::string("INSERT INTO interactions (") + kInteractionColumns + ") SELECT "
                        + kInteractionColumns + " FROM interactions_incoming i WHERE EXISTS"
                        " (SELECT 1 FROM events_fresh f WHERE f.tenant_id = i.tenant_id AND f.id = i.event_id)"
                        " ON CONFLICT DO NOTHING")
                    .affected_rows());
        }
        result.attributed = stage_attributions(db);
        roll_up_batch(db);

        // the first mark of an order, as the module granted it
        db.exec("UPDATE orders o SET tracked_at = i.received_at FROM events_incoming i"
                " WHERE i.kind = 'order_tracked' AND o.tenant_id = i.tenant_id"
                " AND o.order_session = i.metadata->>'order_session' AND o.tracked_at IS NULL");
    }
    for (size_t i = 0; i < rejects.size(); i++) {
        keep_reject(db, stream_, rejects[i].first, reject_fields[i], rejects[i].second);
    }
    result.rejected = rejects.size();
    tx.commit();
    return result;
}

void EventBatchWriter::trash(postgres::Connection &db, const redisReply *entry, const std::string &problem)
{
    keep_reject(db, stream_, std::string(reply_text(entry->element[0])), entry->element[1], problem);
}

BatchResult EventBatchWriter::write_each(postgres::Connection &db,
                                         const std::vector<const redisReply *> &entries)
{
    BatchResult total;
    for (const redisReply *entry : entries) {
        try {
            auto one = write(db, {entry});
            total.inserted += one.inserted;
            total.duplicates += one.duplicates;
            total.rejected += one.rejected;
            total.interactions += one.interactions;
            total.attributed += one.attributed;
        } catch (const postgres::Error &e) {
            if (e.is_connection_failure() || !db.ok()) {
                throw;
            }
            postgres::Transaction tx(db);
            trash(db, entry, std::string("PostgreSQL refused the entry: ") + e.what());
            tx.commit();
            total.rejected++;
        }
    }
    return total;
}

}  // namespace analytics::ingest
