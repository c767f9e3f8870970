// `aggregator serve`: consume the streams, serve the API, keep the caches
// and partitions current, until SIGTERM or SIGINT; SIGHUP rebuilds caches.
#pragma once

#include "settings.h"

namespace analytics {

int serve(const Settings &settings);

}  // namespace analytics
