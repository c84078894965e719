#include "configdb/mysql_store.h"

#include "configdb/schema.h"
#include "core/text.h"

namespace ox::configdb {

namespace {

constexpr char kLoad[] =
    "SELECT balancer, route, admin_state, loadfactor, UNIX_TIMESTAMP(changed_at), changed_by_frontend,"
    " changed_by_client, changed_by_tool, version FROM oxbalance_member_state ORDER BY balancer, route";

// Makes sure the row exists (as "as configured") and locks it, so that two
// writers of one member queue up instead of both inserting.
constexpr char kLockRow[] =
    "INSERT INTO oxbalance_member_state (balancer, route, admin_state, loadfactor, changed_at, version)"
    " VALUES (?, ?, NULL, 0, UTC_TIMESTAMP(), 0) ON DUPLICATE KEY UPDATE version = version";
constexpr char kReadRow[] =
    "SELECT admin_state, loadfactor FROM oxbalance_member_state WHERE balancer = ? AND route = ? FOR UPDATE";
constexpr char kUpdateRow[] =
    "UPDATE oxbalance_member_state SET admin_state = ?, loadfactor = ?, changed_at = UTC_TIMESTAMP(),"
    " changed_by_frontend = ?, changed_by_client = ?, changed_by_tool = ?, version = version + 1"
    " WHERE balancer = ? AND route = ?";
// The row as stored, for comparing its names byte for byte: the tables'
// collation (utf8mb4_bin, PAD SPACE) finds 'oxcluster' for 'oxcluster '.
constexpr char kReadRowNamed[] =
    "SELECT admin_state, loadfactor, balancer, route FROM oxbalance_member_state WHERE balancer = ? AND route = ?";
constexpr char kDeleteRow[] = "DELETE FROM oxbalance_member_state WHERE balancer = ? AND route = ?";
constexpr char kAddHistory[] =
    "INSERT INTO oxbalance_member_state_history (balancer, route, old_admin_state, new_admin_state,"
    " old_loadfactor, new_loadfactor, changed_at, changed_by_frontend, changed_by_client, changed_by_tool)"
    " VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), ?, ?, ?)";

#define OXB_HISTORY_COLUMNS                                                                                  \
    "SELECT id, balancer, route, old_admin_state, new_admin_state, old_loadfactor, new_loadfactor,"          \
    " UNIX_TIMESTAMP(changed_at), changed_by_frontend, changed_by_client, changed_by_tool"                   \
    " FROM oxbalance_member_state_history"
constexpr char kHistoryAll[] = OXB_HISTORY_COLUMNS " ORDER BY id DESC LIMIT ?";
constexpr char kHistoryBalancer[] = OXB_HISTORY_COLUMNS " WHERE balancer = ? ORDER BY id DESC LIMIT ?";
constexpr char kHistoryMember[] = OXB_HISTORY_COLUMNS " WHERE balancer = ? AND route = ? ORDER BY id DESC LIMIT ?";
#undef OXB_HISTORY_COLUMNS

constexpr char kNow[] = "SELECT UTC_TIMESTAMP()";
constexpr char kServe[] =
    "INSERT INTO oxbalance_frontend_member (frontend, balancer, route, seen_at) VALUES (?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE seen_at = ?";
constexpr char kForgetOthers[] = "DELETE FROM oxbalance_frontend_member WHERE frontend = ? AND seen_at <> ?";
constexpr char kServed[] =
    "SELECT frontend, balancer, route, UNIX_TIMESTAMP(seen_at) FROM oxbalance_frontend_member"
    " ORDER BY balancer, route, frontend";

constexpr unsigned kDeadlock = 1213;

const std::string& text_of(const std::optional<std::string>& v)
{
    static const std::string empty;
    return v ? *v : empty;
}

// A column that holds an admin state or NULL.
bool admin_of(const std::optional<std::string>& v, std::optional<AdminState>& out)
{
    out.reset();
    if (!v || v->empty()) return true;
    AdminState s;
    if (!parse_admin_state(*v, s)) return false;
    out = s;
    return true;
}

template <class T>
bool number_of(const std::optional<std::string>& v, T& out)
{
    unsigned long long n = 0;
    if (!v || !parse_decimal(*v, n)) return false;
    out = static_cast<T>(n);
    return true;
}

// UNIX_TIMESTAMP() of a DATETIME: whole seconds, or with a fraction.
bool seconds_of(const std::optional<std::string>& v, std::int64_t& out)
{
    if (!v) return false;
    std::string_view s = *v;
    s = s.substr(0, s.find('.'));
    unsigned long long n = 0;
    if (!parse_decimal(s, n)) return false;
    out = static_cast<std::int64_t>(n);
    return true;
}

Param admin_param(const std::optional<AdminState>& a) { return a ? Param::str(to_string(*a)) : Param::null(); }

bool same_server(const Endpoint& a, const Endpoint& b)
{
    return a.host == b.host && a.port == b.port && a.database == b.database && a.user == b.user &&
           a.password == b.password;
}

}  // namespace

MysqlStore::MysqlStore(const Settings& s, Timeouts t)
    : read_(s.read, "read host", t), write_(s.write, "write host", t), same_server_(same_server(s.read, s.write))
{
    library_init();
}

template <class Fn>
bool MysqlStore::on_read_host(Fn fn, std::string& err)
{
    fell_back_ = false;
    read_error_.clear();
    std::string read_err;
    if (fn(read_, read_err)) {
        last_ = DbError::none;
        return true;
    }
    last_ = read_.last_error();
    if (same_server_) {
        err = read_err;
        return false;
    }
    std::string write_err;
    if (fn(write_, write_err)) {
        last_ = DbError::none;
        fell_back_ = true;
        read_error_ = read_err;
        return true;
    }
    // The write host's kind decides (e.g. the schema hint), both are named.
    last_ = write_.last_error();
    // The same missing table on both says the same thing twice: once will do.
    err = last_ == DbError::no_table && read_.last_error() == DbError::no_table ? write_err
                                                                                : read_err + "; " + write_err;
    return false;
}

template <class Fn>
bool MysqlStore::once_more_after_deadlock(Fn write)
{
    // A deadlock rolled the transaction back whole: once more is safe.
    if (write()) return true;
    if (last_code_ != kDeadlock) return false;
    return write();
}

bool MysqlStore::write_failed()
{
    last_ = write_.last_error();
    last_code_ = write_.last_code();
    std::string ignored;
    if (last_ != DbError::unreachable) write_.query("ROLLBACK", ignored);
    return false;
}

bool MysqlStore::load(std::vector<MemberStateRow>& out, std::string& err)
{
    out.clear();
    auto fn = [&out](Connection& c, std::string& e) {
        std::vector<Row> rows;
        if (!c.exec(kLoad, {}, &rows, e)) return false;
        out.clear();
        for (const Row& r : rows) {
            MemberStateRow m;
            m.balancer = text_of(r[0]);
            m.route = text_of(r[1]);
            if (!admin_of(r[2], m.admin) || !number_of(r[3], m.loadfactor) || !seconds_of(r[4], m.changed_at) ||
                !number_of(r[8], m.version) || m.loadfactor > kMaxLoadfactor) {
                e = c.name() + ": oxbalance_member_state has a row this version cannot read (balancer '" +
                    m.balancer + "', route '" + m.route + "')";
                return false;
            }
            m.changed_by_frontend = text_of(r[5]);
            m.changed_by_client = text_of(r[6]);
            m.changed_by_tool = text_of(r[7]);
            out.push_back(std::move(m));
        }
        return true;
    };
    return on_read_host(fn, err);
}

bool MysqlStore::apply(const Change& c, std::string& err)
{
    std::string why = validate(c);
    if (!why.empty()) {
        last_ = DbError::other;
        err = why;
        return false;
    }
    return once_more_after_deadlock([&] { return apply_once(c, err); });
}

bool MysqlStore::apply_once(const Change& c, std::string& err)
{
    last_code_ = 0;
    if (!write_.query("START TRANSACTION", err)) return write_failed();
    if (!write_.exec(kLockRow, {Param::str(c.balancer), Param::str(c.route)}, nullptr, err)) return write_failed();
    std::vector<Row> rows;
    if (!write_.exec(kReadRow, {Param::str(c.balancer), Param::str(c.route)}, &rows, err)) return write_failed();
    std::optional<AdminState> old_admin;
    unsigned old_lf = 0;
    if (rows.size() != 1 || !admin_of(rows[0][0], old_admin) || !number_of(rows[0][1], old_lf)) {
        err = write_.name() + ": cannot read back the row of " + c.balancer + " " + c.route;
        write_failed();
        last_ = DbError::other;
        return false;
    }
    std::optional<AdminState> new_admin = c.admin ? c.admin : old_admin;
    unsigned new_lf = c.loadfactor ? *c.loadfactor : old_lf;
    if (!write_.exec(kUpdateRow,
                     {admin_param(new_admin), Param::num(new_lf), Param::str(c.frontend), Param::str(c.client),
                      Param::str(c.tool), Param::str(c.balancer), Param::str(c.route)},
                     nullptr, err)) {
        return write_failed();
    }
    return commit_with_history(c, old_admin, new_admin, old_lf, new_lf, err);
}

bool MysqlStore::commit_with_history(const Change& c, const std::optional<AdminState>& old_admin,
                                     const std::optional<AdminState>& new_admin, unsigned old_lf, unsigned new_lf,
                                     std::string& err)
{
    if (!write_.exec(kAddHistory,
                     {Param::str(c.balancer), Param::str(c.route), admin_param(old_admin), admin_param(new_admin),
                      Param::num(old_lf), Param::num(new_lf), Param::str(c.frontend), Param::str(c.client),
                      Param::str(c.tool)},
                     nullptr, err)) {
        return write_failed();
    }
    if (!write_.query("COMMIT", err)) return write_failed();
    last_ = DbError::none;
    return true;
}

bool MysqlStore::forget(const Change& c, Forgotten& out, std::string& err)
{
    out = Forgotten{};
    std::string why = validate_names(c);
    if (!why.empty()) {
        last_ = DbError::other;
        err = why;
        return false;
    }
    return once_more_after_deadlock([&] { return forget_once(c, out, err); });
}

namespace {

// Whether `rows` (of kReadRowNamed, with FOR UPDATE or not) hold the row of
// exactly `balancer` and `route`.
bool names_match(const std::vector<Row>& rows, const std::string& balancer, const std::string& route)
{
    return rows.size() == 1 && rows[0][2] && rows[0][3] && *rows[0][2] == balancer && *rows[0][3] == route;
}

}  // namespace

bool MysqlStore::has_row(const std::string& balancer, const std::string& route, bool& exists, std::string& err)
{
    exists = false;
    last_code_ = 0;
    std::vector<Row> rows;
    if (!write_.exec(kReadRowNamed, {Param::str(balancer), Param::str(route)}, &rows, err)) {
        last_ = write_.last_error();
        return false;
    }
    exists = names_match(rows, balancer, route);
    last_ = DbError::none;
    return true;
}

bool MysqlStore::forget_once(const Change& c, Forgotten& out, std::string& err)
{
    last_code_ = 0;
    out = Forgotten{};
    if (!write_.query("START TRANSACTION", err)) return write_failed();
    std::vector<Row> rows;
    const std::string locked = std::string(kReadRowNamed) + " FOR UPDATE";
    if (!write_.exec(locked.c_str(), {Param::str(c.balancer), Param::str(c.route)}, &rows, err)) {
        return write_failed();
    }
    if (rows.empty() || !names_match(rows, c.balancer, c.route)) {
        if (!write_.query("COMMIT", err)) return write_failed();
        last_ = DbError::none;
        return true;
    }
    if (!admin_of(rows[0][0], out.admin) || !number_of(rows[0][1], out.loadfactor)) {
        err = write_.name() + ": cannot read the row of " + c.balancer + " " + c.route;
        write_failed();
        last_ = DbError::other;
        return false;
    }
    out.existed = true;
    if (!write_.exec(kDeleteRow, {Param::str(c.balancer), Param::str(c.route)}, nullptr, err)) return write_failed();
    return commit_with_history(c, out.admin, std::nullopt, out.loadfactor, 0, err);
}

bool MysqlStore::announce(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err)
{
    bool ok = once_more_after_deadlock([&] { return announce_once(frontend, members, err); });
    // Hourly: not worth a connection to the write host held between times.
    write_.close();
    return ok;
}

bool MysqlStore::announce_once(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err)
{
    // No transaction: front ends announce at the same moments (a restart
    // of them all), and a transaction's DELETE would lock the gaps where
    // the others insert (REPEATABLE READ) until they deadlock. Each
    // statement touches this front end's rows only: its members marked
    // seen now, then its other rows (members no longer configured) removed.
    // A reader may meet both for a moment; that is harmless.
    last_code_ = 0;
    std::vector<Row> rows;
    if (!write_.exec(kNow, {}, &rows, err)) return write_failed();
    if (rows.size() != 1 || !rows[0][0]) {
        err = write_.name() + ": no answer to " + kNow;
        last_ = DbError::other;
        return false;
    }
    const std::string now = *rows[0][0];
    for (const MemberKey& m : members) {
        if (!write_.exec(kServe,
                         {Param::str(frontend), Param::str(m.balancer), Param::str(m.route), Param::str(now),
                          Param::str(now)},
                         nullptr, err)) {
            return write_failed();
        }
    }
    if (!write_.exec(kForgetOthers, {Param::str(frontend), Param::str(now)}, nullptr, err)) return write_failed();
    last_ = DbError::none;
    return true;
}

bool MysqlStore::served(std::vector<ServedMember>& out, std::string& err)
{
    out.clear();
    auto fn = [&out](Connection& c, std::string& e) {
        std::vector<Row> rows;
        if (!c.exec(kServed, {}, &rows, e)) return false;
        out.clear();
        for (const Row& r : rows) {
            ServedMember m;
            m.frontend = text_of(r[0]);
            m.balancer = text_of(r[1]);
            m.route = text_of(r[2]);
            if (!seconds_of(r[3], m.seen_at)) {
                e = c.name() + ": oxbalance_frontend_member has a row this version cannot read (front end '" +
                    m.frontend + "')";
                return false;
            }
            out.push_back(std::move(m));
        }
        return true;
    };
    return on_read_host(fn, err);
}

bool MysqlStore::history(const HistoryQuery& q, std::vector<HistoryRow>& out, std::string& err)
{
    out.clear();
    const char* sql = kHistoryAll;
    std::vector<Param> params;
    if (!q.balancer.empty()) {
        params.push_back(Param::str(q.balancer));
        sql = kHistoryBalancer;
        if (!q.route.empty()) {
            params.push_back(Param::str(q.route));
            sql = kHistoryMember;
        }
    }
    params.push_back(Param::num(q.limit));
    auto fn = [&](Connection& c, std::string& e) {
        std::vector<Row> rows;
        if (!c.exec(sql, params, &rows, e)) return false;
        out.clear();
        for (const Row& r : rows) {
            HistoryRow h;
            h.balancer = text_of(r[1]);
            h.route = text_of(r[2]);
            if (!number_of(r[0], h.id) || !admin_of(r[3], h.old_admin) || !admin_of(r[4], h.new_admin) ||
                !number_of(r[5], h.old_loadfactor) || !number_of(r[6], h.new_loadfactor) ||
                !seconds_of(r[7], h.changed_at)) {
                e = c.name() + ": oxbalance_member_state_history has a row this version cannot read (id " +
                    text_of(r[0]) + ")";
                return false;
            }
            h.frontend = text_of(r[8]);
            h.client = text_of(r[9]);
            h.tool = text_of(r[10]);
            out.push_back(std::move(h));
        }
        return true;
    };
    return on_read_host(fn, err);
}

bool MysqlStore::ensure_schema(std::string& err)
{
    for (const std::string& stmt : split_sql_script(schema_sql())) {
        if (!write_.query(stmt, err)) {
            last_ = write_.last_error();
            return false;
        }
    }
    last_ = DbError::none;
    return true;
}

MysqlStore::HostCheck MysqlStore::check(Host h)
{
    Connection& c = h == Host::read ? read_ : write_;
    HostCheck out;
    std::vector<Row> rows;
    if (!c.exec("SELECT VERSION()", {}, &rows, out.error)) {
        last_ = c.last_error();
        return out;
    }
    out.reachable = true;
    if (!rows.empty()) out.version = text_of(rows[0][0]);
    // LIMIT 0: the tables' presence and our SELECT right, without reading.
    if (!c.exec("SELECT balancer FROM oxbalance_member_state LIMIT 0", {}, nullptr, out.error) ||
        !c.exec("SELECT id FROM oxbalance_member_state_history LIMIT 0", {}, nullptr, out.error) ||
        !c.exec("SELECT frontend FROM oxbalance_frontend_member LIMIT 0", {}, nullptr, out.error)) {
        last_ = c.last_error();
        return out;
    }
    out.schema = true;
    last_ = DbError::none;
    return out;
}

}  // namespace ox::configdb
