#include "state/lease.h"

namespace ox::state {

namespace {

constexpr std::uint64_t word_of(std::uint32_t pid, std::int64_t now_ms) noexcept
{
    return std::uint64_t{pid} << 32 | static_cast<std::uint32_t>(now_ms);
}

constexpr std::uint32_t pid_of(std::uint64_t w) noexcept { return static_cast<std::uint32_t>(w >> 32); }

// How old the heartbeat in `w` is at `now_ms`. Negative when another
// process renewed it after this one read its clock: that is a fresh one.
constexpr std::int64_t age_ms(std::uint64_t w, std::int64_t now_ms) noexcept
{
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(now_ms) - static_cast<std::uint32_t>(w));
}

}  // namespace

bool renew_or_take(Lease& l, std::uint32_t self, std::int64_t now_ms, std::int64_t stale_ms) noexcept
{
    std::uint64_t w = l.word.load(std::memory_order_acquire);
    std::uint32_t pid = pid_of(w);
    if (pid != self && pid != 0 && age_ms(w, now_ms) < stale_ms) return false;
    // Free, stale, or ours: one swap from exactly what was read, so a
    // taker that came first wins and this one sees it held.
    return l.word.compare_exchange_strong(w, word_of(self, now_ms), std::memory_order_acq_rel,
                                          std::memory_order_acquire);
}

bool held_by(const Lease& l, std::uint32_t self) noexcept { return holder(l) == self; }

std::uint32_t holder(const Lease& l) noexcept { return pid_of(l.word.load(std::memory_order_acquire)); }

bool release(Lease& l, std::uint32_t holder) noexcept
{
    std::uint64_t w = l.word.load(std::memory_order_acquire);
    while (pid_of(w) == holder && holder != 0) {
        if (l.word.compare_exchange_weak(w, 0, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
    }
    return false;
}

}  // namespace ox::state
