#include "stores/funnel_stage_store.h"
#include "json.h"

#include <algorithm>

namespace analytics::funnels {
namespace {

}  // namespace

std::vector<FunnelStage> default_stages()
{
    return {
        {"conversions", {"purchase", "conversion"}},
        {"microconversions", {"whatsapp_click", "call", "location_view", "social_share"}},
        {"add-to-cart", {"cart_add"}},
        // the webshop's mark of a paid order (mark-purchase-tracked, from the
        // shopper's browser), or a Webmarketer event type of either name
        {"checkout", {"purchase_tracked", "checkout", "begin_checkout"}},
    };
}

bool is_valid_stage_name(const std::string &name)
{
    if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
    // the report's other keys
    if (name == "clicks" || name == "Source" || name == "Medium" || name == "Campaign") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_' || c == '.' || c == '-';
    });
}

bool is_valid_event_type(const std::string &type)
{
    return !type.empty() && type.size() <= 64 && std::all_of(type.begin(), type.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
    });
}

std::vector<FunnelStage> stages_of(postgres::Connection &db, long long tenant_id, bool &configured)
{
    auto result = db.exec("SELECT name, array_to_json(event_types)::text FROM funnel_stages"
                          " WHERE tenant_id = $1 ORDER BY position", {std::to_string(tenant_id)});
    configured = result.rows() > 0;
    if (!configured) return default_stages();
    std::vector<FunnelStage> stages;
    for (int row = 0; row < result.rows(); row++) {
        FunnelStage stage{std::string(result.text(row, 0)), {}};
        if (auto types = json::parse(result.text(row, 1))) {
            size_t i;
            json_t *type;
            json_array_foreach(types->get(), i, type) stage.event_types.emplace_back(json_string_value(type));
        }
        stages.push_back(std::move(stage));
    }
    return stages;
}

void replace_stages(postgres::Connection &db, long long tenant_id, const std::vector<FunnelStage> &stages)
{
    postgres::Transaction tx(db);
    db.exec("DELETE FROM funnel_stages WHERE tenant_id = $1", {std::to_string(tenant_id)});
    for (size_t i = 0; i < stages.size(); i++) {
        db.exec("INSERT INTO funnel_stages (tenant_id, position, name, event_types) VALUES ($1, $2, $3, $4::text[])",
                {std::to_string(tenant_id), std::to_string(i), stages[i].name, postgres::text_array_literal(stages[i].event_types)});
    }
    tx.commit();
}

json_t *to_json(const std::vector<FunnelStage> &stages, bool configured)
{
    json_t *data = json_array();
    for (const auto &stage : stages) {
        json_t *types = json_array();
        for (const auto &type : stage.event_types) json_array_append_new(types, json::string(type));
        json_t *item = json_object();
        json_object_set_new(item, "name", json::string(stage.name));
        json_object_set_new(item, "eventTypes", types);
        json_array_append_new(data, item);
    }
    json_t *body = json_object();
    json_object_set_new(body, "configured", json_boolean(configured));
    json_object_set_new(body, "data", data);
    return body;
}

}  // namespace analytics::funnels
