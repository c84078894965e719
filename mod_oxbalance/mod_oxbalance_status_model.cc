#include "mod_oxbalance_status_model.h"

#include <vector>

#include "core/clock.h"
#include "health/health_check.h"
#include "mod_oxbalance_configdb.h"
#include "state/session_sketch.h"
#include "state/shared_state.h"

#ifndef OXB_VERSION
#define OXB_VERSION "unknown"
#endif

namespace oxb {

namespace {

using ox::state::MemberSlot;
using ox::state::NodeSlot;

// The member whose health check probes each node: the first (in
// configuration order) that asks for probes, as the prober decides
// (mod_oxbalance_prober.cc). Null: the node is not probed.
std::vector<const ox::MemberSpec*> probing_members(const ModuleConfig& mc)
{
    std::vector<const ox::MemberSpec*> out(mc.table.nodes(), nullptr);
    for (const auto& b : mc.balancers) {
        for (std::size_t i = 0; i < b->spec.members.size(); ++i) {
            const ox::MemberSpec& m = b->spec.members[i];
            std::uint32_t node = mc.table.slot(b->first_slot + i).node;
            if (node < out.size() && !out[node] && m.health.method != ox::health::ProbeMethod::none) out[node] = &m;
        }
    }
    return out;
}

// The last probe's result in words: what the prober wrote for a failure,
// what the method calls success otherwise.
std::string probe_result(const NodeSlot& n, ox::health::ProbeMethod method)
{
    if (n.probe_ok.load(std::memory_order_relaxed) == 0) {
        char detail[sizeof(NodeSlot::detail)];
        ox::state::probe_detail(n, detail);
        return *detail ? std::string(detail) : std::string("failed");
    }
    switch (method) {
    case ox::health::ProbeMethod::cping: return "CPong";
    case ox::health::ProbeMethod::http: return "HTTP " + std::to_string(n.probe_status.load(std::memory_order_relaxed));
    case ox::health::ProbeMethod::tcp: return "connected";
    case ox::health::ProbeMethod::none: break;
    }
    return "ok";
}

ox::status::ProbeStatus probe_status(const NodeSlot& n, const ox::MemberSpec* prober)
{
    ox::status::ProbeStatus p;
    if (!prober) return p;  // method "": not probed
    p.method = ox::health::to_string(prober->health.method);
    p.consecutive_failures = n.failed_in_row.load(std::memory_order_relaxed);
    p.consecutive_passes = n.passed_in_row.load(std::memory_order_relaxed);
    p.time_ms = n.probe_wall_ms.load(std::memory_order_acquire);
    if (p.time_ms == 0) return p;  // not probed yet
    p.latency_us = n.probe_latency_us.load(std::memory_order_relaxed);
    p.result = probe_result(n, prober->health.method);
    return p;
}

ox::status::MemberStatus member_status(const ModuleConfig& mc, std::size_t slot_index, const ox::MemberSpec& spec,
                                       const ox::MemberSpec* prober, std::int64_t wall_now, std::int64_t steady_now)
{
    const MemberSlot& s = mc.table.slot(slot_index);
    const NodeSlot& n = mc.table.node(s.node);
    ox::status::MemberStatus m;
    m.url = spec.url;
    m.route = spec.route;
    m.admin = static_cast<ox::AdminState>(s.admin.load(std::memory_order_relaxed));
    m.config_admin = static_cast<ox::AdminState>(s.config_admin.load(std::memory_order_relaxed));
    m.health = n.health.load(std::memory_order_relaxed) == static_cast<std::uint8_t>(ox::Health::up) ? ox::Health::up
                                                                                                    : ox::Health::down;
    m.probe = probe_status(n, prober);
    std::int32_t lf = s.loadfactor.load(std::memory_order_relaxed);
    m.loadfactor = static_cast<std::uint32_t>(lf > 0 ? lf : spec.loadfactor);
    // The total of every process's row, which a killed process may leave
    // one short for a moment (state/in_flight.h): never shown below 0.
    std::int64_t busy = s.busy.load(std::memory_order_relaxed);
    m.in_flight = busy > 0 ? busy : 0;
    m.requests = s.requests.load(std::memory_order_relaxed);
    m.failures = s.failures.load(std::memory_order_relaxed);
    m.new_sessions = s.new_sessions.load(std::memory_order_relaxed);
    m.sticky = s.sticky.load(std::memory_order_relaxed);
    m.failovers = s.failovers.load(std::memory_order_relaxed);
    m.bytes_sent = s.bytes_in.load(std::memory_order_relaxed);
    m.bytes_received = s.bytes_out.load(std::memory_order_relaxed);
    m.reuse_pings = s.reuse_pings.load(std::memory_order_relaxed);
    m.stale_dropped = s.stale_dropped.load(std::memory_order_relaxed);
    m.idle_replaced = s.idle_replaced.load(std::memory_order_relaxed);
    m.resent = s.resent.load(std::memory_order_relaxed);
    // The error window is kept on the steady clock (immune to clock
    // changes); the page shows wall time.
    std::int64_t until = n.error_until_ms.load(std::memory_order_relaxed);
    if (until > steady_now) m.error_until_ms = wall_now + (until - steady_now);
    m.last_session_ms = s.last_sticky_ms.load(std::memory_order_relaxed);
    m.sessions_recent =
        ox::state::estimate_sessions(mc.table.sketch(slot_index), wall_now / 60000, kSessionsWindowMinutes);
    return m;
}

}  // namespace

ox::status::StatusModel status_model(const server_rec* s, const ModuleConfig& mc)
{
    ox::status::StatusModel model;
    model.server_name = s->server_hostname ? s->server_hostname : "";
    model.module_version = OXB_VERSION;
    std::int64_t wall_now = ox::wall_now_ms();
    std::int64_t steady_now = ox::steady_now_ms();
    model.generated_ms = wall_now;
    model.sessions_window_minutes = kSessionsWindowMinutes;
    model.configdb = configdb_status(mc);
    if (!mc.table.valid()) return model;  // no balancers
    model.leader_pid = ox::state::holder(mc.table.leader());
    std::vector<const ox::MemberSpec*> probers = probing_members(mc);
    model.balancers.reserve(mc.balancers.size());
    for (const auto& b : mc.balancers) {
        ox::status::BalancerStatus bs;
        bs.name = b->spec.name;
        bs.lbmethod = b->spec.lbmethod == ox::LbMethod::bybusyness ? "bybusyness" : "byrequests";
        bs.sticky_cookie = b->spec.sticky.cookie;
        bs.failover = b->spec.failover;
        bs.members.reserve(b->spec.members.size());
        for (std::size_t i = 0; i < b->spec.members.size(); ++i) {
            std::size_t slot = b->first_slot + i;
            std::uint32_t node = mc.table.slot(slot).node;
            const ox::MemberSpec* prober = node < probers.size() ? probers[node] : nullptr;
            bs.members.push_back(member_status(mc, slot, b->spec.members[i], prober, wall_now, steady_now));
        }
        model.balancers.push_back(std::move(bs));
    }
    return model;
}

}  // namespace oxb
