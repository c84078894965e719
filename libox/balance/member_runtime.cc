#include "balance/member_runtime.h"

#include <cerrno>

#include "ajp/ajp_exchange.h"
#include "http/http_connection.h"

namespace ox {

namespace {

constexpr Millis kDefaultConnectTimeout{5000};
// The most a CPing before reuse waits when ping= is not set: a connection
// that something between us and the node dropped silently costs the request
// this much before it goes to a new one.
constexpr Millis kMaxReusePingTimeout{2000};

PoolLimits limits_for(const MemberSpec& spec, std::size_t threads)
{
    PoolLimits l;
    l.smax = spec.smax;
    l.ttl = spec.ttl;
    // mod_proxy's default: as many as the process has threads, so that
    // without max= no request ever waits for one.
    l.max = spec.max ? spec.max : (threads ? threads : 64);
    l.acquire = spec.acquire;
    return l;
}

}  // namespace

MemberRuntime::MemberRuntime(const MemberSpec& spec, state::MemberSlot& slot, state::NodeSlot& node,
                             state::SessionSketch& sketch, Millis default_timeout, std::size_t threads,
                             net::Resolver resolver)
    : spec_(spec),
      timeout_(spec.timeout.count() > 0 ? spec.timeout : default_timeout),
      connect_timeout_(spec.connect_timeout.count() > 0 ? spec.connect_timeout
                                                        : std::min(timeout_, kDefaultConnectTimeout)),
      reuse_ping_timeout_(spec.ping.count() > 0 ? spec.ping : std::min(connect_timeout_, kMaxReusePingTimeout)),
      pool_(limits_for(spec, threads)),
      addrs_(spec.endpoint, spec.address_ttl, std::move(resolver)),
      slot_(slot),
      node_(node),
      sketch_(sketch)
{
}

std::unique_ptr<net::BackendConnection> MemberRuntime::open(TimePoint now, proxy::Outcome& failure) noexcept
{
    failure = proxy::Outcome{};
    std::vector<net::SockAddr> addrs;
    std::string err;
    if (!addrs_.get(now, addrs, err)) {
        failure.failure = proxy::Failure::connect_error;
        failure.detail = "cannot resolve the member's host";
        return nullptr;
    }
    for (const auto& a : addrs) {
        net::Socket s;
        int e = 0;
        net::IoStatus st = net::Socket::connect(a, connect_timeout_, s, e);
        if (st == net::IoStatus::ok) {
            try {
                if (spec_.scheme == Scheme::http) return std::make_unique<http::Connection>(std::move(s));
                auto c = std::make_unique<ajp::Connection>(std::move(s), spec_.packet_size);
                if (spec_.ping.count() > 0 && !ping(*c, spec_.ping, failure)) return nullptr;
                return std::unique_ptr<net::BackendConnection>(std::move(c));
            } catch (...) {
                failure.failure = proxy::Failure::connect_error;
                failure.detail = "out of memory";
                return nullptr;
            }
        }
        failure.sys_errno = e;
        if (st == net::IoStatus::timeout) {
            failure.failure = proxy::Failure::connect_timeout;
        } else if (e == ECONNREFUSED) {
            failure.failure = proxy::Failure::connect_refused;
        } else {
            failure.failure = proxy::Failure::connect_error;
        }
        failure.detail = "";
    }
    // No address took a connection: the node may have moved.
    addrs_.refresh_soon();
    return nullptr;
}

bool MemberRuntime::ping(ajp::Connection& c, Millis timeout, proxy::Outcome& failure, bool* timed_out) noexcept
{
    const char* detail = nullptr;
    if (ajp::cping(c, timeout, detail, timed_out)) return true;
    failure.failure = proxy::Failure::connect_error;
    failure.detail = detail ? detail : "CPing failed";
    return false;
}

MemberRuntime::Check MemberRuntime::check_pooled(net::BackendConnection& c, TimePoint now, bool replayable,
                                                 proxy::Outcome& failure) noexcept
{
    // ping=: every pooled connection; pingidle=: those idle that long.
    bool idle_long = spec_.ping_idle.count() > 0 && now - c.last_used >= spec_.ping_idle;
    if (spec_.scheme == Scheme::http) {
        if (!idle_long || replayable) return Check::use;
        // No CPing in HTTP: a request that must not go twice does not go
        // into a connection the backend may be closing at this moment.
        slot_.idle_replaced.fetch_add(1, std::memory_order_relaxed);
        return Check::replace;
    }
    if (spec_.ping.count() == 0 && !idle_long) return Check::use;
    slot_.reuse_pings.fetch_add(1, std::memory_order_relaxed);
    bool timed_out = false;
    if (ping(static_cast<ajp::Connection&>(c), reuse_ping_timeout_, failure, &timed_out)) return Check::use;
    failure = proxy::Outcome{};
    slot_.stale_dropped.fetch_add(1, std::memory_order_relaxed);
    return timed_out ? Check::replace : Check::drop;
}

std::unique_ptr<net::BackendConnection> MemberRuntime::get(TimePoint now, bool& reused, proxy::Outcome& failure,
                                                           bool replayable) noexcept
{
    for (;;) {
        std::unique_ptr<net::BackendConnection> c;
        std::size_t dropped = 0;
        ConnectionPool<net::BackendConnection>::Take took = pool_.take(now, c, &dropped);
        if (dropped > 0) slot_.stale_dropped.fetch_add(dropped, std::memory_order_relaxed);
        switch (took) {
        case ConnectionPool<net::BackendConnection>::Take::pooled:
            switch (check_pooled(*c, now, replayable, failure)) {
            case Check::use:
                reused = true;
                return c;
            case Check::drop:
                // Closed or out of step: the next idle one, if any.
                c->socket().abort();
                c.reset();
                pool_.forget();
                continue;
            case Check::replace:
                // Its place goes to a new connection.
                reused = false;
                return reopen(std::move(c), now, failure);
            }
            continue;
        case ConnectionPool<net::BackendConnection>::Take::open_new:
            reused = false;
            c = open(now, failure);
            if (!c) pool_.forget();
            return c;
        case ConnectionPool<net::BackendConnection>::Take::busy:
            failure = proxy::Outcome{};
            failure.failure = proxy::Failure::member_busy;
            failure.detail = "all of its max= connections are in use";
            return nullptr;
        }
    }
}

std::unique_ptr<net::BackendConnection> MemberRuntime::reopen(std::unique_ptr<net::BackendConnection> dead, TimePoint now,
                                                       proxy::Outcome& failure) noexcept
{
    // The backend may be mid-request on it: reset rather than leave it a
    // half request that could look complete. Its place goes to the new one.
    dead->socket().abort();
    dead.reset();
    std::unique_ptr<net::BackendConnection> c = open(now, failure);
    if (!c) pool_.forget();
    return c;
}

void MemberRuntime::finish(std::unique_ptr<net::BackendConnection> conn, bool reusable, TimePoint now) noexcept
{
    if (!conn) return;
    // One the backend may be mid-request on is reset rather than left a
    // half request that could look complete.
    if (!reusable) conn->socket().abort();
    pool_.release(std::move(conn), now, reusable);
}

bool MemberRuntime::in_error(TimePoint now) const noexcept
{
    return node_.error_until_ms.load(std::memory_order_relaxed) > to_ms(now);
}

bool MemberRuntime::down(TimePoint now) const noexcept
{
    return !probed_up() || in_error(now);
}

bool MemberRuntime::mark_failed(TimePoint now) noexcept
{
    if (spec_.retry.count() == 0) return false;  // retry=0: never avoided
    // An open window is not extended: a member that keeps failing (tried
    // as a last resort while every member is down) is tried again, and
    // logged again, once per window rather than never or on every request.
    std::int64_t now_ms = to_ms(now);
    std::int64_t old = node_.error_until_ms.load(std::memory_order_relaxed);
    while (old <= now_ms) {
        if (node_.error_until_ms.compare_exchange_weak(old, now_ms + spec_.retry.count(), std::memory_order_relaxed))
            return true;
    }
    return false;
}

void MemberRuntime::mark_ok(TimePoint started) noexcept
{
    std::int64_t until = node_.error_until_ms.load(std::memory_order_relaxed);
    if (until == 0) return;
    std::int64_t opened = until - spec_.retry.count();
    if (to_ms(started) < opened) return;
    node_.error_until_ms.compare_exchange_strong(until, 0, std::memory_order_relaxed);
}

}  // namespace ox
