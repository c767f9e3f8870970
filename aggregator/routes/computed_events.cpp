// Webmarketer's computed events (webmarketer-api): an event as parsed against
// its type, with its user and the current value of each state and statistic;
// the updates of a state or statistic, each kept with its date; and a user's
// metric history. events:read to read, events:write to update.
#include "ingest/project_events.h"
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/computed_event_store.h"

#include "event_id.h"
#include "event_time.h"
#include "json_field.h"

#include <chrono>
#include <cmath>

namespace analytics::routes {
namespace {

tenants::Tenant project_of(postgres::Connection &db, http::Request &request,
                           const std::string &scope)
{
    return tenant_in_path(db, request, scope, "projectId", "Project not found");
}

// the path's {id}, which must be a UUID
const std::string &uuid_in_path(http::Request &request)
{
    const std::string &id = request.path_params["id"];
    if (!analytics_uuid_is_valid(id.data(), id.size())) http::refuse(400, "id must be a UUID");
    return id;
}

json_t *metric_json(const computed_events::Metric &metric)
{
    json_t *item = json_object();
    json_object_set_new(item, "_id", json::string(metric.id));
    json_object_set_new(item, "eventId", json::string(metric.event_id));
    json_object_set_new(item, "userId", metric.user_id ? json::string(*metric.user_id) : json_null());
    json_object_set_new(item, "storageKey", json::string(metric.storage_key));
    json_object_set_new(item, "type", json::string(metric.kind));
    json_object_set_new(item, "value", json_real(metric.value));
    json_object_set_new(item, "metricDate", json::string(metric.metric_date));
    json_object_set_new(item, "createdAt", json::string(metric.created_at));
    json_object_set_new(item, "updatedAt", json::string(metric.updated_at));
    return item;
}

// the computed event in Webmarketer's shape
json::Value computed_event_json(const computed_events::ComputedEvent &event, const tenants::Tenant &project)
{
    auto item = json::take(json_object());
    json_t *o = item.get();
    json_object_set_new(o, "_id", json::string(event.id));
    json_object_set_new(o, "projectId", json::string(project.slug));
    json_object_set_new(o, "userId", event.user_id ? json::string(*event.user_id) : json_null());
    json_object_set_new(o, "eventDate", json::string(event.event_date));
    json_object_set_new(o, "eventType", json::string(event.event_type));
    // attribution goes through a user's traffic: an event nobody names
    // (no trackerId, no identity) has none to be credited to
    json_object_set_new(o, "attributable", json_boolean(event.user_id.has_value()));
    auto policy = event.expiration_json ? json::parse(*event.expiration_json) : std::nullopt;
    json_object_set_new(o, "expirationPolicy", policy ? json_incref(policy->get()) : json_null());
    auto data = json::parse(event.data_json);
    json_object_set_new(o, "event", data ? json_incref(data->get()) : json_object());
    if (!event.user_id) {
        json_object_set_new(o, "user", json_null());
    } else {
        json_t *user = json_object();
        json_object_set_new(user, "_id", json::string(*event.user_id));
        json_object_set_new(user, "createdAt", json::string(event.user_created_at.value_or("")));
        json_object_set_new(user, "updatedAt", json::string(event.user_updated_at.value_or("")));
        json_object_set_new(o, "user", user);
    }
    json_t *list = json_array();
    for (const auto &metric : event.metrics) json_array_append_new(list, metric_json(metric));
    json_object_set_new(o, "metrics", list);
    json_object_set_new(o, "createdAt", json::string(event.created_at));
    json_object_set_new(o, "updatedAt", json::string(event.updated_at));
    return item;
}

// a state's (0 or 1) or statistic's (any finite number) new value, or the 400
double metric_value(json_t *value, analytics_field_kind kind)
{
    if (kind == ANALYTICS_FIELD_KIND_STATE) {
        int state = value ? analytics_project_event_state_value(value) : -1;
        if (state < 0) http::refuse(400, "value must be 0 or 1");
        return static_cast<double>(state);
    }
    if (!json_is_number(value) || !std::isfinite(json_number_value(value))) {
        http::refuse(400, "value must be a number");
    }
    return json_number_value(value);
}

// the body's date in Unix ms (now when none is given), or the 400
int64_t metric_date_ms(json_t *when)
{
    if (when == nullptr || json_is_null(when)) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    }
    int64_t ms = 0;
    if (!analytics_json_time(when, &ms)) {
        http::refuse(400, "date must be an RFC 3339 date-time");
    }
    return ms;
}

std::string rfc3339_ms(int64_t ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(ms, text);
    return text;
}

// PUT .../states/{storageKey} and .../statistics/{storageKey}: a new value
// with its date (now when none is given), kept beside the earlier ones
http::Response update_metric(Services &services, http::Request &request, const char *kind)
{
    auto db = services.db.borrow();
    auto tenant = project_of(*db, request, "events:write");
    const std::string &id = uuid_in_path(request);
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();

    auto target = computed_events::metric_target(*db, tenant.id, id);
    if (!target) return http::error_response(404, "Event not found");
    ingest::EventTypeSchema schema("", target->fields_json, false);
    const std::string &key = request.path_params["storageKey"];
    bool known = false;
    analytics_field_kind wanted = std::string(kind) == "state" ? ANALYTICS_FIELD_KIND_STATE : ANALYTICS_FIELD_KIND_STATISTIC;
    for (const auto &field : schema.fields()) known = known || (key == field.storage_key && field.kind == wanted);
    if (!known) return http::error_response(404, "No storageKey matching field in this eventType");

    auto value = metric_value(json_object_get(body, "value"), wanted);
    int64_t date_ms = metric_date_ms(json_object_get(body, "date"));
    // the type's expirationPolicy: no value dated after the event expired
    if (target->expires_after_days) {
        int64_t expired_ms = target->event_ms + int64_t{*target->expires_after_days} * 86400000;
        if (date_ms > expired_ms) {
            return http::error_response(409, "The event expired at " + rfc3339_ms(expired_ms)
                                                 + ": its states and statistics no longer change");
        }
    }
    computed_events::record_metric(*db, tenant.id, id, *target, key, kind, value, rfc3339_ms(date_ms));
    return json_response(200, computed_event_json(*computed_events::find(*db, tenant.id, id), tenant));
}

http::Response user_metrics(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto tenant = project_of(*db, request, "events:read");
    const std::string &id = uuid_in_path(request);
    auto page = page_of(request, 1000);
    auto type = query_param(request, "type");
    if (type && *type != "state" && *type != "statistic") return http::error_response(400, "type must be state or statistic");
    std::string sort = query_param(request, "sort").value_or("metricDate");
    if (!computed_events::is_metric_sort(sort)) return http::error_response(400, "sort must be createdAt, updatedAt or metricDate");
    std::string order = query_param(request, "order").value_or("DESC");
    if (order != "ASC" && order != "DESC") return http::error_response(400, "order must be ASC or DESC");
    auto since = instant_param(request, "since");
    auto until = instant_param(request, "until");
    if (!computed_events::user_exists(*db, tenant.id, id)) return http::error_response(404, "User not found");
    return page_response(computed_events::user_metrics(*db, tenant.id, id, {type, since, until}, sort, order, page),
                         metric_json);
}

// the user's computed events, the latest first (the document names the
// route; its items are those of GET .../events/{id})
http::Response user_events(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto tenant = project_of(*db, request, "events:read");
    const std::string &id = uuid_in_path(request);
    auto page = page_of(request, 1000);
    auto since = instant_param(request, "since");
    auto until = instant_param(request, "until");
    if (!computed_events::user_exists(*db, tenant.id, id)) return http::error_response(404, "User not found");
    return page_response(computed_events::user_events(*db, tenant.id, id, since, until, page),
                         [&tenant](const auto &event) { return computed_event_json(event, tenant).release(); });
}

}  // namespace

void register_computed_event_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/projects/{projectId}/events/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = project_of(*db, request, "events:read");
        const std::string &id = uuid_in_path(request);
        auto event = computed_events::find(*db, tenant.id, id);
        if (!event) return http::error_response(404, "Event not found");
        return json_response(200, computed_event_json(*event, tenant));
    });

    router.add("PUT", "/api/v1/projects/{projectId}/events/{id}/states/{storageKey}", [&services](http::Request &request) {
        return update_metric(services, request, "state");
    });

    router.add("PUT", "/api/v1/projects/{projectId}/events/{id}/statistics/{storageKey}", [&services](http::Request &request) {
        return update_metric(services, request, "statistic");
    });

    router.add("GET", "/api/v1/projects/{projectId}/users/{id}/metrics", [&services](http::Request &request) {
        return user_metrics(services, request);
    });

    router.add("GET", "/api/v1/projects/{projectId}/users/{id}/events", [&services](http::Request &request) {
        return user_events(services, request);
    });
}

}  // namespace analytics::routes
