// One line per message on stderr, with UTC time and level: what systemd's
// journal and a terminal both read well.
#pragma once

#include <string_view>

namespace analytics::log {

void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

}  // namespace analytics::log
