// What the reports read: the daily rollups of interactions and attributed
// events per source, medium or campaign (the funnel report), custom-ads
// outlays spread over a range, and the project metrics rollups (insights).
// Reports read rollups only, never the events themselves.
#pragma once

#include "postgres/connection.h"

#include <cstdint>
#include <string>
#include <vector>

namespace analytics::reports {

enum class Dimension { source, medium, campaign };

constexpr int64_t kHourMs = 3600 * 1000, kDayMs = 24 * kHourMs;

// ms rounded down to a whole unit (an hour, a day), before 1970 too
int64_t floor_to(int64_t ms, int64_t unit);
// 2024-03-01T00:00:00.000Z
std::string rfc3339(int64_t ms);

// [from, to) of one tenant, in one country or ("") all: the whole UTC days
// [first_day, days_end) from the daily rollups, the hours of [from, to)
// outside them from the hourly ones (a range in the tenant's time zone
// starts and ends inside UTC days; in UTC the hours are none)
struct ReportWindow {
    long long tenant_id = 0;
    std::string from, to;                 // RFC 3339; from on a whole hour
    std::string first_day, days_end;      // UTC midnights, first_day <= days_end
    std::string country;                  // upper case
};

// the window of [from_ms, to_ms) as the rollups hold it
ReportWindow report_window(long long tenant_id, int64_t from_ms, int64_t to_ms, const std::string &country);

struct KeyCount {
    std::string key;   // the dimension's value, "" when not set
    long long count = 0;
};

struct KeyCredit {
    std::string key;
    std::string event_type;
    long long micros = 0;   // attributed credit in millionths of an event
};

struct CampaignCost {
    std::string campaign_slug;
    std::string currency;
    double amount = 0;   // the share of its outlays' periods the window covers
};

std::vector<KeyCount> interactions(postgres::Connection &db, const ReportWindow &window, Dimension dimension);
std::vector<KeyCredit> credits(postgres::Connection &db, const ReportWindow &window, Dimension dimension,
                               const std::vector<std::string> &event_types);
// an outlay with another country than the window's does not count; one with none always does
std::vector<CampaignCost> outlay_costs(postgres::Connection &db, const ReportWindow &window);
// attributed value in currency's minor units
std::vector<KeyCount> revenue_minor(postgres::Connection &db, const ReportWindow &window, Dimension dimension,
                                    const std::string &currency);

// one project metrics rollup row, by its day in the window's zone (days
// since 1970-01-01)
struct MetricDay {
    int64_t day = 0;
    std::string event_type;   // "" unless asked per type
    std::string metric;
    double value = 0;
};

// a range read from both rollups: whole days [first_day, days_end) from the
// daily one, the hours in [low, until] outside them from the hourly one
struct MetricWindow {
    long long tenant_id = 0;
    std::string low, until, first_day, days_end;   // RFC 3339
    // whose days the hourly rows are counted in; in another zone than UTC
    // the daily rollup cannot be used, so first_day == days_end
    std::string zone = "UTC";
};

// types empty: every type
std::vector<MetricDay> metric_days(postgres::Connection &db, const MetricWindow &window,
                                   const std::vector<std::string> &metrics, const std::vector<std::string> &types,
                                   bool per_type);

}  // namespace analytics::reports
