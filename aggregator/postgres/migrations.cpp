#include "postgres/migrations.h"
#include "log.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace analytics {
namespace {

constexpr long long kMigrationLockKey = 0x616e616c79746963;  // "analytic"

struct Migration {
    int version;
    std::string name;
    std::filesystem::path path;
};

std::vector<Migration> find_migrations(const std::string &sql_dir)
{
    std::vector<Migration> found;
    for (const auto &entry : std::filesystem::directory_iterator(sql_dir)) {
        auto file = entry.path().filename().string();
        if (entry.path().extension() != ".sql" || file.size() < 5 || !std::isdigit(file[0])) continue;
        auto underscore = file.find('_');
        if (underscore == std::string::npos) {
            throw std::runtime_error("migration file without NNN_ prefix: " + file);
        }
        found.push_back({std::stoi(file.substr(0, underscore)), file, entry.path()});
    }
    std::sort(found.begin(), found.end(), [](auto &a, auto &b) { return a.version < b.version; });
    for (size_t i = 1; i < found.size(); i++) {
        if (found[i].version == found[i - 1].version) {
            throw std::runtime_error("two migrations share version " + std::to_string(found[i].version));
        }
    }
    return found;
}

}  // namespace

int apply_migrations(postgres::Connection &db, const std::string &sql_dir)
{
    auto migrations = find_migrations(sql_dir);
    if (migrations.empty()) {
        throw std::runtime_error("no migrations found in " + sql_dir);
    }

    db.exec("SELECT pg_advisory_lock($1)", {std::to_string(kMigrationLockKey)});
    int applied = 0;
    try {
        db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY,"
                " name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())");
        for (const auto &migration : migrations) {
            auto done = db.exec("SELECT 1 FROM schema_migrations WHERE version = $1",
                                {std::to_string(migration.version)});
            if (done.rows() > 0) continue;

            std::ifstream in(migration.path);
            std::stringstream sql;
            sql << in.rdbuf();

            postgres::Transaction tx(db);
            // a simple query may hold many statements; parameters may not
            PGresult *result = PQexec(db.native(), sql.str().c_str());
            postgres::Result owned(result);
            if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
                throw std::runtime_error(fmt::format("migration {} failed: {}", migration.name,
                                                     PQresultErrorMessage(result)));
            }
            db.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    {std::to_string(migration.version), migration.name});
            tx.commit();
            log::info("applied migration " + migration.name);
            applied++;
        }
    } catch (...) {
        db.exec("SELECT pg_advisory_unlock($1)", {std::to_string(kMigrationLockKey)});
        throw;
    }
    db.exec("SELECT pg_advisory_unlock($1)", {std::to_string(kMigrationLockKey)});
    return applied;
}

}  // namespace analytics
