// GET /api/v1/reports/funnel (funnel-report-api): per source, medium or
// campaign, the interactions ("clicks") and each funnel stage's events as
// the tenant's attribution model credits them, read from the daily
// rollups only (a range is whole UTC days). Errors in the document's shape: {"status":"error","message"}.
#include "auth/tokens.h"
#include "stores/funnel_stage_store.h"
#include "json.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/tenant_store.h"

#include "conversion_request.h"
#include "date_range.h"
#include "event_time.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

namespace analytics::routes {
namespace {

constexpr long long kMaxLimit = 100;

http::Response report_error(int status, const std::string &message)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "status", json_string("error"));
    json_object_set_new(body.get(), "message", json::string(message));
    return json_response(status, std::move(body));
}

std::string timestamp(int64_t unix_ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(unix_ms, text);
    return text;
}

// a count in millionths as the report shows it: whole numbers as integers,
// a share of a conversion to two decimals
json_t *credit_json(long long micros)
{
    if (micros % 1000000 == 0) return json_integer(micros / 1000000);
    return json_real(std::round(static_cast<double>(micros) / 10000.0) / 100.0);
}

struct Row {
    long long clicks = 0;
    std::vector<long long> stage_micros;
    long long total_micros = 0;
    double cost = 0;       // outlays' share in the range
    double revenue = 0;    // attributed value in the outlays' currency, major units
};

struct Query {
    long long tenant_id = 0;
    std::string dimension;      // "Source", "Medium" or "Campaign"
    analytics_date_range range{};
    std::string country;        // upper case, "" for every country
    long long skip = 0;
    long long limit = kMaxLimit;
    // extra_columns: cost, cost_per_conversion, roas
    bool cost = false, cost_per_conversion = false, roas = false;
};

// the parameters, or the 400 naming the first one wrong
std::variant<Query, http::Response> query_of(const http::Request &request)
{
    for (const char *name : {"account_id", "report_type", "date_range"}) {
        auto found = request.query.find(name);
        if (found == request.query.end() || found->second.empty()) {
            return report_error(400, std::string("Missing required parameter: ") + name);
        }
    }
    Query query;
    query.dimension = request.query.at("report_type");
    if (query.dimension != "Source" && query.dimension != "Medium" && query.dimension != "Campaign") {
        return report_error(400, "Invalid parameter: report_type must be Source, Medium or Campaign");
    }
    const std::string &range = request.query.at("date_range");
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    if (analytics_date_range_parse(range.data(), range.size(), now_ms, &query.range) != 0) {
        return report_error(400, "Invalid parameter: date_range must be YYYYMMDD,YYYYMMDD (start not after end)"
                                 " or one of today, yesterday, this_week, last_week, this_month, last_month,"
                                 " last_7_days, last_30_days, this_year");
    }
    if (auto found = request.query.find("skip"); found != request.query.end()) {
        if (!parse_whole(found->second, query.skip) || query.skip < 0) {
            return report_error(400, "Invalid parameter: skip must be a whole number of at least 0");
        }
    }
    if (auto found = request.query.find("limit"); found != request.query.end()) {
        if (!parse_whole(found->second, query.limit) || query.limit < 1 || query.limit > kMaxLimit) {
            return report_error(400, "Invalid parameter: limit must be a whole number from 1 to 100");
        }
    }
    if (auto found = request.query.find("extra_columns"); found != request.query.end()) {
        size_t start = 0;
        const std::string &list = found->second;
        while (start <= list.size()) {
            size_t comma = list.find(',', start);
            std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (name == "cost") query.cost = true;
            else if (name == "cost_per_conversion") query.cost_per_conversion = true;
            else if (name == "roas") query.roas = true;
            else return report_error(400, "Invalid parameter: extra_columns takes cost, cost_per_conversion and roas, separated by commas");
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    if (auto found = request.query.find("country"); found != request.query.end()) {
        const std::string &country = found->second;
        if (country.size() != 2 || !std::isalpha(static_cast<unsigned char>(country[0]))
            || !std::isalpha(static_cast<unsigned char>(country[1])))
        {
            return report_error(400, "Invalid parameter: country must be an ISO 3166-1 alpha-2 code");
        }
        for (char c : country) query.country += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return query;
}

std::string column_of(const std::string &dimension)
{
    if (dimension == "Source") return "source";
    if (dimension == "Medium") return "medium";
    return "campaign";
}

}  // namespace

void register_funnel_report_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/reports/funnel", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto principal = auth::authenticate(*db, request.header("authorization"));
        if (!principal) {
            auto response = report_error(401, "Unauthenticated");
            response.headers.emplace_back("WWW-Authenticate", "Bearer");
            return response;
        }
        if (!principal->has_scope("reports:read")) {
            return report_error(403, "This token lacks the reports:read scope");
        }
        auto parsed = query_of(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        auto &query = std::get<Query>(parsed);

        auto tenant = tenants::find(*db, request.query.at("account_id"));
        if (!tenant || (principal->tenant_id && *principal->tenant_id != tenant->id)) {
            return report_error(404, "Account not found");
        }
        bool configured = false;
        auto stages = funnels::stages_of(*db, tenant->id, configured);

        std::string column = column_of(query.dimension);
        std::vector<postgres::Param> params = {std::to_string(tenant->id), timestamp(query.range.from_ms),
                                               timestamp(query.range.to_ms), query.country};
        std::map<std::string, Row> rows;
        auto blank = [&stages] { Row row; row.stage_micros.assign(stages.size(), 0); return row; };
        auto row_of = [&](std::string_view key) -> Row & {
            std::string name = key.empty() ? "(not set)" : std::string(key);
            auto [found, fresh] = rows.try_emplace(name, blank());
            return found->second;
        };

        auto clicks = db->exec("SELECT " + column + ", sum(interactions)::bigint FROM rollup_interactions_daily"
                               " WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date AND ($4 = '' OR country = $4)"
                               " GROUP BY 1", params);
        for (int i = 0; i < clicks.rows(); i++) row_of(clicks.text(i, 0)).clicks = clicks.integer(i, 1);

        std::map<std::string, std::vector<size_t>> stages_of_type;
        std::string types = "{";
        for (size_t s = 0; s < stages.size(); s++) {
            for (const auto &type : stages[s].event_types) {
                if (stages_of_type[type].empty()) types += (types.size() > 1 ? ",\"" : "\"") + type + "\"";
                stages_of_type[type].push_back(s);
            }
        }
        params.push_back(types + "}");
        auto credited = db->exec("SELECT " + column + ", event_type, sum(credit_micros)::bigint"
                                 " FROM rollup_attributed_daily"
                                 " WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date AND ($4 = '' OR country = $4)"
                                 " AND event_type = ANY($5::text[]) GROUP BY 1, 2", params);
        for (int i = 0; i < credited.rows(); i++) {
            Row &row = row_of(credited.text(i, 0));
            long long micros = credited.integer(i, 2);
            for (size_t s : stages_of_type[std::string(credited.text(i, 1))]) row.stage_micros[s] += micros;
            row.total_micros += micros;
        }

        // what custom-ads outlays cost in the range, each by the share of its
        // period the range covers; web traffic of custom ads is Custom Ads /
        // cpc / the campaign's slug. An outlay with another country than the
        // one asked for does not count; one with none always does.
        std::string currency;
        if (query.cost || query.cost_per_conversion || query.roas) {
            auto outlays = db->exec(
                "SELECT c.campaign_slug, g.currency, sum(o.amount * extract(epoch FROM least(o.end_date, $3::timestamptz)"
                " - greatest(o.start_date, $2::timestamptz)) / extract(epoch FROM o.end_date - o.start_date))::float8"
                " FROM custom_ads_outlays o JOIN custom_ads_campaigns c ON c.tenant_id = o.tenant_id AND c.id = o.campaign_id"
                " JOIN custom_ads_integrations g ON g.tenant_id = c.tenant_id AND g.id = c.integration_id"
                " WHERE o.tenant_id = $1 AND o.deleted_at IS NULL AND o.start_date < $3 AND o.end_date > $2"
                " AND ($4 = '' OR o.country IS NULL OR upper(o.country) = $4) GROUP BY 1, 2",
                {params[0], params[1], params[2], params[3]});
            for (int i = 0; i < outlays.rows(); i++) {
                std::string key = query.dimension == "Source" ? "Custom Ads"
                                : query.dimension == "Medium" ? "cpc" : std::string(outlays.text(i, 0));
                row_of(key).cost += std::stod(std::string(outlays.text(i, 2)));
                currency = outlays.text(i, 1);
            }
            if (!currency.empty()) {
                int exponent = analytics_currency_exponent(currency.c_str());
                auto revenue = db->exec("SELECT " + column + ", sum(value_minor)::bigint FROM rollup_attributed_daily"
                                        " WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date AND ($4 = '' OR country = $4)"
                                        " AND currency = $5 GROUP BY 1",
                                        {params[0], params[1], params[2], params[3], currency});
                for (int i = 0; i < revenue.rows(); i++) {
                    row_of(revenue.text(i, 0)).revenue += static_cast<double>(revenue.integer(i, 1)) / std::pow(10.0, exponent);
                }
            }
        }
        // cost per conversion counts the stage named conversions, or the last
        size_t conversion_stage = stages.empty() ? 0 : stages.size() - 1;
        for (size_t s = 0; s < stages.size(); s++) {
            if (stages[s].name == "conversions") conversion_stage = s;
        }
        auto money = [](double value) { return json_real(std::round(value * 100.0) / 100.0); };

        std::vector<std::pair<std::string, const Row *>> ordered;
        for (const auto &[name, row] : rows) ordered.emplace_back(name, &row);
        // the busiest first; names break ties, so pages are stable
        std::stable_sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
            if (a.second->clicks != b.second->clicks) return a.second->clicks > b.second->clicks;
            return a.second->total_micros > b.second->total_micros;
        });

        auto data = json::take(json_array());
        for (long long i = query.skip; i < static_cast<long long>(ordered.size()) && i < query.skip + query.limit; i++) {
            const auto &[name, row] = ordered[static_cast<size_t>(i)];
            json_t *item = json_object();
            json_object_set_new(item, query.dimension.c_str(), json::string(name));
            json_object_set_new(item, "clicks", json_integer(row->clicks));
            for (size_t s = 0; s < stages.size(); s++) {
                json_object_set_new(item, stages[s].name.c_str(), credit_json(row->stage_micros[s]));
            }
            if (query.cost) json_object_set_new(item, "cost", money(row->cost));
            if (query.cost_per_conversion) {
                long long conversions = stages.empty() ? 0 : row->stage_micros[conversion_stage];
                json_object_set_new(item, "cost_per_conversion",
                                    conversions > 0 && row->cost > 0 ? money(row->cost * 1e6 / static_cast<double>(conversions))
                                                                     : json_null());
            }
            if (query.roas) {
                json_object_set_new(item, "roas", row->cost > 0 ? json_real(std::round(row->revenue / row->cost * 100.0) / 100.0)
                                                               : json_null());
            }
            json_array_append_new(data.get(), item);
        }
        auto body = json::take(json_object());
        json_object_set_new(body.get(), "status", json_string("ok"));
        json_object_set(body.get(), "data", data.get());
        return json_response(200, std::move(body));
    });
}

}  // namespace analytics::routes
