// oxbalancectl's output: the same data as aligned text for people and as
// JSON for scripts.
#ifndef OXB_TOOLS_CTL_FORMAT_H
#define OXB_TOOLS_CTL_FORMAT_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "configdb/mysql_store.h"
#include "configdb/served.h"
#include "configdb/store.h"
#include "ctl_status_page.h"

namespace oxctl {

// "2024-05-01 12:34:56Z" (UTC).
std::string format_time(std::int64_t seconds);
// "draining", or "(configured)" when unset.
std::string admin_text(const std::optional<ox::AdminState>& a);
// "50", or "(configured)" for 0.
std::string loadfactor_text(unsigned lf);

// `serving`: how many front ends announced each member lately; null when
// that is unknown (nothing announced, or the table unreadable).
using Serving = std::map<ox::configdb::MemberKey, std::size_t>;
std::string list_text(const std::vector<ox::configdb::MemberStateRow>& rows, const Serving* serving);
std::string list_json(const std::vector<ox::configdb::MemberStateRow>& rows, const std::string& served_by,
                      const Serving* serving);
std::string history_text(const std::vector<ox::configdb::HistoryRow>& rows);
std::string history_json(const std::vector<ox::configdb::HistoryRow>& rows, const std::string& served_by);

struct HostStatus {
    std::string role;   // "read", "write"
    std::string where;  // host:port
    std::string database;
    ox::configdb::MysqlStore::HostCheck check;
};
// The front ends' announcements (oxbalance_frontend_member): those of the
// last day, or why they could not be read (`error`).
struct AnnouncedStatus {
    std::string error;
    std::vector<ox::configdb::FrontendSeen> frontends;
};
std::string status_text(const std::vector<HostStatus>& hosts, const AnnouncedStatus& announced);
std::string status_json(const std::vector<HostStatus>& hosts, const AnnouncedStatus& announced);

// `s` with control characters (C0, DEL, C1) as '?': what text output
// prints of names and messages that come from a database or a page.
std::string printable(std::string_view s);

// A change done: "oxcluster OX1: admin state draining".
std::string change_text(const ox::configdb::Change& c);
std::string change_json(const ox::configdb::Change& c);
// A row removed (`forget`), with what it held.
std::string forget_text(const ox::configdb::Change& c, const std::optional<ox::AdminState>& admin, unsigned loadfactor);
std::string forget_json(const ox::configdb::Change& c, const std::optional<ox::AdminState>& admin, unsigned loadfactor);

// ---- the status page mode (--status-url) --------------------------------

// Every member on the page: the state in force, the configuration's, health,
// load factor, recent sessions.
std::string page_list_text(const page::Snapshot& s);
std::string page_list_json(const page::Snapshot& s, const std::string& served_by);

// `status` against a page: reachable or not (`error`), what it serves, and
// whether it takes actions (`actions`: no form seen when it lists no member).
struct PageStatus {
    std::string url;
    bool reachable = false;
    std::string error;
    page::Snapshot snapshot;
    enum class Actions { on, off, unknown } actions = Actions::unknown;
};
std::string page_status_text(const PageStatus& st);
std::string page_status_json(const PageStatus& st);

// An action the page took: the page's own words, and (JSON) what was asked.
struct PageChange {
    std::string balancer, member, action;
    std::optional<ox::AdminState> admin;
    unsigned loadfactor = 0;  // with action "loadfactor"
    bool changed = false;     // false: the member was so already
    std::string notice;
};
std::string page_change_text(const PageChange& c);
std::string page_change_json(const PageChange& c);

}  // namespace oxctl

#endif
