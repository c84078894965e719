// The one process of a server that runs the prober and the configdb poller
// (the leader): whichever child holds the shared block's lease
// (libox/state/lease.h). Every child has a thread of its own for it (a
// mod_watchdog instance that is not a singleton) whose callbacks renew or
// try to take the lease every kLeaderTick and start or stop their work
// when that changes.
//
// Why not mod_watchdog's singleton: a child that gets its mutex after
// another child held it waits ten seconds before its first callback, so a
// prober whose child crashed was gone for ten seconds and more. Here a
// leader that exits frees the lease (and httpd's parent frees it for one
// that died), and the next tick of any child takes it: about half a
// second; one that hangs loses it after kLeaderStale.
#ifndef MOD_OXBALANCE_LEADER_H
#define MOD_OXBALANCE_LEADER_H

#include <mod_watchdog.h>

#include <cstdint>

#include "mod_oxbalance_httpd.h"
#include "state/shared_state.h"

namespace oxb {

constexpr apr_interval_time_t kLeaderTick = 500 * 1000;  // µs
constexpr std::int64_t kLeaderStale = 3000;              // ms without a heartbeat

enum class LeaderChange { none, became, lost };

// From a callback of the leader's watchdog (STARTING, RUNNING): renews or
// takes the lease for this process. `running`: whether the caller's work
// runs here now. `became` when it should start, `lost` when another
// process holds the lease now (this one's heartbeat was late), so the
// work must stop here.
LeaderChange leader_step(const ox::state::Table& t, bool running) noexcept;

// Whether this process holds the lease now: a leader's threads check it
// before they write, so that a leader that lost its lease and has not
// stopped yet does not write beside its successor.
bool is_leader(const ox::state::Table& t) noexcept;

// This process stops (the watchdog's STOPPING): frees the lease if held.
void leader_exits(const ox::state::Table& t) noexcept;

// httpd's parent learnt that child `pid` ended: frees the lease if that
// child held it, so that another takes over at once.
void leader_ended(const ox::state::Table& t, pid_t pid) noexcept;

// Registers `callback` with `data` on the leader's watchdog (every child's
// own thread), called every kLeaderTick. APR_ENOTIMPL when mod_watchdog
// is not loaded; else APR_SUCCESS or mod_watchdog's error.
apr_status_t leader_register(apr_pool_t* pconf, const void* data, ap_watchdog_callback_fn_t* callback) noexcept;

}  // namespace oxb

#endif
