#include "ingest/rollups.h"

namespace analytics::ingest {

void roll_up_batch(postgres::Connection &db)
{
    db.exec("INSERT INTO rollup_events_hourly AS r"
            " (tenant_id, hour, event_type, country, currency, events, value_minor)"
            " SELECT e.tenant_id, date_trunc('hour', event_occurred_at(e.kind, e.metadata, e.received_at), 'UTC'),"
            "  e.type, coalesce(e.country, ''), event_currency(e.kind, e.metadata), count(*),"
            "  sum(event_value_minor(e.kind, e.metadata))"
            " FROM events_incoming e JOIN events_fresh f ON f.tenant_id = e.tenant_id AND f.id = e.id"
            " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
            " ON CONFLICT (tenant_id, hour, event_type, country, currency) DO UPDATE"
            " SET events = r.events + excluded.events, value_minor = r.value_minor + excluded.value_minor");

    db.exec("INSERT INTO rollup_interactions_hourly AS r"
            " (tenant_id, hour, source, medium, campaign, country, interactions)"
            " SELECT i.tenant_id, date_trunc('hour', i.occurred_at, 'UTC'), i.source, i.medium, i.campaign,"
            "  i.country, count(*)"
            " FROM interactions_incoming i JOIN events_fresh f ON f.tenant_id = i.tenant_id AND f.id = i.event_id"
            " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
            " ON CONFLICT (tenant_id, hour, source, medium, campaign, country) DO UPDATE"
            " SET interactions = r.interactions + excluded.interactions");

    db.exec("INSERT INTO attributions SELECT * FROM attributions_incoming ON CONFLICT DO NOTHING");
    db.exec("INSERT INTO rollup_attributed_hourly AS r"
            " (tenant_id, hour, event_type, source, medium, campaign, country, currency, credit_micros, value_minor)"
            " SELECT tenant_id, date_trunc('hour', occurred_at, 'UTC'), event_type, source, medium, campaign,"
            "  country, currency, sum(credit_micros), sum(value_minor)"
            " FROM attributions_incoming"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
            " ON CONFLICT (tenant_id, hour, event_type, source, medium, campaign, country, currency) DO UPDATE"
            " SET credit_micros = r.credit_micros + excluded.credit_micros,"
            "  value_minor = r.value_minor + excluded.value_minor");
}

}  // namespace analytics::ingest
