// A tenant's wall clock, read from the tz database PostgreSQL keeps (no tz
// rules of our own). A wall time is the local date and time read as if it
// were UTC, in Unix ms: what date_range.c and insight_interval.c count days
// in. For "UTC" nothing is asked of PostgreSQL.
#pragma once

#include "postgres/connection.h"

#include <cstdint>
#include <string>
#include <vector>

namespace analytics::time_zones {

bool is_utc(const std::string &zone);

// the zone's wall clock now
int64_t wall_now_ms(postgres::Connection &db, const std::string &zone);

// the instant at which the zone's clock reads each wall time; a time a DST
// change skips is taken as PostgreSQL takes it (with the offset before the change)
std::vector<int64_t> instants_of(postgres::Connection &db, const std::string &zone, const std::vector<int64_t> &walls);

// what the zone's clock reads at each instant
std::vector<int64_t> walls_of(postgres::Connection &db, const std::string &zone, const std::vector<int64_t> &instants);

}  // namespace analytics::time_zones
