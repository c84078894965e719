// One member in one process: its connection pool and resolved addresses
// (this process's own), and its shared slot (admin state, health, error
// window, counters: the same for every process). One per member per httpd
// child, shared by the child's threads.
#ifndef LIBOX_BALANCE_MEMBER_RUNTIME_H
#define LIBOX_BALANCE_MEMBER_RUNTIME_H

#include <atomic>
#include <memory>
#include <vector>

#include "ajp/ajp_connection.h"
#include "net/backend_connection.h"
#include "balance/member_spec.h"
#include "core/clock.h"
#include "net/address_cache.h"
#include "pool/connection_pool.h"
#include "proxy/outcome.h"
#include "state/shared_state.h"

namespace ox {

class MemberRuntime {
public:
    // `default_timeout` applies when the member sets none (the server's
    // Timeout); `threads` bounds the idle connections when `max` is unset;
    // `resolver` looks the member's host name up (tests inject their own).
    // `slot` is the member's shared slot, `node` its node's (health and
    // error window, shared with every balancer that lists the node),
    // `sketch` the sessions seen on the member (the status page's drain view).
    MemberRuntime(const MemberSpec& spec, state::MemberSlot& slot, state::NodeSlot& node,
                  state::SessionSketch& sketch, Millis default_timeout, std::size_t threads,
                  net::Resolver resolver = net::resolve);

    const MemberSpec& spec() const noexcept { return spec_; }
    state::MemberSlot& slot() const noexcept { return slot_; }
    state::NodeSlot& node() const noexcept { return node_; }
    state::SessionSketch& sketch() const noexcept { return sketch_; }
    AdminState admin() const noexcept { return static_cast<AdminState>(slot_.admin.load(std::memory_order_relaxed)); }
    Millis timeout() const noexcept { return timeout_; }
    Millis connect_timeout() const noexcept { return connect_timeout_; }

    // A connection ready for a request: from the pool (`reused`) or new.
    // Null when none could be had; `failure` says why (member_busy when
    // `max` connections exist and none came free within `acquire`).
    //
    // A pooled connection is used only when it is still open. One idle for
    // at least `pingidle` is checked first: an AJP one answers a CPing (a
    // connection that fails it is dropped, not counted against the member,
    // and the next one is tried; after a CPing that timed out, a new
    // connection is opened instead: the older idle ones would keep the
    // request waiting just as long). An HTTP one has no such check: a
    // request that is not `replayable` (could not be sent again, should the
    // connection turn out to be dead under it) gets a new connection
    // instead, a replayable one takes it (BalancerRuntime::forward sends it
    // again on a fresh connection if it was).
    std::unique_ptr<net::BackendConnection> get(TimePoint now, bool& reused, proxy::Outcome& failure,
                                                bool replayable) noexcept;
    // A new connection in place of `dead` (a pooled one the backend had
    // closed), never a pooled one. Null when it cannot be opened.
    std::unique_ptr<net::BackendConnection> reopen(std::unique_ptr<net::BackendConnection> dead, TimePoint now,
                                            proxy::Outcome& failure) noexcept;
    // After a request: keeps the connection if the backend allows it.
    void finish(std::unique_ptr<net::BackendConnection> conn, bool reusable, TimePoint now) noexcept;

    std::size_t idle_connections() const noexcept { return pool_.idle_count(); }
    std::size_t live_connections() const noexcept { return pool_.live_count(); }

    // Passive failure detection, shared by every process and by every
    // balancer that lists the node: a node that failed to connect or answer
    // is avoided for `retry`.
    bool in_error(TimePoint now) const noexcept;
    // Down: found down by probes, or in the error window.
    bool down(TimePoint now) const noexcept;
    // Up as far as probes know (it may still be in the error window).
    bool probed_up() const noexcept
    {
        return node_.health.load(std::memory_order_relaxed) == static_cast<std::uint8_t>(Health::up);
    }
    // Returns true when this call put the member into the error state (so
    // that the transition is logged once); with retry=0 it never enters it.
    // A window still open is left as it is: it ends `retry` after it began.
    bool mark_failed(TimePoint now) noexcept;
    // A request that began at `started` succeeded: the error window ends,
    // unless it opened after that request began (a response that was on its
    // way when the node failed proves nothing about the node now).
    void mark_ok(TimePoint started) noexcept;

    // Connects to the member: a new connection, not counted against max=
    // (get and reopen count what they hand out).
    std::unique_ptr<net::BackendConnection> open(TimePoint now, proxy::Outcome& failure) noexcept;

    // How long a CPing before reuse waits for its CPong: ping= when set,
    // else the connect timeout, at most 2 s.
    Millis reuse_ping_timeout() const noexcept { return reuse_ping_timeout_; }

private:
    bool ping(ajp::Connection& c, Millis timeout, proxy::Outcome& failure, bool* timed_out = nullptr) noexcept;
    // What get() does with a pooled connection before a request is written
    // to it.
    enum class Check { use, drop, replace };
    Check check_pooled(net::BackendConnection& c, TimePoint now, bool replayable, proxy::Outcome& failure) noexcept;

    const MemberSpec& spec_;
    Millis timeout_;
    Millis connect_timeout_;
    Millis reuse_ping_timeout_;
    ConnectionPool<net::BackendConnection> pool_;
    net::AddressCache addrs_;  // looked up on first use, then every address_ttl
    state::MemberSlot& slot_;
    state::NodeSlot& node_;
    state::SessionSketch& sketch_;
};

}  // namespace ox

#endif
