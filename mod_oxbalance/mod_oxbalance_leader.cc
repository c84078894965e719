#include "mod_oxbalance_leader.h"

#include <mod_watchdog.h>
#include <unistd.h>

#include "core/clock.h"
#include "mod_oxbalance_config.h"

namespace oxb {

namespace {

constexpr const char* kLeaderWatchdogName = "oxbalance-leader";

std::uint32_t self() noexcept { return static_cast<std::uint32_t>(getpid()); }

}  // namespace

bool is_leader(const ox::state::Table& t) noexcept { return ox::state::held_by(t.leader(), self()); }

void leader_ended(const ox::state::Table& t, pid_t pid) noexcept
{
    if (pid > 0) ox::state::release(t.leader(), static_cast<std::uint32_t>(pid));
}

// Frees the lease once none of this process's tasks runs: a task still
// running here must not run beside another process's. One task's lock at
// a time, never two.
void release_when_idle(const ModuleConfig& mc) noexcept
{
    for (LeaderTask* t : mc.leader_tasks) {
        std::lock_guard<std::mutex> lock(t->mu_);
        if (t->running()) return;
    }
    if (!mc.leader_tasks.empty()) ox::state::release(mc.table.leader(), self());
}

apr_status_t LeaderTask::enlist(apr_pool_t* pconf, ModuleConfig& mc) noexcept
{
    auto* get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    auto* register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!get_instance || !register_callback) return APR_ENOTIMPL;
    ap_watchdog_t* wd = nullptr;
    // Not a singleton: a thread in every child; the lease picks the one.
    apr_status_t rv = get_instance(&wd, kLeaderWatchdogName, 0, 0, pconf);
    if (rv == APR_SUCCESS) rv = register_callback(wd, kLeaderTick, this, tick);
    if (rv != APR_SUCCESS) return rv;
    mc_ = &mc;
    try {
        mc.leader_tasks.push_back(this);
    } catch (...) {
        return APR_ENOMEM;
    }
    return APR_SUCCESS;
}

// Every kLeaderTick in every child: the leader runs the task, the others
// wait to take over.
apr_status_t LeaderTask::tick(int state, void* data, apr_pool_t*)
{
    auto* task = static_cast<LeaderTask*>(data);
    if (state == AP_WATCHDOG_STATE_STOPPING) {
        {
            std::lock_guard<std::mutex> lock(task->mu_);
            task->stop();
        }
        release_when_idle(*task->mc_);
        return APR_SUCCESS;
    }
    if (state != AP_WATCHDOG_STATE_STARTING && state != AP_WATCHDOG_STATE_RUNNING) return APR_SUCCESS;
    std::lock_guard<std::mutex> lock(task->mu_);
    if (task->closed_) return APR_SUCCESS;
    try {
        bool held = ox::state::renew_or_take(task->table_.leader(), self(), ox::steady_now_ms(), kLeaderStale);
        bool running = task->running();
        if (held && !running) {
            task->start();
        } else if (!held && running) {
            task->stop();
            task->lost(ox::state::holder(task->table_.leader()));
        }
    } catch (const std::exception& e) {
        task->failed(e);
        return APR_EGENERAL;  // the watchdog stops calling this task
    }
    return APR_SUCCESS;
}

namespace {

// The child's pool is going: every task stops (and is waited for) and
// never starts again here; then the lease is free for the next child.
apr_status_t child_exits(void* data)
{
    const auto& mc = *static_cast<const ModuleConfig*>(data);
    for (LeaderTask* t : mc.leader_tasks) t->close();
    release_when_idle(mc);
    return APR_SUCCESS;
}

}  // namespace

void LeaderTask::close() noexcept
{
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    stop();
}

void leader_child_init(apr_pool_t* pchild, const ModuleConfig& mc) noexcept
{
    if (mc.leader_tasks.empty()) return;
    apr_pool_cleanup_register(pchild, &mc, child_exits, apr_pool_cleanup_null);
}

}  // namespace oxb
