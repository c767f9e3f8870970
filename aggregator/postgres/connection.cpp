#include "postgres/connection.h"
#include "postgres/watchdog.h"

#include "event_id.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <type_traits>

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

[[noreturn]] void throw_overran(std::chrono::milliseconds timeout)
{
    throw Error("PostgreSQL did not answer within " + std::to_string(timeout.count()) + " ms; the connection was dropped",
                "08006");
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

namespace {

// given first, so the operator's conninfo overrides any of them
PGconn *connect_with_defaults(const std::string &conninfo)
{
    const char *keywords[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "tcp_user_timeout", "dbname", nullptr};
    const char *values[] = {"5", "1", "10", "5", "3", "15000", conninfo.c_str(), nullptr};
    return PQconnectdbParams(keywords, values, 1);
}

}  // namespace

void Connection::finish(PGconn *conn)
{
    Watchdog::instance().forget(conn);
    PQfinish(conn);
}

Connection::Connection(const std::string &conninfo)
    : conn_(connect_with_defaults(conninfo), &Connection::finish)
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
    return exec_within(Watchdog::statement_timeout(), sql, params);
}

Result Connection::exec_within(std::chrono::milliseconds timeout, const std::string &sql,
                               const std::vector<Param> &params)
{
    Watched watched(conn_.get(), timeout);
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
        if (!made || PQresultStatus(made) != PGRES_COMMAND_OK) {
            if (watched.dropped()) throw_overran(timeout);
            throw_result_error(conn_.get(), made);
        }
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
        if (watched.dropped()) throw_overran(timeout);
        throw_result_error(conn_.get(), result);
    }
    return Result(result);
}

namespace {

// COPY copy_sql, then the parts as its data, then its end
void copy_parts(PGconn *conn, const std::string &copy_sql, std::initializer_list<std::string_view> parts)
{
    PGresult *start = PQexec(conn, copy_sql.c_str());
    if (start == nullptr || PQresultStatus(start) != PGRES_COPY_IN) {
        Result owned(start);
        throw_result_error(conn, start);
    }
    PQclear(start);

    constexpr size_t chunk = 1 << 20;
    for (std::string_view data : parts) {
        for (size_t offset = 0; offset < data.size(); offset += chunk) {
            size_t length = std::min(chunk, data.size() - offset);
            if (PQputCopyData(conn, data.data() + offset, static_cast<int>(length)) != 1) {
                throw Error(std::string("COPY failed: ") + PQerrorMessage(conn), "08006");
            }
        }
    }
    if (PQputCopyEnd(conn, nullptr) != 1) {
        throw Error(std::string("COPY failed: ") + PQerrorMessage(conn), "08006");
    }

    std::optional<Error> failure;
    while (PGresult *result = PQgetResult(conn)) {
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

// the binary format's signature, flags and header extension length; and
// its trailer, a field count of -1
constexpr char kBinaryHeader[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0',
                                    0, 0, 0, 0, 0, 0, 0, 0};
constexpr char kBinaryTrailer[2] = {'\377', '\377'};

// big-endian, as the binary format has every integer
template <typename Integer>
void append_big_endian(std::string &out, Integer value)
{
    auto bits = static_cast<std::make_unsigned_t<Integer>>(value);
    char bytes[sizeof(Integer)];
    for (size_t i = 0; i < sizeof(Integer); i++) {
        bytes[i] = static_cast<char>(bits >> (8 * (sizeof(Integer) - 1 - i)));
    }
    out.append(bytes, sizeof(Integer));
}

// microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC
constexpr int64_t kPostgresEpochUs = 946684800LL * 1000000;

}  // namespace

void Connection::copy_in(const std::string &copy_sql, std::string_view data)
{
    auto timeout = Watchdog::statement_timeout();
    Watched watched(conn_.get(), timeout);
    try {
        copy_parts(conn_.get(), copy_sql, {data});
    } catch (const Error &) {
        if (watched.dropped()) throw_overran(timeout);
        throw;
    }
}

void Connection::copy_in_binary(const std::string &copy_sql, std::string_view rows)
{
    auto timeout = Watchdog::statement_timeout();
    Watched watched(conn_.get(), timeout);
    try {
        copy_parts(conn_.get(), copy_sql + " (FORMAT binary)",
                   {{kBinaryHeader, sizeof(kBinaryHeader)}, rows, {kBinaryTrailer, sizeof(kBinaryTrailer)}});
    } catch (const Error &) {
        if (watched.dropped()) throw_overran(timeout);
        throw;
    }
}

BinaryCopyRow::BinaryCopyRow(std::string &out, int16_t fields) : out_(out)
{
    append_big_endian(out_, fields);
}

void BinaryCopyRow::field_length(int32_t length)
{
    append_big_endian(out_, length);
}

BinaryCopyRow &BinaryCopyRow::int8(int64_t value)
{
    field_length(8);
    append_big_endian(out_, value);
    return *this;
}

BinaryCopyRow &BinaryCopyRow::int2(int16_t value)
{
    field_length(2);
    append_big_endian(out_, value);
    return *this;
}

BinaryCopyRow &BinaryCopyRow::boolean(bool value)
{
    field_length(1);
    out_ += value ? '\1' : '\0';
    return *this;
}

BinaryCopyRow &BinaryCopyRow::text(std::string_view value)
{
    field_length(static_cast<int32_t>(value.size()));
    out_.append(value);
    return *this;
}

BinaryCopyRow &BinaryCopyRow::uuid(std::string_view text)
{
    unsigned char bytes[16];
    if (analytics_uuid_parse(text.data(), text.size(), bytes) != 0) {
        throw Error("invalid input syntax for type uuid: \"" + std::string(text) + "\"", "22P02");
    }
    field_length(16);
    out_.append(reinterpret_cast<const char *>(bytes), sizeof(bytes));
    return *this;
}

BinaryCopyRow &BinaryCopyRow::timestamptz(int64_t unix_ms)
{
    field_length(8);
    append_big_endian(out_, unix_ms * 1000 - kPostgresEpochUs);
    return *this;
}

BinaryCopyRow &BinaryCopyRow::jsonb(std::string_view json)
{
    field_length(static_cast<int32_t>(json.size() + 1));
    out_ += '\1';   // jsonb's binary format version
    out_.append(json);
    return *this;
}

BinaryCopyRow &BinaryCopyRow::null()
{
    field_length(-1);
    return *this;
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
    return take(std::nullopt);
}

Pool::Lease Pool::borrow_within(std::chrono::milliseconds wait)
{
    return take(std::chrono::steady_clock::now() + wait);
}

Pool::Lease Pool::take(std::optional<std::chrono::steady_clock::time_point> deadline)
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
        if (!deadline) {
            available_.wait(lock);
        } else if (available_.wait_until(lock, *deadline) == std::cv_status::timeout) {
            throw Error("every PostgreSQL connection is busy", "08001");
        }
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
