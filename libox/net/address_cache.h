// The resolved addresses of one member's host, shared by the threads of one
// process. Names are looked up again every `ttl`, and soon after connecting
// to every address failed (the node may have moved). A lookup runs outside
// the lock, by one thread at a time: while it runs, the other threads use
// the addresses the last lookup found, so no worker waits for DNS behind
// another. Literal addresses are never looked up.
#ifndef LIBOX_NET_ADDRESS_CACHE_H
#define LIBOX_NET_ADDRESS_CACHE_H

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "net/endpoint.h"

namespace ox::net {

// Looks a host up (net::resolve; tests inject their own). Returns an empty
// string and fills `out`, or the resolver's message.
using Resolver = std::function<std::string(const Endpoint&, std::vector<SockAddr>&)>;

class AddressCache {
public:
    // A failed lookup is tried again after this long (or `ttl`, if shorter);
    // the addresses found before stay in use meanwhile.
    static constexpr Millis kFailedLookupRetry{5000};
    // refresh_soon() brings the next lookup forward to no sooner than this
    // after the last one: a node that refuses every connection is not looked
    // up on every attempt.
    static constexpr Millis kMinRefresh{1000};

    AddressCache(Endpoint ep, Millis ttl, Resolver resolver);

    // The addresses to connect to, in resolver order; false with `err` when
    // the host has none (its lookups failed). Looks the host up first when a
    // lookup is due and no other thread is doing it. Waits only for the
    // first lookup, when there is no answer at all yet.
    bool get(TimePoint now, std::vector<SockAddr>& out, std::string& err) noexcept;

    // Connecting to every address failed: look the name up again soon.
    void refresh_soon() noexcept;

    bool literal() const noexcept { return literal_; }

private:
    bool lookup_due(TimePoint now) const noexcept;
    void lookup(std::unique_lock<std::mutex>& lock, TimePoint now) noexcept;

    const Endpoint endpoint_;
    const Millis ttl_;
    const Resolver resolver_;
    bool literal_ = false;

    std::mutex mu_;
    std::condition_variable looked_up_cv_;
    std::vector<SockAddr> addrs_;  // of the last lookup that found any
    std::string error_;            // of the last lookup, when it failed
    bool answered_ = false;        // a lookup has finished (found addresses or not)
    bool looking_up_ = false;      // a thread is looking up now
    TimePoint last_lookup_{};      // when the last lookup began
    TimePoint next_lookup_{};      // a lookup is due from then on
};

}  // namespace ox::net

#endif
