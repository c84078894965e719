// How long body bytes held for a pass may wait for the backend's next
// bytes before they are flushed (ExchangeParams::flush_wait).
#ifndef LIBOX_NET_FLUSH_WINDOW_H
#define LIBOX_NET_FLUSH_WINDOW_H

#include "core/clock.h"
#include "net/socket.h"

namespace ox::net {

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
