// GET /api/v1/reports/funnel (funnel-report-api): per source, medium or
// campaign, the interactions ("clicks") and each funnel stage's events as
// the tenant's attribution model credits them, read from the rollups only:
// the range's days are the tenant's (its time zone), whole UTC days come from
// the daily rollups and the edge hours of other zones from the hourly ones.
// Errors in the document's shape: {"status":"error","message"}.
#include "auth/tokens.h"
#include "stores/funnel_stage_store.h"
#include "json.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/report_store.h"
#include "stores/tenant_store.h"
#include "stores/time_zone_store.h"

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
    std::string date_range;     // as asked
    analytics_date_range range{};   // instants: local midnights in the tenant's zone
    std::string country;        // upper case, "" for every country
    long long skip = 0;
    long long limit = kMaxLimit;
    // extra_columns: cost, cost_per_conversion, roas
    bool cost = false, cost_per_conversion = false, roas = false;
};

// the parameters, or the 400 naming the first one wrong
Query query_of(const http::Request &request)
{
    for (const char *name : {"account_id", "report_type", "date_range"}) {
        auto found = request.query.find(name);
        if (found == request.query.end() || found->second.empty()) {
            http::refuse(report_error(400, std::string("Missing required parameter: ") + name));
        }
    }
    Query query;
    query.dimension = request.query.at("report_type");
    if (query.dimension != "Source" && query.dimension != "Medium" && query.dimension != "Campaign") {
        http::refuse(report_error(400, "Invalid parameter: report_type must be Source, Medium or Campaign"));
    }
    // checked now, in UTC; read again in the tenant's zone once it is known
    query.date_range = request.query.at("date_range");
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    if (analytics_date_range_parse(query.date_range.data(), query.date_range.size(), now_ms, &query.range) != 0) {
        http::refuse(report_error(400, "Invalid parameter: date_range must be YYYYMMDD,YYYYMMDD (start not after end)"
                                       " or one of today, yesterday, this_week, last_week, this_month, last_month,"
                                       " last_7_days, last_30_days, this_year"));
    }
    if (auto found = request.query.find("skip"); found != request.query.end()) {
        if (!parse_whole(found->second, query.skip) || query.skip < 0) {
            http::refuse(report_error(400, "Invalid parameter: skip must be a whole number of at least 0"));
        }
    }
    if (auto found = request.query.find("limit"); found != request.query.end()) {
        if (!parse_whole(found->second, query.limit) || query.limit < 1 || query.limit > kMaxLimit) {
            http::refuse(report_error(400, "Invalid parameter: limit must be a whole number from 1 to 100"));
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
            else http::refuse(report_error(400, "Invalid parameter: extra_columns takes cost, cost_per_conversion and roas, separated by commas"));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    if (auto found = request.query.find("country"); found != request.query.end()) {
        const std::string &country = found->second;
        if (country.size() != 2 || !std::isalpha(static_cast<unsigned char>(country[0]))
            || !std::isalpha(static_cast<unsigned char>(country[1])))
        {
            http::refuse(report_error(400, "Invalid parameter: country must be an ISO 3166-1 alpha-2 code"));
        }
        for (char c : country) query.country += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return query;
}

// the range's days as the tenant's clock counts them: "today" is its
// today, and each day runs from its local midnight to the next (23 or 25
// hours on DST days)
void in_time_zone(postgres::Connection &db, const std::string &zone, Query &query)
{
    if (time_zones::is_utc(zone)) return;
    analytics_date_range wall{};
    analytics_date_range_parse(query.date_range.data(), query.date_range.size(), time_zones::wall_now_ms(db, zone), &wall);
    auto instants = time_zones::instants_of(db, zone, {wall.from_ms, wall.to_ms});
    query.range = analytics_date_range{instants.at(0), instants.at(1)};
}

reports::Dimension dimension_of(const std::string &name)
{
    if (name == "Source") return reports::Dimension::source;
    if (name == "Medium") return reports::Dimension::medium;
    return reports::Dimension::campaign;
}

// the report's rows by the dimension's value ("(not set)" for none)
std::map<std::string, Row> rows_of(postgres::Connection &db, const Query &query,
                                   const std::vector<funnels::FunnelStage> &stages)
{
    auto window = reports::report_window(query.tenant_id, query.range.from_ms, query.range.to_ms, query.country);
    reports::Dimension dimension = dimension_of(query.dimension);
    std::map<std::string, Row> rows;
    auto row_of = [&](const std::string &key) -> Row & {
        auto [found, fresh] = rows.try_emplace(key.empty() ? "(not set)" : key);
        if (fresh) found->second.stage_micros.assign(stages.size(), 0);
        return found->second;
    };
    for (const auto &clicks : reports::interactions(db, window, dimension)) row_of(clicks.key).clicks = clicks.count;

    std::map<std::string, std::vector<size_t>> stages_of_type;
    std::vector<std::string> types;
    for (size_t s = 0; s < stages.size(); s++) {
        for (const auto &type : stages[s].event_types) {
            if (stages_of_type[type].empty()) types.push_back(type);
            stages_of_type[type].push_back(s);
        }
    }
    for (const auto &credit : reports::credits(db, window, dimension, types)) {
        Row &row = row_of(credit.key);
        for (size_t s : stages_of_type[credit.event_type]) row.stage_micros[s] += credit.micros;
        row.total_micros += credit.micros;
    }

    // what custom-ads outlays cost in the range, each by the share of its
    // period the range covers; web traffic of custom ads is Custom Ads /
    // cpc / the campaign's slug
    if (!query.cost && !query.cost_per_conversion && !query.roas) return rows;
    std::string currency;
    for (const auto &cost : reports::outlay_costs(db, window)) {
        std::string key = dimension == reports::Dimension::source ? "Custom Ads"
                        : dimension == reports::Dimension::medium ? "cpc" : cost.campaign_slug;
        row_of(key).cost += cost.amount;
        currency = cost.currency;
    }
    if (!currency.empty()) {
        double unit = std::pow(10.0, analytics_currency_exponent(currency.c_str()));
        for (const auto &revenue : reports::revenue_minor(db, window, dimension, currency)) {
            row_of(revenue.key).revenue += static_cast<double>(revenue.count) / unit;
        }
    }
    return rows;
}

// the page of rows the query asks for, the busiest first
http::Response report_of(const Query &query, const std::vector<funnels::FunnelStage> &stages,
                         const std::map<std::string, Row> &rows)
{
    // cost per conversion counts the stage named conversions, or the last
    size_t conversion_stage = stages.empty() ? 0 : stages.size() - 1;
    for (size_t s = 0; s < stages.size(); s++) {
        if (stages[s].name == "conversions") conversion_stage = s;
    }
    auto money = [](double value) { return json_real(std::round(value * 100.0) / 100.0); };

    std::vector<std::pair<std::string, const Row *>> ordered;
    for (const auto &[name, row] : rows) ordered.emplace_back(name, &row);
    // names break ties, so pages are stable
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
}

}  // namespace

void register_funnel_report_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/reports/funnel", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto principal = auth::principal_of(*db, request);
        if (!principal) {
            auto response = report_error(401, "Unauthenticated");
            response.headers.emplace_back("WWW-Authenticate", "Bearer");
            return response;
        }
        if (!principal->has_scope("reports:read")) {
            return report_error(403, "This token lacks the reports:read scope");
        }
        auto query = query_of(request);

        auto tenant = tenants::find(*db, request.query.at("account_id"));
        if (!tenant || (principal->tenant_id && *principal->tenant_id != tenant->id)) {
            return report_error(404, "Account not found");
        }
        query.tenant_id = tenant->id;
        in_time_zone(*db, tenant->time_zone, query);
        bool configured = false;
        auto stages = funnels::stages_of(*db, tenant->id, configured);
        return report_of(query, stages, rows_of(*db, query, stages));
    });
}

}  // namespace analytics::routes
