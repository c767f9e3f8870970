// Attribution at ingest: each event a batch inserted (interactions aside)
// is split over its visitor's touches in the tenant's lookback window by the
// tenant's model, the batch's own interactions included. The shares go to
// the attributions table and the rollups; an event no touch explains goes
// wholly to Direct. A touch that arrives after events it reaches (it came
// through another shard or consumer) has those events split again, so the
// result does not depend on the order events reach PostgreSQL.
#pragma once

#include "ingest/incoming_event.h"
#include "ingest/rollups.h"
#include "postgres/connection.h"

#include <set>
#include <string>
#include <vector>

namespace analytics::ingest {

// Two batches attributing at once do not see each other's uncommitted
// rows: a batch storing a touch would miss the shares of an event the other
// batch attributes, that batch would miss the touch, and the event would
// stay without it (make bench with two consumers: one event in a hundred).
// So per tenant one transaction at a time reads and writes touches' shares,
// holding this lock until its commit; the next one reads after that commit.
// Take it after the batch's writes that need no lock, before
// reattribute_reached_events and attribute_events.
void take_attribution_lock(postgres::Connection &db, const std::vector<const IncomingEvent *> &events);
void take_attribution_lock(postgres::Connection &db, const std::set<int64_t> &tenant_ids);

// returns the number of shares written
size_t attribute_events(postgres::Connection &db, const std::vector<const IncomingEvent *> &events,
                        RollupAccumulator &rollups);

// the events already attributed that the batch's new touches reach: their
// shares are taken back (rows and rollups) and split again over every touch
// PostgreSQL has now. Call after the touches are inserted and before
// attribute_events. Returns the number of shares written.
size_t reattribute_reached_events(postgres::Connection &db, const std::vector<const IncomingEvent *> &touches,
                                  RollupAccumulator &rollups);

// the shares of a user's events from its first touch on, taken back and
// split again over its path as it is now: after other users merged into
// it, their offline touches are in it. Under the attribution lock.
size_t reattribute_user_events(postgres::Connection &db, int64_t tenant_id, const std::string &user,
                               RollupAccumulator &rollups);

}  // namespace analytics::ingest
