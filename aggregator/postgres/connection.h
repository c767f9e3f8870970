// RAII over libpq: a connection, a result, and a small pool the HTTP
// threads borrow from. Errors are exceptions carrying PostgreSQL's SQLSTATE.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <charconv>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace analytics::postgres {

class Error : public std::runtime_error {
public:
    Error(const std::string &message, std::string sqlstate)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    const std::string &sqlstate() const { return sqlstate_; }
    bool is_unique_violation() const { return sqlstate_ == "23505"; }
    // the data was refused (classes 22 data exception, 23 integrity
    // constraint): the one kind of error that may set an event aside;
    // anything else (a missing column mid-upgrade, a lock timeout, XX000) is
    // the server's, and the batch waits for it
    bool is_data_error() const { return sqlstate_.starts_with("22") || sqlstate_.starts_with("23"); }
    // the connection, the server or its resources, not the data: worth retrying as is
    bool is_connection_failure() const
    {
        return sqlstate_.empty() || sqlstate_.starts_with("08") || sqlstate_.starts_with("53")
               || sqlstate_.starts_with("57") || sqlstate_.starts_with("58") || sqlstate_ == "40001"
               || sqlstate_ == "40P01";
    }

private:
    std::string sqlstate_;
};

class Result {
public:
    explicit Result(PGresult *result) : result_(result, PQclear) {}

    int rows() const { return PQntuples(result_.get()); }
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column); }
    std::string_view text(int row, int column) const
    {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::optional<std::string> optional_text(int row, int column) const
    {
        if (is_null(row, column)) return std::nullopt;
        return std::string(text(row, column));
    }
    long long integer(int row, int column) const;
    bool boolean(int row, int column) const { return text(row, column) == "t"; }
    long long affected_rows() const;

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// NULL parameters are std::nullopt
using Param = std::optional<std::string>;

// Every connection is made with connect_timeout, TCP keepalives and
// tcp_user_timeout (the conninfo may override each), and every statement
// runs under the watchdog's deadline (postgres/watchdog.h): a silent server
// costs a statement timeout, never a hung thread.
class Connection {
public:
    explicit Connection(const std::string &conninfo);
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    Result exec(const std::string &sql, const std::vector<Param> &params = {});
    // with a deadline of its own (a health check's second, say)
    Result exec_within(std::chrono::milliseconds timeout, const std::string &sql,
                       const std::vector<Param> &params = {});
    // COPY table FROM STDIN with rows already in COPY text format
    void copy_in(const std::string &copy_sql, std::string_view data);
    // COPY table FROM STDIN (FORMAT binary) with rows BinaryCopyRow wrote;
    // the format's header and trailer are added here
    void copy_in_binary(const std::string &copy_sql, std::string_view rows);
    bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
    PGconn *native() { return conn_.get(); }

private:
    // a statement run with parameters is prepared the first time this
    // connection runs it, so PostgreSQL parses and plans it once; at most
    // kMaxPrepared texts, after which statements run unprepared
    static constexpr size_t kMaxPrepared = 512;

    static void finish(PGconn *conn);

    std::unique_ptr<PGconn, decltype(&finish)> conn_;
    std::unordered_map<std::string, std::string> prepared_;   // SQL text -> statement name
};

// write() as it returned, or nullopt when it broke a unique constraint: the
// one place a store turns "exists already" into an answer instead of an error
template <typename Write>
auto unless_duplicate(Write &&write) -> std::optional<decltype(write())>
{
    try {
        return write();
    } catch (const Error &e) {
        if (!e.is_unique_violation()) throw;
        return std::nullopt;
    }
}

// BEGIN on construction; ROLLBACK unless commit() was called
class Transaction {
public:
    explicit Transaction(Connection &connection);
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    ~Transaction();
    void commit();

private:
    Connection &connection_;
    bool done_ = false;
};

class Pool {
public:
    Pool(std::string conninfo, size_t size) : conninfo_(std::move(conninfo)), size_(size) {}
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;

    class Lease {
    public:
        Lease(Pool &pool, std::unique_ptr<Connection> connection)
            : pool_(pool), connection_(std::move(connection)) {}
        Lease(const Lease &) = delete;
        Lease &operator=(const Lease &) = delete;
        ~Lease() { pool_.give_back(std::move(connection_)); }
        Connection &operator*() { return *connection_; }
        Connection *operator->() { return connection_.get(); }

    private:
        Pool &pool_;
        std::unique_ptr<Connection> connection_;
    };

    Lease borrow();
    // the same, waiting at most wait for a connection to come back
    Lease borrow_within(std::chrono::milliseconds wait);

private:
    Lease take(std::optional<std::chrono::steady_clock::time_point> deadline);
    void give_back(std::unique_ptr<Connection> connection);

    std::string conninfo_;
    size_t size_;
    size_t open_ = 0;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::mutex mutex_;
    std::condition_variable available_;
};

// a value in COPY text format: backslash, tab, newline and carriage return escaped
void append_copy_field(std::string &out, std::string_view value);

// value in decimal, appended to out (COPY fields and array elements alike)
inline void append_number(std::string &out, long long value)
{
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
    out.append(digits, static_cast<size_t>(end - digits));
}

// a text[] input literal, every element quoted: {"a","b \"c\""}
std::string text_array_literal(const std::vector<std::string> &items);

// rows as one array literal per column: the parameters of INSERT ... SELECT
// FROM unnest($1::bigint[], $2::text[], ...). For a few rows a statement
// needs, where a staging table would cost more: a transaction that touches
// a temporary table truncates every ON COMMIT DELETE ROWS table at commit.
class ColumnArrays {
public:
    explicit ColumnArrays(size_t columns) : columns_(columns, "{") {}

    // cells in column order, row after row
    ColumnArrays &text(std::string_view value);
    ColumnArrays &number(long long value);
    bool empty() const { return cells_ == 0; }
    std::vector<Param> params() const;

private:
    std::string &next();

    std::vector<std::string> columns_;
    size_t cells_ = 0;
};

// one row of COPY text appended to out, fields in column order; the row
// ends when the object goes
class CopyRow {
public:
    explicit CopyRow(std::string &out) : out_(out) {}
    CopyRow(const CopyRow &) = delete;
    CopyRow &operator=(const CopyRow &) = delete;
    ~CopyRow() { out_ += '\n'; }

    CopyRow &text(std::string_view value) { next(); append_copy_field(out_, value); return *this; }
    // empty text is NULL
    CopyRow &text_or_null(std::string_view value) { return value.empty() ? null() : text(value); }
    CopyRow &number(long long value) { next(); append_number(out_, value); return *this; }
    CopyRow &boolean(bool value) { next(); out_ += value ? 't' : 'f'; return *this; }
    CopyRow &null() { next(); out_ += "\\N"; return *this; }

private:
    void next()
    {
        if (!first_) out_ += '\t';
        first_ = false;
    }

    std::string &out_;
    bool first_ = true;
};

// One row of COPY's binary format appended to out, fields in column order,
// each of the column's exact type. For the tables every stream event
// writes, raw Webmarketer events included: parsing text rows (splitting
// lines, reading times and uuids) was about a tenth of PostgreSQL's ingest
// CPU. Computed events and metrics (dates and numbers of every kind) stay
// text, in CopyRow.
class BinaryCopyRow {
public:
    BinaryCopyRow(std::string &out, int16_t fields);
    BinaryCopyRow(const BinaryCopyRow &) = delete;
    BinaryCopyRow &operator=(const BinaryCopyRow &) = delete;

    BinaryCopyRow &int8(int64_t value);
    BinaryCopyRow &int2(int16_t value);
    BinaryCopyRow &boolean(bool value);
    // text, varchar and char(n)
    BinaryCopyRow &text(std::string_view value);
    // empty text is NULL
    BinaryCopyRow &text_or_null(std::string_view value) { return value.empty() ? null() : text(value); }
    // from its canonical text form (analytics_uuid_parse); Error 22P02, as
    // PostgreSQL would say, when it is not one
    BinaryCopyRow &uuid(std::string_view text);
    BinaryCopyRow &uuid_or_null(std::string_view text) { return text.empty() ? null() : uuid(text); }
    BinaryCopyRow &timestamptz(int64_t unix_ms);
    // JSON text
    BinaryCopyRow &jsonb(std::string_view json);
    BinaryCopyRow &null();

private:
    void field_length(int32_t length);

    std::string &out_;
};

}  // namespace analytics::postgres
