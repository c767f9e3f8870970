// Custom-ads integrations, their campaigns and the outlays spent on them
// (webmarketer-api "Custom Ads"), always within one tenant. Campaigns that
// traffic brought (utm_campaign of an integration) exist implicitly until
// a create makes them explicit.
#pragma once

#include "postgres/connection.h"
#include "stores/list_query.h"

#include <optional>
#include <string>
#include <vector>

namespace analytics::custom_ads {

struct Integration {
    long long tenant_id = 0;
    std::string id;   // uuid
    std::string wmkt_id;
    std::string name;
    std::string currency;   // ISO 4217
    std::string created_at, updated_at;
};

struct Campaign {
    std::string id;   // uuid
    std::string name;
    std::string slug;
    bool active = true;
    bool is_explicit = false;
    std::string created_at, updated_at;
};

struct Outlay {
    std::string id;   // uuid
    std::string campaign_id;
    double amount = 0;
    std::string start_date, end_date;
    std::optional<std::string> country, region, deleted_at;
    std::string created_at, updated_at;
};

// an outlay's fields as given (amount as numeric text, dates RFC 3339); absent stays nullopt
struct OutlayFields {
    postgres::Param amount, start, end, country, region;
};

// a list's filters; nullopt is no filter, booleans and ids as text
struct CampaignFilter {
    postgres::Param active, id, slug, name_like, is_explicit;
};

// one of the list's sort fields as the API names it, and ASC or DESC
struct Sort {
    std::string field;
    std::string order;
};

// the fields a list sorts by; false for one it does not know
bool is_campaign_sort(const std::string &field);
bool is_outlay_sort(const std::string &field);

// nullopt when the tenant has an integration with this wmkt_id
std::optional<Integration> create_integration(postgres::Connection &db, long long tenant_id, const std::string &wmkt_id,
                                              const std::string &name, const std::string &currency);
std::optional<Integration> find_integration(postgres::Connection &db, long long tenant_id, const std::string &wmkt_id);
// by name
stores::Listed<Integration> list_integrations(postgres::Connection &db, long long tenant_id, stores::Window window);
// how many rows changed: 0 when nothing differed
long long update_integration(postgres::Connection &db, const Integration &integration, const postgres::Param &name,
                             const postgres::Param &currency);

// the id of the new explicit campaign (an implicit one of the slug becomes
// it); nullopt when an explicit campaign has the slug already
std::optional<std::string> create_campaign(postgres::Connection &db, const Integration &integration,
                                           const std::string &slug, const std::string &name, bool active);
std::optional<Campaign> find_campaign(postgres::Connection &db, const Integration &integration, const std::string &id);
stores::Listed<Campaign> list_campaigns(postgres::Connection &db, const Integration &integration,
                                        const CampaignFilter &filter, const Sort &sort, stores::Window window);
long long update_campaign(postgres::Connection &db, const Integration &integration, const std::string &id,
                          const postgres::Param &name, const postgres::Param &active);

std::string create_outlay(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                          const OutlayFields &fields);
std::optional<Outlay> find_outlay(postgres::Connection &db, const Integration &integration,
                                  const std::string &campaign_id, const std::string &id);
// the live outlays overlapping [since, until] (either may be open)
stores::Listed<Outlay> list_outlays(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                                    const postgres::Param &since, const postgres::Param &until, const Sort &sort,
                                    stores::Window window);
// move_to: another campaign of the integration to move the outlay to
long long update_outlay(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                        const std::string &id, const OutlayFields &fields, const postgres::Param &move_to);
// sets deletedAt: the outlay stays readable by id, leaves the list and
// costs nothing from then on; 0 when it was deleted already
long long delete_outlay(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                        const std::string &id);

}  // namespace analytics::custom_ads
