#include "state/session_sketch.h"

#include <cmath>

#include "core/hash.h"

namespace ox::state {

namespace {

constexpr unsigned kIndexBits = 10;
static_assert(kSketchRegisters == std::size_t{1} << kIndexBits, "registers must be 2^kIndexBits");

// Raises a register to `rank` unless it holds more already.
void raise(std::atomic<std::uint8_t>& r, std::uint8_t rank) noexcept
{
    std::uint8_t cur = r.load(std::memory_order_relaxed);
    while (cur < rank && !r.compare_exchange_weak(cur, rank, std::memory_order_relaxed)) {
    }
}

// The minute's registers, cleared first if they still count an older one.
SketchMinute& minute_of(SessionSketch& s, std::int64_t minute) noexcept
{
    SketchMinute& m = s.minutes[static_cast<std::uint64_t>(minute) % kSketchMinutes];
    std::int64_t seen = m.minute.load(std::memory_order_acquire);
    if (seen != minute && seen < minute && m.minute.compare_exchange_strong(seen, minute)) {
        for (auto& r : m.reg) r.store(0, std::memory_order_relaxed);
    }
    return m;
}

}  // namespace

void note_hash(SessionSketch& s, std::uint64_t hash, std::int64_t minute) noexcept
{
    std::size_t index = static_cast<std::size_t>(hash >> (64 - kIndexBits));
    std::uint64_t rest = hash << kIndexBits;
    // The position of the first 1 bit in the remaining 54 bits, from 1.
    std::uint8_t rank = 1;
    while (rank <= 64 - kIndexBits && !(rest & (std::uint64_t{1} << 63))) {
        rest <<= 1;
        ++rank;
    }
    raise(minute_of(s, minute).reg[index], rank);
}

void note_session(SessionSketch& s, std::string_view id, std::int64_t minute) noexcept
{
    note_hash(s, hash64(id), minute);
}

std::uint64_t estimate_sessions(const SessionSketch& s, std::int64_t minute, std::size_t window) noexcept
{
    if (window == 0) return 0;
    if (window > kSketchMinutes) window = kSketchMinutes;
    std::uint8_t merged[kSketchRegisters] = {};
    for (const SketchMinute& m : s.minutes) {
        std::int64_t at = m.minute.load(std::memory_order_acquire);
        if (at > minute || at <= minute - static_cast<std::int64_t>(window)) continue;
        for (std::size_t j = 0; j < kSketchRegisters; ++j) {
            std::uint8_t v = m.reg[j].load(std::memory_order_relaxed);
            if (v > merged[j]) merged[j] = v;
        }
    }
    // HyperLogLog (Flajolet et al. 2007), with linear counting for small
    // counts; 64-bit hashes need no large-range correction.
    const double m = static_cast<double>(kSketchRegisters);
    double sum = 0;
    std::size_t zeros = 0;
    for (std::uint8_t v : merged) {
        sum += std::ldexp(1.0, -static_cast<int>(v));
        if (v == 0) ++zeros;
    }
    double alpha = 0.7213 / (1 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / static_cast<double>(zeros));
    return static_cast<std::uint64_t>(e + 0.5);
}

}  // namespace ox::state
