// POST /api/v1/projects/{projectId}/interactions/offline (webmarketer-api):
// a touch outside the site (a call from a newspaper ad, a visit at a fair),
// synchronous. nodeData names the custom-ads integration (wmktId) and,
// optionally, its campaign (cid, a campaign id, or campaignSlug); userData
// names the user by the project's identity fields. Stored as an interaction
// of source "Custom Ads", medium "offline", with its user, by the stream
// consumer's writer (rollups and implicit campaigns included).
#include "ingest/computed_events.h"
#include "ingest/event_batch_writer.h"
#include "ingest/local_event.h"
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/custom_ad_store.h"
#include "stores/event_type_store.h"

#include "event_id.h"
#include "json_field.h"

#include <cstdio>

namespace analytics::routes {

void register_offline_interaction_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/projects/{projectId}/interactions/offline", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = tenant_in_path(*db, request, "events:write", "projectId", "Project not found");
        auto parsed = json_object_body(request);
        json_t *body = parsed.get();

        int64_t occurred_ms = -1;
        if (json_t *date = json_object_get(body, "date"); date && !json_is_null(date)) {
            if (!analytics_json_time(date, &occurred_ms)) {
                return http::error_response(400, "date must be an RFC 3339 date-time");
            }
        }
        json_t *node = json_object_get(body, "nodeData");
        if (!json_is_object(node)) return http::error_response(400, "nodeData must be an object");
        json_t *wmkt_id = json_object_get(node, "wmktId");
        if (!json_is_string(wmkt_id) || json_string_length(wmkt_id) == 0) {
            return http::error_response(400, "wmktId must be present in nodeData");
        }
        json_t *user_data = json_object_get(body, "userData");
        if (!json_is_object(user_data)) return http::error_response(400, "userData must be an object");

        auto integration = custom_ads::find_integration(*db, tenant.id, json_string_value(wmkt_id));
        if (!integration) return http::error_response(400, "wmktId must name a custom ads integration of this project");

        // the campaign: by id (cid), or by slug (an undeclared one becomes implicit)
        std::string slug, campaign;
        json_t *cid = json_object_get(node, "cid");
        json_t *campaign_slug = json_object_get(node, "campaignSlug");
        if (cid && !json_is_null(cid)) {
            auto named = json_is_string(cid) && analytics_uuid_is_valid(json_string_value(cid), json_string_length(cid))
                             ? custom_ads::find_campaign(*db, *integration, json_string_value(cid)) : std::nullopt;
            if (!named) return http::error_response(400, "cid must name a campaign of this integration");
            slug = named->slug;
            campaign = named->name;
        } else if (campaign_slug && !json_is_null(campaign_slug)) {
            if (!json_is_string(campaign_slug) || json_string_length(campaign_slug) == 0 || json_string_length(campaign_slug) > 128) {
                return http::error_response(400, "campaignSlug must be a string of 1 to 128 characters");
            }
            slug = campaign = json_string_value(campaign_slug);
        }

        // the user, by the project's identity fields only
        auto known_fields = event_types::identity_fields(*db, tenant.id);
        std::vector<std::pair<std::string, std::string>> hashed;
        const char *key;
        json_t *value;
        json_object_foreach(user_data, key, value) {
            if (!known_fields.count(key)) {
                return http::error_response(400, std::string("userData.") + key + " is not an identity field of this project");
            }
            if (!json_is_string(value) && !json_is_number(value)) {
                return http::error_response(400, std::string("userData.") + key + " must be a string or a number");
            }
            std::string text = json_is_string(value) ? json_string_value(value) : json::dump(value);
            text = ingest::normalized_identity(text);
            if (!text.empty()) hashed.emplace_back(key, ingest::identity_hash(tenant.id, key, text));
        }
        if (hashed.empty()) return http::error_response(400, "userData must name the user with at least one identity field");

        std::string user;
        {
            postgres::Transaction tx(*db);
            std::map<std::pair<int64_t, std::string>, std::string> known;
            user = ingest::find_or_make_user(*db, tenant.id, hashed, known);
            tx.commit();
        }

        // what the interaction keeps of the request: the node, never the user's data
        auto metadata = json::take(json_object());
        json_object_set_new(metadata.get(), "offline", json_true());
        json_object_set(metadata.get(), "nodeData", node);
        ingest::LocalEvent local("offline", ANALYTICS_EVENT_KIND_INTERACTION, tenant.id, tenant.slug, "offline", json::dump(metadata.get()), "");
        ingest::IncomingEvent &event = local.event();
        if (occurred_ms >= 0) event.occurred_ms = occurred_ms;
        event.user_id = user;
        analytics_traffic_source &source = event.source;
        snprintf(source.source, sizeof(source.source), "%s", "Custom Ads");
        snprintf(source.medium, sizeof(source.medium), "%s", "offline");
        snprintf(source.campaign, sizeof(source.campaign), "%s", campaign.c_str());
        snprintf(source.wmkt_id, sizeof(source.wmkt_id), "%s", json_string_value(wmkt_id));
        snprintf(source.campaign_slug, sizeof(source.campaign_slug), "%s", slug.c_str());
        source.direct = 0;

        ingest::EventBatchWriter writer(services.settings.stream);
        writer.prepare(*db);
        std::vector<ingest::IncomingEvent> events;
        events.push_back(std::move(event));
        writer.write(*db, std::move(events));

        auto answer = json::take(json_object());
        json_object_set_new(answer.get(), "id", json::string(local.id()));
        json_object_set_new(answer.get(), "userId", json::string(user));
        return json_response(201, std::move(answer));
    });
}

}  // namespace analytics::routes
