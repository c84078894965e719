#include "mod_oxbalance_prober.h"

#include <cstring>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "health/probe.h"
#include "health/probe_state.h"
#include "health/prober.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_leader.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_pool.h"
#include "state/shared_state.h"

namespace oxb {

namespace {

// One probed node: its slot, and how its first member says to probe it.
struct ProbedNode {
    ox::state::NodeSlot* slot;
    const ox::MemberSpec* member;
};

// The prober as the leader's task: lives as long as the configuration
// (pconf), the prober's threads as long as this process is the leader.
struct ProberContext : LeaderTask {
    ProberContext(server_rec* server, const ox::state::Table& t, std::vector<ProbedNode> probed)
        : LeaderTask(t), s(server), nodes(std::move(probed))
    {
    }

    server_rec* s;
    std::vector<ProbedNode> nodes;
    std::unique_ptr<ox::health::Prober> prober;

protected:
    bool running() const noexcept override { return prober != nullptr; }
    void start() override;
    void failed(const std::exception& e) noexcept override;
    void stop() noexcept override
    {
        if (prober) prober->stop();
        prober.reset();
    }
    void lost(std::uint32_t taker) noexcept override
    {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     OXBLOGNO(00120) "this process (%" APR_PID_T_FMT ") no longer probes: process %u took over, "
                     "this one had not renewed its lease for %lld ms (hung, or starved of CPU)",
                     getpid(), taker, static_cast<long long>(kLeaderStale));
    }
};

// Records one probe in the node's slot (the prober is its only writer) and
// logs a change of health once. A prober whose process lost the lease and
// is being stopped writes nothing: its successor writes now.
void record(const ProberContext& ctx, const ProbedNode& pn, const ox::health::ProbeResult& r) noexcept
{
    if (!is_leader(ctx.table())) return;
    ox::state::NodeSlot& n = *pn.slot;
    const ox::health::HealthCheckSpec& spec = pn.member->health;
    ox::health::ProbeCounters c;
    c.health = static_cast<ox::Health>(n.health.load(std::memory_order_relaxed));
    c.failed_in_row = n.failed_in_row.load(std::memory_order_relaxed);
    c.passed_in_row = n.passed_in_row.load(std::memory_order_relaxed);
    bool changed = ox::health::record_probe(c, r.ok, spec.fails, spec.passes);
    n.failed_in_row.store(c.failed_in_row, std::memory_order_relaxed);
    n.passed_in_row.store(c.passed_in_row, std::memory_order_relaxed);
    n.probe_latency_us.store(r.latency.count(), std::memory_order_relaxed);
    n.probe_status.store(r.status, std::memory_order_relaxed);
    n.probe_ok.store(r.ok ? 1 : 0, std::memory_order_relaxed);
    n.probes.fetch_add(1, std::memory_order_relaxed);
    if (!r.ok) n.probe_failures.fetch_add(1, std::memory_order_relaxed);
    char errbuf[96] = "";
    if (!r.ok && r.sys_errno) apr_strerror(r.sys_errno, errbuf, sizeof errbuf);
    char detail[sizeof(ox::state::NodeSlot::detail)];
    if (r.ok) {
        detail[0] = '\0';
    } else if (r.status) {
        apr_snprintf(detail, sizeof detail, "%s %d", r.detail, r.status);
    } else {
        apr_snprintf(detail, sizeof detail, "%s%s%s%s", r.detail, *errbuf ? " (" : "", errbuf, *errbuf ? ")" : "");
    }
    ox::state::set_probe_detail(n, detail);
    n.probe_wall_ms.store(ox::wall_now_ms(), std::memory_order_release);
    if (!changed) return;
    n.health.store(static_cast<std::uint8_t>(c.health), std::memory_order_release);
    if (c.health == ox::Health::down) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ctx.s,
                     OXBLOGNO(00043) "node %s is down: %u %s probes failed in a row, the last: %s; its sessions go "
                     "to their successors",
                     n.address, c.failed_in_row, ox::health::to_string(spec.method), detail);
    } else {
        // Recovery is the probes' to decide: a passive error window still
        // open would keep the node out for no reason now.
        n.error_until_ms.store(0, std::memory_order_relaxed);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ctx.s,
                     OXBLOGNO(00044) "node %s is up again: %u %s probes passed in a row", n.address, c.passed_in_row,
                     ox::health::to_string(spec.method));
    }
}

// The prober gave up on a node (its thread failed, or the threads could not
// start): nobody probes it any more, so it must not stay down for good.
void give_up(const ProberContext& ctx, const ProbedNode& pn) noexcept
{
    ox::state::forget_probes(*pn.slot);
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, ctx.s,
                 OXBLOGNO(00125) "node %s is no longer probed: its probe thread failed; it counts as up, and its "
                 "health comes from failed requests only until the prober starts again",
                 pn.slot->address);
}

// Starts one probe thread per node; the first probe of each keeps the
// schedule the node had (across a restart or a takeover by another child).
void ProberContext::start()
{
    std::vector<ox::health::Prober::Node> probes;
    probes.reserve(nodes.size());
    std::int64_t now = ox::wall_now_ms();
    for (const ProbedNode& pn : nodes) {
        ox::health::Prober::Node node;
        const ox::health::HealthCheckSpec& spec = pn.member->health;
        ox::health::ProbeTarget target;
        target.endpoint = pn.member->endpoint;
        target.http = pn.member->scheme == ox::Scheme::http;
        target.packet_size = pn.member->packet_size;
        target.route = pn.member->route;
        target.secret = pn.member->secret;
        node.probe = [&spec, target] { return ox::health::run_probe(spec, target); };
        node.interval = spec.interval;
        std::int64_t last = pn.slot->probe_wall_ms.load(std::memory_order_relaxed);
        std::int64_t due = last + spec.interval.count() - now;
        if (last > 0 && due > 0 && due <= spec.interval.count()) node.first_delay = ox::Millis(due);
        probes.push_back(std::move(node));
    }
    prober = std::make_unique<ox::health::Prober>(
        std::move(probes), [this](std::size_t i, const ox::health::ProbeResult& r) { record(*this, nodes[i], r); },
        [this](std::size_t i) { give_up(*this, nodes[i]); });
    prober->start();
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 OXBLOGNO(00046) "this process (%" APR_PID_T_FMT ") probes %" APR_SIZE_T_FMT " nodes", getpid(),
                 nodes.size());
}

void ProberContext::failed(const std::exception& e) noexcept
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 OXBLOGNO(00045) "cannot run the prober: %s; its nodes count as up, and their health comes "
                 "from failed requests only",
                 e.what());
    stop();
    // This process keeps the lease, so no other takes over: a node found
    // down would stay down.
    for (const ProbedNode& pn : nodes) ox::state::forget_probes(*pn.slot);
}

// The nodes to probe: each node once, probed as the first of its members
// (in configuration order) that asks for probes says. A node is probed when
// any balancer asks for it, and its health counts in every balancer.
std::vector<ProbedNode> probed_nodes(const ModuleConfig& mc)
{
    std::vector<ProbedNode> out;
    std::vector<bool> seen(mc.table.nodes(), false);
    for (const auto& b : mc.balancers) {
        for (std::size_t i = 0; i < b->spec.members.size(); ++i) {
            const ox::MemberSpec& m = b->spec.members[i];
            std::uint32_t node = mc.table.slot(b->first_slot + i).node;
            if (seen[node] || m.health.method == ox::health::ProbeMethod::none) continue;
            seen[node] = true;
            out.push_back({&mc.table.node(node), &m});
        }
    }
    return out;
}

int register_prober(apr_pool_t* pconf, server_rec* s)
{
    ModuleConfig* mc = server_config(s)->module;
    if (!mc->table.valid()) return OK;
    std::vector<ProbedNode> nodes = probed_nodes(*mc);
    if (nodes.empty()) return OK;
    auto* ctx = pool_new<ProberContext>(pconf, s, mc->table, std::move(nodes));
    // Our threads keep the schedule; the task only starts and stops them.
    apr_status_t rv = ctx->enlist(pconf, *mc);
    if (rv == APR_ENOTIMPL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     OXBLOGNO(00047) "health probes need mod_watchdog: load it, or set OXHealthCheck off");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, OXBLOGNO(00047) "cannot register the prober with mod_watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

}  // namespace

int prober_post_config(apr_pool_t* pconf, server_rec* s)
{
    try {
        return register_prober(pconf, s);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00047) "cannot set up the prober: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00047) "cannot set up the prober");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace oxb
