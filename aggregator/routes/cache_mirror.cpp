#include "log.h"
#include "routes/services.h"

namespace analytics::routes {

void mirror_or_warn(const std::string &what, const std::function<void()> &write)
{
    try {
        write();
    } catch (const std::exception &e) {
        log::warn(what + " not mirrored to Redis yet: " + e.what());
    }
}

}  // namespace analytics::routes
