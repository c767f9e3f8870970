// Custom-ads integrations, their campaigns and outlays (webmarketer-api,
// "Custom Ads"): /api/v1/projects/{projectId}/custom-ads/{wmktId}/...
// A token of the project (or admin): reports:read to read, manage to write;
// another project's token gets 404. Lists answer {data, count, total,
// offset, limit}; updates answer {modifiedCount}.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/custom_ad_store.h"

#include "event_id.h"
#include "event_time.h"

#include <sys/random.h>

#include <cmath>

namespace analytics::routes {
namespace {

// the integration the path's {wmktId} names, with its project
struct InProject {
    tenants::Tenant project;
    custom_ads::Integration integration;
};

// and the campaign the path's {param} names in it
struct CampaignInProject {
    tenants::Tenant project;
    custom_ads::Integration integration;
    custom_ads::Campaign campaign;
};

InProject integration_of(postgres::Connection &db, http::Request &request,
                         const std::string &scope)
{
    auto tenant = tenant_in_path(db, request, scope, "projectId", "Project not found");
    auto integration = custom_ads::find_integration(db, tenant.id, request.path_params["wmktId"]);
    if (!integration) http::refuse(404, "Integration not found");
    return InProject{tenant, std::move(*integration)};
}

CampaignInProject campaign_of(postgres::Connection &db, http::Request &request,
                              const std::string &scope, const char *param)
{
    auto found = integration_of(db, request, scope);
    auto &[project, integration] = found;
    const std::string &id = request.path_params[param];
    auto campaign = analytics_uuid_is_valid(id.data(), id.size()) ? custom_ads::find_campaign(db, integration, id)
                                                                  : std::nullopt;
    if (!campaign) http::refuse(404, "Campaign not found");
    return CampaignInProject{std::move(project), std::move(integration), std::move(*campaign)};
}

json_t *integration_json(const custom_ads::Integration &integration)
{
    json_t *item = json_object();
    json_object_set_new(item, "wmktId", json::string(integration.wmkt_id));
    json_object_set_new(item, "name", json::string(integration.name));
    json_object_set_new(item, "currency", json::string(integration.currency));
    json_object_set_new(item, "createdAt", json::string(integration.created_at));
    json_object_set_new(item, "updatedAt", json::string(integration.updated_at));
    return item;
}

json_t *campaign_json(const custom_ads::Campaign &campaign, const InProject &in)
{
    json_t *item = json_object();
    json_object_set_new(item, "id", json::string(campaign.id));
    json_object_set_new(item, "integrationId", json::string(in.integration.wmkt_id));
    json_object_set_new(item, "projectId", json::string(in.project.slug));
    json_object_set_new(item, "name", json::string(campaign.name));
    json_object_set_new(item, "campaignSlug", json::string(campaign.slug));
    json_object_set_new(item, "active", json_boolean(campaign.active));
    json_object_set_new(item, "explicit", json_boolean(campaign.is_explicit));
    json_object_set_new(item, "createdAt", json::string(campaign.created_at));
    json_object_set_new(item, "updatedAt", json::string(campaign.updated_at));
    return item;
}

json_t *outlay_json(const custom_ads::Outlay &outlay, const InProject &in)
{
    auto text_or_null = [](const std::optional<std::string> &text) { return text ? json::string(*text) : json_null(); };
    json_t *item = json_object();
    json_object_set_new(item, "_id", json::string(outlay.id));
    json_object_set_new(item, "projectId", json::string(in.project.slug));
    json_object_set_new(item, "integrationId", json::string(in.integration.wmkt_id));
    json_object_set_new(item, "campaignId", json::string(outlay.campaign_id));
    json_t *amount = json_object();
    json_object_set_new(amount, "value", json_real(outlay.amount));
    json_object_set_new(amount, "currency", json::string(in.integration.currency));
    json_object_set_new(item, "amount", amount);
    json_object_set_new(item, "startDate", json::string(outlay.start_date));
    json_object_set_new(item, "endDate", json::string(outlay.end_date));
    json_object_set_new(item, "country", text_or_null(outlay.country));
    json_object_set_new(item, "region", text_or_null(outlay.region));
    json_object_set_new(item, "deletedAt", text_or_null(outlay.deleted_at));
    json_object_set_new(item, "createdAt", json::string(outlay.created_at));
    json_object_set_new(item, "updatedAt", json::string(outlay.updated_at));
    return item;
}

// {data, count, total, offset, limit}: the campaign and outlay lists echo the page
http::Response echoed_page(json::Value data, long long total, const Page &page)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "count", json_integer(static_cast<json_int_t>(json_array_size(data.get()))));
    json_object_set_new(body.get(), "total", json_integer(total));
    json_object_set_new(body.get(), "offset", json_integer(page.offset));
    json_object_set_new(body.get(), "limit", json_integer(page.limit));
    json_object_set(body.get(), "data", data.get());
    return json_response(200, std::move(body));
}

http::Response modified(long long count)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "modifiedCount", json_integer(count));
    return json_response(200, std::move(body));
}

http::Response created_id(std::string_view id)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "id", json::string(id));
    return json_response(201, std::move(body));
}

// ?sort= (one of the list's fields, known says which) and ?order=ASC|DESC
custom_ads::Sort sort_of(const http::Request &request, const char *fallback,
                         bool (*known)(const std::string &), const char *fields)
{
    custom_ads::Sort sort{query_param(request, "sort").value_or(fallback), query_param(request, "order").value_or("ASC")};
    if (!known(sort.field)) http::refuse(400, std::string("sort must be ") + fields);
    if (sort.order != "ASC" && sort.order != "DESC") http::refuse(400, "order must be ASC or DESC");
    return sort;
}

std::optional<http::Response> bad_boolean_filter(const http::Request &request, const char *name)
{
    auto value = query_param(request, name);
    if (value && *value != "true" && *value != "false") return http::error_response(400, std::string(name) + " must be true or false");
    return std::nullopt;
}

std::optional<http::Response> bad_name(json_t *name, bool required)
{
    if (!name && !required) return std::nullopt;
    if (json_is_string(name) && json_string_length(name) >= 1 && json_string_length(name) <= 200) return std::nullopt;
    return http::error_response(400, "name must be a string of 1 to 200 characters");
}

bool is_currency(const std::string &code)
{
    return code.size() == 3 && code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
}

// the outlay fields of a create or update body: amount, startDate, endDate,
// country, region (absent stays nullopt); problem set on the first bad one
std::optional<custom_ads::OutlayFields> outlay_fields(json_t *body, std::string &problem)
{
    custom_ads::OutlayFields fields;
    if (json_t *amount = json_object_get(body, "amount")) {
        if (!json_is_number(amount) || !std::isfinite(json_number_value(amount)) || json_number_value(amount) < 0
            || json_number_value(amount) >= 1e14)
        {
            problem = "amount must be a number of at least 0";
            return std::nullopt;
        }
        char text[40];
        snprintf(text, sizeof(text), "%.4f", json_number_value(amount));
        fields.amount = std::string(text);
    }
    for (auto [name, target] : {std::pair{"startDate", &fields.start}, std::pair{"endDate", &fields.end}}) {
        if (json_t *value = json_object_get(body, name)) {
            auto text = rfc3339_instant(value);
            if (!text) {
                problem = std::string(name) + " must be an RFC 3339 date-time";
                return std::nullopt;
            }
            *target = *text;
        }
    }
    for (auto [name, target] : {std::pair{"country", &fields.country}, std::pair{"region", &fields.region}}) {
        if (json_t *value = json_object_get(body, name); value && !json_is_null(value)) {
            if (!json_is_string(value) || json_string_length(value) > 100) {
                problem = std::string(name) + " must be a string of at most 100 characters";
                return std::nullopt;
            }
            *target = std::string(json_string_value(value));
        }
    }
    return fields;
}

std::string random_wmkt_id()
{
    unsigned char bytes[8];
    if (getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) throw std::runtime_error("getrandom failed");
    static const char digits[] = "0123456789abcdef";
    std::string id = "wm";
    for (unsigned char b : bytes) {
        id += digits[b >> 4];
        id += digits[b & 15];
    }
    return id;
}

http::Response create_integration(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto project = tenant_in_path(*db, request, "manage", "projectId", "Project not found");
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();
    json_t *name = json_object_get(body, "name");
    json_t *wmkt_id = json_object_get(body, "wmktId");
    json_t *currency = json_object_get(body, "currency");
    if (auto bad = bad_name(name, true)) return *bad;
    std::string id = wmkt_id ? (json_is_string(wmkt_id) ? json_string_value(wmkt_id) : "") : random_wmkt_id();
    if (id.empty() || id.size() > 64 || id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
        return http::error_response(400, "wmktId must be 1 to 64 letters, digits, _ or -");
    }
    std::string code = currency ? (json_is_string(currency) ? json_string_value(currency) : "") : "HNL";
    if (!is_currency(code)) return http::error_response(400, "currency must be an ISO 4217 code such as HNL");
    auto integration = custom_ads::create_integration(*db, project.id, id,
                                                      json_string_value(name), code);
    if (!integration) return http::error_response(409, "An integration with wmktId " + id + " exists already");
    return json_response(201, json::take(integration_json(*integration)));
}

http::Response list_integrations(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto project = tenant_in_path(*db, request, "reports:read", "projectId", "Project not found");
    auto page = page_of(request, 1000);
    return page_response(custom_ads::list_integrations(*db, project.id, page), integration_json);
}

http::Response update_integration(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto found = integration_of(*db, request, "manage");
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();
    json_t *name = json_object_get(body, "name");
    json_t *currency = json_object_get(body, "currency");
    if (auto bad = bad_name(name, false)) return *bad;
    std::string code = json_is_string(currency) ? json_string_value(currency) : "";
    if (currency && !is_currency(code)) return http::error_response(400, "currency must be an ISO 4217 code such as HNL");
    postgres::Param new_name, new_currency;
    if (name) new_name = std::string(json_string_value(name));
    if (currency) new_currency = code;
    return modified(custom_ads::update_integration(*db, found.integration, new_name, new_currency));
}

http::Response list_campaigns(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = integration_of(*db, request, "reports:read");
    auto page = page_of(request, 1000);
    for (const char *name : {"active", "explicit"}) {
        if (auto bad = bad_boolean_filter(request, name)) return *bad;
    }
    custom_ads::CampaignFilter filter{query_param(request, "active"), query_param(request, "campaignId"),
                                      query_param(request, "campaignSlug"), query_param(request, "nameLike"),
                                      query_param(request, "explicit")};
    if (filter.id && !analytics_uuid_is_valid(filter.id->data(), filter.id->size())) {
        return http::error_response(400, "campaignId must be a campaign id (a UUID)");
    }
    auto sort = sort_of(request, "name", custom_ads::is_campaign_sort, "name, campaignId or active");
    auto campaigns = custom_ads::list_campaigns(*db, in.integration, filter, sort, page);
    auto shape = [&in](const custom_ads::Campaign &campaign) { return campaign_json(campaign, in); };
    return echoed_page(rows_json(campaigns.rows, shape), campaigns.total, page);
}

http::Response create_campaign(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto found = integration_of(*db, request, "manage");
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();
    json_t *slug = json_object_get(body, "campaignSlug");
    json_t *name = json_object_get(body, "name");
    json_t *active = json_object_get(body, "active");
    if (!json_is_string(slug) || json_string_length(slug) == 0 || json_string_length(slug) > 200) {
        return http::error_response(400, "campaignSlug must be a string of 1 to 200 characters");
    }
    if (auto bad = bad_name(name, true)) return *bad;
    if (active && !json_is_boolean(active)) return http::error_response(400, "active must be a boolean");
    auto id = custom_ads::create_campaign(*db, found.integration, json_string_value(slug),
                                          json_string_value(name), !(active && json_is_false(active)));
    if (!id) {
        return http::error_response(409, std::string("A campaign with slug ") + json_string_value(slug)
                                             + " exists already in this integration");
    }
    return created_id(*id);
}

http::Response update_campaign(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = campaign_of(*db, request, "manage", "id");
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();
    json_t *name = json_object_get(body, "name");
    json_t *active = json_object_get(body, "active");
    if (auto bad = bad_name(name, false)) return *bad;
    if (active && !json_is_boolean(active)) return http::error_response(400, "active must be a boolean");
    postgres::Param new_name, new_active;
    if (name) new_name = std::string(json_string_value(name));
    if (active) new_active = json_is_true(active) ? "true" : "false";
    return modified(custom_ads::update_campaign(*db, in.integration, in.campaign.id, new_name, new_active));
}

http::Response list_outlays(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = campaign_of(*db, request, "reports:read", "parentCampaignId");
    auto page = page_of(request, 1000);
    auto sort = sort_of(request, "startDate", custom_ads::is_outlay_sort,
                        "campaignId, startDate, endDate, amount, country or region");
    auto since = instant_param(request, "since");
    auto until = instant_param(request, "until");
    auto outlays = custom_ads::list_outlays(*db, in.integration, in.campaign.id, since, until, sort, page);
    InProject context{in.project, in.integration};
    auto shape = [&context](const custom_ads::Outlay &outlay) { return outlay_json(outlay, context); };
    return echoed_page(rows_json(outlays.rows, shape), outlays.total, page);
}

http::Response create_outlay(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = campaign_of(*db, request, "manage", "parentCampaignId");
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();
    for (const char *name : {"amount", "startDate", "endDate"}) {
        if (json_object_get(body, name) == nullptr) return http::error_response(400, std::string(name) + " is required");
    }
    std::string problem;
    auto fields = outlay_fields(body, problem);
    if (!fields) return http::error_response(400, problem);
    if (*fields->start >= *fields->end) return http::error_response(400, "startDate must be before endDate");
    return created_id(custom_ads::create_outlay(*db, in.integration, in.campaign.id, *fields));
}

// the outlay the path's {outlayId} names in its campaign, or the 404
custom_ads::Outlay outlay_of(postgres::Connection &db, http::Request &request,
                             const CampaignInProject &in)
{
    const std::string &id = request.path_params["outlayId"];
    auto outlay = analytics_uuid_is_valid(id.data(), id.size())
                      ? custom_ads::find_outlay(db, in.integration, in.campaign.id, id) : std::nullopt;
    if (!outlay) http::refuse(404, "Outlay not found");
    return std::move(*outlay);
}

http::Response read_outlay(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = campaign_of(*db, request, "reports:read", "parentCampaignId");
    auto outlay = outlay_of(*db, request, in);
    return json_response(200, json::take(outlay_json(outlay, {in.project, in.integration})));
}

http::Response update_outlay(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = campaign_of(*db, request, "manage", "parentCampaignId");
    auto outlay = outlay_of(*db, request, in);
    auto parsed = json_object_body(request);
    json_t *body = parsed.get();
    std::string problem;
    auto fields = outlay_fields(body, problem);
    if (!fields) return http::error_response(400, problem);
    if (fields->start.value_or(outlay.start_date) >= fields->end.value_or(outlay.end_date)) {
        return http::error_response(400, "startDate must be before endDate");
    }
    // campaignId moves the outlay to another campaign of the same integration
    postgres::Param move_to;
    if (json_t *target = json_object_get(body, "campaignId")) {
        if (!json_is_string(target) || !analytics_uuid_is_valid(json_string_value(target), json_string_length(target))
            || !custom_ads::find_campaign(*db, in.integration, json_string_value(target)))
        {
            return http::error_response(400, "campaignId must name a campaign of this integration");
        }
        move_to = std::string(json_string_value(target));
    }
    return modified(custom_ads::update_outlay(*db, in.integration, in.campaign.id, outlay.id, *fields, move_to));
}

// {"deletedCount": 0|1}, as PATCH answers {"modifiedCount"}
http::Response delete_outlay(Services &services, http::Request &request)
{
    auto db = services.db.borrow();
    auto in = campaign_of(*db, request, "manage", "parentCampaignId");
    auto outlay = outlay_of(*db, request, in);
    auto out = json::take(json_object());
    json_object_set_new(out.get(), "deletedCount",
                        json_integer(custom_ads::delete_outlay(*db, in.integration, in.campaign.id, outlay.id)));
    return json_response(200, std::move(out));
}

}  // namespace

void register_custom_ads_routes(http::Router &router, Services &services)
{
    const std::string base = "/api/v1/projects/{projectId}/custom-ads";
    auto route = [&](const char *method, const std::string &path, http::Response (*handler)(Services &, http::Request &)) {
        router.add(method, path, [&services, handler](http::Request &request) { return handler(services, request); });
    };
    route("POST", base, create_integration);
    route("GET", base, list_integrations);
    router.add("GET", base + "/{wmktId}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = integration_of(*db, request, "reports:read");
        return json_response(200, json::take(integration_json(found.integration)));
    });
    route("PATCH", base + "/{wmktId}", update_integration);
    route("GET", base + "/{wmktId}/campaigns", list_campaigns);
    route("POST", base + "/{wmktId}/campaigns", create_campaign);
    router.add("GET", base + "/{wmktId}/campaigns/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto in = campaign_of(*db, request, "reports:read", "id");
        return json_response(200, json::take(campaign_json(in.campaign, {in.project, in.integration})));
    });
    route("PATCH", base + "/{wmktId}/campaigns/{id}", update_campaign);
    route("GET", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays", list_outlays);
    route("POST", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays", create_outlay);
    route("GET", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays/{outlayId}", read_outlay);
    route("PATCH", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays/{outlayId}", update_outlay);
    route("DELETE", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays/{outlayId}", delete_outlay);
}

}  // namespace analytics::routes
