#include "ingest/project_events.h"
#include "ingest/computed_events.h"
#include "json.h"

#include "event_time.h"

#include <set>
#include <tuple>

namespace analytics::ingest {
namespace {

constexpr const char *kRawColumns = "tenant_id, id, nonce, event_type, tracker_id, event_date, received_at, body";

// frees the contract's parse on every path
struct ParsedProjectEvent {
    analytics_project_event event;
    ~ParsedProjectEvent() { analytics_project_event_free(&event); }
};

}  // namespace

std::string normalized_identity(std::string text)
{
    size_t first = text.find_first_not_of(" \t\r\n");
    size_t last = text.find_last_not_of(" \t\r\n");
    text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
    for (char &c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return text;
}

EventTypeSchema::EventTypeSchema(std::string_view id, std::string_view fields_json, bool archived)
    : archived_(archived), id_(id)
{
    auto fields = json::parse(fields_json);
    if (!fields || !json_is_array(fields->get())) return;
    size_t i;
    json_t *field;
    json_array_foreach(fields->get(), i, field) {
        const char *key = json_string_value(json_object_get(field, "storageKey"));
        const char *type = json_string_value(json_object_get(field, "type"));
        const char *kind = json_string_value(json_object_get(field, "kind"));
        int type_value = type ? analytics_field_type_from_name(type) : -1;
        int kind_value = kind ? analytics_field_kind_from_name(kind) : ANALYTICS_FIELD_KIND_FIELD;
        if (key == nullptr || type_value < 0 || kind_value < 0) continue;   // the route never stores such a field
        keys_.emplace_back(key);
        fields_.push_back({nullptr, static_cast<analytics_field_type>(type_value),
                           static_cast<analytics_field_kind>(kind_value),
                           json_is_true(json_object_get(field, "required")) ? 1 : 0});
    }
    // keys_ is whole now: its strings stay where they are
    for (size_t k = 0; k < keys_.size(); k++) fields_[k].storage_key = keys_[k].c_str();
}

void EventTypeSchemas::load(postgres::Connection &db, const std::vector<std::pair<int64_t, std::string>> &wanted)
{
    std::set<std::pair<int64_t, std::string>> missing;
    for (const auto &key : wanted) {
        if (schemas_.find(key) == schemas_.end()) missing.insert(key);
    }
    if (missing.empty()) return;
    std::string tenants = "{";
    std::vector<std::string> references;
    for (const auto &[tenant, reference] : missing) {
        tenants += (tenants.size() > 1 ? "," : "") + std::to_string(tenant);
        // quoted: a type the module passed on may be anything
        references.push_back(reference);
    }
    tenants += '}';
    auto rows = db.exec("SELECT t.tenant_id, t.reference, t.fields::text, t.archived_at IS NOT NULL, t.id::text"
                        " FROM event_types t JOIN unnest($1::bigint[], $2::text[]) AS w (tenant_id, reference)"
                        " USING (tenant_id, reference)",
                        {tenants, postgres::text_array_literal(references)});
    for (int row = 0; row < rows.rows(); row++) {
        // built in place: a schema points into itself and never moves
        schemas_.emplace(std::piecewise_construct,
                         std::forward_as_tuple(rows.integer(row, 0), std::string(rows.text(row, 1))),
                         std::forward_as_tuple(rows.text(row, 4), rows.text(row, 2), rows.boolean(row, 3)));
    }
}

const EventTypeSchema *EventTypeSchemas::find(int64_t tenant_id, std::string_view reference) const
{
    auto found = schemas_.find(std::pair{tenant_id, std::string(reference)});
    return found == schemas_.end() ? nullptr : &found->second;
}

std::string ProjectEventCheck::errors_json() const
{
    auto list = json::take(json_array());
    for (const auto &[field, message] : errors) {
        // key as the Webmarketer document names it today, field as the
        // string it announces in key's place
        json_t *item = json_object();
        json_object_set_new(item, "key", json::string(field));
        json_object_set_new(item, "field", json::string(field));
        json_object_set_new(item, "message", json::string(message));
        json_array_append_new(list.get(), item);
    }
    return json::dump(list.get());
}

namespace {

// what the envelope's parse left in parsed and errors, checked against the
// project's event types
ProjectEventCheck check_parsed(ParsedProjectEvent &parsed, analytics_validation_errors &errors, int64_t tenant_id,
                               const EventTypeSchemas &schemas);

}  // namespace

ProjectEventCheck check_project_event(std::string_view body, int64_t tenant_id, const EventTypeSchemas &schemas)
{
    ParsedProjectEvent parsed;
    analytics_validation_errors errors;
    char problem[256] = "";
    auto status = analytics_project_event_parse(body.data(), body.size(), &parsed.event, &errors, problem,
                                                sizeof(problem));
    if (status == ANALYTICS_BODY_MALFORMED || status == ANALYTICS_BODY_NO_MEMORY) {
        ProjectEventCheck check;
        check.errors.emplace_back("body", status == ANALYTICS_BODY_MALFORMED ? problem : "out of memory");
        return check;
    }
    return check_parsed(parsed, errors, tenant_id, schemas);
}

ProjectEventCheck check_project_event(json_t *body, int64_t tenant_id, const EventTypeSchemas &schemas)
{
    ParsedProjectEvent parsed;
    analytics_validation_errors errors;
    analytics_project_event_check_document(body, &parsed.event, &errors);
    return check_parsed(parsed, errors, tenant_id, schemas);
}

namespace {

ProjectEventCheck check_parsed(ParsedProjectEvent &parsed, analytics_validation_errors &errors, int64_t tenant_id,
                               const EventTypeSchemas &schemas)
{
    ProjectEventCheck check;
    const analytics_project_event &event = parsed.event;
    if (event.has_nonce) check.nonce.assign(event.nonce, event.nonce_len);
    if (event.event_type) check.event_type.assign(event.event_type, event.event_type_len);
    if (event.tracker_id) check.tracker_id.assign(event.tracker_id, event.tracker_id_len);
    if (event.has_event_date) check.event_date_ms = event.event_date_ms;
    if (event.data) check.data = json::dump(static_cast<json_t *>(event.data));

    if (event.event_type) {
        const EventTypeSchema *schema = schemas.find(tenant_id, check.event_type);
        if (schema == nullptr) {
            analytics_validation_errors_add(&errors, "eventType", "eventType names no event type of this project");
        } else if (schema->archived()) {
            analytics_validation_errors_add(&errors, "eventType", "eventType names an archived event type");
        } else if (analytics_project_event_check_data(&parsed.event, schema->fields().data(),
                                                      schema->fields().size(), &errors) == 0
                   && errors.count == 0)
        {
            check.event_type_id = schema->id();
            if (event.tracker_id) check.identities.emplace_back("trackerId", check.tracker_id);
            for (const auto &field : schema->fields()) {
                json_t *value = json_object_get(static_cast<json_t *>(event.data), field.storage_key);
                if (value == nullptr || json_is_null(value)) continue;
                if (field.kind == ANALYTICS_FIELD_KIND_STATE) {
                    check.metrics.push_back({field.storage_key, "state",
                                             double(analytics_project_event_state_value(value))});
                } else if (field.kind == ANALYTICS_FIELD_KIND_STATISTIC) {
                    check.metrics.push_back({field.storage_key, "statistic", json_number_value(value)});
                } else if (field.kind == ANALYTICS_FIELD_KIND_IDENTITY) {
                    std::string text = json_is_string(value) ? std::string(json_string_value(value), json_string_length(value))
                                                             : json::dump(value);
                    check.identities.emplace_back(field.storage_key, normalized_identity(text));
                }
            }
        }
    }
    for (size_t i = 0; i < errors.count; i++) {
        check.errors.emplace_back(errors.items[i].field, errors.items[i].message);
    }
    return check;
}

}  // namespace

void prepare_project_events(postgres::Connection &db)
{
    db.exec("CREATE TEMP TABLE IF NOT EXISTS raw_events_incoming (LIKE raw_events) ON COMMIT DELETE ROWS");
}

size_t admit_project_events(postgres::Connection &db, std::vector<IncomingEvent> &events)
{
    std::vector<std::pair<int64_t, std::string>> wanted;
    for (const auto &event : events) {
        if (event.is_project_event() && event.type() != "-") {
            wanted.emplace_back(event.fields.tenant_id, std::string(event.type()));
        }
    }
    bool any = false;
    for (const auto &event : events) any = any || event.is_project_event();
    if (!any) return 0;

    EventTypeSchemas schemas;
    schemas.load(db, wanted);

    std::vector<ProjectEventCheck> checks(events.size());
    std::string raw_rows;
    for (size_t i = 0; i < events.size(); i++) {
        const IncomingEvent &event = events[i];
        if (!event.is_project_event()) continue;
        checks[i] = event.project_body ? check_project_event(event.project_body.get(), event.fields.tenant_id, schemas)
                                       : check_project_event(event.body(), event.fields.tenant_id, schemas);
        const ProjectEventCheck &check = checks[i];
        postgres::BinaryCopyRow row(raw_rows, 8);
        row.int8(event.fields.tenant_id).uuid(event.id()).text_or_null(check.nonce)
            .text_or_null(check.event_type).text_or_null(check.tracker_id);
        if (check.event_date_ms) {
            row.timestamptz(*check.event_date_ms);
        } else {
            row.null();
        }
        // body is json: its binary form is its text, exactly as sent
        row.timestamptz(event.fields.received_at_ms).text(event.body());
    }
    db.copy_in_binary(std::string("COPY raw_events_incoming (") + kRawColumns + ") FROM STDIN", raw_rows);
    auto stored = db.exec(std::string("INSERT INTO raw_events (") + kRawColumns + ") SELECT " + kRawColumns
                          + " FROM raw_events_incoming ON CONFLICT DO NOTHING RETURNING tenant_id, id::text");
    db.exec("TRUNCATE raw_events_incoming");

    std::set<std::pair<int64_t, std::string>> fresh;
    for (int row = 0; row < stored.rows(); row++) {
        fresh.emplace(stored.integer(row, 0), std::string(stored.text(row, 1)));
    }

    std::string trash_rows;
    size_t trashed = 0;
    std::vector<ComputedEvent> computed;
    std::vector<size_t> computed_at;   // where each computed event is in kept
    std::vector<IncomingEvent> kept;
    kept.reserve(events.size());
    for (size_t i = 0; i < events.size(); i++) {
        IncomingEvent &event = events[i];
        if (!event.is_project_event()) {
            kept.push_back(std::move(event));
            continue;
        }
        // a repeated nonce, or this very entry delivered again: kept once already
        if (!fresh.erase({event.fields.tenant_id, std::string(event.id())})) continue;
        if (checks[i].valid()) {
            event.project_data = checks[i].data;
            if (checks[i].event_date_ms) event.occurred_ms = *checks[i].event_date_ms;
            computed.push_back({event.fields.tenant_id, std::string(event.id()), event.fields.received_at_ms,
                                std::move(checks[i])});
            computed_at.push_back(kept.size());
            kept.push_back(std::move(event));
        } else {
            postgres::BinaryCopyRow(trash_rows, 4)
                .int8(event.fields.tenant_id)
                .uuid(event.id())
                .timestamptz(event.fields.received_at_ms)
                .jsonb(checks[i].errors_json());
            trashed++;
        }
    }
    if (!trash_rows.empty()) {
        db.copy_in_binary("COPY trashed_events (tenant_id, id, received_at, errors) FROM STDIN", trash_rows);
    }
    // its user, so that the user's offline touches are credited with it
    auto users = write_computed_events(db, computed);
    for (size_t k = 0; k < users.size(); k++) kept[computed_at[k]].user_id = users[k];
    events = std::move(kept);
    return trashed;
}

}  // namespace analytics::ingest
