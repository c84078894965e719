// oxbalancectl: shows and sets the admin states and load factors that every
// mod_oxbalance front end takes from OX's configdb, or (--status-url) those
// of one front end through its status page. docs/oxbalancectl.md.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "configdb/mysql_store.h"
#include "configdb/properties.h"
#include "configdb/served.h"
#include "core/text.h"
#include "ctl_format.h"
#include "ctl_status_mode.h"

namespace {

using namespace ox::configdb;

constexpr int kOk = 0, kUsage = 1, kDatabase = 2, kInvalid = 3;
constexpr const char* kDefaultProperties = "/opt/open-xchange/etc/configdb.properties";

const char kUsageText[] =
    "usage: oxbalancectl [SOURCE] [--json] [--force] [--timeout SECONDS] COMMAND [ARGS]\n"
    "\n"
    "SOURCE (default: --properties $OXBALANCECTL_PROPERTIES or\n"
    "        /opt/open-xchange/etc/configdb.properties):\n"
    "  --properties FILE          OX's configdb.properties (readUrl, writeUrl, ...)\n"
    "  --write HOST[:PORT]/DB     the write host, with --user and --password-file\n"
    "  --read HOST[:PORT]/DB      the read host (default: the write host)\n"
    "  --user USER\n"
    "  --password-file FILE       its first line is the password\n"
    "  --status-url http://HOST[:PORT]/PATH\n"
    "                             no configdb: one front end's status page (OXStatus);\n"
    "                             ROUTE may be the member's URL too; no history\n"
    "\n"
    "COMMANDS:\n"
    "  list                                 members whose state was set, and by whom\n"
    "  drain BALANCER ROUTE                 no new sessions; existing ones stay\n"
    "  disable BALANCER ROUTE               nothing; its sessions go to their successors\n"
    "  enable BALANCER ROUTE                active again\n"
    "  standby BALANCER ROUTE               only while no active member is up\n"
    "  loadfactor BALANCER ROUTE N          1..100, or 0: as configured\n"
    "  forget BALANCER ROUTE                remove the member's row (a member gone for\n"
    "                                       good, a forced row): as configured everywhere\n"
    "  recover BALANCER ROUTE               --status-url only: end the node's error window\n"
    "                                       on that front end (requests go to it again)\n"
    "  history [BALANCER [ROUTE]] [--limit N]   newest first (default 20)\n"
    "  status                               can the read and write hosts be reached; schema there;\n"
    "                                       the front ends that announced their members lately\n"
    "  init-schema                          create our tables on the write host (idempotent)\n"
    "\n"
    "A change names a member some front end serves (the front ends announce theirs\n"
    "in the configdb); --force writes one for a route no front end serves yet.\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 2 database unreachable or failing (login, missing\n"
    "tables, rights) or status page unreachable or refusing, 3 not found or invalid\n"
    "(properties file, names, values). Front ends see a configdb change within their\n"
    "poll interval; a status page change is in force on that front end at once.\n";

struct Options {
    std::string properties;
    std::string read, write, user, password_file;
    std::string status_url;
    bool json = false;
    bool force = false;  // a change for a route no front end serves
    unsigned timeout = 0;
    unsigned limit = 20;
    std::vector<std::string> words;  // command and its arguments
};

int usage_error(const std::string& msg)
{
    std::cerr << "oxbalancectl: " << msg << "\n\n" << kUsageText;
    return kUsage;
}

bool parse_unsigned(const std::string& s, unsigned max, unsigned& out)
{
    unsigned long long v = 0;
    if (!ox::parse_decimal(s, v) || v > max) return false;
    out = static_cast<unsigned>(v);
    return true;
}

// Fills `o`; returns -1 to go on, else an exit code.
int parse_options(int argc, char** argv, Options& o)
{
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            for (++i; i < argc; ++i) o.words.push_back(argv[i]);
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            o.words.push_back(a);
            continue;
        }
        if (a == "-h" || a == "--help") {
            std::cout << kUsageText;
            return kOk;
        }
        if (a == "--json") {
            o.json = true;
            continue;
        }
        if (a == "--force") {
            o.force = true;
            continue;
        }
        std::string name = a, value;
        std::size_t eq = a.find('=');
        bool inline_value = eq != std::string::npos;
        if (inline_value) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
        }
        std::string* target = nullptr;
        if (name == "--properties") target = &o.properties;
        else if (name == "--read") target = &o.read;
        else if (name == "--write") target = &o.write;
        else if (name == "--user") target = &o.user;
        else if (name == "--password-file") target = &o.password_file;
        else if (name == "--status-url") target = &o.status_url;
        else if (name != "--limit" && name != "--timeout") return usage_error("unknown option " + name);
        if (!inline_value) {
            if (i + 1 >= argc) return usage_error(name + " needs a value");
            value = argv[++i];
        }
        if (target) {
            *target = value;
        } else if (name == "--limit") {
            if (!parse_unsigned(value, 100000, o.limit) || o.limit == 0) {
                return usage_error("--limit takes a number from 1 to 100000");
            }
        } else if (!parse_unsigned(value, 600, o.timeout) || o.timeout == 0) {
            return usage_error("--timeout takes seconds from 1 to 600");
        }
    }
    return -1;
}

bool read_password_file(const std::string& path, std::string& out, std::string& err)
{
    std::ifstream in(path);
    if (!in) {
        err = "cannot read the password file " + path;
        return false;
    }
    std::getline(in, out);
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return true;
}

// The settings from --properties or --read/--write/--user/--password-file.
int load_settings(const Options& o, Settings& s)
{
    bool explicit_args = !o.read.empty() || !o.write.empty() || !o.user.empty() || !o.password_file.empty();
    if (explicit_args && !o.properties.empty()) {
        return usage_error("give --properties or --write/--read/--user/--password-file, not both");
    }
    if (explicit_args) {
        if (o.write.empty()) return usage_error("--write HOST[:PORT]/DB is needed (with --user)");
        if (o.user.empty()) return usage_error("--user is needed with --write");
        std::vector<std::string> args{"write=" + o.write, "user=" + o.user};
        if (!o.read.empty()) args.push_back("read=" + o.read);
        if (!o.password_file.empty()) {
            std::string pw, err;
            if (!read_password_file(o.password_file, pw, err)) {
                std::cerr << "oxbalancectl: " << err << "\n";
                return kInvalid;
            }
            args.push_back("password=" + pw);
        }
        std::string path;
        std::string err = parse_arguments(args, s, path);
        if (!err.empty()) {
            std::cerr << "oxbalancectl: " << err << "\n";
            return kInvalid;
        }
        return -1;
    }
    std::string path = o.properties;
    if (path.empty()) {
        const char* env = std::getenv("OXBALANCECTL_PROPERTIES");
        path = env && *env ? env : kDefaultProperties;
    }
    std::string err = read_properties_file(path, s);
    if (!err.empty()) {
        std::cerr << "oxbalancectl: " << err << "\n";
        return kInvalid;
    }
    return -1;
}

// Who is making a change: this host, and the user who ran us (through
// sudo: the user who ran sudo).
void identify(Change& c)
{
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) c.frontend = host;
    const char* sudo_user = std::getenv("SUDO_USER");
    if (sudo_user && *sudo_user) {
        c.client = sudo_user;
    } else if (const passwd* pw = ::getpwuid(::geteuid())) {
        c.client = pw->pw_name;
    } else {
        c.client = "uid " + std::to_string(::geteuid());
    }
    c.tool = "oxbalancectl";
}

int db_error(const MysqlStore& store, const std::string& err)
{
    std::cerr << "oxbalancectl: " << oxctl::printable(err) << "\n";
    if (store.last_error() == DbError::no_table) {
        std::cerr << "oxbalancectl: (oxbalancectl init-schema creates the tables, with the right to CREATE)\n";
    }
    return kDatabase;
}

std::string served_by(const MysqlStore& store, const Settings& s)
{
    if (!store.last_read_fell_back()) return "read host " + s.read.where();
    std::cerr << "oxbalancectl: warning: " << store.read_host_error() << "; read from the write host "
              << s.write.where() << " instead\n";
    return "write host " + s.write.where();
}

std::string listed(const std::vector<std::string>& names)
{
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + oxctl::printable(n);
    return out;
}

// A change for a member no front end serves is refused (unless --force):
// a typo would be written, listed, and change nothing. Returns -1 to go
// on, else an exit code. Where the check cannot be made (no front end has
// announced its members, or they cannot be read), it says so and goes on.
int check_served(MysqlStore& store, const Options& o, const Change& c)
{
    std::vector<ServedMember> rows;
    std::string err;
    if (!store.served(rows, err)) {
        // Both hosts tried, the write host last: unreachable, the change
        // cannot be written either (and would wait for it a second time).
        if (store.last_error() == ox::configdb::DbError::unreachable) return db_error(store, err);
        std::cerr << "oxbalancectl: warning: cannot read which members the front ends serve (" << oxctl::printable(err)
                  << "); the route is not checked\n";
        return -1;
    }
    RouteCheck rc = check_route(rows, c.balancer, c.route, static_cast<std::int64_t>(std::time(nullptr)));
    std::string what;
    switch (rc.verdict) {
    case RouteCheck::Verdict::served: return -1;
    case RouteCheck::Verdict::unchecked:
        std::cerr << "oxbalancectl: warning: no front end has announced its members in the last day (none runs "
                     "with OXConfigDB, or they cannot write oxbalance_frontend_member: OXB00122 in their error "
                     "logs); the route is not checked\n";
        return -1;
    case RouteCheck::Verdict::unknown_route:
        what = "no front end serves route '" + c.route + "' in balancer '" + c.balancer + "' (its routes: " +
               listed(rc.known) + ")";
        break;
    case RouteCheck::Verdict::unknown_balancer:
        what = "no front end serves a balancer '" + c.balancer + "' (balancers: " + listed(rc.known) + ")";
        break;
    }
    std::string from = std::to_string(rc.frontends) + (rc.frontends == 1 ? " front end" : " front ends") +
                       " announced their members in the last day";
    if (o.force) {
        std::cerr << "oxbalancectl: warning: " << what << "; written anyway (--force); " << from << "\n";
        return -1;
    }
    // A member with a row already (written with --force, or kept after it
    // left every configuration) may be changed: enable undoes a forced
    // drain. Asked of the write host, where the change goes (a replica may
    // not have the row yet).
    bool exists = false;
    if (!store.has_row(c.balancer, c.route, exists, err)) return db_error(store, err);
    if (exists) {
        std::cerr << "oxbalancectl: warning: " << what << "; changed all the same: its row is in the configdb "
                     "already (written with --force, or before its member was removed); "
                  << from << "\n";
        return -1;
    }
    std::cerr << "oxbalancectl: " << what << "; nothing written (" << from
              << "; --force writes it for a member yet to come)\n";
    return kInvalid;
}

// `forget BALANCER ROUTE`: the row removed, whoever serves the member (no
// check against the announcements: there is nothing to mistype into
// existence, and a row that is not there is refused).
int forget(MysqlStore& store, const Options& o, Change& c)
{
    identify(c);
    std::string err = ox::configdb::validate_names(c);
    if (!err.empty()) {
        std::cerr << "oxbalancectl: " << err << "\n";
        return kInvalid;
    }
    MysqlStore::Forgotten f;
    if (!store.forget(c, f, err)) return db_error(store, err);
    if (!f.existed) {
        std::cerr << "oxbalancectl: the configdb has no row for route '" << c.route << "' in balancer '" << c.balancer
                  << "'; nothing to forget (`list` shows the rows)\n";
        return kInvalid;
    }
    std::cout << (o.json ? oxctl::forget_json(c, f.admin, f.loadfactor) : oxctl::forget_text(c, f.admin, f.loadfactor));
    return kOk;
}

// --status-url: the page instead of the configdb.
int run_status_page(const Options& o)
{
    if (!o.properties.empty() || !o.read.empty() || !o.write.empty() || !o.user.empty() ||
        !o.password_file.empty()) {
        return usage_error("give --status-url or a configdb (--properties, --write ...), not both");
    }
    if (o.force) return usage_error("--force is for the configdb: a status page refuses a member it does not have");
    const std::string& cmd = o.words[0];
    if (cmd == "history" || cmd == "init-schema" || cmd == "forget") {
        std::cerr << "oxbalancectl: " << cmd << " needs the configdb (--properties or --write): "
                  << (cmd == "history"  ? "a status page keeps no history (its error log has OXB00080 for every change)"
                      : cmd == "forget" ? "it removes a row of the configdb (a page has none; enable and loadfactor "
                                          "set it back on that front end)"
                                        : "it creates the configdb's tables")
                  << "\n";
        return kUsage;
    }
    oxctl::PageOptions p;
    if (std::string err = oxctl::parse_http_url(o.status_url, p.url); !err.empty()) {
        return usage_error("--status-url: " + err);
    }
    p.json = o.json;
    if (o.timeout) p.timeout_seconds = o.timeout;
    p.words = o.words;
    return oxctl::run_status_page(p);
}

int run(const Options& o)
{
    if (o.words.empty()) return usage_error("no command given");
    const std::string& cmd = o.words[0];
    std::size_t nargs = o.words.size() - 1;
    auto needs = [&](std::size_t lo, std::size_t hi) {
        return nargs >= lo && nargs <= hi;
    };
    bool admin_cmd = cmd == "drain" || cmd == "disable" || cmd == "enable" || cmd == "standby";
    if (cmd == "list" || cmd == "status" || cmd == "init-schema") {
        if (!needs(0, 0)) return usage_error(cmd + " takes no arguments");
    } else if (admin_cmd) {
        if (!needs(2, 2)) return usage_error(cmd + " takes BALANCER ROUTE");
    } else if (cmd == "forget") {
        if (!needs(2, 2)) return usage_error("forget takes BALANCER ROUTE");
    } else if (cmd == "recover") {
        if (!needs(2, 2)) return usage_error("recover takes BALANCER ROUTE");
        // The error window is each front end's own finding: the configdb
        // has none to end.
        if (o.status_url.empty()) return usage_error("recover acts on one front end: give its --status-url");
    } else if (cmd == "loadfactor") {
        if (!needs(3, 3)) return usage_error("loadfactor takes BALANCER ROUTE N");
    } else if (cmd == "history") {
        if (!needs(0, 2)) return usage_error("history takes [BALANCER [ROUTE]]");
        for (std::size_t i = 1; i <= nargs; ++i) {
            if (o.words[i].empty()) {
                // (It would match nothing, or, as a balancer, everything.)
                std::cerr << "oxbalancectl: history: " << (i == 1 ? "the balancer name" : "the route") << " is empty\n";
                return kInvalid;
            }
        }
    } else {
        return usage_error("unknown command '" + cmd + "'");
    }

    if (!o.status_url.empty()) return run_status_page(o);

    Settings s;
    int rc = load_settings(o, s);
    if (rc >= 0) return rc;
    Timeouts t;
    if (o.timeout) t.connect_seconds = t.read_seconds = t.write_seconds = o.timeout;
    MysqlStore store(s, t);
    std::string err;

    if (cmd == "list") {
        std::vector<MemberStateRow> rows;
        if (!store.load(rows, err)) return db_error(store, err);
        std::string by = served_by(store, s);
        // Which rows a front end serves (best effort: without the
        // announcements the list is shown as it is; not after the read
        // host failed, which would be waited for a second time).
        // Nothing announced in the last day leaves `serving` empty: unknown.
        std::vector<ServedMember> served;
        std::string served_err;
        oxctl::Serving serving;
        if (!store.last_read_fell_back() && store.served(served, served_err)) {
            serving = ox::configdb::frontends_per_member(served, static_cast<std::int64_t>(std::time(nullptr)));
        }
        const oxctl::Serving* sv = serving.empty() ? nullptr : &serving;
        std::cout << (o.json ? oxctl::list_json(rows, by, sv) : oxctl::list_text(rows, sv));
        return kOk;
    }
    if (cmd == "history") {
        HistoryQuery q;
        if (nargs >= 1) q.balancer = o.words[1];
        if (nargs >= 2) q.route = o.words[2];
        q.limit = o.limit;
        std::vector<HistoryRow> rows;
        if (!store.history(q, rows, err)) return db_error(store, err);
        std::string by = served_by(store, s);
        std::cout << (o.json ? oxctl::history_json(rows, by) : oxctl::history_text(rows));
        return kOk;
    }
    if (cmd == "status") {
        std::vector<oxctl::HostStatus> hosts;
        hosts.push_back({"read", s.read.where(), s.read.database, store.check(MysqlStore::Host::read)});
        hosts.push_back({"write", s.write.where(), s.write.database, store.check(MysqlStore::Host::write)});
        oxctl::AnnouncedStatus announced;
        std::vector<ServedMember> served;
        // Neither host answered: not a second round of waiting for them.
        if (!hosts[0].check.reachable && !hosts[1].check.reachable) {
            announced.error = "neither host is reachable";
        } else if (store.served(served, announced.error)) {
            announced.frontends = frontends_seen(served, static_cast<std::int64_t>(std::time(nullptr)));
        }
        std::cout << (o.json ? oxctl::status_json(hosts, announced) : oxctl::status_text(hosts, announced));
        for (const auto& h : hosts) {
            if (!h.check.reachable || !h.check.schema) return kDatabase;
        }
        return kOk;
    }
    if (cmd == "init-schema") {
        if (!store.ensure_schema(err)) return db_error(store, err);
        if (o.json) {
            std::cout << "{\"ok\":true,\"write_host\":\"" << s.write.where() << "\"}\n";
        } else {
            std::cout << "tables oxbalance_member_state, oxbalance_member_state_history and oxbalance_frontend_member are "
                         "present on the write host "
                      << s.write.where() << " (database " << s.write.database << ")\n";
        }
        return kOk;
    }

    Change c;
    c.balancer = o.words[1];
    c.route = o.words[2];
    if (cmd == "forget") return forget(store, o, c);
    if (admin_cmd) {
        ox::AdminState a = cmd == "drain"     ? ox::AdminState::draining
                           : cmd == "disable" ? ox::AdminState::disabled
                           : cmd == "standby" ? ox::AdminState::standby
                                              : ox::AdminState::active;
        c.admin = a;
    } else {
        unsigned lf = 0;
        if (!parse_unsigned(o.words[3], kMaxLoadfactor, lf)) {
            std::cerr << "oxbalancectl: loadfactor '" << o.words[3]
                      << "' is not a whole number from 1 to 100 (or 0: back to the configured value)\n";
            return kInvalid;
        }
        c.loadfactor = lf;
    }
    identify(c);
    std::string why = validate(c);
    if (!why.empty()) {
        std::cerr << "oxbalancectl: " << why << "\n";
        return kInvalid;
    }
    if (int refused = check_served(store, o, c); refused >= 0) return refused;
    if (!store.apply(c, err)) return db_error(store, err);
    std::cout << (o.json ? oxctl::change_json(c) : oxctl::change_text(c));
    return kOk;
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        Options o;
        int rc = parse_options(argc, argv, o);
        if (rc >= 0) return rc;
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "oxbalancectl: " << e.what() << "\n";
        return kDatabase;
    }
}
