#include "balance/balancer_runtime.h"

#include "ajp/ajp_exchange.h"
#include "proxy/method.h"

namespace ox {

namespace {

using proxy::Failure;

// A pooled connection that the backend had already closed: the request
// failed before any response byte, as it would on a fresh connection that
// was never processed.
bool stale_connection(const proxy::Outcome& o) noexcept
{
    return (o.failure == Failure::send_failed || o.failure == Failure::backend_closed) && !o.head_sent &&
           !o.body_started;
}

bool counts_against_member(Failure f) noexcept
{
    return f == Failure::connect_refused || f == Failure::connect_timeout || f == Failure::connect_error ||
           f == Failure::read_timeout;
}

// Failures that are the client's, or the request's: no member is to blame
// and no other member would do better.
bool request_fault(Failure f) noexcept
{
    return f == Failure::client_aborted || f == Failure::client_body_error || f == Failure::request_too_large;
}

}  // namespace

BalancerRuntime::BalancerRuntime(const BalancerSpec& spec, Millis default_timeout, std::size_t threads)
    : spec_(spec)
{
    members_.reserve(spec.members.size());
    for (const auto& m : spec.members) members_.push_back(std::make_unique<MemberRuntime>(m, default_timeout, threads));
}

std::size_t BalancerRuntime::scratch_size() const noexcept
{
    return ajp::max_body_chunk(spec_.min_packet_size());
}

bool BalancerRuntime::untried_left(std::uint64_t tried) const noexcept
{
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (!(tried & (std::uint64_t{1} << i))) return true;
    }
    return false;
}

std::size_t BalancerRuntime::choose(std::uint64_t tried, TimePoint now) noexcept
{
    // Round robin over the healthy untried members, counted among
    // themselves: when one member is down its share spreads evenly instead
    // of falling on its neighbour.
    auto untried = [tried](std::size_t i) { return !(tried & (std::uint64_t{1} << i)); };
    std::size_t n = members_.size();
    std::size_t healthy = 0;
    std::size_t fallback = npos;
    for (std::size_t i = 0; i < n; ++i) {
        if (!untried(i)) continue;
        if (!members_[i]->in_error(now)) {
            ++healthy;
        } else if (fallback == npos) {
            fallback = i;
        }
    }
    if (healthy == 0) return fallback;
    std::size_t k = next_.fetch_add(1, std::memory_order_relaxed) % healthy;
    for (std::size_t i = 0; i < n; ++i) {
        if (untried(i) && !members_[i]->in_error(now) && k-- == 0) return i;
    }
    return fallback;
}

ForwardResult BalancerRuntime::forward(const proxy::Request& req, proxy::BodySource& body,
                                       proxy::ResponseSink& sink, char* scratch, AttemptObserver& observer,
                                       const TimeSource& clock) noexcept
{
    ForwardResult res;
    ajp::ExchangeParams params;
    if (req.body == proxy::BodyKind::length) {
        long first = ajp::read_first_chunk(req, body, scratch, scratch_size());
        if (first < 0) {
            res.outcome.failure = Failure::client_body_error;
            res.outcome.detail = "reading the client's request body";
            return res;
        }
        params.first_chunk = std::string_view(scratch, static_cast<std::size_t>(first));
    }

    std::uint64_t tried = 0;
    for (;;) {
        TimePoint now = clock.now();
        std::size_t i = choose(tried, now);
        if (i == npos) return res;
        tried |= std::uint64_t{1} << i;
        MemberRuntime& m = *members_[i];
        res.member = &m.spec();
        ++res.attempts;

        proxy::Outcome o;
        bool reused = false;
        std::unique_ptr<ajp::Connection> conn = m.get(now, reused, o);
        if (conn) {
            params.forward = {m.spec().route, m.spec().secret};
            params.timeout = m.timeout();
            o = ajp::exchange(*conn, req, params, body, sink);
            if (!o.ok() && reused && stale_connection(o) && proxy::is_idempotent(req.method)) {
                // The idle connection had died under us: a fresh one to the
                // same member. Only for methods the client may see twice.
                conn->socket().abort();
                reused = false;
                conn = m.open(o);
                if (conn) o = ajp::exchange(*conn, req, params, body, sink);
            }
            m.finish(std::move(conn), o.reusable, clock.now());
        }
        res.outcome = o;
        res.reused = reused;
        if (o.ok()) {
            m.mark_ok();
            return res;
        }
        if (request_fault(o.failure)) return res;
        if (counts_against_member(o.failure) && m.mark_failed(clock.now())) observer.member_failed(m.spec());
        bool retrying = o.retryable_elsewhere() && untried_left(tried);
        observer.attempt_failed(m.spec(), o, retrying);
        if (!retrying) return res;
    }
}

}  // namespace ox
