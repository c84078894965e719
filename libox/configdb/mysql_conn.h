// One connection to one MySQL/MariaDB server (MariaDB Connector/C):
// connect with timeouts, run prepared statements with bound parameters,
// and name the server (role and host:port) in every error.
//
// Not thread-safe: one thread at a time. The connection is kept open
// between calls and checked (mysql_ping) before each use, so a server that
// restarted or dropped an idle connection costs one reconnect, not an error.
#ifndef LIBOX_CONFIGDB_MYSQL_CONN_H
#define LIBOX_CONFIGDB_MYSQL_CONN_H

#include <optional>
#include <string>
#include <vector>

#include "configdb/properties.h"

struct st_mysql;  // MYSQL, from mysql.h, which only the .cc includes

namespace ox::configdb {

// Bounds on how long one call may block: connecting, and each network
// read and write. A slow or dead database costs at most these.
struct Timeouts {
    unsigned connect_seconds = 3;
    unsigned read_seconds = 5;
    unsigned write_seconds = 5;
};

// What kind of failure the last error was, for callers that act on it
// (fall back to the write host, print the schema hint, pick an exit code).
enum class DbError { none, unreachable, login, no_table, denied, other };

// A statement parameter: NULL, text or a whole number.
struct Param {
    enum class Kind { null, text, integer } kind = Kind::null;
    std::string text;
    long long integer = 0;

    static Param null() { return {}; }
    static Param str(std::string s) { return {Kind::text, std::move(s), 0}; }
    static Param num(long long n) { return {Kind::integer, {}, n}; }
};

// A result row: each column as text, or unset for NULL.
using Row = std::vector<std::optional<std::string>>;

// Calls mysql_library_init once per process. The module calls it before it
// starts threads; MysqlStore calls it too (harmless when done).
bool library_init() noexcept;

class Connection {
public:
    // `role` names the server in messages: "read host", "write host".
    Connection(Endpoint ep, std::string role, Timeouts t);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Connects unless connected and alive.
    bool connect(std::string& err);
    void close() noexcept;

    // Runs one statement; `rows` (may be null) gets a SELECT's rows.
    bool exec(const char* sql, const std::vector<Param>& params, std::vector<Row>* rows, std::string& err);
    // Runs one statement without parameters (DDL, transactions).
    bool query(const std::string& sql, std::string& err);

    DbError last_error() const noexcept { return last_; }
    // The MySQL error number of the last failure (0 after a success).
    unsigned last_code() const noexcept { return code_; }
    // "configdb read host 10.0.0.1:3306"
    std::string name() const;
    const Endpoint& endpoint() const noexcept { return ep_; }

private:
    bool fail(std::string& err, const std::string& context);

    Endpoint ep_;
    std::string role_;
    Timeouts timeouts_;
    st_mysql* db_ = nullptr;
    DbError last_ = DbError::none;
    unsigned code_ = 0;
};

}  // namespace ox::configdb

#endif
