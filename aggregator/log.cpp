#include "log.h"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace analytics::log {
namespace {

std::mutex output_mutex;

void write(std::string_view level, std::string_view message)
{
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t seconds = system_clock::to_time_t(now);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    std::string line = fmt::format("{}.{:03}Z {} {}\n", stamp, ms, level, message);
    std::lock_guard lock(output_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace

void info(std::string_view message) { write("info", message); }
void warn(std::string_view message) { write("warn", message); }
void error(std::string_view message) { write("error", message); }

}  // namespace analytics::log
