#include "state/in_flight.h"

namespace ox::state {

std::size_t claim_row(const Table& t, std::int64_t pid) noexcept
{
    if (pid <= 0) return kNoRow;
    for (std::size_t r = 0; r < t.rows(); ++r) {
        std::int64_t unowned = 0;
        // A free row reads zero everywhere: settling zeroes it before it
        // lets go, and a fresh block starts so.
        if (t.row_owner(r).compare_exchange_strong(unowned, pid, std::memory_order_acquire)) return r;
    }
    return kNoRow;
}

std::int64_t settle_exited(const Table& t, std::int64_t pid) noexcept
{
    if (pid <= 0) return 0;
    std::int64_t released = 0;
    for (std::size_t r = 0; r < t.rows(); ++r) {
        std::int64_t owner = pid;
        // Whoever moves the owner away from `pid` settles the row; a row of
        // any other process, live or being settled, is left alone.
        if (!t.row_owner(r).compare_exchange_strong(owner, kSettling, std::memory_order_acquire)) continue;
        for (std::size_t i = 0; i < t.size(); ++i) {
            std::int32_t n = t.row_busy(r, i).exchange(0, std::memory_order_relaxed);
            if (n == 0) continue;
            t.slot(i).busy.fetch_sub(n, std::memory_order_relaxed);
            released += n;
        }
        t.row_owner(r).store(0, std::memory_order_release);
    }
    return released;
}

InFlight InFlight::of(const Table& t, std::size_t slot, std::size_t row) noexcept
{
    return InFlight(t.slot(slot), row < t.rows() ? &t.row_busy(row, slot) : nullptr);
}

}  // namespace ox::state
