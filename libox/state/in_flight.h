// Requests in flight per member, kept so that they die with the process
// that holds them. Selection reads one total per member (MemberSlot::busy);
// each process also counts into a row of its own in the table. When a
// process ends, however it ends (kill -9, a crash), whoever learns of it
// (httpd's parent, in its child_status hook) settles the row: takes what the
// row still counts off the totals and frees the row for another process.
//
// A row belongs to a process id, not to an MPM scoreboard slot: a child
// cannot tell its slot reliably in child_init, and under the worker MPM an
// exiting child that lost its slot to a new one keeps running.
#ifndef LIBOX_STATE_IN_FLIGHT_H
#define LIBOX_STATE_IN_FLIGHT_H

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "state/shared_state.h"

namespace ox::state {

constexpr std::size_t kNoRow = static_cast<std::size_t>(-1);

// A row's owner while it is being settled: neither free nor anyone's.
constexpr std::int64_t kSettling = -1;

// Claims a free row for process `pid` (> 0). kNoRow when every row is taken.
std::size_t claim_row(const Table& t, std::int64_t pid) noexcept;

// Process `pid` has exited: takes what its rows still count off the totals
// and frees them. Only rows `pid` owns are touched, and each is settled
// once, whoever else settles at the same time. Returns the requests
// released. Must not be called for a process that still runs.
std::int64_t settle_exited(const Table& t, std::int64_t pid) noexcept;

// One member's in-flight count, as one process keeps it: into the total
// and, when the process has a row, into its row.
class InFlight {
public:
    InFlight() noexcept = default;
    // `own`: this process's counter for the member, or null (no row).
    InFlight(MemberSlot& total, std::atomic<std::int32_t>* own) noexcept : total_(&total), own_(own) {}
    // Slot `slot` of `t`, counted into row `row` (kNoRow: the total only).
    static InFlight of(const Table& t, std::size_t slot, std::size_t row) noexcept;

    // The row moves first on the way in and last on the way out, so a
    // process killed between the two steps leaves the total one short,
    // never one over: a member never looks busy for a request nobody runs.
    void enter() const noexcept
    {
        if (own_) own_->fetch_add(1, std::memory_order_relaxed);
        total_->busy.fetch_add(1, std::memory_order_release);
    }
    void leave() const noexcept
    {
        total_->busy.fetch_sub(1, std::memory_order_relaxed);
        if (own_) own_->fetch_sub(1, std::memory_order_release);
    }

private:
    MemberSlot* total_ = nullptr;
    std::atomic<std::int32_t>* own_ = nullptr;
};

}  // namespace ox::state

#endif
