// The commands an operator runs beside `serve`: tokens and tenants made,
// listed and revoked from a shell, each change mirrored to Redis at once so
// the module sees it before the next cache rebuild.
#pragma once

#include "settings.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace analytics {

struct CommandLine {
    std::string config_file;
    std::vector<std::string> words;
    std::map<std::string, std::string> options;   // --name value
    std::vector<std::string> flags;               // --name

    bool has_flag(const std::string &name) const;
    std::optional<std::string> option(const std::string &name) const;
};

CommandLine parse_command_line(int argc, char **argv);

// each prints what it made or found on stdout and returns the exit status:
// 0 done, 1 not found or refused, 2 misused
int token_create(const Settings &settings, const CommandLine &line);
int token_list(const Settings &settings, const CommandLine &line);
int token_revoke(const Settings &settings, const CommandLine &line);
int tenant_create(const Settings &settings, const CommandLine &line);
int tenant_list(const Settings &settings);

}  // namespace analytics
