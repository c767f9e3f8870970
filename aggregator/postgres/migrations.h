// Applies sql/NNN_name.sql in order, each in its own transaction, under an
// advisory lock so that aggregators starting together migrate once.
#pragma once

#include "postgres/connection.h"

#include <string>

namespace analytics {

// returns how many migrations were applied now
int apply_migrations(postgres::Connection &db, const std::string &sql_dir);

}  // namespace analytics
