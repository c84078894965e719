#include "status/render_json.h"

#include <string_view>

#include "status/escape.h"

namespace ox::status {

namespace {

// A small writer: objects and arrays, one member per line, two spaces of
// indent per level. Commas are placed by the writer, never by hand.
class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    void open(char bracket) { value_prefix(); out_ += bracket; ++depth_; first_ = true; }
    void close(char bracket)
    {
        --depth_;
        if (!first_) newline();
        out_ += bracket;
        first_ = false;
    }
    void key(std::string_view k)
    {
        if (!first_) out_ += ',';
        newline();
        append_json_string(out_, k);
        out_ += ": ";
        after_key_ = true;
    }
    void string(std::string_view s) { value_prefix(); append_json_string(out_, s); }
    void string_or_null(std::string_view s) { if (s.empty()) null(); else string(s); }
    void number(std::uint64_t v) { value_prefix(); out_ += std::to_string(v); }
    void number(std::int64_t v) { value_prefix(); out_ += std::to_string(v); }
    void boolean(bool b) { value_prefix(); out_ += b ? "true" : "false"; }
    void null() { value_prefix(); out_ += "null"; }

    // "name": ISO string, "name_ms": number; both null when ms is 0.
    void time(std::string_view name, std::int64_t ms, bool present)
    {
        key(name);
        if (!present) {
            null();
        } else {
            char buf[kIsoTimeChars + 1];
            string(format_iso8601_utc(ms, buf));
        }
        std::string k(name);
        k += "_ms";
        key(k);
        if (present) number(ms);
        else null();
    }

private:
    void newline()
    {
        out_ += '\n';
        out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
    }
    // Values in arrays get their comma and line; values after a key do not.
    void value_prefix()
    {
        if (after_key_) {
            after_key_ = false;
        } else if (depth_ > 0) {
            if (!first_) out_ += ',';
            newline();
        }
        first_ = false;
    }

    std::string& out_;
    int depth_ = 0;
    bool first_ = true;
    bool after_key_ = false;
};

void probe(Writer& w, const ProbeStatus& p)
{
    if (p.method.empty()) {
        w.null();
        return;
    }
    bool probed = p.time_ms != 0;
    w.open('{');
    w.key("method");
    w.string(p.method);
    w.key("result");
    if (probed) w.string(p.result);
    else w.null();
    w.key("latency_us");
    if (probed && p.latency_us >= 0) w.number(p.latency_us);
    else w.null();
    w.time("time", p.time_ms, probed);
    w.key("consecutive_failures");
    w.number(static_cast<std::uint64_t>(p.consecutive_failures));
    w.key("consecutive_passes");
    w.number(static_cast<std::uint64_t>(p.consecutive_passes));
    w.close('}');
}

void member(Writer& w, const MemberStatus& m, std::int64_t now_ms)
{
    w.open('{');
    w.key("url");
    w.string(m.url);
    w.key("route");
    w.string_or_null(m.route);
    w.key("admin");
    w.string(to_string(m.admin));
    w.key("config_admin");
    w.string(to_string(m.config_admin));
    w.key("health");
    w.string(to_string(m.health));
    w.key("loadfactor");
    w.number(static_cast<std::uint64_t>(m.loadfactor));
    w.key("in_flight");
    w.number(m.in_flight);
    w.time("error_until", m.error_until_ms, m.error_until_ms > now_ms);
    w.time("last_session", m.last_session_ms, m.last_session_ms != 0);
    w.key("sessions_recent");
    w.number(m.sessions_recent);
    w.key("probe");
    probe(w, m.probe);
    w.key("counters");
    w.open('{');
    w.key("requests");
    w.number(m.requests);
    w.key("failures");
    w.number(m.failures);
    w.key("new_sessions");
    w.number(m.new_sessions);
    w.key("sticky");
    w.number(m.sticky);
    w.key("failovers");
    w.number(m.failovers);
    w.key("bytes_sent");
    w.number(m.bytes_sent);
    w.key("bytes_received");
    w.number(m.bytes_received);
    w.key("reuse_pings");
    w.number(m.reuse_pings);
    w.key("stale_dropped");
    w.number(m.stale_dropped);
    w.key("idle_replaced");
    w.number(m.idle_replaced);
    w.key("resent");
    w.number(m.resent);
    w.close('}');
    w.close('}');
}

// null without OXConfigDB.
void configdb(Writer& w, const ConfigdbStatus& c, std::int64_t now_ms)
{
    if (!c.configured) {
        w.null();
        return;
    }
    w.open('{');
    w.key("state");
    w.string(c.state());
    w.key("up");
    w.boolean(c.outage_since_ms == 0 && c.last_success_ms != 0);
    w.key("read_host");
    w.string(c.read_host);
    w.key("write_host");
    w.string(c.write_host);
    w.key("poll_seconds");
    w.number(static_cast<std::uint64_t>(c.poll_seconds));
    w.time("last_success", c.last_success_ms, c.last_success_ms != 0);
    w.key("data_age_seconds");
    if (c.last_success_ms != 0) w.number(static_cast<std::int64_t>((now_ms - c.last_success_ms) / 1000));
    else w.null();
    w.time("outage_since", c.outage_since_ms, c.outage_since_ms != 0);
    w.time("last_attempt", c.last_attempt_ms, c.last_attempt_ms != 0);
    w.key("last_error");
    w.string_or_null(c.last_error);
    w.time("last_error_time", c.last_error_ms, c.last_error_ms != 0);
    w.key("polls");
    w.number(c.polls);
    w.key("poll_failures");
    w.number(c.poll_failures);
    w.key("writes");
    w.number(c.writes);
    w.key("write_failures");
    w.number(c.write_failures);
    w.key("last_write_error");
    w.string_or_null(c.last_write_error);
    w.time("last_write_error_time", c.last_write_error_ms, c.last_write_error_ms != 0);
    // What oxbalancectl checks changes against: this front end's members,
    // as it last announced them.
    w.key("announcement");
    w.open('{');
    w.key("frontend");
    w.string(c.frontend);
    w.key("ok");
    w.boolean(c.last_announce_ms != 0 && c.announce_failing_since_ms == 0);
    w.key("members");
    if (c.last_announce_ms != 0) w.number(static_cast<std::uint64_t>(c.announced_members));
    else w.null();
    w.time("last", c.last_announce_ms, c.last_announce_ms != 0);
    w.time("failing_since", c.announce_failing_since_ms, c.announce_failing_since_ms != 0);
    w.key("error");
    w.string_or_null(c.announce_failing_since_ms != 0 ? c.announce_error : std::string());
    w.close('}');
    // Rows for members this configuration lacks (oxbalancectl forget
    // removes one no front end needs).
    w.key("unknown_rows");
    w.number(static_cast<std::uint64_t>(c.unknown_rows));
    w.key("unknown_members");
    w.open('[');
    for (const auto& [balancer, route] : c.unknown_members) {
        w.open('{');
        w.key("balancer");
        w.string(balancer);
        w.key("route");
        w.string(route);
        w.close('}');
    }
    w.close(']');
    w.close('}');
}

}  // namespace

std::string render_json(const StatusModel& model)
{
    std::string out;
    std::size_t members = 0;
    for (const auto& b : model.balancers) members += b.members.size();
    out.reserve(512 + 1024 * members);
    Writer w(out);
    w.open('{');
    w.key("schema");
    w.number(static_cast<std::int64_t>(kJsonSchema));
    w.key("server");
    w.string(model.server_name);
    w.key("version");
    w.string(model.module_version);
    w.time("generated", model.generated_ms, true);
    w.key("sessions_window_minutes");
    w.number(static_cast<std::uint64_t>(model.sessions_window_minutes));
    w.key("leader_pid");
    if (model.leader_pid != 0) w.number(static_cast<std::uint64_t>(model.leader_pid));
    else w.null();
    w.key("configdb");
    configdb(w, model.configdb, model.generated_ms);
    w.key("balancers");
    w.open('[');
    for (const BalancerStatus& b : model.balancers) {
        w.open('{');
        w.key("name");
        w.string(b.name);
        w.key("lbmethod");
        w.string(b.lbmethod);
        w.key("sticky_cookie");
        w.string(b.sticky_cookie);
        w.key("failover");
        w.boolean(b.failover);
        w.key("members");
        w.open('[');
        for (const MemberStatus& m : b.members) member(w, m, model.generated_ms);
        w.close(']');
        w.close('}');
    }
    w.close(']');
    w.close('}');
    out += '\n';
    return out;
}

}  // namespace ox::status
