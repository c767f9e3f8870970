// The hourly rollups reports read, brought up to date in the ingest
// transaction from the staging tables: only events this batch inserted
// (events_fresh) are counted, so a redelivered entry adds nothing. Upserts
// run in key order, so that two aggregators touching the same rows wait
// for each other instead of deadlocking.
#pragma once

#include "postgres/connection.h"

namespace analytics::ingest {

// rollup_events_hourly, rollup_interactions_hourly, and the staged
// attributions into attributions and rollup_attributed_hourly
void roll_up_batch(postgres::Connection &db);

}  // namespace analytics::ingest
