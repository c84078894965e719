// The Store over MariaDB Connector/C: reads from the read host, falling
// back to the write host when the read host fails; writes, history and the
// schema on the write host, each change in one transaction with its
// history row. Statements are prepared, their values bound: no name from a
// client is ever part of SQL text.
//
// One thread at a time (see store.h). Every call blocks for at most the
// Timeouts per server it talks to.
#ifndef LIBOX_CONFIGDB_MYSQL_STORE_H
#define LIBOX_CONFIGDB_MYSQL_STORE_H

#include <optional>
#include <string>
#include <vector>

#include "configdb/mysql_conn.h"
#include "configdb/properties.h"
#include "configdb/store.h"

namespace ox::configdb {

class MysqlStore final : public Store {
public:
    explicit MysqlStore(const Settings& s, Timeouts t = {});

    bool load(std::vector<MemberStateRow>& out, std::string& err) override;
    bool apply(const Change& c, std::string& err) override;
    bool history(const HistoryQuery& q, std::vector<HistoryRow>& out, std::string& err) override;
    bool ensure_schema(std::string& err) override;
    bool announce(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err) override;
    bool served(std::vector<ServedMember>& out, std::string& err) override;

    // Removes `c`'s member's row (its names and who; nothing is set), with
    // a history row (old -> as configured), in one transaction: every front
    // end uses its configuration's state and load factor at its next poll.
    // `existed` false: there was no row, nothing was written. Only
    // oxbalancectl does this (a member gone for good, a forced row).
    struct Forgotten {
        bool existed = false;
        std::optional<AdminState> admin;  // what the row held
        unsigned loadfactor = 0;
    };
    bool forget(const Change& c, Forgotten& out, std::string& err);
    // Whether the write host has a row for exactly these names (not one
    // its collation calls equal): what oxbalancectl asks before it lets a
    // change through for a member no front end serves.
    bool has_row(const std::string& balancer, const std::string& route, bool& exists, std::string& err);

    enum class Host { read, write };

    // What `oxbalancectl status` shows of one server.
    struct HostCheck {
        bool reachable = false;     // logged in
        bool schema = false;        // both tables there and readable
        std::string version;        // the server's VERSION()
        std::string error;          // why not (reachable or schema false)
    };
    HostCheck check(Host h);

    // The kind of the last failure (DbError::none after a success).
    DbError last_error() const noexcept { return last_; }
    // After a successful read: whether the write host served it, and why
    // the read host did not ("" when it did).
    bool last_read_fell_back() const noexcept { return fell_back_; }
    const std::string& read_host_error() const noexcept { return read_error_; }

private:
    // Runs `fn` on the read host, then on the write host if that fails.
    template <class Fn>
    bool on_read_host(Fn fn, std::string& err);
    // Runs a write transaction, and once more if a deadlock rolled it back.
    template <class Fn>
    bool once_more_after_deadlock(Fn write);
    // Ends a failed write: its kind recorded, the transaction rolled back
    // (unless the connection is gone). Returns false.
    bool write_failed();
    bool apply_once(const Change& c, std::string& err);
    bool forget_once(const Change& c, Forgotten& out, std::string& err);
    // The change's history row, then COMMIT (the transaction's last steps).
    bool commit_with_history(const Change& c, const std::optional<AdminState>& old_admin,
                             const std::optional<AdminState>& new_admin, unsigned old_lf, unsigned new_lf,
                             std::string& err);
    bool announce_once(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err);

    Connection read_;
    Connection write_;
    bool same_server_;
    DbError last_ = DbError::none;
    unsigned last_code_ = 0;
    bool fell_back_ = false;
    std::string read_error_;
};

}  // namespace ox::configdb

#endif
