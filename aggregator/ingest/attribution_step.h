// Attribution at ingest: each event a batch inserted (interactions aside)
// is split over its visitor's touches in the tenant's lookback window by the
// tenant's model, the batch's own interactions included. The shares go to
// the attributions table and the rollups; an event no touch explains goes
// wholly to Direct.
#pragma once

#include "ingest/incoming_event.h"
#include "ingest/rollups.h"
#include "postgres/connection.h"

#include <vector>

namespace analytics::ingest {

// returns the number of shares written
size_t attribute_events(postgres::Connection &db, const std::vector<const IncomingEvent *> &events,
                        RollupAccumulator &rollups);

}  // namespace analytics::ingest
