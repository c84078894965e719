// A per-process pool of idle backend connections for one member, shared by
// the threads of that process. Most recently used connections are handed
// out first, so that the surplus ages and is closed by `ttl`.
//
// Limits keep mod_proxy's meaning: up to `smax` idle connections are kept
// however old they are; idle connections beyond `smax` are closed once idle
// for longer than `ttl` (0: never); no more than `max_idle` stay idle.
#ifndef LIBOX_POOL_CONNECTION_POOL_H
#define LIBOX_POOL_CONNECTION_POOL_H

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"

namespace ox {

struct PoolLimits {
    std::size_t smax = 0;
    Millis ttl{0};
    std::size_t max_idle = 64;
};

// Conn provides `TimePoint last_used` and `socket().idle_and_open()`.
template <class Conn>
class ConnectionPool {
public:
    explicit ConnectionPool(PoolLimits limits) : limits_(limits) { idle_.reserve(limits.max_idle); }

    // An idle connection that is still open, or null (the caller connects).
    std::unique_ptr<Conn> acquire(TimePoint now) noexcept
    {
        for (;;) {
            std::unique_ptr<Conn> c;
            {
                std::lock_guard<std::mutex> lock(mu_);
                reap_locked(now);
                if (idle_.empty()) return nullptr;
                c = std::move(idle_.back());
                idle_.pop_back();
            }
            // The backend may have closed it while it sat idle; such a
            // connection is dropped here, before a request is written to it.
            if (c->socket().idle_and_open()) return c;
        }
    }

    void release(std::unique_ptr<Conn> c, TimePoint now) noexcept
    {
        c->last_used = now;
        std::lock_guard<std::mutex> lock(mu_);
        reap_locked(now);
        if (idle_.size() < limits_.max_idle) idle_.push_back(std::move(c));
        // else: `c` is closed when it goes out of scope
    }

    std::size_t idle_count() const noexcept
    {
        std::lock_guard<std::mutex> lock(mu_);
        return idle_.size();
    }

    const PoolLimits& limits() const noexcept { return limits_; }

private:
    // idle_ is ordered oldest first: expired ones are at the front.
    void reap_locked(TimePoint now) noexcept
    {
        if (limits_.ttl.count() <= 0) return;
        std::size_t expired = 0;
        while (idle_.size() - expired > limits_.smax && now - idle_[expired]->last_used > limits_.ttl) ++expired;
        if (expired > 0) idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(expired));
    }

    mutable std::mutex mu_;
    std::vector<std::unique_ptr<Conn>> idle_;  // oldest first
    PoolLimits limits_;
};

}  // namespace ox

#endif
