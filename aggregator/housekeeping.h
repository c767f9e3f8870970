// The chores the aggregator does on a timer beside consuming the streams:
// each runs when due, and a failed one is retried sooner than its interval.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace analytics::housekeeping {

struct Chore {
    std::string what;                              // for the log: "cache rebuild"
    std::chrono::steady_clock::duration every;     // the wait after it succeeds
    std::chrono::steady_clock::duration retry;     // the wait after it fails
    std::function<void()> run;                     // throws on failure
};

// runs each chore when due, on the calling thread, until stopping is set
void run_chores(std::vector<Chore> chores, const std::atomic<bool> &stopping);

}  // namespace analytics::housekeeping
