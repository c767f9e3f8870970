#include "ingest/attribution_step.h"

#include "credit_split.h"

#include <algorithm>
#include <array>
#include <map>
#include <limits>
#include <set>
#include <string>

namespace analytics::ingest {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

struct TenantModel {
    analytics_attribution_model model = ANALYTICS_MODEL_LAST_NON_DIRECT;
    int64_t lookback_ms = 30 * kDayMs;
    // no stored share is of an event later than this (attribution_marks);
    // read under the attribution lock, it holds until the commit
    int64_t latest_attributed_ms = std::numeric_limits<int64_t>::min();
};

// views into the query result that found it, which its Paths keeps
struct TouchRow {
    int64_t at_ms;
    bool direct;
    std::string_view event_id, source, medium, campaign;
};

// tenant, visitor key or user id: a view into the event or the query row it
// came from, which outlives the map it keys
using PathKey = std::pair<int64_t, std::string_view>;

// elements without quotes: numbers, hex visitor keys and uuids hold no
// character an array literal would need escaped
void append_element(std::string &array, std::string_view element)
{
    array += array.size() > 1 ? "," : "";
    array += element;
}

// ids as a bigint[] input literal
std::string id_array(const std::set<int64_t> &ids)
{
    std::string array = "{";
    for (int64_t id : ids) append_element(array, std::to_string(id));
    return array + "}";
}

std::map<int64_t, TenantModel> models_of(postgres::Connection &db, const std::set<int64_t> &ids)
{
    std::map<int64_t, TenantModel> models;
    auto result = db.exec("SELECT id, attribution_model, attribution_lookback_days,"
                          " (SELECT ceil(date_part('epoch', latest_at) * 1000)::bigint FROM attribution_marks m"
                          "  WHERE m.tenant_id = t.id)"
                          " FROM tenants t WHERE id = ANY($1::bigint[])", {id_array(ids)});
    for (int row = 0; row < result.rows(); row++) {
        TenantModel model;
        std::string name(result.text(row, 1));
        if (analytics_attribution_model_parse(name.c_str(), &model.model) != 0) {
            model.model = ANALYTICS_MODEL_LAST_NON_DIRECT;
        }
        model.lookback_ms = result.integer(row, 2) * kDayMs;
        if (!result.is_null(row, 3)) model.latest_attributed_ms = result.integer(row, 3);
        models[result.integer(row, 0)] = model;
    }
    return models;
}

TenantModel model_of(const std::map<int64_t, TenantModel> &models, int64_t tenant_id)
{
    auto found = models.find(tenant_id);
    return found != models.end() ? found->second : TenantModel{};
}

// per path (a visitor or a user), from the least to the greatest of the times given
using Windows = std::map<PathKey, std::pair<int64_t, int64_t>>;

void widen(Windows &windows, int64_t tenant_id, std::string_view key, int64_t from, int64_t to)
{
    auto [window, fresh] = windows.try_emplace({tenant_id, key}, from, to);
    if (!fresh) {
        window->second.first = std::min(window->second.first, from);
        window->second.second = std::max(window->second.second, to);
    }
}

// SQL: window_arrays' four arrays, $1 to $4, as rows w (tenant_id, path, from_at, to_at)
constexpr const char *kWindowRows =
    "(SELECT tenant_id, path, to_timestamp(from_ms::float8 / 1000) AS from_at, to_timestamp(to_ms::float8 / 1000) AS to_at"
    " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS u (tenant_id, path, from_ms, to_ms)) AS w";

// the windows as four array literals: tenants, path keys, from and to times
// (Unix milliseconds: as text, every time cost PostgreSQL a parse)
std::array<std::string, 4> window_arrays(const Windows &windows)
{
    std::array<std::string, 4> arrays = {"{", "{", "{", "{"};
    for (const auto &[key, window] : windows) {
        append_element(arrays[0], std::to_string(key.first));
        append_element(arrays[1], key.second);
        append_element(arrays[2], std::to_string(window.first));
        append_element(arrays[3], std::to_string(window.second));
    }
    for (auto &array : arrays) array += "}";
    return arrays;
}

// a path of touches is one visitor's (by visitor_key) or one user's (by
// user_id: offline touches, stitched by identity)
enum class PathKind { visitor, user };
struct Paths {
    std::vector<postgres::Result> results;   // what the touches' views point into
    std::map<PathKey, std::vector<TouchRow>> touches;   // each oldest first
};

const char *path_column(PathKind kind)
{
    return kind == PathKind::visitor ? "visitor_key" : "user_id";
}

// SQL: table's path column equals the window's key (w.path, text)
std::string path_matches(PathKind kind, const char *table)
{
    return std::string(table) + "." + path_column(kind) + " = w.path::" + (kind == PathKind::visitor ? "text" : "uuid");
}

// time order, ties by id, so that every consumer weighs a path the same way
bool earlier(const TouchRow &a, const TouchRow &b)
{
    return std::tie(a.at_ms, a.event_id) < std::tie(b.at_ms, b.event_id);
}

// every touch of the windows' paths, oldest first
Paths touches_in(postgres::Connection &db, const Windows &windows, PathKind kind)
{
    Paths paths;
    if (windows.empty()) return paths;
    auto [tenants, keys, froms, tos] = window_arrays(windows);
    auto result = db.exec(
        "SELECT i.tenant_id, i." + std::string(path_column(kind)) + "::text,"
        "  round(date_part('epoch', i.occurred_at) * 1000)::bigint, i.direct, i.event_id, i.source, i.medium, i.campaign"
        " FROM " + std::string(kWindowRows) +
        " JOIN interactions i ON i.tenant_id = w.tenant_id AND " + path_matches(kind, "i") +
        "  AND i.occurred_at > w.from_at AND i.occurred_at <= w.to_at",
        {tenants, keys, froms, tos});
    for (int row = 0; row < result.rows(); row++) {
        paths.touches[{result.integer(row, 0), result.text(row, 1)}].push_back(
            TouchRow{result.integer(row, 2), result.boolean(row, 3), result.text(row, 4), result.text(row, 5),
                     result.text(row, 6), result.text(row, 7)});
    }
    paths.results.push_back(std::move(result));
    // in order here, not in the query: a few touches per path sort at once
    for (auto &[key, touches] : paths.touches) std::sort(touches.begin(), touches.end(), earlier);
    return paths;
}

// the touches of path key in (from, to], appended to path
void add_path(const Paths &paths, int64_t tenant_id, std::string_view key, int64_t from, int64_t to,
              std::vector<const TouchRow *> &path)
{
    if (key.empty()) return;
    auto found = paths.touches.find({tenant_id, key});
    if (found == paths.touches.end()) return;
    const auto &all = found->second;
    auto begin = std::upper_bound(all.begin(), all.end(), from,
                                  [](int64_t at, const TouchRow &t) { return at < t.at_ms; });
    auto end = std::upper_bound(all.begin(), all.end(), to, [](int64_t at, const TouchRow &t) { return at < t.at_ms; });
    for (auto touch = begin; touch != end; ++touch) path.push_back(&*touch);
}

void append_share(std::string &rows, const AttributedEvent &event, int position, const TouchRow *touch,
                  const char *model, const analytics_credit_share &share)
{
    postgres::BinaryCopyRow(rows, 16)
        .int8(event.tenant_id)
        .uuid(event.id)
        .int2(static_cast<int16_t>(position))
        .uuid_or_null(touch ? touch->event_id : std::string_view())
        .timestamptz(event.occurred_ms)
        .text(event.type)
        .text(model)
        .text(touch ? touch->source : "Direct")
        .text(touch ? touch->medium : "(none)")
        .text(touch ? touch->campaign : "")
        .text(event.country)
        .text(event.currency)
        .int8(share.credit)
        .int8(share.value)
        .text_or_null(event.visitor)
        .uuid_or_null(event.user);
}

// splits each event over its touches by its tenant's model; writes the
// shares and adds them to the rollups
size_t split_and_write(postgres::Connection &db, const std::vector<AttributedEvent> &events,
                       RollupAccumulator &rollups)
{
    if (events.empty()) return 0;
    std::set<int64_t> tenant_ids;
    for (const auto &event : events) tenant_ids.insert(event.tenant_id);
    auto models = models_of(db, tenant_ids);
    Windows visitor_windows, user_windows;   // from (exclusive), to (inclusive)
    for (const auto &event : events) {
        int64_t from = event.occurred_ms - model_of(models, event.tenant_id).lookback_ms;
        if (!event.visitor.empty()) widen(visitor_windows, event.tenant_id, event.visitor, from, event.occurred_ms);
        if (!event.user.empty()) widen(user_windows, event.tenant_id, event.user, from, event.occurred_ms);
    }
    auto visitor_touches = touches_in(db, visitor_windows, PathKind::visitor);
    auto user_touches = touches_in(db, user_windows, PathKind::user);

    std::string rows;
    size_t written = 0;
    std::vector<const TouchRow *> path;
    std::vector<analytics_touch> timings;
    std::vector<analytics_credit_share> shares(ANALYTICS_MAX_TOUCHES);

    for (const auto &event : events) {
        TenantModel model = model_of(models, event.tenant_id);
        const char *model_name = analytics_attribution_model_name(model.model);
        analytics_credit_share whole{ANALYTICS_CREDIT_WHOLE, event.value_minor};

        // the touches in (occurred - lookback, occurred] of its visitor and
        // its user, in time order, the latest ones when too many
        path.clear();
        add_path(visitor_touches, event.tenant_id, event.visitor, event.occurred_ms - model.lookback_ms,
                 event.occurred_ms, path);
        add_path(user_touches, event.tenant_id, event.user, event.occurred_ms - model.lookback_ms,
                 event.occurred_ms, path);
        std::sort(path.begin(), path.end(), [](const TouchRow *a, const TouchRow *b) { return earlier(*a, *b); });
        path.erase(std::unique(path.begin(), path.end(),
                               [](const TouchRow *a, const TouchRow *b) { return a->event_id == b->event_id; }),
                   path.end());
        if (path.size() > ANALYTICS_MAX_TOUCHES) path.erase(path.begin(), path.end() - ANALYTICS_MAX_TOUCHES);
        const size_t count = path.size();

        timings.clear();
        for (const auto *touch : path) timings.push_back({touch->at_ms, touch->direct});
        if (count == 0
            || analytics_credit_split(model.model, timings.data(), count, event.occurred_ms, whole.value,
                                      shares.data()) != 0)
        {
            append_share(rows, event, 0, nullptr, model_name, whole);
            rollups.add_share(event, "Direct", "(none)", "", whole.credit, whole.value);
            written++;
            continue;
        }
        for (size_t i = 0; i < count; i++) {
            if (shares[i].credit == 0 && shares[i].value == 0) continue;   // a touch the model gave nothing
            append_share(rows, event, static_cast<int>(i), path[i], model_name, shares[i]);
            rollups.add_share(event, path[i]->source, path[i]->medium, path[i]->campaign, shares[i].credit,
                              shares[i].value);
            written++;
        }
    }

    db.copy_in_binary("COPY attributions (tenant_id, event_id, position, touch_event_id, occurred_at, event_type, model,"
               " source, medium, campaign, country, currency, credit_micros, value_minor, visitor_key, user_id) FROM STDIN",
               rows);

    // each tenant's mark raised to the latest event split here
    std::map<int64_t, int64_t> latest;
    for (const auto &event : events) {
        auto [at, fresh] = latest.try_emplace(event.tenant_id, event.occurred_ms);
        if (!fresh) at->second = std::max(at->second, event.occurred_ms);
    }
    postgres::ColumnArrays marks(2);
    for (const auto &[tenant_id, ms] : latest) marks.number(tenant_id).number(ms);
    db.exec("INSERT INTO attribution_marks AS m (tenant_id, latest_at)"
            " SELECT tenant_id, to_timestamp(ms::float8 / 1000) FROM unnest($1::bigint[], $2::bigint[]) AS u (tenant_id, ms)"
            " ON CONFLICT (tenant_id) DO UPDATE SET latest_at = greatest(m.latest_at, excluded.latest_at)",
            marks.params());
    return written;
}

// what a DELETE of shares returns, for resplit_taken
constexpr const char *kTakenColumns =
    "a.tenant_id, a.event_id, (extract(epoch FROM a.occurred_at) * 1000)::bigint, a.event_type, a.country,"
    " a.currency, coalesce(a.visitor_key, ''), coalesce(a.user_id::text, ''), a.source, a.medium, a.campaign,"
    " a.credit_micros, a.value_minor";

// shares taken back (rows of kTakenColumns): their sums leave the rollups,
// and their events are split again over every touch PostgreSQL has now.
// Returns the number of shares written.
size_t resplit_taken(postgres::Connection &db, const std::vector<postgres::Result> &taken, RollupAccumulator &rollups)
{
    std::map<std::pair<int64_t, std::string_view>, AttributedEvent> reached;
    for (const auto &result : taken) {
        for (int row = 0; row < result.rows(); row++) {
            AttributedEvent share_of{result.integer(row, 0), result.text(row, 1), result.text(row, 3),
                                     result.text(row, 4), result.text(row, 5), result.text(row, 6),
                                     result.text(row, 7), result.integer(row, 2), result.integer(row, 12)};
            rollups.add_share(share_of, result.text(row, 8), result.text(row, 9), result.text(row, 10),
                              -result.integer(row, 11), -result.integer(row, 12));
            auto [event, fresh] = reached.try_emplace({share_of.tenant_id, share_of.id}, share_of);
            if (!fresh) event->second.value_minor += share_of.value_minor;
        }
    }
    if (reached.empty()) return 0;
    std::vector<AttributedEvent> events;
    events.reserve(reached.size());
    for (const auto &[key, event] : reached) events.push_back(event);
    return split_and_write(db, events, rollups);
}

}  // namespace

void take_attribution_lock(postgres::Connection &db, const std::vector<const IncomingEvent *> &events)
{
    std::set<int64_t> tenant_ids;
    for (const auto *event : events) tenant_ids.insert(event->fields.tenant_id);
    take_attribution_lock(db, tenant_ids);
}

void take_attribution_lock(postgres::Connection &db, const std::set<int64_t> &tenant_ids)
{
    if (tenant_ids.empty()) return;
    // in tenant order, so that batches of several tenants cannot deadlock;
    // two tenants whose ids share a key only wait for each other
    db.exec("SELECT pg_advisory_xact_lock(hashtext('analytics attribution'), (t % 2147483647)::integer)"
            " FROM (SELECT DISTINCT t FROM unnest($1::bigint[]) AS t ORDER BY t) AS tenants",
            {id_array(tenant_ids)});
}

size_t attribute_events(postgres::Connection &db, const std::vector<const IncomingEvent *> &events,
                        RollupAccumulator &rollups)
{
    std::vector<AttributedEvent> subjects;
    subjects.reserve(events.size());
    for (const auto *event : events) subjects.push_back(AttributedEvent::of(*event));
    return split_and_write(db, subjects, rollups);
}

size_t reattribute_reached_events(postgres::Connection &db, const std::vector<const IncomingEvent *> &touches,
                                  RollupAccumulator &rollups)
{
    std::set<int64_t> tenant_ids;
    for (const auto *touch : touches) {
        if (!touch->visitor().empty() || !touch->user_id.empty()) tenant_ids.insert(touch->fields.tenant_id);
    }
    if (tenant_ids.empty()) return 0;
    auto models = models_of(db, tenant_ids);

    // a touch at t reaches the events of its visitor or user in [t, t + lookback);
    // none when t is later than every event its tenant has shares of (the
    // usual case: touches come before the events they explain)
    Windows visitor_windows, user_windows;
    for (const auto *touch : touches) {
        TenantModel model = model_of(models, touch->fields.tenant_id);
        if (touch->occurred_ms > model.latest_attributed_ms) continue;
        int64_t to = touch->occurred_ms + model.lookback_ms;
        if (!touch->visitor().empty()) {
            widen(visitor_windows, touch->fields.tenant_id, touch->visitor(), touch->occurred_ms, to);
        }
        if (!touch->user_id.empty()) widen(user_windows, touch->fields.tenant_id, touch->user_id, touch->occurred_ms, to);
    }

    // taken back by DELETE: of two consumers whose touches reach the same
    // event, the second finds its shares gone and leaves it to the first,
    // so nothing is ever taken back twice
    std::vector<postgres::Result> taken;
    for (auto kind : {PathKind::visitor, PathKind::user}) {
        const auto &windows = kind == PathKind::visitor ? visitor_windows : user_windows;
        if (windows.empty()) continue;
        auto [tenants, keys, froms, tos] = window_arrays(windows);
        taken.push_back(db.exec(
            "DELETE FROM attributions a"
            " USING " + std::string(kWindowRows) +
            " WHERE a.tenant_id = w.tenant_id AND " + path_matches(kind, "a")
            + "  AND a.occurred_at >= w.from_at AND a.occurred_at < w.to_at"
            " RETURNING " + kTakenColumns,
            {tenants, keys, froms, tos}));
    }

    return resplit_taken(db, taken, rollups);
}

size_t reattribute_user_events(postgres::Connection &db, int64_t tenant_id, const std::string &user,
                               RollupAccumulator &rollups)
{
    // from the user's first touch on: an earlier event's path has none of them
    std::vector<postgres::Result> taken;
    taken.push_back(db.exec(
        "DELETE FROM attributions a WHERE a.tenant_id = $1 AND a.user_id = $2::uuid"
        " AND a.occurred_at >= (SELECT min(occurred_at) FROM interactions"
        "  WHERE tenant_id = $1 AND user_id = $2::uuid)"
        " RETURNING " + std::string(kTakenColumns),
        {std::to_string(tenant_id), user}));
    return resplit_taken(db, taken, rollups);
}

}  // namespace analytics::ingest
