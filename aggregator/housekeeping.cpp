#include "housekeeping.h"
#include "log.h"

#include <exception>
#include <thread>

namespace analytics::housekeeping {

void run_chores(std::vector<Chore> chores, const std::atomic<bool> &stopping)
{
    std::vector<std::chrono::steady_clock::time_point> due(chores.size(), std::chrono::steady_clock::now());
    while (!stopping) {
        auto now = std::chrono::steady_clock::now();
        for (size_t i = 0; i < chores.size(); i++) {
            if (now < due[i]) continue;
            try {
                chores[i].run();
                due[i] = now + chores[i].every;
            } catch (const std::exception &e) {
                log::warn(chores[i].what + " failed, retrying: " + e.what());
                due[i] = now + chores[i].retry;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace analytics::housekeeping
