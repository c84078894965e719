// Which process of the server runs the work that only one may run (the
// health prober, the configdb poller): a lease in the shared block. Every
// child renews it or tries to take it on a short tick. A holder that exits
// releases it, and httpd's parent releases it for a holder that died, so
// another child takes over at its next tick; a holder that hangs loses it
// once its heartbeat is older than the stale time.
//
// One word holds both the holder and its heartbeat, so that taking a
// lease over is one compare-and-swap: nobody can see the new holder with
// the old holder's heartbeat and take it again.
#ifndef LIBOX_STATE_LEASE_H
#define LIBOX_STATE_LEASE_H

#include <atomic>
#include <cstdint>

namespace ox::state {

struct Lease {
    // The holder's process id in the high 32 bits (0: free); its last
    // heartbeat in the low 32 (steady-clock milliseconds, modulo 2^32:
    // ages are compared as differences, so the wrap every 49 days is
    // harmless).
    std::atomic<std::uint64_t> word{0};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "cross-process atomics must be lock-free");

// Renews the lease for process `self` (> 0), or takes it when it is free
// or its holder's heartbeat is `stale_ms` or more older than `now_ms`
// (steady clock, the same in every process). True when `self` holds it
// afterwards. A holder whose own heartbeat went stale still holds it until
// somebody takes it.
bool renew_or_take(Lease& l, std::uint32_t self, std::int64_t now_ms, std::int64_t stale_ms) noexcept;

// Whether process `self` holds the lease now (its heartbeat not checked).
bool held_by(const Lease& l, std::uint32_t self) noexcept;

// The holder's process id, 0 when free.
std::uint32_t holder(const Lease& l) noexcept;

// Frees the lease if process `holder` holds it (it exits, or has died).
// True when it did.
bool release(Lease& l, std::uint32_t holder) noexcept;

}  // namespace ox::state

#endif
