#include "status/render_metrics.h"

#include <string_view>

#include "status/escape.h"

namespace ox::status {

namespace {

enum class Type { counter, gauge };

// A sample value: n / 10^decimals, with a sign.
struct Value {
    std::uint64_t n = 0;
    unsigned decimals = 0;
    bool negative = false;

    void set(std::uint64_t v) noexcept { n = v; }
    void set_signed(std::int64_t v) noexcept
    {
        negative = v < 0;
        n = negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    }
    // Milliseconds as seconds; microseconds as seconds.
    void millis(std::int64_t ms) noexcept { set_signed(ms); decimals = 3; }
    void micros(std::int64_t us) noexcept { set_signed(us); decimals = 6; }
};

class Exposition {
public:
    Exposition(const StatusModel& m, std::string& out) : m_(m), out_(out) {}

    void family(const char* name, Type type, std::string_view help)
    {
        name_ = name;
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        append_prometheus_help(out_, help);
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += type == Type::counter ? " counter\n" : " gauge\n";
    }

    // One sample per member of every balancer; `value` returns false to
    // leave a member out (a value it does not have).
    template <class F>
    void members(F value)
    {
        for (const BalancerStatus& b : m_.balancers) {
            for (const MemberStatus& mem : b.members) {
                Value v;
                if (!value(mem, v)) continue;
                start(b, mem);
                out_ += "} ";
                put_value(v);
            }
        }
    }

    // The labels of a member, without the closing brace.
    void start(const BalancerStatus& b, const MemberStatus& mem)
    {
        out_ += name_;
        out_ += "{balancer=\"";
        append_prometheus_label_value(out_, b.name);
        out_ += "\",member=\"";
        append_prometheus_label_value(out_, mem.url);
        out_ += "\",route=\"";
        append_prometheus_label_value(out_, mem.route);
        out_ += '"';
    }

    // Exact decimal text, without going through a double: 1714566896789 ms
    // with 3 decimals is "1714566896.789".
    void put_value(const Value& v)
    {
        if (v.negative) out_ += '-';
        std::string digits = std::to_string(v.n);
        if (v.decimals > 0) {
            if (digits.size() <= v.decimals) digits.insert(0, v.decimals + 1 - digits.size(), '0');
            digits.insert(digits.size() - v.decimals, 1, '.');
        }
        out_ += digits;
        out_ += '\n';
    }

    std::string& out() { return out_; }
    const char* name() const { return name_; }

private:
    const StatusModel& m_;
    std::string& out_;
    const char* name_ = "";
};

constexpr AdminState kStates[] = {AdminState::active, AdminState::draining, AdminState::disabled,
                                  AdminState::standby};

bool plain(std::uint64_t field, Value& v) noexcept
{
    v.set(field);
    return true;
}

}  // namespace

std::string render_metrics(const StatusModel& m)
{
    std::string out;
    std::size_t members = 0;
    for (const auto& b : m.balancers) members += b.members.size();
    out.reserve(4096 + 3000 * members);
    Exposition e(m, out);

    e.family("oxbalance_build_info", Type::gauge, "mod_oxbalance's version, as a label; always 1.");
    out += "oxbalance_build_info{version=\"";
    append_prometheus_label_value(out, m.module_version);
    out += "\",server=\"";
    append_prometheus_label_value(out, m.server_name);
    out += "\"} 1\n";

    if (m.configdb.configured) {
        const ConfigdbStatus& c = m.configdb;
        e.family("oxbalance_configdb_up", Type::gauge,
                 "1 when the last read of the configdb (OXConfigDB) succeeded, 0 while it fails or before the "
                 "first read. While 0, the last state read stays in force.");
        out += "oxbalance_configdb_up ";
        out += c.outage_since_ms == 0 && c.last_success_ms != 0 ? "1\n" : "0\n";
        if (c.last_success_ms != 0) {
            e.family("oxbalance_configdb_last_success_timestamp_seconds", Type::gauge,
                     "When the configdb was last read successfully, in seconds since the epoch: the time of the "
                     "admin states in force.");
            out += "oxbalance_configdb_last_success_timestamp_seconds ";
            Value v;
            v.millis(c.last_success_ms);
            e.put_value(v);
        }
        e.family("oxbalance_configdb_polls_total", Type::counter, "Reads of the configdb.");
        out += "oxbalance_configdb_polls_total " + std::to_string(c.polls) + "\n";
        e.family("oxbalance_configdb_poll_failures_total", Type::counter, "Reads of the configdb that failed.");
        out += "oxbalance_configdb_poll_failures_total " + std::to_string(c.poll_failures) + "\n";
        e.family("oxbalance_configdb_write_failures_total", Type::counter,
                 "Status page changes that could not be written to the configdb.");
        out += "oxbalance_configdb_write_failures_total " + std::to_string(c.write_failures) + "\n";
        e.family("oxbalance_configdb_unknown_rows", Type::gauge,
                 "Rows of the last configdb read for members this configuration does not have (ignored): a member "
                 "taken out, a typo written with --force, or front ends configured differently.");
        out += "oxbalance_configdb_unknown_rows " + std::to_string(c.unknown_rows) + "\n";
        e.family("oxbalance_configdb_announcement_ok", Type::gauge,
                 "1 when this front end's last announcement of its members to the configdb succeeded (oxbalancectl "
                 "checks changes against them), 0 while it fails or before the first.");
        out += "oxbalance_configdb_announcement_ok ";
        out += c.last_announce_ms != 0 && c.announce_failing_since_ms == 0 ? "1\n" : "0\n";
        if (c.last_announce_ms != 0) {
            e.family("oxbalance_configdb_last_announcement_timestamp_seconds", Type::gauge,
                     "When this front end last announced its members to the configdb, in seconds since the epoch.");
            out += "oxbalance_configdb_last_announcement_timestamp_seconds ";
            Value v;
            v.millis(c.last_announce_ms);
            e.put_value(v);
        }
    }

    e.family("oxbalance_balancer_failover", Type::gauge,
             "1 when a session whose member is disabled or down goes to its successor (OXFailover On); 0 when it "
             "gets 503.");
    for (const BalancerStatus& b : m.balancers) {
        out += "oxbalance_balancer_failover{balancer=\"";
        append_prometheus_label_value(out, b.name);
        out += "\",lbmethod=\"";
        append_prometheus_label_value(out, b.lbmethod);
        out += "\"} ";
        out += b.failover ? "1\n" : "0\n";
    }

    e.family("oxbalance_member_up", Type::gauge, "1 when the member's node is up (probes), 0 when it is down.");
    e.members([](const MemberStatus& s, Value& v) {
        v.set(s.health == Health::up ? 1 : 0);
        return true;
    });

    e.family("oxbalance_member_admin_state", Type::gauge,
             "The member's admin state: 1 for the state in force, 0 for the others. active: takes new sessions; "
             "draining: keeps its sessions, takes no new ones; disabled: takes nothing, its sessions go to their "
             "successors; standby: takes sessions only while no active member is up.");
    for (const BalancerStatus& b : m.balancers) {
        for (const MemberStatus& s : b.members) {
            for (AdminState st : kStates) {
                e.start(b, s);
                out += ",state=\"";
                out += to_string(st);
                out += "\"} ";
                out += s.admin == st ? "1\n" : "0\n";
            }
        }
    }

    e.family("oxbalance_member_error_window", Type::gauge,
             "1 while the member is avoided after a failed request (its retry= window), else 0.");
    e.members([&m](const MemberStatus& s, Value& v) {
        v.set(s.error_until_ms > m.generated_ms ? 1 : 0);
        return true;
    });

    e.family("oxbalance_member_loadfactor", Type::gauge, "The member's load factor in force (1-100).");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.loadfactor, v); });

    e.family("oxbalance_member_in_flight", Type::gauge, "Requests in flight to the member, across all httpd children.");
    e.members([](const MemberStatus& s, Value& v) {
        v.set_signed(s.in_flight);
        return true;
    });

    e.family("oxbalance_member_requests_total", Type::counter, "Requests (attempts) sent to the member.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.requests, v); });
    e.family("oxbalance_member_failures_total", Type::counter, "Attempts to the member that failed.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.failures, v); });
    e.family("oxbalance_member_new_sessions_total", Type::counter,
             "Requests without a session route that were placed on the member.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.new_sessions, v); });
    e.family("oxbalance_member_sticky_requests_total", Type::counter,
             "Requests that followed their session route to the member.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.sticky, v); });
    e.family("oxbalance_member_failovers_total", Type::counter,
             "Requests of sessions whose own member was disabled or down, sent to this member as their successor.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.failovers, v); });
    e.family("oxbalance_member_bytes_sent_total", Type::counter, "Request body bytes sent to the member.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.bytes_sent, v); });
    e.family("oxbalance_member_bytes_received_total", Type::counter, "Response body bytes received from the member.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.bytes_received, v); });
    e.family("oxbalance_member_reuse_pings_total", Type::counter,
             "AJP CPings sent on pooled connections before reuse (pingidle=, ping=).");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.reuse_pings, v); });
    e.family("oxbalance_member_stale_dropped_total", Type::counter,
             "Pooled connections found closed by the backend, or not answering a CPing, before use: dropped, "
             "and not counted as failures.");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.stale_dropped, v); });
    e.family("oxbalance_member_idle_replaced_total", Type::counter,
             "http:// members: pooled connections idle for pingidle= or longer that a request which must not be "
             "sent twice did not use (a new connection carried it).");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.idle_replaced, v); });
    e.family("oxbalance_member_resent_total", Type::counter,
             "Requests sent again on a fresh connection to the member because the pooled one failed before any "
             "response byte (idempotent methods, or nothing was written).");
    e.members([](const MemberStatus& s, Value& v) { return plain(s.resent, v); });

    e.family("oxbalance_member_probe_latency_seconds", Type::gauge,
             "How long the member's last health probe took. Only for probed members after their first probe.");
    e.members([](const MemberStatus& s, Value& v) {
        if (s.probe.method.empty() || s.probe.time_ms == 0 || s.probe.latency_us < 0) return false;
        v.micros(s.probe.latency_us);
        return true;
    });
    e.family("oxbalance_member_probe_timestamp_seconds", Type::gauge,
             "When the member's last health probe ended, in seconds since the epoch. Only for probed members after "
             "their first probe.");
    e.members([](const MemberStatus& s, Value& v) {
        if (s.probe.method.empty() || s.probe.time_ms == 0) return false;
        v.millis(s.probe.time_ms);
        return true;
    });
    e.family("oxbalance_member_probe_consecutive_failures", Type::gauge,
             "Health probes of the member that failed in a row. Only for probed members.");
    e.members([](const MemberStatus& s, Value& v) {
        v.set(s.probe.consecutive_failures);
        return !s.probe.method.empty();
    });
    e.family("oxbalance_member_probe_consecutive_passes", Type::gauge,
             "Health probes of the member that passed in a row. Only for probed members.");
    e.members([](const MemberStatus& s, Value& v) {
        v.set(s.probe.consecutive_passes);
        return !s.probe.method.empty();
    });

    e.family("oxbalance_member_last_session_timestamp_seconds", Type::gauge,
             "When a request of one of the member's sessions was last seen, in seconds since the epoch. Only for "
             "members that have seen one.");
    e.members([](const MemberStatus& s, Value& v) {
        if (s.last_session_ms == 0) return false;
        v.millis(s.last_session_ms);
        return true;
    });

    std::string help = "Distinct sessions seen on the member in the last " +
                       std::to_string(m.sessions_window_minutes) +
                       " minutes. A draining member can be stopped when this reaches 0.";
    e.family("oxbalance_member_sessions_recent", Type::gauge, help);
    e.members([](const MemberStatus& s, Value& v) { return plain(s.sessions_recent, v); });

    return out;
}

}  // namespace ox::status
