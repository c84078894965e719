// How long body bytes held for a pass may wait for the backend's next
// bytes before they are flushed (ExchangeParams::flush_wait).
#ifndef LIBOX_NET_FLUSH_WINDOW_H
#define LIBOX_NET_FLUSH_WINDOW_H

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/clock.h"
#include "net/socket.h"

namespace ox::net {

// How many bytes a wait for more of a body should ask the kernel for
// (FlushWindow::more_within's `at_least`): what a pass of `pass` bytes
// still lacks with `held` gathered, but no more than the `due` bytes a
// Content-Length still has to bring (0: no length) less the `buffered`
// ones already read, so that the body's last bytes end the wait when they
// come. 1 (any byte) when no bound is known or nothing more is due.
inline std::size_t bytes_worth_waking_for(std::uint64_t due, std::size_t buffered, std::size_t held,
                                          std::size_t pass) noexcept
{
    if (due <= buffered || held >= pass) return 1;
    return static_cast<std::size_t>(std::min<std::uint64_t>(pass - held, due - buffered));
}

// The window opens at the first wait after bytes were held and closes when
// they go out, so the oldest held byte waits at most `wait` in all: a
// backend that trickles its bytes a little faster than `wait` apart cannot
// keep the client waiting until a whole pass has gathered.
class FlushWindow {
public:
    explicit FlushWindow(Millis wait) noexcept : wait_(wait) {}

    // True when the socket has bytes (at least `at_least`, or EOF) before
    // the window closes.
    bool more_within(const Socket& s, std::size_t at_least = 1) noexcept
    {
        TimePoint now = Clock::now();
        if (!open_) {
            deadline_ = now + wait_;
            open_ = true;
        }
        if (now >= deadline_) return false;
        return s.readable_within(std::chrono::ceil<Millis>(deadline_ - now), at_least);
    }

    // The held bytes went out: the next ones get a window of their own.
    void close() noexcept { open_ = false; }

private:
    Millis wait_;
    TimePoint deadline_{};
    bool open_ = false;
};

}  // namespace ox::net

#endif
