#include "ctl_format.h"

#include <time.h>

#include <algorithm>

#include "status/escape.h"

namespace oxctl {

std::string printable(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20 || u == 0x7F) {
            out += '?';
        } else if (u == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
            out += '?';  // a C1 control (U+0080-U+009F): CSI is one
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

using ox::configdb::Change;
using ox::configdb::HistoryRow;
using ox::configdb::MemberStateRow;

namespace {

std::string json(const std::string& s)
{
    std::string out;
    ox::status::append_json_string(out, s);
    return out;
}

std::string json_admin(const std::optional<ox::AdminState>& a) { return a ? json(ox::to_string(*a)) : "null"; }

// "tool client on frontend", leaving out what is empty.
std::string who(const std::string& tool, const std::string& client, const std::string& frontend)
{
    std::string s = tool;
    if (!client.empty()) s += (s.empty() ? "" : " ") + client;
    if (!frontend.empty()) s += (s.empty() ? "" : " on ") + frontend;
    return s.empty() ? "-" : s;
}

// Characters on a terminal, for padding: UTF-8 continuation bytes take
// no column of their own.
std::size_t columns(const std::string& s)
{
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// Columns padded to their widest cell; the last one is not padded. Every
// cell printable: names come from the database and status pages too.
std::string table(const std::vector<std::vector<std::string>>& rows)
{
    std::vector<std::vector<std::string>> cells;
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
        cells.emplace_back();
        width.resize(std::max(width.size(), r.size()));
        for (std::size_t i = 0; i < r.size(); ++i) {
            cells.back().push_back(printable(r[i]));
            width[i] = std::max(width[i], columns(cells.back()[i]));
        }
    }
    std::string out;
    for (const auto& r : cells) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            out += r[i];
            if (i + 1 < r.size()) out.append(width[i] - columns(r[i]) + 2, ' ');
        }
        out += '\n';
    }
    return out;
}

}  // namespace

namespace {

std::string strftime_utc(std::int64_t seconds, const char* format)
{
    time_t t = static_cast<time_t>(seconds);
    struct tm tm {};
    char buf[32];
    if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, format, &tm) == 0) return "?";
    return buf;
}

// ISO 8601 for scripts.
std::string json_time(std::int64_t seconds) { return json(strftime_utc(seconds, "%Y-%m-%dT%H:%M:%SZ")); }

}  // namespace

std::string format_time(std::int64_t seconds) { return strftime_utc(seconds, "%Y-%m-%d %H:%M:%SZ"); }

std::string admin_text(const std::optional<ox::AdminState>& a) { return a ? ox::to_string(*a) : "(configured)"; }

std::string loadfactor_text(unsigned lf) { return lf ? std::to_string(lf) : "(configured)"; }

namespace {

std::size_t serving_count(const Serving& serving, const MemberStateRow& r)
{
    auto it = serving.find(ox::configdb::MemberKey{r.balancer, r.route});
    return it == serving.end() ? 0 : it->second;
}

}  // namespace

std::string list_text(const std::vector<MemberStateRow>& rows, const Serving* serving)
{
    if (rows.empty()) return "no member has been changed: every member is as configured\n";
    std::vector<std::vector<std::string>> t{{"BALANCER", "ROUTE", "STATE", "LOADFACTOR", "CHANGED (UTC)", "BY"}};
    // With the announcements: how many front ends serve each member.
    if (serving) t[0].insert(t[0].end() - 1, "FRONT ENDS");
    std::size_t unserved = 0;
    for (const MemberStateRow& r : rows) {
        t.push_back({r.balancer, r.route, admin_text(r.admin), loadfactor_text(r.loadfactor), format_time(r.changed_at),
                     who(r.changed_by_tool, r.changed_by_client, r.changed_by_frontend)});
        if (!serving) continue;
        std::size_t n = serving_count(*serving, r);
        unserved += n == 0;
        t.back().insert(t.back().end() - 1, n ? std::to_string(n) : "none");
    }
    std::string out = table(t);
    if (unserved) {
        out += "\n" + std::to_string(unserved) + (unserved == 1 ? " row names a member" : " rows name members") +
               " no front end serves (taken out, or written with --force): `oxbalancectl forget BALANCER ROUTE` "
               "removes one\n";
    }
    return out;
}

std::string list_json(const std::vector<MemberStateRow>& rows, const std::string& served_by, const Serving* serving)
{
    std::string out = "{\"served_by\":" + json(served_by) + ",\"members\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const MemberStateRow& r = rows[i];
        if (i) out += ',';
        out += "{\"balancer\":" + json(r.balancer) + ",\"route\":" + json(r.route) +
               ",\"admin_state\":" + json_admin(r.admin) + ",\"loadfactor\":" + std::to_string(r.loadfactor) +
               ",\"changed_at\":" + json_time(r.changed_at) +
               ",\"changed_at_epoch\":" + std::to_string(r.changed_at) +
               ",\"changed_by_frontend\":" + json(r.changed_by_frontend) +
               ",\"changed_by_client\":" + json(r.changed_by_client) +
               ",\"changed_by_tool\":" + json(r.changed_by_tool) + ",\"version\":" + std::to_string(r.version) +
               ",\"frontends\":" + (serving ? std::to_string(serving_count(*serving, r)) : std::string("null")) + "}";
    }
    return out + "]}\n";
}

std::string history_text(const std::vector<HistoryRow>& rows)
{
    if (rows.empty()) return "no changes recorded\n";
    std::vector<std::vector<std::string>> t{{"ID", "WHEN (UTC)", "BALANCER", "ROUTE", "STATE", "LOADFACTOR", "BY"}};
    for (const HistoryRow& h : rows) {
        std::string state = admin_text(h.old_admin) + " -> " + admin_text(h.new_admin);
        std::string lf = loadfactor_text(h.old_loadfactor) + " -> " + loadfactor_text(h.new_loadfactor);
        t.push_back({std::to_string(h.id), format_time(h.changed_at), h.balancer, h.route, state, lf,
                     who(h.tool, h.client, h.frontend)});
    }
    return table(t);
}

std::string history_json(const std::vector<HistoryRow>& rows, const std::string& served_by)
{
    std::string out = "{\"served_by\":" + json(served_by) + ",\"history\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const HistoryRow& h = rows[i];
        if (i) out += ',';
        out += "{\"id\":" + std::to_string(h.id) + ",\"balancer\":" + json(h.balancer) + ",\"route\":" + json(h.route) +
               ",\"old_admin_state\":" + json_admin(h.old_admin) + ",\"new_admin_state\":" + json_admin(h.new_admin) +
               ",\"old_loadfactor\":" + std::to_string(h.old_loadfactor) +
               ",\"new_loadfactor\":" + std::to_string(h.new_loadfactor) +
               ",\"changed_at\":" + json_time(h.changed_at) +
               ",\"changed_at_epoch\":" + std::to_string(h.changed_at) + ",\"changed_by_frontend\":" + json(h.frontend) +
               ",\"changed_by_client\":" + json(h.client) + ",\"changed_by_tool\":" + json(h.tool) + "}";
    }
    return out + "]}\n";
}

std::string status_text(const std::vector<HostStatus>& hosts, const AnnouncedStatus& announced)
{
    std::string out;
    for (const HostStatus& h : hosts) {
        out += h.role + " host " + h.where + " (database " + h.database + "): ";
        if (!h.check.reachable) {
            out += "UNREACHABLE: " + printable(h.check.error) + "\n";
        } else if (!h.check.schema) {
            out += "reachable (MariaDB/MySQL " + printable(h.check.version) + "), SCHEMA MISSING: " +
                   printable(h.check.error) + "\n";
        } else {
            out += "reachable (MariaDB/MySQL " + printable(h.check.version) + "), schema present\n";
        }
    }
    out += "front ends announcing their members (last day): ";
    if (!announced.error.empty()) return out + "cannot read them: " + printable(announced.error) + "\n";
    if (announced.frontends.empty()) {
        return out + "none (they run without OXConfigDB, or cannot write oxbalance_frontend_member: OXB00122 in "
                     "their error logs); changes are written unchecked\n";
    }
    out += std::to_string(announced.frontends.size()) + "\n";
    for (const auto& f : announced.frontends) {
        out += "  " + printable(f.frontend) + ": " + std::to_string(f.members) + (f.members == 1 ? " member" : " members") +
               ", announced " + format_time(f.seen_at) + "\n";
    }
    return out;
}

std::string status_json(const std::vector<HostStatus>& hosts, const AnnouncedStatus& announced)
{
    std::string out = "{";
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const HostStatus& h = hosts[i];
        if (i) out += ',';
        out += json(h.role) + ":{\"host\":" + json(h.where) + ",\"database\":" + json(h.database) +
               ",\"reachable\":" + (h.check.reachable ? "true" : "false") +
               ",\"schema\":" + (h.check.schema ? "true" : "false") + ",\"version\":" + json(h.check.version) +
               ",\"error\":" + json(h.check.error) + "}";
    }
    out += ",\"frontends\":{\"error\":" + json(announced.error) + ",\"announced\":[";
    for (std::size_t i = 0; i < announced.frontends.size(); ++i) {
        const auto& f = announced.frontends[i];
        if (i) out += ',';
        out += "{\"frontend\":" + json(f.frontend) + ",\"members\":" + std::to_string(f.members) +
               ",\"seen_at\":" + json_time(f.seen_at) + "}";
    }
    return out + "]}}\n";
}

std::string change_text(const Change& c)
{
    std::string s = c.balancer + " " + c.route + ":";
    if (c.admin) s += std::string(" admin state ") + ox::to_string(*c.admin);
    if (c.loadfactor) s += " loadfactor " + loadfactor_text(*c.loadfactor);
    return s + "\n";
}

std::string change_json(const Change& c)
{
    std::string out = "{\"ok\":true,\"balancer\":" + json(c.balancer) + ",\"route\":" + json(c.route);
    if (c.admin) out += ",\"admin_state\":" + json_admin(c.admin);
    if (c.loadfactor) out += ",\"loadfactor\":" + std::to_string(*c.loadfactor);
    return out + "}\n";
}

std::string forget_text(const Change& c, const std::optional<ox::AdminState>& admin, unsigned loadfactor)
{
    return printable(c.balancer) + " " + printable(c.route) + ": row removed (it held admin state " + admin_text(admin) + ", loadfactor " +
           loadfactor_text(loadfactor) + "); every front end uses its configuration's at its next poll\n";
}

std::string forget_json(const Change& c, const std::optional<ox::AdminState>& admin, unsigned loadfactor)
{
    return "{\"ok\":true,\"balancer\":" + json(c.balancer) + ",\"route\":" + json(c.route) +
           ",\"forgotten\":true,\"old_admin_state\":" + json_admin(admin) +
           ",\"old_loadfactor\":" + std::to_string(loadfactor) + "}\n";
}

namespace {

std::string json_or_null(const std::optional<std::string>& s) { return s ? json(*s) : "null"; }

}  // namespace

std::string page_list_text(const page::Snapshot& s)
{
    if (s.members.empty()) return "the status page lists no member\n";
    std::vector<std::vector<std::string>> t{
        {"BALANCER", "ROUTE", "STATE", "CONFIGURED", "HEALTH", "LOADFACTOR", "SESSIONS", "MEMBER"}};
    for (const page::Member& m : s.members) {
        t.push_back({m.balancer, m.route ? *m.route : "-", m.admin, m.config_admin, m.health,
                     std::to_string(m.loadfactor), std::to_string(m.sessions_recent), m.url});
    }
    return table(t);
}

std::string page_list_json(const page::Snapshot& s, const std::string& served_by)
{
    std::string out = "{\"served_by\":" + json(served_by) + ",\"server\":" + json(s.server) +
                      ",\"generated\":" + json(s.generated) + ",\"members\":[";
    for (std::size_t i = 0; i < s.members.size(); ++i) {
        const page::Member& m = s.members[i];
        if (i) out += ',';
        out += "{\"balancer\":" + json(m.balancer) + ",\"route\":" + json_or_null(m.route) +
               ",\"url\":" + json(m.url) + ",\"admin_state\":" + json(m.admin) +
               ",\"config_admin_state\":" + json(m.config_admin) + ",\"health\":" + json(m.health) +
               ",\"loadfactor\":" + std::to_string(m.loadfactor) + ",\"in_flight\":" + std::to_string(m.in_flight) +
               ",\"sessions_recent\":" + std::to_string(m.sessions_recent) + "}";
    }
    return out + "]}\n";
}

namespace {

const char* actions_word(PageStatus::Actions a)
{
    switch (a) {
    case PageStatus::Actions::on: return "on";
    case PageStatus::Actions::off: return "off";
    default: return "unknown";
    }
}

}  // namespace

std::string page_status_text(const PageStatus& st)
{
    std::string out = "status page " + st.url + ": ";
    if (!st.reachable) return out + "UNREACHABLE: " + printable(st.error) + "\n";
    const page::Snapshot& s = st.snapshot;
    out += "reachable (server " + printable(s.server) + ", mod_oxbalance " + printable(s.version) + ", JSON schema " +
           std::to_string(s.schema) + "), " + std::to_string(s.balancers) + " balancers, " +
           std::to_string(s.members.size()) + " members, actions ";
    switch (st.actions) {
    case PageStatus::Actions::on: out += "on"; break;
    case PageStatus::Actions::off: out += "OFF (the page has no forms: see OXB00085 in its error log)"; break;
    default: out += "unknown (no member to act on)"; break;
    }
    out += "\n";
    if (s.configdb) {
        out += "configdb on that front end: " + printable(s.configdb_state) + " (read host " +
               printable(s.configdb_read_host) + ", write host " + printable(s.configdb_write_host) + ")\n";
    }
    return out;
}

std::string page_status_json(const PageStatus& st)
{
    std::string out = "{\"url\":" + json(st.url) + ",\"reachable\":" + (st.reachable ? "true" : "false");
    if (!st.reachable) return out + ",\"error\":" + json(st.error) + "}\n";
    const page::Snapshot& s = st.snapshot;
    out += ",\"server\":" + json(s.server) + ",\"version\":" + json(s.version) +
           ",\"schema\":" + std::to_string(s.schema) + ",\"balancers\":" + std::to_string(s.balancers) +
           ",\"members\":" + std::to_string(s.members.size()) + ",\"actions\":" + json(actions_word(st.actions)) +
           ",\"configdb\":";
    if (s.configdb) {
        out += "{\"state\":" + json(s.configdb_state) + ",\"read_host\":" + json(s.configdb_read_host) +
               ",\"write_host\":" + json(s.configdb_write_host) + "}";
    } else {
        out += "null";
    }
    return out + ",\"error\":\"\"}\n";
}

std::string page_change_text(const PageChange& c) { return printable(c.notice) + "\n"; }

std::string page_change_json(const PageChange& c)
{
    std::string out = "{\"ok\":true,\"balancer\":" + json(c.balancer) + ",\"member\":" + json(c.member) +
                      ",\"action\":" + json(c.action);
    if (c.admin) out += ",\"admin_state\":" + json_admin(c.admin);
    if (c.loadfactor) out += ",\"loadfactor\":" + std::to_string(c.loadfactor);
    return out + ",\"changed\":" + (c.changed ? "true" : "false") + ",\"notice\":" + json(c.notice) + "}\n";
}

}  // namespace oxctl
