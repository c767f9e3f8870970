#include "postgres/connection.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace analytics::postgres {
namespace {

// an element of a text[] input literal, quoted
void append_array_element(std::string &out, std::string_view item)
{
    out += '"';
    for (char c : item) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

[[noreturn]] void throw_result_error(PGconn *conn, PGresult *result)
{
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = result && *PQresultErrorMessage(result) ? PQresultErrorMessage(result)
                                                                  : PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    throw Error(message, state ? state : "");
}

}  // namespace

long long Result::integer(int row, int column) const
{
    auto value = text(row, column);
    long long number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size()) {
        throw Error("not an integer: " + std::string(value), "");
    }
    return number;
}

long long Result::affected_rows() const
{
    const char *count = PQcmdTuples(result_.get());
    return *count ? std::stoll(count) : 0;
}

Connection::Connection(const std::string &conninfo)
    : conn_(PQconnectdb(conninfo.c_str()), PQfinish)
{
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
        std::string message = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
        while (!message.empty() && message.back() == '\n') message.pop_back();
        throw Error("cannot connect to PostgreSQL: " + message, "08001");
    }
    PQsetNoticeProcessor(conn_.get(), [](void *, const char *) {}, nullptr);
}

Result Connection::exec(const std::string &sql, const std::vector<Param> &params)
{
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &param : params) {
        values.push_back(param ? param->c_str() : nullptr);
    }
    PGresult *result = nullptr;
    auto found = values.empty() ? prepared_.end() : prepared_.find(sql);
    if (found == prepared_.end() && !values.empty() && prepared_.size() < kMaxPrepared) {
        std::string name = "analytics_" + std::to_string(prepared_.size());
        PGresult *made = PQprepare(conn_.get(), name.c_str(), sql.c_str(), static_cast<int>(values.size()), nullptr);
        Result owned(made);
        if (!made || PQresultStatus(made) != PGRES_COMMAND_OK) throw_result_error(conn_.get(), made);
        found = prepared_.emplace(sql, std::move(name)).first;
    }
    if (found != prepared_.end()) {
        result = PQexecPrepared(conn_.get(), found->second.c_str(), static_cast<int>(values.size()), values.data(),
                                nullptr, nullptr, 0);
    } else {
        result = PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                              nullptr, nullptr, 0);
    }
    auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        Result owned(result);
        throw_result_error(conn_.get(), result);
    }
    return Result(result);
}

void Connection::copy_in(const std::string &copy_sql, std::string_view data)
{
    PGresult *start = PQexec(conn_.get(), copy_sql.c_str());
    if (start == nullptr || PQresultStatus(start) != PGRES_COPY_IN) {
        Result owned(start);
        throw_result_error(conn_.get(), start);
    }
    PQclear(start);

    constexpr size_t chunk = 1 << 20;
    for (size_t offset = 0; offset < data.size(); offset += chunk) {
        size_t length = std::min(chunk, data.size() - offset);
        if (PQputCopyData(conn_.get(), data.data() + offset, static_cast<int>(length)) != 1) {
            throw Error(std::string("COPY failed: ") + PQerrorMessage(conn_.get()), "08006");
        }
    }
    if (PQputCopyEnd(conn_.get(), nullptr) != 1) {
        throw Error(std::string("COPY failed: ") + PQerrorMessage(conn_.get()), "08006");
    }

    std::optional<Error> failure;
    while (PGresult *result = PQgetResult(conn_.get())) {
        Result owned(result);
        if (PQresultStatus(result) != PGRES_COMMAND_OK && !failure) {
            const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
            failure.emplace(PQresultErrorMessage(result), state ? state : "");
        }
    }
    if (failure) {
        throw *failure;
    }
}

Transaction::Transaction(Connection &connection) : connection_(connection)
{
    connection_.exec("BEGIN");
}

Transaction::~Transaction()
{
    if (!done_) {
        try {
            connection_.exec("ROLLBACK");
        } catch (...) {
            // the connection is broken; the server rolled back already
        }
    }
}

void Transaction::commit()
{
    connection_.exec("COMMIT");
    done_ = true;
}

Pool::Lease Pool::borrow()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            if (connection->ok()) {
                return Lease(*this, std::move(connection));
            }
            open_--;
            continue;
        }
        if (open_ < size_) {
            open_++;
            lock.unlock();
            try {
                return Lease(*this, std::make_unique<Connection>(conninfo_));
            } catch (...) {
                lock.lock();
                open_--;
                available_.notify_one();
                throw;
            }
        }
        available_.wait(lock);
    }
}

void Pool::give_back(std::unique_ptr<Connection> connection)
{
    std::lock_guard lock(mutex_);
    if (connection && connection->ok()) {
        idle_.push_back(std::move(connection));
    } else {
        open_--;
    }
    available_.notify_one();
}

void append_copy_field(std::string &out, std::string_view value)
{
    // runs without a character to escape are copied whole, found with
    // memchr (vectorised) per special character: most values (ids, names,
    // URLs, JSON) have none, and this runs for every field of every row
    static constexpr char kSpecial[] = {'\\', '\t', '\n', '\r'};
    static constexpr char kEscaped[] = {'\\', 't', 'n', 'r'};
    if (value.empty()) return;   // its data() may be null, which memchr must not get
    // short values (ids, keys, times, names): one pass without an early
    // exit, which the compiler vectorises, costs less than four memchr calls
    if (value.size() <= 64) {
        bool plain = true;
        for (char c : value) plain &= (c != '\\') & (static_cast<unsigned char>(c) > '\r');
        if (plain) {
            out.append(value);
            return;
        }
    }
    const char *at = value.data();
    const char *const end = value.data() + value.size();
    const char *next[4];
    for (int k = 0; k < 4; k++) next[k] = static_cast<const char *>(memchr(at, kSpecial[k], value.size()));
    for (;;) {
        int first = -1;
        for (int k = 0; k < 4; k++) {
            if (next[k] != nullptr && (first < 0 || next[k] < next[first])) first = k;
        }
        if (first < 0) break;
        out.append(at, static_cast<size_t>(next[first] - at));
        out += '\\';
        out += kEscaped[first];
        at = next[first] + 1;
        next[first] = static_cast<const char *>(memchr(at, kSpecial[first], static_cast<size_t>(end - at)));
    }
    out.append(at, static_cast<size_t>(end - at));
}

std::string text_array_literal(const std::vector<std::string> &items)
{
    std::string out = "{";
    for (size_t i = 0; i < items.size(); i++) {
        if (i > 0) out += ',';
        append_array_element(out, items[i]);
    }
    return out + "}";
}

std::string &ColumnArrays::next()
{
    std::string &column = columns_[cells_ % columns_.size()];
    if (cells_ >= columns_.size()) column += ',';
    cells_++;
    return column;
}

ColumnArrays &ColumnArrays::text(std::string_view value)
{
    append_array_element(next(), value);
    return *this;
}

ColumnArrays &ColumnArrays::number(long long value)
{
    append_number(next(), value);
    return *this;
}

std::vector<Param> ColumnArrays::params() const
{
    std::vector<Param> params;
    for (const auto &column : columns_) params.emplace_back(column + "}");
    return params;
}

}  // namespace analytics::postgres
