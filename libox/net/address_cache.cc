#include "net/address_cache.h"

#include <algorithm>
#include <utility>

namespace ox::net {

AddressCache::AddressCache(Endpoint ep, Millis ttl, Resolver resolver)
    : endpoint_(std::move(ep)), ttl_(ttl), resolver_(std::move(resolver))
{
    literal_ = numeric_address(endpoint_, addrs_);
    answered_ = literal_;
}

bool AddressCache::lookup_due(TimePoint now) const noexcept
{
    return !literal_ && !looking_up_ && (!answered_ || now >= next_lookup_);
}

bool AddressCache::get(TimePoint now, std::vector<SockAddr>& out, std::string& err) noexcept
{
    try {
        std::unique_lock<std::mutex> lock(mu_);
        if (lookup_due(now)) lookup(lock, now);
        // Before any answer there is nothing else to use: wait for the
        // lookup in flight rather than start one more.
        looked_up_cv_.wait(lock, [this] { return answered_; });
        if (addrs_.empty()) {
            err = error_.empty() ? "no usable address" : error_;
            return false;
        }
        out = addrs_;
        return true;
    } catch (...) {
        err = "out of memory";
        return false;
    }
}

// Called with the lock held; returns with it held, having released it for
// the lookup itself.
void AddressCache::lookup(std::unique_lock<std::mutex>& lock, TimePoint now) noexcept
{
    looking_up_ = true;
    last_lookup_ = now;
    lock.unlock();
    std::vector<SockAddr> found;
    std::string err;
    try {
        err = resolver_(endpoint_, found);
    } catch (...) {
        // Out of memory: a failed lookup, reported without allocating.
        found.clear();
        err.clear();
    }
    lock.lock();
    looking_up_ = false;
    answered_ = true;
    if (err.empty() && !found.empty()) {
        addrs_.swap(found);
        error_.clear();
        next_lookup_ = now + ttl_;
    } else {
        // Keep the addresses found before: a name server that fails now
        // does not make a node that still answers unreachable.
        error_.swap(err);
        next_lookup_ = now + std::min(ttl_, kFailedLookupRetry);
    }
    looked_up_cv_.notify_all();
}

void AddressCache::refresh_soon() noexcept
{
    std::lock_guard<std::mutex> lock(mu_);
    if (literal_ || !answered_) return;
    next_lookup_ = std::min(next_lookup_, last_lookup_ + kMinRefresh);
}

}  // namespace ox::net
