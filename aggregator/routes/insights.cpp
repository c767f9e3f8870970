// POST /api/v1/projects/{projectId}/events/insights (webmarketer-api): the
// requested metrics per date interval, for the project or per event type,
// from project_metrics_hourly (never the events themselves). Metrics:
// event-count, statistic keys (summed current values), state keys (events
// whose current value is 1); an unknown key is 0. Every interval of the
// range is answered, empty ones with zeros, so a graph needs no gap filling.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"

#include "event_time.h"

#include <cmath>
#include <map>
#include <set>

namespace analytics::routes {
namespace {

constexpr long long kMaxIntervals = 10000;

struct IntervalKind {
    const char *bucket;   // SQL over h, a UTC timestamp: the interval's start, or its ordinal
    const char *step;     // the series' step; nullptr for a non-linear interval
    int first, last;      // a non-linear interval's ordinals
};

const std::map<std::string, IntervalKind> &interval_kinds()
{
    static const std::map<std::string, IntervalKind> kinds = {
        {"day", {"date_trunc('day', h)", "1 day", 0, 0}},
        {"week", {"date_trunc('week', h)", "1 week", 0, 0}},
        {"month", {"date_trunc('month', h)", "1 month", 0, 0}},
        {"quarter", {"date_trunc('quarter', h)", "3 months", 0, 0}},
        {"semester", {"make_timestamp(extract(year FROM h)::int, CASE WHEN extract(month FROM h) <= 6 THEN 1 ELSE 7 END, 1, 0, 0, 0)",
                      "6 months", 0, 0}},
        {"year", {"date_trunc('year', h)", "1 year", 0, 0}},
        {"dayOfWeek", {"extract(isodow FROM h)::int", nullptr, 1, 7}},
        {"dayOfMonth", {"extract(day FROM h)::int", nullptr, 1, 31}},
        {"dayOfYear", {"extract(doy FROM h)::int", nullptr, 1, 366}},
        {"weekOfYear", {"extract(week FROM h)::int", nullptr, 1, 53}},
        {"monthOfYear", {"extract(month FROM h)::int", nullptr, 1, 12}},
        {"quarterOfYear", {"extract(quarter FROM h)::int", nullptr, 1, 4}},
        {"semesterOfYear", {"CASE WHEN extract(month FROM h) <= 6 THEN 1 ELSE 2 END", nullptr, 1, 2}},
    };
    return kinds;
}

// a linear bucket's label: its start, RFC 3339 in UTC
std::string label_sql(const IntervalKind &kind, const std::string &expression)
{
    if (kind.step == nullptr) return "(" + expression + ")::text";
    return "to_char(" + expression + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}


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
        json_t *interval = json_object_get(body, "interval");
        auto kind = interval_kinds().find(json_is_string(interval) ? json_string_value(interval) : "");
        if (kind == interval_kinds().end()) {
            return http::error_response(400, "interval must be one of day, week, month, quarter, semester, year, dayOfWeek,"
                                             " dayOfMonth, dayOfYear, weekOfYear, monthOfYear, quarterOfYear, semesterOfYear");
        }
        auto filter = strings_of(json_object_get(body, "filter"), "filter", false);
        if (auto *bad = std::get_if<http::Response>(&filter)) return *bad;
        const bool per_type = breakdown == "event-type";
        const auto &types_filter = std::get<std::vector<std::string>>(filter);

        // the sums: whole UTC days from the daily rollup, the hours at the
        // range's edges from the hourly one (hours whose start is in
        // [since's hour, until] count)
        constexpr int64_t kHour = 3600 * 1000, kDay = 24 * kHour;
        auto floor_to = [](int64_t ms, int64_t unit) { return ms - ((ms % unit) + unit) % unit; };
        int64_t since_ms = 0, until_ms = 0;
        analytics_time_parse_rfc3339(since->data(), since->size(), &since_ms);
        analytics_time_parse_rfc3339(until->data(), until->size(), &until_ms);
        int64_t low = floor_to(since_ms, kHour);
        int64_t first_day = floor_to(low + kDay - 1, kDay);                  // the first day wholly in the range
        int64_t days_end = floor_to(floor_to(until_ms, kHour) + kHour, kDay);   // the end of the last such day
        if (days_end < first_day) days_end = first_day;
        char texts[4][ANALYTICS_RFC3339_MS_LEN + 1];
        analytics_time_format_rfc3339_ms(low, texts[0]);
        analytics_time_format_rfc3339_ms(first_day, texts[1]);
        analytics_time_format_rfc3339_ms(days_end, texts[2]);
        std::vector<postgres::Param> params = {tenant, std::string(texts[0]), *until, std::string(texts[1]),
                                               std::string(texts[2]),
                                               postgres::text_array_literal(std::get<std::vector<std::string>>(metrics))};
        // the parameters past $6 are there only when asked for
        auto parameter = [&params](std::string value) {
            params.push_back(std::move(value));
            return "$" + std::to_string(params.size());
        };
        std::string type_filter;
        if (!types_filter.empty()) {
            type_filter = " AND event_type = ANY(" + parameter(postgres::text_array_literal(types_filter)) + "::text[])";
        }
        std::string rows_sql =
            "SELECT day::timestamp AS h, event_type, metric, value FROM project_metrics_daily"
            " WHERE tenant_id = $1 AND day >= ($4::timestamptz AT TIME ZONE 'UTC')::date"
            " AND day < ($5::timestamptz AT TIME ZONE 'UTC')::date AND metric = ANY($6::text[])" + type_filter +
            " UNION ALL SELECT hour AT TIME ZONE 'UTC', event_type, metric, value FROM project_metrics_hourly"
            " WHERE tenant_id = $1 AND hour >= $2::timestamptz AND hour <= $3::timestamptz"
            " AND (hour < $4::timestamptz OR hour >= $5::timestamptz) AND metric = ANY($6::text[])" + type_filter;
        // grouped first, labelled after: a label is made once per interval.
        // One round trip: rows "i" are the intervals of the range in order
        // (the first is the one since falls in), rows "s" the sums.
        // Intervals without a step (day of week...) have fixed labels, made below.
        std::string intervals_sql;
        if (kind->second.step != nullptr) {
            std::string since_param = parameter(*since), step_param = parameter(kind->second.step);
            intervals_sql = "SELECT 'i', row_number() OVER (ORDER BY b), " + label_sql(kind->second, "b")
                            + ", NULL, NULL, NULL FROM (SELECT b FROM generate_series((SELECT " + kind->second.bucket
                            + " FROM (SELECT " + since_param + "::timestamptz AT TIME ZONE 'UTC' AS h) AS s),"
                            " $3::timestamptz AT TIME ZONE 'UTC', " + step_param + "::interval) AS b ORDER BY b LIMIT "
                            + std::to_string(kMaxIntervals + 1) + ") AS l UNION ALL ";
        }
        auto rows = db->exec(intervals_sql + "SELECT 's', 0, " + label_sql(kind->second, "b")
                             + ", t, metric, s FROM (SELECT " + kind->second.bucket + " AS b, "
                             + (per_type ? "event_type" : "''") + " AS t, metric, sum(value) AS s FROM (" + rows_sql
                             + ") AS r GROUP BY 1, 2, 3) AS g ORDER BY 1, 2", params);

        std::vector<std::string> buckets;
        std::map<std::tuple<std::string, std::string, std::string>, double> sums;   // bucket, type, metric
        std::set<std::string> types(types_filter.begin(), types_filter.end());
        for (int row = 0; row < rows.rows(); row++) {
            if (rows.text(row, 0) == "i") {
                buckets.emplace_back(rows.text(row, 2));
                continue;
            }
            sums[{std::string(rows.text(row, 2)), std::string(rows.text(row, 3)), std::string(rows.text(row, 4))}] =
                std::stod(std::string(rows.text(row, 5)));
            if (per_type && types_filter.empty()) types.emplace(rows.text(row, 3));
        }
        if (buckets.size() > static_cast<size_t>(kMaxIntervals)) {
            return http::error_response(400, "the range holds more than " + std::to_string(kMaxIntervals) + " intervals");
        }
        if (kind->second.step == nullptr) {
            for (int i = kind->second.first; i <= kind->second.last; i++) buckets.push_back(std::to_string(i));
        }
        if (per_type && types_filter.empty()) {
            auto live = db->exec("SELECT reference FROM event_types WHERE tenant_id = $1 AND archived_at IS NULL", {tenant});
            for (int row = 0; row < live.rows(); row++) types.emplace(live.text(row, 0));
        }
        if (!per_type) types = {""};

        auto answer = json::take(json_array());
        for (const auto &label : buckets) {
            for (const auto &type : types) {
                json_t *item = json_object();
                if (kind->second.step != nullptr) {
                    json_object_set_new(item, "date", json::string(label));
                } else {
                    json_object_set_new(item, "date", json_integer(std::stoll(label)));
                }
                if (per_type) json_object_set_new(item, "eventType", json::string(type));
                for (const auto &metric : std::get<std::vector<std::string>>(metrics)) {
                    auto found = sums.find({label, type, metric});
                    json_object_set_new(item, metric.c_str(), number(found == sums.end() ? 0.0 : found->second));
                }
                json_array_append_new(answer.get(), item);
            }
        }
        return json_response(200, std::move(answer));
    });
}

}  // namespace analytics::routes
