#include "ingest/attribution_step.h"

#include "credit_split.h"
#include "event_time.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace analytics::ingest {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

struct TenantModel {
    analytics_attribution_model model = ANALYTICS_MODEL_LAST_NON_DIRECT;
    int64_t lookback_ms = 30 * kDayMs;
};

struct TouchRow {
    int64_t at_ms;
    bool direct;
    std::string event_id, source, medium, campaign;
};

using VisitorKey = std::pair<int64_t, std::string>;   // tenant, visitor key

std::string timestamp(int64_t unix_ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(unix_ms, text);
    return text;
}

// elements without quotes: numbers, hex visitor keys and RFC 3339 times
// hold no character an array literal would need escaped
void append_element(std::string &array, std::string_view element)
{
    array += array.size() > 1 ? "," : "";
    array += element;
}

std::map<int64_t, TenantModel> models_of(postgres::Connection &db, const std::vector<const IncomingEvent *> &events)
{
    std::set<int64_t> ids;
    for (const auto *event : events) ids.insert(event->fields.tenant_id);
    std::string array = "{";
    for (int64_t id : ids) append_element(array, std::to_string(id));
    array += "}";

    std::map<int64_t, TenantModel> models;
    auto result = db.exec("SELECT id, attribution_model, attribution_lookback_days FROM tenants"
                          " WHERE id = ANY($1::bigint[])", {array});
    for (int row = 0; row < result.rows(); row++) {
        TenantModel model;
        std::string name(result.text(row, 1));
        if (analytics_attribution_model_parse(name.c_str(), &model.model) != 0) {
            model.model = ANALYTICS_MODEL_LAST_NON_DIRECT;
        }
        model.lookback_ms = result.integer(row, 2) * kDayMs;
        models[result.integer(row, 0)] = model;
    }
    return models;
}

// every touch of the batch's visitors that some event of theirs can reach,
// oldest first
std::map<VisitorKey, std::vector<TouchRow>> touches_of(postgres::Connection &db,
                                                       const std::vector<const IncomingEvent *> &events,
                                                       const std::map<int64_t, TenantModel> &models)
{
    std::map<VisitorKey, std::pair<int64_t, int64_t>> windows;   // from (exclusive), to (inclusive)
    for (const auto *event : events) {
        if (event->visitor().empty()) continue;
        auto model = models.find(event->fields.tenant_id);
        int64_t lookback = model != models.end() ? model->second.lookback_ms : TenantModel{}.lookback_ms;
        VisitorKey key{event->fields.tenant_id, std::string(event->visitor())};
        auto [window, fresh] = windows.try_emplace(key, event->occurred_ms - lookback, event->occurred_ms);
        if (!fresh) {
            window->second.first = std::min(window->second.first, event->occurred_ms - lookback);
            window->second.second = std::max(window->second.second, event->occurred_ms);
        }
    }

    std::map<VisitorKey, std::vector<TouchRow>> touches;
    if (windows.empty()) return touches;
    std::string tenants = "{", visitors = "{", froms = "{", tos = "{";
    for (const auto &[key, window] : windows) {
        append_element(tenants, std::to_string(key.first));
        append_element(visitors, key.second);
        append_element(froms, timestamp(window.first));
        append_element(tos, timestamp(window.second));
    }
    tenants += "}";
    visitors += "}";
    froms += "}";
    tos += "}";

    auto result = db.exec(
        "SELECT i.tenant_id, i.visitor_key, (extract(epoch FROM i.occurred_at) * 1000)::bigint, i.direct,"
        "  i.event_id, i.source, i.medium, i.campaign"
        " FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS w (tenant_id, visitor_key, from_at, to_at)"
        " JOIN interactions i ON i.tenant_id = w.tenant_id AND i.visitor_key = w.visitor_key"
        "  AND i.occurred_at > w.from_at AND i.occurred_at <= w.to_at"
        " ORDER BY i.tenant_id, i.visitor_key, i.occurred_at, i.event_id",
        {tenants, visitors, froms, tos});
    for (int row = 0; row < result.rows(); row++) {
        touches[{result.integer(row, 0), std::string(result.text(row, 1))}].push_back(
            TouchRow{result.integer(row, 2), result.boolean(row, 3), std::string(result.text(row, 4)),
                     std::string(result.text(row, 5)), std::string(result.text(row, 6)),
                     std::string(result.text(row, 7))});
    }
    return touches;
}

void append_share(std::string &rows, const IncomingEvent &event, int position, const TouchRow *touch,
                  const char *model, const analytics_credit_share &share)
{
    postgres::CopyRow row(rows);
    row.number(event.fields.tenant_id).text(event.id()).number(position);
    if (touch) {
        row.text(touch->event_id);
    } else {
        row.null();
    }
    row.text(timestamp(event.occurred_ms))
        .text(event.type())
        .text(model)
        .text(touch ? std::string_view(touch->source) : "Direct")
        .text(touch ? std::string_view(touch->medium) : "(none)")
        .text(touch ? std::string_view(touch->campaign) : "")
        .text(event.country())
        .text(event.currency)
        .number(share.credit)
        .number(share.value);
}

}  // namespace

size_t attribute_events(postgres::Connection &db, const std::vector<const IncomingEvent *> &events,
                        RollupAccumulator &rollups)
{
    if (events.empty()) return 0;
    auto models = models_of(db, events);
    auto touches = touches_of(db, events, models);

    std::string rows;
    size_t written = 0;
    std::vector<analytics_touch> timings;
    std::vector<analytics_credit_share> shares(ANALYTICS_MAX_TOUCHES);

    for (const auto *event : events) {
        auto found_model = models.find(event->fields.tenant_id);
        TenantModel model = found_model != models.end() ? found_model->second : TenantModel{};
        const char *model_name = analytics_attribution_model_name(model.model);
        analytics_credit_share whole{ANALYTICS_CREDIT_WHOLE, event->value_minor};

        // the touches in (occurred - lookback, occurred], the latest ones when too many
        const TouchRow *first = nullptr;
        size_t count = 0;
        if (!event->visitor().empty()) {
            auto path = touches.find({event->fields.tenant_id, std::string(event->visitor())});
            if (path != touches.end()) {
                const auto &all = path->second;
                auto begin = std::upper_bound(all.begin(), all.end(), event->occurred_ms - model.lookback_ms,
                                              [](int64_t at, const TouchRow &t) { return at < t.at_ms; });
                auto end = std::upper_bound(all.begin(), all.end(), event->occurred_ms,
                                            [](int64_t at, const TouchRow &t) { return at < t.at_ms; });
                if (end - begin > ANALYTICS_MAX_TOUCHES) begin = end - ANALYTICS_MAX_TOUCHES;
                count = static_cast<size_t>(end - begin);
                first = count > 0 ? &*begin : nullptr;
            }
        }

        timings.clear();
        for (size_t i = 0; i < count; i++) timings.push_back({first[i].at_ms, first[i].direct});
        if (count == 0
            || analytics_credit_split(model.model, timings.data(), count, event->occurred_ms, whole.value,
                                      shares.data()) != 0)
        {
            append_share(rows, *event, 0, nullptr, model_name, whole);
            rollups.add_share(*event, "Direct", "(none)", "", whole.credit, whole.value);
            written++;
            continue;
        }
        for (size_t i = 0; i < count; i++) {
            if (shares[i].credit == 0 && shares[i].value == 0) continue;   // a touch the model gave nothing
            append_share(rows, *event, static_cast<int>(i), &first[i], model_name, shares[i]);
            rollups.add_share(*event, first[i].source, first[i].medium, first[i].campaign, shares[i].credit,
                              shares[i].value);
            written++;
        }
    }

    db.copy_in("COPY attributions (tenant_id, event_id, position, touch_event_id, occurred_at, event_type, model,"
               " source, medium, campaign, country, currency, credit_micros, value_minor) FROM STDIN",
               rows);
    return written;
}

}  // namespace analytics::ingest
