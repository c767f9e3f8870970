#include "stores/report_store.h"

#include "event_time.h"

#include <algorithm>

namespace analytics::reports {
namespace {

const char *column_of(Dimension dimension)
{
    switch (dimension) {
    case Dimension::source: return "source";
    case Dimension::medium: return "medium";
    case Dimension::campaign: return "campaign";
    }
    return "campaign";
}

std::vector<postgres::Param> window_params(const ReportWindow &window)
{
    return {std::to_string(window.tenant_id), window.from, window.to, window.country, window.first_day, window.days_end};
}

// SELECT select FROM the daily rollup over the window's whole days and the
// hourly one over its edge hours; where adds to both (after the window's $1
// to $6). The edges are two ranges, so in UTC both index scans are empty.
std::string from_rollups(const std::string &select, const std::string &rollup, const std::string &where)
{
    return "SELECT " + select + " FROM " + rollup + "_daily WHERE tenant_id = $1"
           " AND day >= ($5::timestamptz AT TIME ZONE 'UTC')::date AND day < ($6::timestamptz AT TIME ZONE 'UTC')::date"
           " AND ($4 = '' OR country = $4)" + where +
           " UNION ALL SELECT " + select + " FROM " + rollup + "_hourly WHERE tenant_id = $1"
           " AND ((hour >= $2::timestamptz AND hour < $5::timestamptz) OR (hour >= $6::timestamptz AND hour < $3::timestamptz))"
           " AND ($4 = '' OR country = $4)" + where;
}

std::vector<KeyCount> key_counts(const postgres::Result &rows)
{
    std::vector<KeyCount> found;
    for (int i = 0; i < rows.rows(); i++) found.push_back(KeyCount{std::string(rows.text(i, 0)), rows.integer(i, 1)});
    return found;
}

}  // namespace

int64_t floor_to(int64_t ms, int64_t unit)
{
    return ms - ((ms % unit) + unit) % unit;
}

std::string rfc3339(int64_t ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(ms, text);
    return text;
}

ReportWindow report_window(long long tenant_id, int64_t from_ms, int64_t to_ms, const std::string &country)
{
    // an edge inside an hour (a zone half an hour off UTC) takes the hour
    int64_t low = floor_to(from_ms, kHourMs);
    int64_t first_day = floor_to(low + kDayMs - 1, kDayMs);
    int64_t days_end = std::max(first_day, floor_to(to_ms, kDayMs));
    return ReportWindow{tenant_id, rfc3339(low), rfc3339(to_ms), rfc3339(first_day), rfc3339(days_end), country};
}

std::vector<KeyCount> interactions(postgres::Connection &db, const ReportWindow &window, Dimension dimension)
{
    std::string column = column_of(dimension);
    return key_counts(db.exec("SELECT " + column + ", sum(interactions)::bigint FROM ("
                                  + from_rollups(column + ", interactions", "rollup_interactions", "") + ") r GROUP BY 1",
                              window_params(window)));
}

std::vector<KeyCredit> credits(postgres::Connection &db, const ReportWindow &window, Dimension dimension,
                               const std::vector<std::string> &event_types)
{
    auto params = window_params(window);
    params.push_back(postgres::text_array_literal(event_types));
    std::string column = column_of(dimension);
    auto rows = db.exec("SELECT " + column + ", event_type, sum(credit_micros)::bigint FROM ("
                            + from_rollups(column + ", event_type, credit_micros", "rollup_attributed",
                                           " AND event_type = ANY($7::text[])")
                            + ") r GROUP BY 1, 2",
                        params);
    std::vector<KeyCredit> found;
    for (int i = 0; i < rows.rows(); i++) {
        found.push_back(KeyCredit{std::string(rows.text(i, 0)), std::string(rows.text(i, 1)), rows.integer(i, 2)});
    }
    return found;
}

std::vector<CampaignCost> outlay_costs(postgres::Connection &db, const ReportWindow &window)
{
    auto rows = db.exec(
        "SELECT c.campaign_slug, g.currency, sum(o.amount * extract(epoch FROM least(o.end_date, $3::timestamptz)"
        " - greatest(o.start_date, $2::timestamptz)) / extract(epoch FROM o.end_date - o.start_date))::float8"
        " FROM custom_ads_outlays o JOIN custom_ads_campaigns c ON c.tenant_id = o.tenant_id AND c.id = o.campaign_id"
        " JOIN custom_ads_integrations g ON g.tenant_id = c.tenant_id AND g.id = c.integration_id"
        " WHERE o.tenant_id = $1 AND o.deleted_at IS NULL AND o.start_date < $3 AND o.end_date > $2"
        " AND ($4 = '' OR o.country IS NULL OR upper(o.country) = $4) GROUP BY 1, 2",
        {std::to_string(window.tenant_id), window.from, window.to, window.country});
    std::vector<CampaignCost> found;
    for (int i = 0; i < rows.rows(); i++) {
        found.push_back(CampaignCost{std::string(rows.text(i, 0)), std::string(rows.text(i, 1)),
                                     std::stod(std::string(rows.text(i, 2)))});
    }
    return found;
}

std::vector<KeyCount> revenue_minor(postgres::Connection &db, const ReportWindow &window, Dimension dimension,
                                    const std::string &currency)
{
    auto params = window_params(window);
    params.push_back(currency);
    std::string column = column_of(dimension);
    return key_counts(db.exec("SELECT " + column + ", sum(value_minor)::bigint FROM ("
                                  + from_rollups(column + ", value_minor", "rollup_attributed", " AND currency = $7")
                                  + ") r GROUP BY 1",
                              params));
}

std::vector<MetricDay> metric_days(postgres::Connection &db, const MetricWindow &window,
                                   const std::vector<std::string> &metrics, const std::vector<std::string> &types,
                                   bool per_type)
{
    std::vector<postgres::Param> params = {std::to_string(window.tenant_id), window.low, window.until, window.first_day,
                                           window.days_end, postgres::text_array_literal(metrics), window.zone};
    std::string type_filter;
    if (!types.empty()) {
        params.push_back(postgres::text_array_literal(types));
        type_filter = " AND event_type = ANY($8::text[])";
    }
    // the rows as they are, each with its UTC day: the caller groups them
    // into intervals, which leaves PostgreSQL two index scans to plan and run
    const std::string type_column = per_type ? "event_type" : "''";
    auto rows = db.exec(
        "SELECT day - DATE '1970-01-01', " + type_column + ", metric, value FROM project_metrics_daily"
        " WHERE tenant_id = $1 AND day >= ($4::timestamptz AT TIME ZONE 'UTC')::date"
        " AND day < ($5::timestamptz AT TIME ZONE 'UTC')::date AND metric = ANY($6::text[])" + type_filter +
        " UNION ALL SELECT (hour AT TIME ZONE $7)::date - DATE '1970-01-01', " + type_column + ", metric, value"
        " FROM project_metrics_hourly"
        " WHERE tenant_id = $1 AND hour >= $2::timestamptz AND hour <= $3::timestamptz"
        " AND (hour < $4::timestamptz OR hour >= $5::timestamptz) AND metric = ANY($6::text[])" + type_filter,
        params);
    std::vector<MetricDay> found;
    found.reserve(static_cast<size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); i++) {
        found.push_back(MetricDay{rows.integer(i, 0), std::string(rows.text(i, 1)), std::string(rows.text(i, 2)),
                                  std::strtod(std::string(rows.text(i, 3)).c_str(), nullptr)});
    }
    return found;
}

}  // namespace analytics::reports
