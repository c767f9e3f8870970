// Attribution at ingest: every event the batch inserted (interactions
// aside) is split over its visitor's touches in the tenant's lookback
// window by the tenant's model, and the shares are staged in
// attributions_incoming for the rollups. An event no touch explains goes
// wholly to Direct.
#pragma once

#include "postgres/connection.h"

namespace analytics::ingest {

// reads events_incoming, events_fresh and interactions (this batch's
// included); returns the number of shares staged
size_t stage_attributions(postgres::Connection &db);

}  // namespace analytics::ingest
