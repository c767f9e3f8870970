// /api/v1/projects/{projectId}/event-types (webmarketer-api): list with its
// filters and multi-field sort, create, read by reference, change (PATCH)
// and archive/unarchive. A token of
// the project's tenant (or an admin token): events:read to read, manage to
// create; another project's token gets 404. Errors in the project shape.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/event_type_store.h"
#include "stores/tenant_store.h"

#include <algorithm>
#include <set>

namespace analytics::routes {
namespace {

json_t *event_type_json(const event_types::EventType &type, const std::string &project)
{
    json_t *item = json_object();
    json_object_set_new(item, "_id", json::string(type.id));
    json_object_set_new(item, "createdAt", json::string(type.created_at));
    json_object_set_new(item, "updatedAt", json::string(type.updated_at));
    json_object_set_new(item, "archivedAt", type.archived_at ? json::string(*type.archived_at) : json_null());
    json_object_set_new(item, "projectId", json::string(project));
    json_object_set_new(item, "reference", json::string(type.reference));
    json_object_set_new(item, "name", json::string(type.name));
    for (auto [key, text] : {std::pair{"fields", std::optional(type.fields_json)},
                             std::pair{"metadata", std::optional(type.metadata_json)},
                             std::pair{"expirationPolicy", type.expiration_json}}) {
        auto value = text ? json::parse(*text) : std::nullopt;
        json_object_set_new(item, key, value ? json_incref(value->get()) : json_null());
    }
    json_object_set_new(item, "phoneParsingConfig", json_array());
    return item;
}

// the project the path names, if this token may use it for scope
tenants::Tenant project_of(postgres::Connection &db, http::Request &request,
                           const std::string &scope)
{
    return tenant_in_path(db, request, scope, "projectId", "Project not found");
}

bool is_reference(const std::string &text)
{
    return tenants::is_valid_slug(text) || (text.size() >= 1 && text.size() <= 2
                                            && std::all_of(text.begin(), text.end(), [](char c) {
                                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                                               }));
}

// the fields array of a create request, checked; or the 400 refusing it
std::string fields_of(json_t *fields)
{
    static const std::set<std::string> types = {"string", "number", "boolean", "date"};
    static const std::set<std::string> kinds = {"field", "state", "statistic", "identity"};
    if (fields == nullptr) return std::string("[]");
    if (!json_is_array(fields) || json_array_size(fields) > 200) {
        http::refuse(400, "fields must be an array of at most 200 fields");
    }
    std::set<std::string> keys;
    auto checked = json::take(json_array());
    size_t i;
    json_t *field;
    json_array_foreach(fields, i, field) {
        std::string where = "fields[" + std::to_string(i) + "]";
        json_t *key = json_object_get(field, "storageKey");
        json_t *type = json_object_get(field, "type");
        json_t *kind = json_object_get(field, "kind");
        json_t *required = json_object_get(field, "required");
        json_t *name = json_object_get(field, "name");
        if (!json_is_object(field) || !json_is_string(key) || json_string_length(key) == 0
            || json_string_length(key) > 64
            || !std::all_of(json_string_value(key), json_string_value(key) + json_string_length(key),
                            [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }))
        {
            http::refuse(400, where + ".storageKey must be 1 to 64 letters, digits or _");
        }
        if (!keys.insert(json_string_value(key)).second) {
            http::refuse(400, where + ".storageKey repeats an earlier field");
        }
        if (!json_is_string(type) || !types.count(json_string_value(type))) {
            http::refuse(400, where + ".type must be one of string, number, boolean, date");
        }
        if (kind && !(json_is_string(kind) && kinds.count(json_string_value(kind)))) {
            http::refuse(400, where + ".kind must be one of field, state, statistic, identity");
        }
        if (required && !json_is_boolean(required)) {
            http::refuse(400, where + ".required must be a boolean");
        }
        if (name && !(json_is_string(name) && json_string_length(name) <= 200)) {
            http::refuse(400, where + ".name must be a string of at most 200 characters");
        }
        json_t *out = json_object();
        json_object_set(out, "storageKey", key);
        json_object_set_new(out, "name", name ? json_incref(name) : json_incref(key));
        json_object_set(out, "type", type);
        json_object_set_new(out, "kind", kind ? json_incref(kind) : json_string("field"));
        json_object_set_new(out, "required", json_boolean(required && json_is_true(required)));
        json_array_append_new(checked.get(), out);
    }
    return json::dump(checked.get());
}

// {"days": N}, N from 1 to 3650: how long after an event's date its states
// and statistics may change (the document shows no policy's fields)
std::string expiration_policy_of(json_t *policy)
{
    json_t *days = json_object_get(policy, "days");
    if (!json_is_object(policy) || json_object_size(policy) != 1 || !json_is_integer(days)
        || json_integer_value(days) < 1 || json_integer_value(days) > 3650)
    {
        http::refuse(400, "expirationPolicy must be null or {\"days\": N} with N from 1 to 3650");
    }
    return json::dump(policy);
}

// name, fields, metadata and expirationPolicy of a create (name required) or
// a PATCH (each optional), checked; or the 400 refusing them
event_types::EventTypeChanges changes_of(json_t *body, bool creating)
{
    event_types::EventTypeChanges changes;
    json_t *name = json_object_get(body, "name");
    json_t *fields = json_object_get(body, "fields");
    json_t *metadata = json_object_get(body, "metadata");
    json_t *expiration = json_object_get(body, "expirationPolicy");
    json_t *phone_parsing = json_object_get(body, "phoneParsingConfig");
    if (name || creating) {
        if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
            http::refuse(400, "name must be a string of 1 to 200 characters");
        }
        changes.name = json_string_value(name);
    }
    if (metadata) {
        if (!json_is_object(metadata)) http::refuse(400, "metadata must be an object");
        changes.metadata_json = json::dump(metadata);
    }
    if (expiration) {
        if (!json_is_null(expiration)) changes.expiration_json = expiration_policy_of(expiration);
        changes.expiration_given = true;
    }
    // phone numbers are kept as sent: nothing to configure, so only the
    // empty list the document answers is taken
    if (phone_parsing && !(json_is_array(phone_parsing) && json_array_size(phone_parsing) == 0)) {
        http::refuse(400, "phoneParsingConfig must be an empty array: phone numbers are kept as sent");
    }
    if (fields || creating) changes.fields_json = fields_of(fields);
    return changes;
}

}  // namespace

void register_event_type_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/projects/{projectId}/event-types", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = project_of(*db, request, "events:read");
        auto page = page_of(request, 1000);

        auto query = [&request](const char *name) { return query_param(request, name); };
        auto archived = query("archived");
        if (archived && *archived != "true" && *archived != "false") {
            return http::error_response(400, "archived must be true or false");
        }
        std::string order = "name ASC, id";
        if (auto sort = query("sort")) {
            auto terms = event_types::order_by(*sort);
            if (!terms) return http::error_response(400, "sort takes name, reference, createdAt and updatedAt, each with - for descending, separated by commas");
            order = *terms;
        }
        auto found = event_types::list(*db, tenant.id, {archived, query("search"), query("storageKey"), query("reference")},
                                       order, page);
        return page_response(found, [&](const auto &type) { return event_type_json(type, tenant.slug); });
    });

    router.add("POST", "/api/v1/projects/{projectId}/event-types", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = project_of(*db, request, "manage");
        auto parsed = json_object_body(request);
        json_t *body = parsed.get();

        json_t *reference = json_object_get(body, "reference");
        if (!json_is_string(reference) || json_string_length(reference) > 64 || !is_reference(json_string_value(reference))) {
            return http::error_response(400, "reference must be 1 to 64 characters of a-z, 0-9 and single hyphens");
        }
        auto changes = changes_of(body, true);
        auto created = event_types::create(*db, project.id, json_string_value(reference), *changes.name,
                                           changes.fields_json.value_or("[]"), changes.metadata_json.value_or("{}"),
                                           changes.expiration_json);
        if (!created) {
            return http::error_response(409, std::string("An event type with reference ")
                                                 + json_string_value(reference) + " exists already");
        }
        return json_response(201, json::take(event_type_json(*created, project.slug)));
    });

    router.add("PATCH", "/api/v1/projects/{projectId}/event-types/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = project_of(*db, request, "manage");
        auto parsed = json_object_body(request);
        json_t *reference = json_object_get(parsed.get(), "reference");
        if (reference && !(json_is_string(reference) && request.path_params["id"] == json_string_value(reference))) {
            return http::error_response(400, "reference cannot be changed");
        }
        auto changes = changes_of(parsed.get(), false);
        auto updated = event_types::update(*db, project.id, request.path_params["id"], changes);
        if (!updated) return http::error_response(404, "Event type not found");
        return json_response(200, json::take(event_type_json(*updated, project.slug)));
    });

    for (auto [action, archived] : {std::pair{"archive", true}, std::pair{"unarchive", false}}) {
        router.add("POST", std::string("/api/v1/projects/{projectId}/event-types/{id}/") + action,
                   [&services, archived](http::Request &request) {
                       auto db = services.db.borrow();
                       auto project = project_of(*db, request, "manage");
                       auto type = event_types::set_archived(*db, project.id, request.path_params["id"], archived);
                       if (!type) return http::error_response(404, "Event type not found");
                       return json_response(200, json::take(event_type_json(*type, project.slug)));
                   });
    }

    router.add("GET", "/api/v1/projects/{projectId}/event-types/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = project_of(*db, request, "events:read");
        auto type = event_types::find(*db, tenant.id, request.path_params["id"]);
        if (!type) return http::error_response(404, "Event type not found");
        return json_response(200, json::take(event_type_json(*type, tenant.slug)));
    });
}

}  // namespace analytics::routes
