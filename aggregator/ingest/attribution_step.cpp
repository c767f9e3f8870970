#include "ingest/attribution_step.h"

#include "credit_split.h"
#include "event_time.h"

#include <charconv>
#include <string>
#include <vector>

namespace analytics::ingest {
namespace {

// one row per (event, touch), touches oldest first; an event without a
// touch has one row with the touch columns NULL
const std::string kEventsAndTouches =
    "SELECT e.tenant_id, e.id, e.type, (extract(epoch FROM o.at) * 1000)::bigint,"
    "  coalesce(e.country, ''), event_currency(e.kind, e.metadata), event_value_minor(e.kind, e.metadata),"
    "  coalesce(t.attribution_model, 'last_non_direct'),"
    "  touch.event_id, (extract(epoch FROM touch.occurred_at) * 1000)::bigint,"
    "  touch.source, touch.medium, touch.campaign, touch.direct"
    " FROM events_incoming e"
    " JOIN events_fresh f ON f.tenant_id = e.tenant_id AND f.id = e.id"
    " CROSS JOIN LATERAL (SELECT event_occurred_at(e.kind, e.metadata, e.received_at) AS at) o"
    " LEFT JOIN tenants t ON t.id = e.tenant_id"
    " LEFT JOIN LATERAL ("
    "   SELECT i.event_id, i.occurred_at, i.source, i.medium, i.campaign, i.direct FROM interactions i"
    "   WHERE e.visitor_key IS NOT NULL AND i.tenant_id = e.tenant_id AND i.visitor_key = e.visitor_key"
    "     AND i.occurred_at <= o.at"
    "     AND i.occurred_at > o.at - make_interval(days => coalesce(t.attribution_lookback_days, 30))"
    "   ORDER BY i.occurred_at DESC, i.event_id DESC LIMIT $1) touch ON true"
    " WHERE e.kind <> 'interaction'"
    " ORDER BY e.tenant_id, e.id, touch.occurred_at, touch.event_id";

constexpr int kTenant = 0, kEvent = 1, kType = 2, kOccurredMs = 3, kCountry = 4, kCurrency = 5, kValue = 6,
              kModel = 7, kTouch = 8, kTouchMs = 9, kSource = 10, kMedium = 11, kCampaign = 12, kDirect = 13;

struct Touch {
    int row;    // in the result, for its text columns
    analytics_touch timing;
};

long long number(const postgres::Result &result, int row, int column)
{
    long long value = 0;
    auto text = result.text(row, column);
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

void append_share(std::string &rows, const postgres::Result &result, int event_row, const Touch *touch,
                  int position, const char *model, const analytics_credit_share &share)
{
    char occurred_at[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(number(result, event_row, kOccurredMs), occurred_at);

    postgres::CopyRow row(rows);
    row.text(result.text(event_row, kTenant)).text(result.text(event_row, kEvent)).number(position);
    if (touch) {
        row.text(result.text(touch->row, kTouch));
    } else {
        row.null();
    }
    row.text(occurred_at)
        .text(result.text(event_row, kType))
        .text(model)
        .text(touch ? result.text(touch->row, kSource) : "Direct")
        .text(touch ? result.text(touch->row, kMedium) : "(none)")
        .text(touch ? result.text(touch->row, kCampaign) : "")
        .text(result.text(event_row, kCountry))
        .text(result.text(event_row, kCurrency))
        .number(share.credit)
        .number(share.value);
}

}  // namespace

size_t stage_attributions(postgres::Connection &db)
{
    auto result = db.exec(kEventsAndTouches, {std::to_string(ANALYTICS_MAX_TOUCHES)});
    std::string rows;
    size_t staged = 0;
    std::vector<Touch> touches;
    std::vector<analytics_touch> timings;
    std::vector<analytics_credit_share> shares(ANALYTICS_MAX_TOUCHES);

    for (int first = 0; first < result.rows();) {
        int last = first;
        while (last + 1 < result.rows() && result.text(last + 1, kEvent) == result.text(first, kEvent)
               && result.text(last + 1, kTenant) == result.text(first, kTenant))
        {
            last++;
        }

        analytics_attribution_model model = ANALYTICS_MODEL_LAST_NON_DIRECT;
        std::string model_name(result.text(first, kModel));
        if (analytics_attribution_model_parse(model_name.c_str(), &model) != 0) {
            model = ANALYTICS_MODEL_LAST_NON_DIRECT;
        }
        const char *model_text = analytics_attribution_model_name(model);
        long long value = number(result, first, kValue);
        analytics_credit_share whole{ANALYTICS_CREDIT_WHOLE, value < 0 ? 0 : value};

        touches.clear();
        timings.clear();
        for (int row = first; row <= last; row++) {
            if (result.is_null(row, kTouch)) continue;
            touches.push_back({row, {number(result, row, kTouchMs), result.boolean(row, kDirect)}});
            timings.push_back(touches.back().timing);
        }

        if (touches.empty()
            || analytics_credit_split(model, timings.data(), timings.size(), number(result, first, kOccurredMs),
                                      whole.value, shares.data()) != 0)
        {
            append_share(rows, result, first, nullptr, 0, model_text, whole);
            staged++;
        } else {
            for (size_t i = 0; i < touches.size(); i++) {
                if (shares[i].credit == 0 && shares[i].value == 0) continue;   // a touch the model gave nothing
                append_share(rows, result, first, &touches[i], static_cast<int>(i), model_text, shares[i]);
                staged++;
            }
        }
        first = last + 1;
    }

    if (!rows.empty()) {
        db.copy_in("COPY attributions_incoming (tenant_id, event_id, position, touch_event_id, occurred_at,"
                   " event_type, model, source, medium, campaign, country, currency, credit_micros, value_minor)"
                   " FROM STDIN",
                   rows);
    }
    return staged;
}

}  // namespace analytics::ingest
