#include "configdb/mysql_conn.h"

#include <mysql.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace ox::configdb {

namespace {

DbError classify(unsigned code) noexcept
{
    if (code >= 2000 && code < 3000) return DbError::unreachable;  // CR_*: client side, network
    switch (code) {
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1049:  // ER_BAD_DB_ERROR
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
        return DbError::login;
    case 1146: return DbError::no_table;  // ER_NO_SUCH_TABLE
    case 1142:                            // ER_TABLEACCESS_DENIED_ERROR
    case 1143:                            // ER_COLUMNACCESS_DENIED_ERROR
        return DbError::denied;
    default: return DbError::other;
    }
}

// "Table 'configdb.oxbalance_member_state' doesn't exist" -> the table.
std::string missing_table(const char* message)
{
    const char* q = std::strchr(message, '\'');
    const char* e = q ? std::strchr(q + 1, '\'') : nullptr;
    if (!e) return "a table";
    std::string name(q + 1, e);
    std::size_t dot = name.rfind('.');
    if (dot != std::string::npos) name.erase(0, dot + 1);
    return "table " + name;
}

struct StmtCloser {
    void operator()(MYSQL_STMT* s) const noexcept { mysql_stmt_close(s); }
};
struct ResCloser {
    void operator()(MYSQL_RES* r) const noexcept { mysql_free_result(r); }
};

}  // namespace

bool library_init() noexcept
{
    static std::once_flag once;
    static bool ok = false;
    try {
        std::call_once(once, [] { ok = mysql_library_init(0, nullptr, nullptr) == 0; });
    } catch (...) {
        return false;
    }
    return ok;
}

Connection::Connection(Endpoint ep, std::string role, Timeouts t)
    : ep_(std::move(ep)), role_(std::move(role)), timeouts_(t)
{
}

Connection::~Connection() { close(); }

void Connection::close() noexcept
{
    if (db_) mysql_close(db_);
    db_ = nullptr;
}

std::string Connection::name() const { return "configdb " + role_ + " " + ep_.where(); }

bool Connection::fail(std::string& err, const std::string& context)
{
    unsigned code = db_ ? mysql_errno(db_) : 2000;
    const char* text = db_ ? mysql_error(db_) : "out of memory";
    last_ = classify(code);
    code_ = code;
    if (last_ == DbError::no_table) {
        err = name() + ": " + missing_table(text) + " does not exist: run conf/configdb-schema.sql or set create=on";
    } else {
        err = name() + ": " + context + text + " (MySQL error " + std::to_string(code) + ")";
    }
    // A broken link is not reused: the next call connects anew.
    if (last_ == DbError::unreachable) close();
    return false;
}

bool Connection::connect(std::string& err)
{
    library_init();
    if (db_ && mysql_ping(db_) == 0) return true;
    close();
    db_ = mysql_init(nullptr);
    if (!db_) return fail(err, "cannot connect: ");
    unsigned ct = timeouts_.connect_seconds, rt = timeouts_.read_seconds, wt = timeouts_.write_seconds;
    // JDBC's "localhost" is TCP; Connector/C's would be the local socket.
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_options(db_, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(db_, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_options(db_, MYSQL_OPT_WRITE_TIMEOUT, &wt);
    mysql_options(db_, MYSQL_OPT_PROTOCOL, &proto);
    mysql_options(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(db_, ep_.host.c_str(), ep_.user.c_str(), ep_.password.c_str(), ep_.database.c_str(),
                            ep_.port, nullptr, 0)) {
        std::string context = "cannot connect as " + ep_.user + " to database " + ep_.database + ": ";
        fail(err, context);
        close();
        return false;
    }
    // Times are written and read as UTC whatever the server's zone.
    if (mysql_query(db_, "SET time_zone = '+00:00'") != 0) {
        fail(err, "cannot set the session time zone: ");
        close();
        return false;
    }
    last_ = DbError::none;
    code_ = 0;
    return true;
}

bool Connection::query(const std::string& sql, std::string& err)
{
    if (!connect(err)) return false;
    if (mysql_real_query(db_, sql.data(), sql.size()) != 0) return fail(err, "");
    // Statements here return no rows; drain any result all the same.
    if (MYSQL_RES* r = mysql_store_result(db_)) mysql_free_result(r);
    last_ = DbError::none;
    code_ = 0;
    return true;
}

bool Connection::exec(const char* sql, const std::vector<Param>& params, std::vector<Row>* rows, std::string& err)
{
    if (rows) rows->clear();
    if (!connect(err)) return false;
    std::unique_ptr<MYSQL_STMT, StmtCloser> stmt(mysql_stmt_init(db_));
    if (!stmt) return fail(err, "");
    auto stmt_fail = [&]() {
        unsigned code = mysql_stmt_errno(stmt.get());
        last_ = classify(code);
        code_ = code;
        if (last_ == DbError::no_table) {
            err = name() + ": " + missing_table(mysql_stmt_error(stmt.get())) +
                  " does not exist: run conf/configdb-schema.sql or set create=on";
        } else {
            err = name() + ": " + mysql_stmt_error(stmt.get()) + " (MySQL error " + std::to_string(code) + ")";
        }
        if (last_ == DbError::unreachable) {
            stmt.reset();
            close();
        }
        return false;
    };
    if (mysql_stmt_prepare(stmt.get(), sql, std::strlen(sql)) != 0) return stmt_fail();

    std::vector<MYSQL_BIND> bind(params.size());
    std::vector<my_bool> nulls(params.size());
    std::vector<unsigned long> lengths(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        MYSQL_BIND& b = bind[i];
        std::memset(&b, 0, sizeof b);
        const Param& p = params[i];
        nulls[i] = p.kind == Param::Kind::null;
        b.is_null = &nulls[i];
        if (p.kind == Param::Kind::integer) {
            b.buffer_type = MYSQL_TYPE_LONGLONG;
            b.buffer = const_cast<long long*>(&p.integer);
        } else {
            b.buffer_type = MYSQL_TYPE_STRING;
            b.buffer = const_cast<char*>(p.text.data());
            lengths[i] = p.text.size();
            b.buffer_length = p.text.size();
            b.length = &lengths[i];
        }
    }
    if (!bind.empty() && mysql_stmt_bind_param(stmt.get(), bind.data()) != 0) return stmt_fail();
    if (mysql_stmt_execute(stmt.get()) != 0) return stmt_fail();

    std::unique_ptr<MYSQL_RES, ResCloser> meta(mysql_stmt_result_metadata(stmt.get()));
    if (!meta) {
        last_ = DbError::none;
    code_ = 0;
        return true;  // not a SELECT
    }
    // Sizes the buffers below from the longest value of each column.
    my_bool update_max = 1;
    mysql_stmt_attr_set(stmt.get(), STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    if (mysql_stmt_store_result(stmt.get()) != 0) return stmt_fail();
    unsigned ncols = mysql_num_fields(meta.get());
    MYSQL_FIELD* fields = mysql_fetch_fields(meta.get());
    std::vector<MYSQL_BIND> out(ncols);
    std::vector<std::string> bufs(ncols);
    std::vector<my_bool> out_nulls(ncols);
    std::vector<unsigned long> out_lengths(ncols);
    for (unsigned c = 0; c < ncols; ++c) {
        bufs[c].resize(fields[c].max_length + 1);
        MYSQL_BIND& b = out[c];
        std::memset(&b, 0, sizeof b);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = bufs[c].data();
        b.buffer_length = bufs[c].size();
        b.is_null = &out_nulls[c];
        b.length = &out_lengths[c];
    }
    if (ncols && mysql_stmt_bind_result(stmt.get(), out.data()) != 0) return stmt_fail();
    for (;;) {
        int r = mysql_stmt_fetch(stmt.get());
        if (r == MYSQL_NO_DATA) break;
        if (r == 1) return stmt_fail();
        if (r == MYSQL_DATA_TRUNCATED) {
            last_ = DbError::other;
            err = name() + ": a value was longer than the server said (truncated)";
            return false;
        }
        if (!rows) continue;
        Row row(ncols);
        for (unsigned c = 0; c < ncols; ++c) {
            if (!out_nulls[c]) row[c] = std::string(bufs[c].data(), out_lengths[c]);
        }
        rows->push_back(std::move(row));
    }
    last_ = DbError::none;
    code_ = 0;
    return true;
}

}  // namespace ox::configdb
