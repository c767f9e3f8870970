// What funnel/track recorded, read back (reports:read of the tenant, or
// admin): GET .../funnel-steps/progress?subject= is one subject's steps with
// their first times and what is still pending; GET .../funnel-steps/report
// is each step's completion over the subjects who started in a range.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/funnel_step_store.h"
#include "stores/onboarding_store.h"

#include <algorithm>
#include <cmath>

namespace analytics::routes {
namespace {

json_t *text_or_null(const std::optional<std::string> &text)
{
    return text ? json::string(*text) : json_null();
}

http::Response progress(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto tenant = tenant_in_path(*db, request, "reports:read", "tenant", "Tenant not found");
    auto subject = query_param(request, "subject");
    if (!subject || subject->empty()) return http::error_response(400, "subject is required");
    auto found = onboarding::progress_of(*db, tenant.id, *subject);
    if (!found) return http::error_response(404, "Subject not found");

    auto body = json::take(json_object());
    json_object_set_new(body.get(), "subject", json::string(found->subject));
    json_t *steps = json_array();
    for (const auto &done : found->steps) {
        json_t *item = json_object();
        json_object_set_new(item, "step", json::string(done.step));
        json_object_set_new(item, "first_at", json::string(done.first_at));
        json_array_append_new(steps, item);
    }
    json_object_set_new(body.get(), "steps", steps);
    json_t *pending = json_array();
    for (const auto &name : funnel_steps::steps_of(*db, tenant.id).names) {
        bool done = std::any_of(found->steps.begin(), found->steps.end(), [&](const auto &s) { return s.step == name; });
        if (!done) json_array_append_new(pending, json::string(name));
    }
    json_object_set_new(body.get(), "pending", pending);
    json_object_set_new(body.get(), "domain_path", text_or_null(found->domain_path));
    json_object_set_new(body.get(), "closed_early", found->closed_early ? json_boolean(*found->closed_early) : json_null());
    json_object_set_new(body.get(), "updated_at", json::string(found->updated_at));
    return json_response(200, std::move(body));
}

json_t *completion_row(const std::string &step, bool configured, const onboarding::StepCompletion *done, long long subjects)
{
    long long completed = done ? done->completed : 0;
    json_t *item = json_object();
    json_object_set_new(item, "step", json::string(step));
    json_object_set_new(item, "configured", json_boolean(configured));
    json_object_set_new(item, "completed", json_integer(completed));
    // a share of the cohort, four decimals
    double rate = subjects > 0 ? std::round(10000.0 * static_cast<double>(completed) / static_cast<double>(subjects)) / 10000.0 : 0;
    json_object_set_new(item, "rate", json_real(rate));
    json_object_set_new(item, "first_at", done ? text_or_null(done->first_at) : json_null());
    json_object_set_new(item, "last_at", done ? text_or_null(done->last_at) : json_null());
    return item;
}

http::Response report(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto tenant = tenant_in_path(*db, request, "reports:read", "tenant", "Tenant not found");
    auto since = instant_param(request, "since");
    auto until = instant_param(request, "until");
    if (since && until && *since >= *until) return http::error_response(400, "since must be before until");
    auto completion = onboarding::completion(*db, tenant.id, since, until);

    auto body = json::take(json_object());
    json_object_set_new(body.get(), "subjects", json_integer(completion.subjects));
    json_object_set_new(body.get(), "closed_early", json_integer(completion.closed_early));
    json_t *paths = json_object();
    json_object_set_new(paths, "buy_new", json_integer(completion.buy_new));
    json_object_set_new(paths, "already_have", json_integer(completion.already_have));
    json_object_set_new(paths, "skipped", json_integer(completion.skipped));
    json_object_set_new(body.get(), "domain_path", paths);

    // the tenant's steps in their order, then steps done that it no longer names
    auto names = funnel_steps::steps_of(*db, tenant.id).names;
    auto done_of = [&](const std::string &step) -> const onboarding::StepCompletion * {
        auto found = std::find_if(completion.steps.begin(), completion.steps.end(), [&](const auto &s) { return s.step == step; });
        return found == completion.steps.end() ? nullptr : &*found;
    };
    json_t *data = json_array();
    for (const auto &name : names) json_array_append_new(data, completion_row(name, true, done_of(name), completion.subjects));
    for (const auto &done : completion.steps) {
        if (std::find(names.begin(), names.end(), done.step) == names.end()) {
            json_array_append_new(data, completion_row(done.step, false, &done, completion.subjects));
        }
    }
    json_object_set_new(body.get(), "data", data);
    return json_response(200, std::move(body));
}

}  // namespace

void register_funnel_progress_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/admin/tenants/{tenant}/funnel-steps/progress",
               [&services](http::Request &request) { return progress(services, request); });
    router.add("GET", "/api/v1/admin/tenants/{tenant}/funnel-steps/report",
               [&services](http::Request &request) { return report(services, request); });
}

}  // namespace analytics::routes
