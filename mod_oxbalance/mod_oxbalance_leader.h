// The one process of a server that runs the prober and the configdb poller
// (the leader): whichever child holds the shared block's lease
// (libox/state/lease.h). Every child has a thread of its own for it (a
// mod_watchdog instance that is not a singleton) on which each piece of
// the leader's work, a LeaderTask, renews or tries to take the lease every
// kLeaderTick and starts or stops when that changes.
//
// Why not mod_watchdog's singleton: a child that gets its mutex after
// another child held it waits ten seconds before its first callback, so a
// prober whose child crashed was gone for ten seconds and more. Here a
// leader that exits frees the lease (and httpd's parent frees it for one
// that died), and the next tick of any child takes it: about half a
// second; one that hangs loses it after kLeaderStale.
//
// A child that exits stops its tasks and waits for them (child_init
// registers that on the child's pool): mod_watchdog does not wait for its
// thread, so without this a configdb write in progress was cut off by the
// process's end.
#ifndef MOD_OXBALANCE_LEADER_H
#define MOD_OXBALANCE_LEADER_H

#include <cstdint>
#include <exception>
#include <mutex>

#include "mod_oxbalance_httpd.h"
#include "state/shared_state.h"

namespace oxb {

struct ModuleConfig;

constexpr apr_interval_time_t kLeaderTick = 500 * 1000;  // µs
constexpr std::int64_t kLeaderStale = 3000;              // ms without a heartbeat

// Whether this process holds the lease now: a leader's threads check it
// before they write, so that a leader that lost its lease and has not
// stopped yet does not write beside its successor.
bool is_leader(const ox::state::Table& t) noexcept;

// httpd's parent learnt that child `pid` ended: frees the lease if that
// child held it, so that another takes over at once.
void leader_ended(const ox::state::Table& t, pid_t pid) noexcept;

// One piece of the leader's work. Its start and stop run under the task's
// lock, from the watchdog thread or from the child's exit; once the child
// exits the task never starts again there.
class LeaderTask {
public:
    explicit LeaderTask(const ox::state::Table& table) noexcept : table_(table) {}
    virtual ~LeaderTask() = default;
    LeaderTask(const LeaderTask&) = delete;
    LeaderTask& operator=(const LeaderTask&) = delete;

    // post_config: on the leader's watchdog, and in mc's list for
    // child_init. APR_ENOTIMPL when mod_watchdog is not loaded; else
    // APR_SUCCESS or mod_watchdog's error.
    apr_status_t enlist(apr_pool_t* pconf, ModuleConfig& mc) noexcept;

    const ox::state::Table& table() const noexcept { return table_; }

    // The child exits: stop, wait, and never start again here.
    void close() noexcept;

protected:
    virtual bool running() const noexcept = 0;
    // This process became the leader. May throw: then failed() says so,
    // and the watchdog stops calling this task (this process keeps the
    // lease, so no other takes the task over).
    virtual void start() = 0;
    virtual void failed(const std::exception& e) noexcept = 0;
    // This process is no longer the leader, or exits: stop and wait.
    virtual void stop() noexcept = 0;
    // Another process (`taker`) took the lease: this one had hung.
    virtual void lost(std::uint32_t taker) noexcept = 0;

private:
    static apr_status_t tick(int state, void* data, apr_pool_t*);
    friend void release_when_idle(const ModuleConfig& mc) noexcept;

    const ox::state::Table& table_;
    ModuleConfig* mc_ = nullptr;  // enlist
    std::mutex mu_;
    bool closed_ = false;  // the child exits
};

// Frees this process's lease once none of mc's tasks runs here.
void release_when_idle(const ModuleConfig& mc) noexcept;

// child_init: the child's end stops every task and frees the lease.
void leader_child_init(apr_pool_t* pchild, const ModuleConfig& mc) noexcept;

}  // namespace oxb

#endif
