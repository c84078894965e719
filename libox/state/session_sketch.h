// How many distinct sessions were seen on a member in the last minutes: the
// drain view (when it reaches zero, the node can be stopped). A HyperLogLog
// sketch per minute (1,024 one-byte registers, about 3 % standard error at
// any count), in a ring of minutes that lives in shared memory: every httpd
// child notes into the same sketch with lock-free atomics, and the window's
// estimate is the register-wise maximum of its minutes.
//
// A minute's registers are cleared by the first process that notes into it
// after the ring came round; a note racing with that clear may be lost,
// which only makes the estimate a little low for that minute.
#ifndef LIBOX_STATE_SESSION_SKETCH_H
#define LIBOX_STATE_SESSION_SKETCH_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ox::state {

constexpr std::size_t kSketchRegisters = 1024;  // 2^10: the top 10 hash bits pick one
constexpr std::size_t kSketchMinutes = 16;      // a window of up to 15 whole minutes and the current one

struct SketchMinute {
    std::atomic<std::int64_t> minute;  // which minute (wall clock, since the epoch) these registers count
    std::atomic<std::uint8_t> reg[kSketchRegisters];
};

struct SessionSketch {
    SketchMinute minutes[kSketchMinutes];
};

// Notes session `id` at wall-clock minute `minute`.
void note_session(SessionSketch& s, std::string_view id, std::int64_t minute) noexcept;
void note_hash(SessionSketch& s, std::uint64_t hash, std::int64_t minute) noexcept;

// The estimated number of distinct sessions noted in the `window` minutes
// up to and including `minute` (1 <= window <= kSketchMinutes).
std::uint64_t estimate_sessions(const SessionSketch& s, std::int64_t minute, std::size_t window) noexcept;

}  // namespace ox::state

#endif
