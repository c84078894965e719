// A per-process pool of backend connections for one member, shared by the
// threads of that process. Most recently used connections are handed out
// first, so that the surplus ages and is closed by `ttl`.
//
// Limits keep mod_proxy's meaning: at most `max` connections exist at once
// (in use plus idle; 0: no limit), and a request waits up to `acquire` for
// one when all exist; up to `smax` idle connections are kept however old
// they are; idle connections beyond `smax` are closed once idle for longer
// than `ttl` (0: never).
#ifndef LIBOX_POOL_CONNECTION_POOL_H
#define LIBOX_POOL_CONNECTION_POOL_H

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"

namespace ox {

struct PoolLimits {
    std::size_t smax = 0;
    Millis ttl{0};
    std::size_t max = 64;    // connections in use plus idle; 0: no limit
    Millis acquire{0};       // how long a request waits for one when `max` exist
};

// Conn provides `TimePoint last_used` and `socket().idle_and_open()`.
template <class Conn>
class ConnectionPool {
public:
    enum class Take {
        pooled,    // `out` is an idle connection, still open
        open_new,  // room for one more: the caller opens it, or calls forget()
        busy,      // `max` exist and none came free within `acquire`
    };

    explicit ConnectionPool(PoolLimits limits) : limits_(limits) { idle_.reserve(limits.max ? limits.max : 16); }

    // A connection for one request: an idle one that is still open, or the
    // right to open one, or, when `max` exist, whichever comes first within
    // `acquire`. `dropped` (when given) counts the idle ones found closed.
    Take take(TimePoint now, std::unique_ptr<Conn>& out, std::size_t* dropped = nullptr) noexcept
    {
        auto deadline = Clock::now() + limits_.acquire;
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
            reap_locked(now);
            if (!idle_.empty()) {
                out = std::move(idle_.back());
                idle_.pop_back();
                lock.unlock();
                // The backend may have closed it while it sat idle; such a
                // connection is dropped here, before a request is written to it.
                if (out->socket().idle_and_open()) return Take::pooled;
                if (dropped) ++*dropped;
                out.reset();
                lock.lock();
                forget_locked();
                continue;
            }
            if (limits_.max == 0 || live_ < limits_.max) {
                ++live_;
                return Take::open_new;
            }
            if (limits_.acquire.count() <= 0) return Take::busy;
            bool timed_out = freed_.wait_until(lock, deadline) == std::cv_status::timeout;
            if (timed_out && !room_locked()) return Take::busy;
        }
    }

    // After a request: the connection is kept for the next one, or closed
    // when `max` are idle already (or when it is not `reusable`).
    void release(std::unique_ptr<Conn> c, TimePoint now, bool reusable) noexcept
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (reusable) {
            c->last_used = now;
            reap_locked(now);
            idle_.push_back(std::move(c));
        } else {
            forget_locked();
        }
        lock.unlock();
        freed_.notify_one();
        // a connection not kept is closed here, outside the lock
    }

    // Counts one more connection that the caller opens itself (at start, or
    // in tests), whatever is idle; false when `max` exist.
    bool reserve() noexcept
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (limits_.max != 0 && live_ >= limits_.max) return false;
        ++live_;
        return true;
    }

    // A connection the caller was allowed to open (Take::open_new) could not
    // be opened, or one it held is gone: it no longer counts.
    void forget() noexcept
    {
        {
            std::lock_guard<std::mutex> lock(mu_);
            forget_locked();
        }
        freed_.notify_one();
    }

    std::size_t idle_count() const noexcept
    {
        std::lock_guard<std::mutex> lock(mu_);
        return idle_.size();
    }
    // Connections that exist: in use plus idle.
    std::size_t live_count() const noexcept
    {
        std::lock_guard<std::mutex> lock(mu_);
        return live_;
    }

    const PoolLimits& limits() const noexcept { return limits_; }

private:
    bool room_locked() const noexcept { return !idle_.empty() || live_ < limits_.max; }
    void forget_locked() noexcept
    {
        if (live_ > 0) --live_;
    }

    // idle_ is ordered oldest first: expired ones are at the front.
    void reap_locked(TimePoint now) noexcept
    {
        if (limits_.ttl.count() <= 0) return;
        std::size_t expired = 0;
        while (idle_.size() - expired > limits_.smax && now - idle_[expired]->last_used > limits_.ttl) ++expired;
        if (expired == 0) return;
        idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(expired));
        live_ -= expired < live_ ? expired : live_;
    }

    mutable std::mutex mu_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Conn>> idle_;  // oldest first
    std::size_t live_ = 0;                     // in use plus idle
    PoolLimits limits_;
};

}  // namespace ox

#endif
