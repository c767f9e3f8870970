#include "stores/funnel_step_store.h"

namespace analytics::funnel_steps {

FunnelSteps steps_of(postgres::Connection &db, long long tenant_id)
{
    auto result = db.exec("SELECT EXISTS (SELECT 1 FROM funnel_steps WHERE tenant_id = $1),"
                          " unnest(string_to_array(funnel_steps_of($1), ','))",
                          {std::to_string(tenant_id)});
    FunnelSteps steps;
    for (int row = 0; row < result.rows(); row++) {
        steps.configured = result.boolean(row, 0);
        steps.names.emplace_back(result.text(row, 1));
    }
    return steps;
}

void replace_steps(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id,
                   const std::vector<std::string> &names)
{
    {
        postgres::Transaction tx(db);
        db.exec("DELETE FROM funnel_steps WHERE tenant_id = $1", {std::to_string(tenant_id)});
        for (size_t n = 0; n < names.size(); n++) {
            db.exec("INSERT INTO funnel_steps (tenant_id, position, name) VALUES ($1, $2, $3)",
                    {std::to_string(tenant_id), std::to_string(n), names[n]});
        }
        tx.commit();
    }
    cache::mirror_or_warn("funnel steps of tenant " + std::to_string(tenant_id),
                          [&] { mirror.publish_funnel_steps(db, tenant_id); });
}

}  // namespace analytics::funnel_steps
