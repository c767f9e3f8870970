#include "ingest/event_batch_writer.h"
#include "ingest/attribution_step.h"
#include "ingest/copy_rows.h"
#include "ingest/incoming_event.h"
#include "ingest/project_events.h"
#include "ingest/rollups.h"
#include "json.h"

#include "event_time.h"

#include <chrono>
#include <string_view>
#include <unordered_map>

namespace analytics::ingest {
namespace {

bool has_transaction(const IncomingEvent &event)
{
    return event.kind() == ANALYTICS_EVENT_KIND_CONVERSION && !event.transaction_id.empty();
}

// Fast path: every event is new (no redelivery, no repeated transaction),
// so the rows go straight into their tables by COPY. False, with the
// transaction as it was before, when a unique key says otherwise.
bool copy_all_new(postgres::Connection &db, const std::string &event_rows, const std::string &conversion_rows)
{
    db.exec("SAVEPOINT copy_all_new");
    try {
        if (!conversion_rows.empty()) {
            db.copy_in_binary(std::string("COPY conversions (") + kConversionColumns + ") FROM STDIN", conversion_rows);
        }
        db.copy_in_binary(std::string("COPY events (") + kEventColumns + ") FROM STDIN", event_rows);
    } catch (const postgres::Error &e) {
        if (!e.is_unique_violation()) throw;
        db.exec("ROLLBACK TO SAVEPOINT copy_all_new");
        return false;
    }
    db.exec("RELEASE SAVEPOINT copy_all_new");
    return true;
}

// Slow path: staged, then inserted with ON CONFLICT DO NOTHING; a
// conversion's event row only with the first sighting of its transaction.
// Returns the events inserted now, each once.
std::vector<const IncomingEvent *> insert_new_only(postgres::Connection &db, const std::vector<IncomingEvent> &events,
                                                   const std::string &event_rows, const std::string &conversion_rows)
{
    db.copy_in_binary(std::string("COPY events_incoming (") + kEventColumns + ") FROM STDIN", event_rows);
    if (!conversion_rows.empty()) {
        db.copy_in_binary(std::string("COPY conversions_incoming (") + kConversionColumns + ") FROM STDIN",
                   conversion_rows);
    }
    auto inserted = db.exec(
        std::string("WITH new_conversions AS ("
                    " INSERT INTO conversions SELECT * FROM conversions_incoming ON CONFLICT DO NOTHING"
                    " RETURNING event_id)"
                    " INSERT INTO events (") + kEventColumns + ") SELECT " + kEventColumns
        + " FROM events_incoming e WHERE NOT EXISTS (SELECT 1 FROM conversions_incoming c WHERE c.event_id = e.id)"
          " OR id IN (SELECT event_id FROM new_conversions) ON CONFLICT DO NOTHING RETURNING tenant_id, id");
    db.exec("TRUNCATE events_incoming, conversions_incoming");

    // an id inserted once is counted once, even if the batch held it twice
    std::unordered_map<std::string, int64_t> new_ids;
    for (int row = 0; row < inserted.rows(); row++) {
        new_ids.emplace(std::string(inserted.text(row, 1)), inserted.integer(row, 0));
    }
    std::vector<const IncomingEvent *> fresh;
    for (const auto &event : events) {
        auto found = new_ids.find(std::string(event.id()));
        if (found != new_ids.end() && found->second == event.fields.tenant_id) {
            fresh.push_back(&event);
            new_ids.erase(found);
        }
    }
    return fresh;
}

// the first time of each step of the token's subject, and the subject's
// latest domain path and early close
void record_onboarding(postgres::Connection &db, const IncomingEvent &event)
{
    char received_at[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(event.fields.received_at_ms, received_at);
    std::string tenant = std::to_string(event.fields.tenant_id);
    for (const auto &step : event.steps) {
        db.exec("INSERT INTO onboarding_steps (tenant_id, subject, step, first_at, event_id)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                {tenant, event.subject, step, std::string(received_at), std::string(event.id())});
    }
    postgres::Param path;
    if (!event.domain_path.empty()) path = event.domain_path;
    postgres::Param closed;
    if (event.closed_early) closed = *event.closed_early ? "true" : "false";
    db.exec("INSERT INTO onboarding_subjects AS o (tenant_id, subject, domain_path, closed_early, updated_at)"
            " VALUES ($1, $2, $3, $4::boolean, $5)"
            " ON CONFLICT (tenant_id, subject) DO UPDATE SET domain_path = coalesce(excluded.domain_path, o.domain_path),"
            " closed_early = coalesce(excluded.closed_early, o.closed_early),"
            " updated_at = greatest(o.updated_at, excluded.updated_at)",
            {tenant, event.subject, path, closed, std::string(received_at)});
}

// a custom-ads slug that traffic names and nobody declared becomes an
// implicit campaign of its integration (when the integration exists)
void record_implicit_campaigns(postgres::Connection &db, const std::vector<const IncomingEvent *> &fresh)
{
    std::vector<std::string> tenants, wmkt_ids, slugs;
    for (const auto *event : fresh) {
        if (event->is_interaction && event->source.wmkt_id[0] != '\0' && event->source.campaign_slug[0] != '\0') {
            tenants.push_back(std::to_string(event->fields.tenant_id));
            wmkt_ids.emplace_back(event->source.wmkt_id);
            slugs.emplace_back(event->source.campaign_slug);
        }
    }
    if (slugs.empty()) return;
    db.exec("INSERT INTO custom_ads_campaigns (tenant_id, integration_id, campaign_slug, name, explicit)"
            " SELECT DISTINCT g.tenant_id, g.id, t.slug, t.slug, false"
            " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t (tenant_id, wmkt_id, slug)"
            " JOIN custom_ads_integrations g ON g.tenant_id = t.tenant_id AND g.wmkt_id = t.wmkt_id"
            " ON CONFLICT (tenant_id, integration_id, campaign_slug) DO NOTHING",
            {postgres::text_array_literal(tenants), postgres::text_array_literal(wmkt_ids),
             postgres::text_array_literal(slugs)});
}

}  // namespace

void EventBatchWriter::prepare(postgres::Connection &db)
{
    db.exec("CREATE TEMP TABLE IF NOT EXISTS events_incoming"
            " (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS conversions_incoming (LIKE conversions) ON COMMIT DELETE ROWS");
    prepare_project_events(db);
}

BatchResult EventBatchWriter::write(postgres::Connection &db, std::vector<IncomingEvent> events,
                                    const std::vector<Reject> &rejects)
{
    BatchResult result;
    postgres::Transaction tx(db);
    // Webmarketer events first: raw once per nonce, the invalid to the trash
    result.trashed = admit_project_events(db, events);
    if (!events.empty()) {
        std::vector<const IncomingEvent *> fresh;
        // the same rows serve both paths: COPY text of events and of new transactions
        std::string event_rows, conversion_rows;
        for (const auto &event : events) {
            append_event_row(event_rows, event);
            if (has_transaction(event)) append_conversion_row(conversion_rows, event);
        }
        if (copy_all_new(db, event_rows, conversion_rows)) {
            for (const auto &event : events) fresh.push_back(&event);
        } else {
            fresh = insert_new_only(db, events, event_rows, conversion_rows);
        }
        result.inserted = fresh.size();
        result.duplicates = events.size() - fresh.size();

        RollupAccumulator rollups;
        std::string interaction_rows;
        std::vector<const IncomingEvent *> attributable, touches;
        for (const auto *event : fresh) {
            rollups.add_event(*event);
            if (event->is_interaction) {
                append_interaction_row(interaction_rows, *event);
                touches.push_back(event);
                rollups.add_interaction(*event);
                result.interactions++;
            } else if (event->kind() == ANALYTICS_EVENT_KIND_FUNNEL_STEP) {
                record_onboarding(db, *event);
            } else {
                attributable.push_back(event);
            }
            // the first mark of an order, as the module granted it
            if (event->kind() == ANALYTICS_EVENT_KIND_ORDER_TRACKED && !event->order_session.empty()) {
                char received_at[ANALYTICS_RFC3339_MS_LEN + 1];
                analytics_time_format_rfc3339_ms(event->fields.received_at_ms, received_at);
                db.exec("UPDATE orders SET tracked_at = $3::timestamptz"
                        " WHERE tenant_id = $1 AND order_session = $2 AND tracked_at IS NULL",
                        {std::to_string(event->fields.tenant_id), event->order_session, std::string(received_at)});
            }
        }
        // the batch's interactions first: its other events may be attributed
        // to them, and so may events stored before them
        if (!interaction_rows.empty()) {
            db.copy_in_binary(std::string("COPY interactions (") + kInteractionColumns + ") FROM STDIN", interaction_rows);
            record_implicit_campaigns(db, fresh);
        }
        if (!touches.empty() || !attributable.empty()) {
            auto asked = std::chrono::steady_clock::now();
            take_attribution_lock(db, fresh);
            result.lock_wait_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - asked).count());
        }
        if (!touches.empty()) result.attributed += reattribute_reached_events(db, touches, rollups);
        result.attributed += attribute_events(db, attributable, rollups);
        rollups.write(db);
    }
    keep_rejects(db, rejects);
    result.rejected = rejects.size();
    tx.commit();
    return result;
}

void EventBatchWriter::keep_rejects(postgres::Connection &db, const std::vector<Reject> &rejects)
{
    for (const auto &reject : rejects) {
        db.exec("INSERT INTO stream_rejects (stream, stream_id, fields, problem)"
                " VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING",
                {stream_, reject.stream_id, reject.fields_json, reject.problem});
    }
}

}  // namespace analytics::ingest
