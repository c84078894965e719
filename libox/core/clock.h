// An injectable clock, so that pool ageing, retry windows and probes are
// tested exactly, without sleeping.
#ifndef LIBOX_CORE_CLOCK_H
#define LIBOX_CORE_CLOCK_H

#include <chrono>

namespace ox {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

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
