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

#include "event_time.h"
#include "insight_interval.h"

#include <cmath>
#include <map>
#include <set>

namespace analytics::routes {
namespace {

constexpr long long kMaxIntervals = 10000;
constexpr int64_t kHour = 3600 * 1000, kDay = 24 * kHour;

std::variant<std::vector<std::string>, http::Response> strings_of(json_t *array, const char *name, bool required)
{
    std::vector<std::string> out;
    if (array == nullptr || json_is_null(array)) {
        if (required) return http::error_response(400, std::string(name) + " must be a non-empty array of strings");
        return out;
    }
    if (!json_is_array(array) || json_array_size(array) > 100 || (required && json_array_size(array) == 0)) {
        return http::error_response(400, std::string(name) + (required ? " must be a non-empty array of strings"
                                                                         : " must be an array of event type references"));
    }
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item) {
        if (!json_is_string(item) || json_string_length(item) == 0 || json_string_length(item) > 200) {
            return http::error_response(400, std::string(name) + "[" + std::to_string(i) + "] must be a non-empty string");
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

}  // namespace

void register_insight_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/projects/{projectId}/events/insights", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = tenant_in_path(*db, request, "reports:read", "projectId", "Project not found");
        if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
        const std::string tenant = std::to_string(std::get<tenants::Tenant>(project).id);
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();

        auto since = rfc3339_instant(json_object_get(body, "since"));
        if (!since) return http::error_response(400, "since must be an RFC 3339 date-time");
        auto until = rfc3339_instant(json_object_get(body, "until"));
        if (!until) return http::error_response(400, "until must be an RFC 3339 date-time");
        if (*since > *until) return http::error_response(400, "since must not be after until");
        auto metrics = strings_of(json_object_get(body, "metrics"), "metrics", true);
        if (auto *bad = std::get_if<http::Response>(&metrics)) return *bad;
        json_t *group_by = json_object_get(body, "groupBy");
        std::string breakdown = json_is_string(group_by) ? json_string_value(group_by) : "";
        if (breakdown != "project" && breakdown != "event-type") {
            return http::error_response(400, "groupBy must be project or event-type");
        }
        json_t *interval_name = json_object_get(body, "interval");
        analytics_interval interval = ANALYTICS_INTERVAL_DAY;
        if (!json_is_string(interval_name)
            || analytics_interval_parse(json_string_value(interval_name), json_string_length(interval_name), &interval) != 0)
        {
            return http::error_response(400, "interval must be one of day, week, month, quarter, semester, year, dayOfWeek,"
                                             " dayOfMonth, dayOfYear, weekOfYear, monthOfYear, quarterOfYear, semesterOfYear");
        }
        const bool linear = analytics_interval_is_linear(interval);
        auto filter = strings_of(json_object_get(body, "filter"), "filter", false);
        if (auto *bad = std::get_if<http::Response>(&filter)) return *bad;
        const bool per_type = breakdown == "event-type";
        const auto &types_filter = std::get<std::vector<std::string>>(filter);

        // the sums: whole UTC days from the daily rollup, the hours at the
        // range's edges from the hourly one (hours whose start is in
        // [since's hour, until] count)
        auto floor_to = [](int64_t ms, int64_t unit) { return ms - ((ms % unit) + unit) % unit; };
        int64_t since_ms = 0, until_ms = 0;
        analytics_time_parse_rfc3339(since->data(), since->size(), &since_ms);
        analytics_time_parse_rfc3339(until->data(), until->size(), &until_ms);
        int64_t low = floor_to(since_ms, kHour);
        int64_t first_day = floor_to(low + kDay - 1, kDay);                  // the first day wholly in the range
        int64_t days_end = floor_to(floor_to(until_ms, kHour) + kHour, kDay);   // the end of the last such day
        if (days_end < first_day) days_end = first_day;

        // every interval of the range, the one since falls in first: a
        // linear one's buckets are their first days, until the one after until
        std::vector<int64_t> buckets;
        if (linear) {
            for (int64_t start = analytics_interval_bucket(interval, floor_to(since_ms, kDay) / kDay);
                 start * kDay <= until_ms; start = analytics_interval_next(interval, start))
            {
                if (buckets.size() == static_cast<size_t>(kMaxIntervals)) {
                    return http::error_response(400, "the range holds more than " + std::to_string(kMaxIntervals) + " intervals");
                }
                buckets.push_back(start);
            }
        } else {
            int first = 0, last = 0;
            analytics_interval_ordinals(interval, &first, &last);
            for (int i = first; i <= last; i++) buckets.push_back(i);
        }

        char texts[4][ANALYTICS_RFC3339_MS_LEN + 1];
        analytics_time_format_rfc3339_ms(low, texts[0]);
        analytics_time_format_rfc3339_ms(first_day, texts[1]);
        analytics_time_format_rfc3339_ms(days_end, texts[2]);
        std::vector<postgres::Param> params = {tenant, std::string(texts[0]), *until, std::string(texts[1]),
                                               std::string(texts[2]),
                                               postgres::text_array_literal(std::get<std::vector<std::string>>(metrics))};
        std::string type_filter;
        if (!types_filter.empty()) {
            params.push_back(postgres::text_array_literal(types_filter));
            type_filter = " AND event_type = ANY($7::text[])";
        }
        // the rows as they are, each with its UTC day: grouped into intervals
        // here, which leaves PostgreSQL two index scans to plan and run
        const std::string type_column = per_type ? "event_type" : "''";
        auto rows = db->exec(
            "SELECT day - DATE '1970-01-01', " + type_column + ", metric, value FROM project_metrics_daily"
            " WHERE tenant_id = $1 AND day >= ($4::timestamptz AT TIME ZONE 'UTC')::date"
            " AND day < ($5::timestamptz AT TIME ZONE 'UTC')::date AND metric = ANY($6::text[])" + type_filter +
            " UNION ALL SELECT (hour AT TIME ZONE 'UTC')::date - DATE '1970-01-01', " + type_column + ", metric, value"
            " FROM project_metrics_hourly"
            " WHERE tenant_id = $1 AND hour >= $2::timestamptz AND hour <= $3::timestamptz"
            " AND (hour < $4::timestamptz OR hour >= $5::timestamptz) AND metric = ANY($6::text[])" + type_filter,
            params);

        std::map<std::tuple<int64_t, std::string_view, std::string_view>, double> sums;   // bucket, type, metric
        std::set<std::string> types(types_filter.begin(), types_filter.end());
        for (int row = 0; row < rows.rows(); row++) {
            int64_t bucket = analytics_interval_bucket(interval, rows.integer(row, 0));
            auto value = rows.text(row, 3);
            sums[{bucket, rows.text(row, 1), rows.text(row, 2)}] += std::strtod(std::string(value).c_str(), nullptr);
            if (per_type && types_filter.empty()) types.emplace(rows.text(row, 1));
        }
        if (per_type && types_filter.empty()) {
            auto live = db->exec("SELECT reference FROM event_types WHERE tenant_id = $1 AND archived_at IS NULL", {tenant});
            for (int row = 0; row < live.rows(); row++) types.emplace(live.text(row, 0));
        }
        if (!per_type) types = {""};

        auto answer = json::take(json_array());
        for (int64_t bucket : buckets) {
            char label[ANALYTICS_RFC3339_MS_LEN + 1];
            if (linear) analytics_time_format_rfc3339_ms(bucket * kDay, label);
            for (const auto &type : types) {
                json_t *item = json_object();
                json_object_set_new(item, "date", linear ? json_string(label) : json_integer(bucket));
                if (per_type) json_object_set_new(item, "eventType", json::string(type));
                for (const auto &metric : std::get<std::vector<std::string>>(metrics)) {
                    auto found = sums.find({bucket, type, metric});
                    json_object_set_new(item, metric.c_str(), number(found == sums.end() ? 0.0 : found->second));
                }
                json_array_append_new(answer.get(), item);
            }
        }
        return json_response(200, std::move(answer));
    });
}

}  // namespace analytics::routes
