// An injectable clock, so that pool ageing, retry windows and probes are
// tested exactly, without sleeping.
#ifndef LIBOX_CORE_CLOCK_H
#define LIBOX_CORE_CLOCK_H

#include <chrono>
#include <cstdint>

namespace ox {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

// Times kept in shared memory and shown on the status page: milliseconds
// since a clock's epoch. The steady clock's (the same in every process of
// a machine, and immune to clock changes) for deadlines and leases; the
// wall clock's for what an operator reads.
inline std::int64_t to_ms(TimePoint t) noexcept
{
    return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}
inline std::int64_t steady_now_ms() noexcept { return to_ms(Clock::now()); }
inline std::int64_t wall_now_ms() noexcept
{
    return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class TimeSource {
public:
    virtual ~TimeSource() = default;
    virtual TimePoint now() const noexcept = 0;
};

class SteadyTimeSource final : public TimeSource {
public:
    TimePoint now() const noexcept override { return Clock::now(); }
};

// For tests: time moves only when told to.
class ManualTimeSource final : public TimeSource {
public:
    TimePoint now() const noexcept override { return now_; }
    void advance(Millis d) noexcept { now_ += d; }

private:
    TimePoint now_{};
};

}  // namespace ox

#endif
