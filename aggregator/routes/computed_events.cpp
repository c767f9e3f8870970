// Webmarketer's computed events (webmarketer-api): an event as parsed against
// its type, with its user and the current value of each state and statistic;
// the updates of a state or statistic, each kept with its date; and a user's
// metric history. events:read to read, events:write to update.
#include "ingest/computed_events.h"
#include "ingest/project_events.h"
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"

#include "event_id.h"
#include "event_time.h"

#include <cmath>

namespace analytics::routes {
namespace {

std::variant<tenants::Tenant, http::Response> project_of(postgres::Connection &db, http::Request &request,
                                                         const std::string &scope)
{
    return tenant_in_path(db, request, scope, "projectId", "Project not found");
}

json_t *metric_json(const postgres::Result &rows, int row)
{
    // id, event_id, user_id, storage_key, kind, value, metric_date, created_at, updated_at
    json_t *item = json_object();
    json_object_set_new(item, "_id", json::string(rows.text(row, 0)));
    json_object_set_new(item, "eventId", json::string(rows.text(row, 1)));
    json_object_set_new(item, "userId", rows.is_null(row, 2) ? json_null() : json::string(rows.text(row, 2)));
    json_object_set_new(item, "storageKey", json::string(rows.text(row, 3)));
    json_object_set_new(item, "type", json::string(rows.text(row, 4)));
    json_object_set_new(item, "value", json_real(std::stod(std::string(rows.text(row, 5)))));
    json_object_set_new(item, "metricDate", json::string(rows.text(row, 6)));
    json_object_set_new(item, "createdAt", json::string(rows.text(row, 7)));
    json_object_set_new(item, "updatedAt", json::string(rows.text(row, 8)));
    return item;
}

constexpr const char *kMetricColumns =
    "m.id::text, m.event_id::text, m.user_id::text, m.storage_key, m.kind, m.value::text, rfc3339(m.metric_date),"
    " rfc3339(m.created_at), rfc3339(m.updated_at)";

// the computed event in Webmarketer's shape, or nullopt when the project has no such event
std::optional<json::Value> computed_event(postgres::Connection &db, const tenants::Tenant &project, const std::string &id)
{
    auto rows = db.exec("SELECT e.id::text, e.user_id::text, rfc3339(e.event_date), e.event_type, e.data::text,"
                        " t.expiration_policy::text, rfc3339(e.created_at), rfc3339(e.updated_at),"
                        " rfc3339(u.created_at), rfc3339(u.updated_at)"
                        " FROM computed_events e JOIN event_types t ON t.tenant_id = e.tenant_id AND t.id = e.event_type_id"
                        " LEFT JOIN project_users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id"
                        " WHERE e.tenant_id = $1 AND e.id = $2",
                        {std::to_string(project.id), id});
    if (rows.rows() == 0) return std::nullopt;
    auto item = json::take(json_object());
    json_t *o = item.get();
    json_object_set_new(o, "_id", json::string(rows.text(0, 0)));
    json_object_set_new(o, "projectId", json::string(project.slug));
    json_object_set_new(o, "userId", rows.is_null(0, 1) ? json_null() : json::string(rows.text(0, 1)));
    json_object_set_new(o, "eventDate", json::string(rows.text(0, 2)));
    json_object_set_new(o, "eventType", json::string(rows.text(0, 3)));
    json_object_set_new(o, "attributable", json_true());
    auto policy = rows.is_null(0, 5) ? std::nullopt : json::parse(rows.text(0, 5));
    json_object_set_new(o, "expirationPolicy", policy ? json_incref(policy->get()) : json_null());
    auto data = json::parse(rows.text(0, 4));
    json_object_set_new(o, "event", data ? json_incref(data->get()) : json_object());
    if (rows.is_null(0, 1)) {
        json_object_set_new(o, "user", json_null());
    } else {
        json_t *user = json_object();
        json_object_set_new(user, "_id", json::string(rows.text(0, 1)));
        json_object_set_new(user, "createdAt", json::string(rows.text(0, 8)));
        json_object_set_new(user, "updatedAt", json::string(rows.text(0, 9)));
        json_object_set_new(o, "user", user);
    }
    // the current value of each state and statistic: its latest by date
    auto metrics = db.exec(std::string("SELECT DISTINCT ON (m.storage_key) ") + kMetricColumns
                           + " FROM event_metrics m WHERE m.tenant_id = $1 AND m.event_id = $2"
                             " ORDER BY m.storage_key, m.metric_date DESC, m.id DESC",
                           {std::to_string(project.id), id});
    json_t *list = json_array();
    for (int row = 0; row < metrics.rows(); row++) json_array_append_new(list, metric_json(metrics, row));
    json_object_set_new(o, "metrics", list);
    json_object_set_new(o, "createdAt", json::string(rows.text(0, 6)));
    json_object_set_new(o, "updatedAt", json::string(rows.text(0, 7)));
    return item;
}

// PUT .../states/{storageKey} and .../statistics/{storageKey}: a new value
// with its date (now when none is given), kept beside the earlier ones
http::Response update_metric(Services &services, http::Request &request, const char *kind)
{
    auto db = services.db.borrow();
    auto project = project_of(*db, request, "events:write");
    if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
    const auto &tenant = std::get<tenants::Tenant>(project);
    const std::string &id = request.path_params["id"];
    if (!analytics_uuid_is_valid(id.data(), id.size())) return http::error_response(400, "id must be a UUID");
    auto parsed = json_object_body(request);
    if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
    json_t *body = std::get<json::Value>(parsed).get();

    auto event = db->exec("SELECT e.user_id::text, t.fields::text, e.event_type,"
                          " (extract(epoch FROM e.event_date) * 1000)::bigint FROM computed_events e JOIN event_types t"
                          " ON t.tenant_id = e.tenant_id AND t.id = e.event_type_id WHERE e.tenant_id = $1 AND e.id = $2",
                          {std::to_string(tenant.id), id});
    if (event.rows() == 0) return http::error_response(404, "Event not found");
    ingest::EventTypeSchema schema("", event.text(0, 1), false);
    const std::string &key = request.path_params["storageKey"];
    bool known = false;
    analytics_field_kind wanted = std::string(kind) == "state" ? ANALYTICS_FIELD_KIND_STATE : ANALYTICS_FIELD_KIND_STATISTIC;
    for (const auto &field : schema.fields()) known = known || (key == field.storage_key && field.kind == wanted);
    if (!known) return http::error_response(404, "No storageKey matching field in this eventType");

    json_t *value = json_object_get(body, "value");
    double number = 0;
    if (wanted == ANALYTICS_FIELD_KIND_STATE) {
        int state = value ? analytics_project_event_state_value(value) : -1;
        if (state < 0) return http::error_response(400, "value must be 0 or 1");
        number = state;
    } else {
        if (!json_is_number(value) || !std::isfinite(json_number_value(value))) {
            return http::error_response(400, "value must be a number");
        }
        number = json_number_value(value);
    }
    postgres::Param date;
    json_t *when = json_object_get(body, "date");
    if (when != nullptr && !json_is_null(when)) {
        int64_t ms = 0;
        if (!json_is_string(when) || analytics_time_parse_rfc3339(json_string_value(when), json_string_length(when), &ms) != 0) {
            return http::error_response(400, "date must be an RFC 3339 date-time");
        }
        char text[ANALYTICS_RFC3339_MS_LEN + 1];
        analytics_time_format_rfc3339_ms(ms, text);
        date = std::string(text);
    }
    char value_text[32];
    snprintf(value_text, sizeof(value_text), "%.17g", number);
    postgres::Param user;
    if (!event.is_null(0, 0)) user = std::string(event.text(0, 0));
    {
        // the insights rollup follows the current value (the latest by date),
        // which a value dated before it does not change
        auto current = [&]() -> std::optional<double> {
            auto rows = db->exec("SELECT value FROM event_metrics WHERE tenant_id = $1 AND event_id = $2 AND storage_key = $3"
                                 " ORDER BY metric_date DESC, id DESC LIMIT 1",
                                 {std::to_string(tenant.id), id, key});
            if (rows.rows() == 0) return std::nullopt;
            return std::stod(std::string(rows.text(0, 0)));
        };
        postgres::Transaction tx(*db);
        auto before = current();
        db->exec("INSERT INTO event_metrics (tenant_id, event_id, user_id, storage_key, kind, value, metric_date)"
                 " VALUES ($1, $2, $3, $4, $5, $6::double precision, coalesce($7::timestamptz, now()))",
                 {std::to_string(tenant.id), id, user, key, std::string(kind), std::string(value_text), date});
        auto after = current();
        double delta = ingest::project_metric_contribution(kind, after.value_or(0))
                       - (before ? ingest::project_metric_contribution(kind, *before) : 0);
        ingest::add_project_metrics(*db, {{tenant.id, event.integer(0, 3), std::string(event.text(0, 2)), key, delta}});
        db->exec("UPDATE computed_events SET updated_at = now() WHERE tenant_id = $1 AND id = $2",
                 {std::to_string(tenant.id), id});
        tx.commit();
    }
    return json_response(200, std::move(*computed_event(*db, tenant, id)));
}

}  // namespace

void register_computed_event_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/projects/{projectId}/events/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = project_of(*db, request, "events:read");
        if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
        const std::string &id = request.path_params["id"];
        if (!analytics_uuid_is_valid(id.data(), id.size())) return http::error_response(400, "id must be a UUID");
        auto event = computed_event(*db, std::get<tenants::Tenant>(project), id);
        if (!event) return http::error_response(404, "Event not found");
        return json_response(200, std::move(*event));
    });

    router.add("PUT", "/api/v1/projects/{projectId}/events/{id}/states/{storageKey}", [&services](http::Request &request) {
        return update_metric(services, request, "state");
    });

    router.add("PUT", "/api/v1/projects/{projectId}/events/{id}/statistics/{storageKey}", [&services](http::Request &request) {
        return update_metric(services, request, "statistic");
    });

    router.add("GET", "/api/v1/projects/{projectId}/users/{id}/metrics", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = project_of(*db, request, "events:read");
        if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
        const auto &tenant = std::get<tenants::Tenant>(project);
        const std::string &id = request.path_params["id"];
        if (!analytics_uuid_is_valid(id.data(), id.size())) return http::error_response(400, "id must be a UUID");
        auto page = page_of(request, 1000);
        if (auto *bad = std::get_if<http::Response>(&page)) return *bad;
        auto type = query_param(request, "type");
        if (type && *type != "state" && *type != "statistic") return http::error_response(400, "type must be state or statistic");
        static const std::map<std::string, std::string> sorts = {
            {"createdAt", "m.created_at"}, {"updatedAt", "m.updated_at"}, {"metricDate", "m.metric_date"}};
        auto sort = sorts.find(query_param(request, "sort").value_or("metricDate"));
        if (sort == sorts.end()) return http::error_response(400, "sort must be createdAt, updatedAt or metricDate");
        std::string order = query_param(request, "order").value_or("DESC");
        if (order != "ASC" && order != "DESC") return http::error_response(400, "order must be ASC or DESC");
        auto since = instant_param(request, "since");
        if (auto *bad = std::get_if<http::Response>(&since)) return *bad;
        auto until = instant_param(request, "until");
        if (auto *bad = std::get_if<http::Response>(&until)) return *bad;
        if (db->exec("SELECT 1 FROM project_users WHERE tenant_id = $1 AND id = $2", {std::to_string(tenant.id), id}).rows() == 0) {
            return http::error_response(404, "User not found");
        }
        std::string where = " FROM event_metrics m WHERE m.tenant_id = $1 AND m.user_id = $2"
                            " AND ($3::text IS NULL OR m.kind = $3)"
                            " AND ($4::timestamptz IS NULL OR m.metric_date >= $4)"
                            " AND ($5::timestamptz IS NULL OR m.metric_date <= $5)";
        std::vector<postgres::Param> params = {std::to_string(tenant.id), id, type, std::get<postgres::Param>(since),
                                               std::get<postgres::Param>(until)};
        long long total = db->exec("SELECT count(*)" + where, params).integer(0, 0);
        params.push_back(std::to_string(std::get<Page>(page).offset));
        params.push_back(std::to_string(std::get<Page>(page).limit));
        auto rows = db->exec(std::string("SELECT ") + kMetricColumns + where + " ORDER BY " + sort->second + " " + order
                             + ", m.id " + order + " OFFSET $6 LIMIT $7", params);
        auto data = json::take(json_array());
        for (int row = 0; row < rows.rows(); row++) json_array_append_new(data.get(), metric_json(rows, row));
        return page_response(std::move(data), total);
    });
}

}  // namespace analytics::routes
