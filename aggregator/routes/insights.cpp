// POST /api/v1/projects/{projectId}/events/insights (webmarketer-api): the
// requested metrics per date interval, for the project or per event type,
// from the project_metrics rollups (never the events themselves). Metrics:
// event-count, statistic keys (summed current values), state keys (events
// whose current value is 1); an unknown key is 0. Every interval of the
// range is answered, empty ones with zeros, so a graph needs no gap filling.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/event_type_store.h"
#include "stores/report_store.h"
#include "stores/time_zone_store.h"

#include "event_time.h"
#include "insight_interval.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace analytics::routes {
namespace {

constexpr long long kMaxIntervals = 10000;
constexpr int64_t kHour = reports::kHourMs, kDay = reports::kDayMs;
using reports::floor_to;
using reports::rfc3339;

std::vector<std::string> strings_of(json_t *array, const char *name, bool required)
{
    std::vector<std::string> out;
    if (array == nullptr || json_is_null(array)) {
        if (required) http::refuse(400, std::string(name) + " must be a non-empty array of strings");
        return out;
    }
    if (!json_is_array(array) || json_array_size(array) > 100 || (required && json_array_size(array) == 0)) {
        http::refuse(400, std::string(name) + (required ? " must be a non-empty array of strings"
                                                                         : " must be an array of event type references"));
    }
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item) {
        if (!json_is_string(item) || json_string_length(item) == 0 || json_string_length(item) > 200) {
            http::refuse(400, std::string(name) + "[" + std::to_string(i) + "] must be a non-empty string");
        }
        out.emplace_back(json_string_value(item));
    }
    return out;
}

// a whole number as an integer (counts are), anything else as a real
json_t *number(double value)
{
    if (std::nearbyint(value) == value && std::fabs(value) < 9007199254740992.0) {
        return json_integer(static_cast<json_int_t>(value));
    }
    return json_real(value);
}

struct InsightRequest {
    std::string since, until;   // RFC 3339
    int64_t since_ms = 0, until_ms = 0;
    std::vector<std::string> metrics;
    bool per_type = false;      // groupBy event-type
    analytics_interval interval = ANALYTICS_INTERVAL_DAY;
    std::vector<std::string> types;   // filter; empty: every type
};

// the body, checked; or the 400 naming the first field wrong
InsightRequest insight_request_of(json_t *body)
{
    InsightRequest asked;
    auto since = rfc3339_instant(json_object_get(body, "since"));
    if (!since) http::refuse(400, "since must be an RFC 3339 date-time");
    auto until = rfc3339_instant(json_object_get(body, "until"));
    if (!until) http::refuse(400, "until must be an RFC 3339 date-time");
    if (*since > *until) http::refuse(400, "since must not be after until");
    asked.since = *since;
    asked.until = *until;
    analytics_time_parse_iso8601(since->data(), since->size(), &asked.since_ms);
    analytics_time_parse_iso8601(until->data(), until->size(), &asked.until_ms);
    auto metrics = strings_of(json_object_get(body, "metrics"), "metrics", true);
    asked.metrics = std::move(metrics);
    json_t *group_by = json_object_get(body, "groupBy");
    std::string breakdown = json_is_string(group_by) ? json_string_value(group_by) : "";
    if (breakdown != "project" && breakdown != "event-type") {
        http::refuse(400, "groupBy must be project or event-type");
    }
    asked.per_type = breakdown == "event-type";
    json_t *interval_name = json_object_get(body, "interval");
    if (!json_is_string(interval_name)
        || analytics_interval_parse(json_string_value(interval_name), json_string_length(interval_name), &asked.interval) != 0)
    {
        http::refuse(400, "interval must be one of day, week, month, quarter, semester, year, dayOfWeek,"
                                         " dayOfMonth, dayOfYear, weekOfYear, monthOfYear, quarterOfYear, semesterOfYear");
    }
    auto filter = strings_of(json_object_get(body, "filter"), "filter", false);
    asked.types = std::move(filter);
    return asked;
}

// every interval of the range, the one since falls in first: a linear
// one's buckets are their first days, until the one after until; nullopt
// past kMaxIntervals
std::optional<std::vector<int64_t>> buckets_of(const InsightRequest &asked)
{
    std::vector<int64_t> buckets;
    if (!analytics_interval_is_linear(asked.interval)) {
        int first = 0, last = 0;
        analytics_interval_ordinals(asked.interval, &first, &last);
        for (int i = first; i <= last; i++) buckets.push_back(i);
        return buckets;
    }
    for (int64_t start = analytics_interval_bucket(asked.interval, floor_to(asked.since_ms, kDay) / kDay);
         start * kDay <= asked.until_ms; start = analytics_interval_next(asked.interval, start))
    {
        if (buckets.size() == static_cast<size_t>(kMaxIntervals)) return std::nullopt;
        buckets.push_back(start);
    }
    return buckets;
}

// the range as the rollups hold it: whole UTC days from the daily one, the
// hours at its edges from the hourly one (hours whose start is in
// [since's hour, until] count)
reports::MetricWindow window_of(long long tenant_id, const InsightRequest &asked, const std::string &zone)
{
    int64_t low = floor_to(asked.since_ms, kHour);
    if (!time_zones::is_utc(zone)) {
        // a UTC day of the daily rollup spans two of the zone's days: hours only
        return reports::MetricWindow{tenant_id, rfc3339(low), asked.until, rfc3339(low), rfc3339(low), zone};
    }
    int64_t first_day = floor_to(low + kDay - 1, kDay);                        // the first day wholly in the range
    int64_t days_end = floor_to(floor_to(asked.until_ms, kHour) + kHour, kDay);   // the end of the last such day
    if (days_end < first_day) days_end = first_day;
    return reports::MetricWindow{tenant_id, rfc3339(low), asked.until, rfc3339(first_day), rfc3339(days_end), zone};
}

// each linear bucket's first moment, its local midnight, with the zone's
// offset then (2024-03-31T00:00:00.000+01:00); Z in UTC
std::vector<std::string> bucket_labels(postgres::Connection &db, const std::string &zone, const std::vector<int64_t> &buckets)
{
    std::vector<int64_t> walls;
    for (int64_t bucket : buckets) walls.push_back(bucket * kDay);
    auto instants = time_zones::instants_of(db, zone, walls);
    std::vector<std::string> labels;
    for (size_t i = 0; i < walls.size(); i++) {
        std::string text = rfc3339(walls[i]);
        if (!time_zones::is_utc(zone)) {
            long long offset_min = (walls[i] - instants[i]) / 60000;
            char offset[32];
            snprintf(offset, sizeof(offset), "%c%02lld:%02lld", offset_min < 0 ? '-' : '+', std::llabs(offset_min) / 60,
                     std::llabs(offset_min) % 60);
            text.replace(text.size() - 1, 1, offset);
        }
        labels.push_back(std::move(text));
    }
    return labels;
}

http::Response insights(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto project = tenant_in_path(*db, request, "reports:read", "projectId", "Project not found");
    long long tenant_id = project.id;
    auto parsed = json_object_body(request);
    auto asked = insight_request_of(parsed.get());
    // intervals are the project's days, weeks, months in its time zone
    InsightRequest wall = asked;
    if (!time_zones::is_utc(project.time_zone)) {
        auto walls = time_zones::walls_of(*db, project.time_zone, {asked.since_ms, asked.until_ms});
        wall.since_ms = walls.at(0);
        wall.until_ms = walls.at(1);
    }
    auto buckets = buckets_of(wall);
    if (!buckets) return http::error_response(400, "the range holds more than " + std::to_string(kMaxIntervals) + " intervals");

    auto days = reports::metric_days(*db, window_of(tenant_id, asked, project.time_zone), asked.metrics, asked.types,
                                     asked.per_type);
    std::map<std::tuple<int64_t, std::string_view, std::string_view>, double> sums;   // bucket, type, metric
    std::set<std::string> types(asked.types.begin(), asked.types.end());
    for (const auto &day : days) {
        sums[{analytics_interval_bucket(asked.interval, day.day), day.event_type, day.metric}] += day.value;
        if (asked.per_type && asked.types.empty()) types.emplace(day.event_type);
    }
    if (asked.per_type && asked.types.empty()) {
        for (auto &reference : event_types::live_references(*db, tenant_id)) types.emplace(std::move(reference));
    }
    if (!asked.per_type) types = {""};

    const bool linear = analytics_interval_is_linear(asked.interval);
    auto labels = linear ? bucket_labels(*db, project.time_zone, *buckets) : std::vector<std::string>{};
    auto answer = json::take(json_array());
    for (size_t b = 0; b < buckets->size(); b++) {
        int64_t bucket = (*buckets)[b];
        std::string label = linear ? labels[b] : "";
        for (const auto &type : types) {
            json_t *item = json_object();
            json_object_set_new(item, "date", linear ? json::string(label) : json_integer(bucket));
            if (asked.per_type) json_object_set_new(item, "eventType", json::string(type));
            for (const auto &metric : asked.metrics) {
                auto found = sums.find({bucket, type, metric});
                json_object_set_new(item, metric.c_str(), number(found == sums.end() ? 0.0 : found->second));
            }
            json_array_append_new(answer.get(), item);
        }
    }
    return json_response(200, std::move(answer));
}

}  // namespace

void register_insight_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/projects/{projectId}/events/insights",
               [&services](http::Request &request) { return insights(services, request); });
}

}  // namespace analytics::routes
