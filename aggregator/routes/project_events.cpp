// Webmarketer events (webmarketer-api): the synchronous create, which checks
// and persists before it answers; one raw event by id, as sent; and the
// project's trash, the events that failed their event type with every
// reason. A token of the project's tenant (events:write to create,
// events:read to read), or admin. The asynchronous create is the module's.
#include "ingest/event_batch_writer.h"
#include "ingest/local_event.h"
#include "ingest/project_events.h"
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/raw_event_store.h"

#include "event_id.h"
#include "event_time.h"

namespace analytics::routes {
namespace {

// the body as sent, with its id, the time it came and the nonce as kept
json_t *raw_event_json(const raw_events::RawEvent &raw)
{
    auto body = json::parse(raw.body_json);
    json_t *item = body && json_is_object(body->get()) ? json_incref(body->get()) : json_object();
    json_object_set_new(item, "_id", json::string(raw.id));
    if (raw.nonce) json_object_set_new(item, "nonce", json::string(*raw.nonce));
    json_object_set_new(item, "createdAt", json::string(raw.received_at));
    return item;
}

// 400 with the first reason as the message and all of them in errors
http::Response refused(const ingest::ProjectEventCheck &check)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "statusCode", json_integer(400));
    json_object_set_new(body.get(), "message", json::string(check.errors.front().second));
    json_object_set_new(body.get(), "error", json_string("Bad Request"));
    auto errors = json::parse(check.errors_json());
    json_object_set_new(body.get(), "errors", errors ? json_incref(errors->get()) : json_array());
    return json_response(400, std::move(body));
}

// writes a checked event as the stream consumer writes the module's; the id
// kept for its (project, nonce): this one, or the one stored before
std::string persist(postgres::Connection &db, const Services &services, const tenants::Tenant &project,
                    const ingest::ProjectEventCheck &check, const std::string &body)
{
    ingest::LocalEvent local("sync", ANALYTICS_EVENT_KIND_PROJECT_EVENT, project.id, project.slug, check.event_type, body,
                             check.tracker_id.empty() ? "" : ingest::tracker_visitor_key(project.id, check.tracker_id));
    ingest::EventBatchWriter writer(services.settings.stream);
    writer.prepare(db);
    std::vector<ingest::IncomingEvent> events;
    events.push_back(std::move(local.event()));
    writer.write(db, std::move(events));

    return raw_events::id_of_nonce(db, project.id, check.nonce).value_or(local.id());
}

}  // namespace

void register_project_event_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/events/sync", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto parsed = json_object_body(request);
        json_t *project_id = json_object_get(parsed.get(), "projectId");
        if (!json_is_string(project_id)) {
            // the token first: a request without one is 401 whatever its body
            auto auth = authorize(*db, request, "events:write");
            ingest::EventTypeSchemas none;
            return refused(ingest::check_project_event(request.body, 0, none));
        }
        auto tenant = tenant_named(*db, request, "events:write", json_string_value(project_id), "Project not found");
        if (tenant.slug != json_string_value(project_id)) return http::error_response(404, "Project not found");

        ingest::EventTypeSchemas schemas;
        json_t *type = json_object_get(parsed.get(), "eventType");
        if (json_is_string(type)) schemas.load(*db, {{tenant.id, json_string_value(type)}});
        auto check = ingest::check_project_event(request.body, tenant.id, schemas);
        if (!check.valid()) return refused(check);
        return json_response(200, json::take(json::string(persist(*db, services, tenant, check, request.body))));
    });

    router.add("GET", "/api/v1/projects/{projectId}/raw-events/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = tenant_in_path(*db, request, "events:read", "projectId", "Project not found");
        const std::string &id = request.path_params["id"];
        if (!analytics_uuid_is_valid(id.data(), id.size())) return http::error_response(400, "id must be a UUID");
        auto raw = raw_events::find(*db, project.id, id);
        if (!raw) return http::error_response(404, "Raw event not found");
        return json_response(200, json::take(raw_event_json(*raw)));
    });

    router.add("GET", "/api/v1/projects/{projectId}/trashed-events", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = tenant_in_path(*db, request, "events:read", "projectId", "Project not found");
        auto page = page_of(request, 1000);
        auto since = instant_param(request, "since");
        auto until = instant_param(request, "until");
        return page_response(raw_events::trashed(*db, project.id, since, until, page), [](const auto &event) {
            json_t *item = raw_event_json(event.raw);
            auto errors = json::parse(event.errors_json);
            json_object_set_new(item, "errors", errors ? json_incref(errors->get()) : json_array());
            json_object_set_new(item, "trashedAt", json::string(event.trashed_at));
            return item;
        });
    });
}

}  // namespace analytics::routes
