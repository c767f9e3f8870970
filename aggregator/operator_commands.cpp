// token create|list|revoke and tenant create|list: tables for a person on
// stdout (tab-separated, a header line first), problems on stderr.
#include "operator_commands.h"

#include "auth/tokens.h"
#include "redis/module_cache.h"
#include "split.h"
#include "stores/tenant_store.h"
#include "stores/token_store.h"

#include <jansson.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace analytics {
namespace {

// every row: nobody pages a terminal
constexpr stores::Window kEverything{0, 1000000000};

cache::ModuleCache module_mirror(const Settings &settings)
{
    return cache::ModuleCache(redis::Address::parse(settings.redis_url), settings.stream_shards);
}

std::string or_dash(const std::optional<std::string> &text)
{
    return text && !text->empty() ? *text : "-";
}

// ["a","b"] as a,b
std::string scopes_text(const std::string &scopes_json)
{
    json_error_t error;
    json_t *scopes = json_loads(scopes_json.c_str(), 0, &error);
    std::string text;
    size_t i;
    json_t *scope;
    json_array_foreach(scopes, i, scope) {
        if (!text.empty()) text += ',';
        text += json_string_value(scope) ? json_string_value(scope) : "?";
    }
    json_decref(scopes);
    return text;
}

}  // namespace

bool CommandLine::has_flag(const std::string &name) const
{
    return std::find(flags.begin(), flags.end(), name) != flags.end();
}

std::optional<std::string> CommandLine::option(const std::string &name) const
{
    auto found = options.find(name);
    if (found == options.end()) return std::nullopt;
    return found->second;
}

CommandLine parse_command_line(int argc, char **argv)
{
    static const std::vector<std::string> flag_names = {"--admin", "--help"};
    CommandLine line;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        if (arg == "-h") arg = "--help";
        if (!arg.starts_with("--")) {
            line.words.push_back(arg);
        } else if (std::find(flag_names.begin(), flag_names.end(), arg) != flag_names.end()) {
            line.flags.push_back(arg);
        } else if (i + 1 < argc) {
            if (arg == "--config") {
                line.config_file = argv[++i];
            } else {
                line.options[arg] = argv[++i];
            }
        } else {
            throw std::runtime_error(arg + " needs a value");
        }
    }
    return line;
}

int token_create(const Settings &settings, const CommandLine &line)
{
    postgres::Connection db(settings.database_url);
    tokens::TokenRequest request;
    bool admin = line.has_flag("--admin");
    if (admin == line.option("--tenant").has_value()) {
        std::cerr << "token create: give exactly one of --admin and --tenant REF\n";
        return 2;
    }
    if (auto tenant = line.option("--tenant")) {
        auto found = tenants::find(db, *tenant);
        if (!found) {
            std::cerr << "token create: no tenant " << *tenant << "\n";
            return 1;
        }
        request.tenant_id = found->id;
    }
    request.subject = line.option("--subject").value_or(admin ? "admin" : "api");
    request.scopes = split_nonempty(line.option("--scopes").value_or(admin ? "admin" : "events:write"), ',');
    request.expires_at = line.option("--expires-at");
    auto mirror = module_mirror(settings);
    auto issued = tokens::issue(db, mirror, request);
    std::cout << issued.secret << "\n";
    return 0;
}

int token_list(const Settings &settings, const CommandLine &line)
{
    postgres::Connection db(settings.database_url);
    std::optional<long long> tenant_id;
    if (auto tenant = line.option("--tenant")) {
        auto found = tenants::find(db, *tenant);
        if (!found) {
            std::cerr << "token list: no tenant " << *tenant << "\n";
            return 1;
        }
        tenant_id = found->id;
    }
    std::cout << "ID\tPREFIX\tSUBJECT\tSCOPES\tTENANT\tEXPIRES\tREVOKED\n";
    for (const auto &token : tokens::list(db, tenant_id, kEverything).rows) {
        std::cout << token.id << '\t' << token.prefix << '\t' << token.subject << '\t' << scopes_text(token.scopes_json)
                  << '\t' << (token.tenant_id ? std::to_string(*token.tenant_id) : "admin") << '\t'
                  << or_dash(token.expires_at) << '\t' << or_dash(token.revoked_at) << '\n';
    }
    return 0;
}

int token_revoke(const Settings &settings, const CommandLine &line)
{
    const std::string id = line.words.size() > 2 ? line.words[2] : "";
    if (id.empty() || id.size() > 18 || !std::all_of(id.begin(), id.end(), ::isdigit)) {
        std::cerr << "token revoke: give the token's ID (token list shows it)\n";
        return 2;
    }
    postgres::Connection db(settings.database_url);
    auto mirror = module_mirror(settings);
    if (!tokens::revoke(db, mirror, std::stoll(id))) {
        std::cerr << "token revoke: no live token " << id << "\n";
        return 1;
    }
    std::cout << "revoked token " << id << "\n";
    return 0;
}

int tenant_create(const Settings &settings, const CommandLine &line)
{
    tenants::TenantChanges changes;
    changes.slug = line.option("--slug");
    changes.name = line.option("--name").value_or(changes.slug.value_or(""));
    if (!changes.slug || !tenants::is_valid_slug(*changes.slug)) {
        std::cerr << "tenant create: --slug must be 3 to 64 characters of a-z, 0-9 and single hyphens\n";
        return 2;
    }
    if (changes.name->empty() || changes.name->size() > 200) {
        std::cerr << "tenant create: --name must be 1 to 200 characters\n";
        return 2;
    }
    postgres::Connection db(settings.database_url);
    auto mirror = module_mirror(settings);
    auto created = tenants::create(db, mirror, changes);
    if (!created) {
        std::cerr << "tenant create: the slug " << *changes.slug << " is taken\n";
        return 1;
    }
    std::cout << created->id << '\t' << created->uuid << '\t' << created->slug << "\n";
    return 0;
}

int tenant_list(const Settings &settings)
{
    postgres::Connection db(settings.database_url);
    std::cout << "ID\tUUID\tSLUG\tNAME\tACTIVE\tPUBLIC\n";
    for (const auto &tenant : tenants::list(db, kEverything).rows) {
        std::cout << tenant.id << '\t' << tenant.uuid << '\t' << tenant.slug << '\t' << tenant.name << '\t'
                  << (tenant.active ? "yes" : "no") << '\t' << (tenant.is_public ? "yes" : "no") << '\n';
    }
    return 0;
}

}  // namespace analytics
