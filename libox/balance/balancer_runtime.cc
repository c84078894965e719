#include "balance/balancer_runtime.h"

#include "ajp/ajp_exchange.h"
#include "balance/selection.h"
#include "core/clock.h"
#include "http/http_connection.h"
#include "http/http_exchange.h"
#include "http/http_request.h"
#include "proxy/method.h"

namespace ox {

namespace {

using proxy::Failure;

constexpr std::uint64_t bit(std::size_t i) noexcept { return std::uint64_t{1} << i; }

// A pooled connection that the backend had already closed: the request
// failed before any response byte, as it would on a fresh connection that
// was never processed (one that brought a head was processed).
bool stale_connection(const proxy::Outcome& o) noexcept
{
    return (o.failure == Failure::send_failed || o.failure == Failure::backend_closed) && !o.head_sent &&
           !o.head_discarded && !o.body_started;
}

// Whether a request that failed so on a pooled connection is sent again on
// a fresh one to the same member: when not one byte of it was written (the
// connection was found closed by the write itself: provably unprocessed,
// whatever the method), or when the client cannot tell it went twice (an
// idempotent method). A POST whose bytes went out may have been processed:
// the backend may have read it and died before answering, and nothing on
// the wire tells that from a connection closed idle just as we wrote.
bool resend_on_fresh(const proxy::Outcome& o, const proxy::Request& req) noexcept
{
    return stale_connection(o) && (!o.request_sent || proxy::is_idempotent(req.method));
}

// The backend broke the exchange (closed it, or sent what is not AJP)
// rather than being slow.
bool broke_exchange(Failure f) noexcept
{
    return f == Failure::backend_closed || f == Failure::send_failed || f == Failure::malformed;
}

// Failures that put the member into its error window. A read timeout does
// only when the operator asks for it (failontimeout=on, as in mod_proxy):
// one slow request must not move every session of a healthy node. A member
// that breaks a connection of our own making before a valid response head
// (accepts and closes, or is no AJP server) fails every request it gets; on
// a pooled connection the same may only mean the backend closed it idle.
bool counts_against_member(const proxy::Outcome& o, const MemberSpec& m, bool reused) noexcept
{
    switch (o.failure) {
    case Failure::connect_refused:
    case Failure::connect_timeout:
    case Failure::connect_error: return true;
    case Failure::read_timeout: return m.fail_on_timeout;
    default: return broke_exchange(o.failure) && !reused && !o.head_sent && !o.head_discarded;
    }
}

// Whether the request could be sent again on a fresh connection, should a
// pooled one turn out to be dead under it (resend_on_fresh): an idempotent
// method, and no client body read beyond the first chunk kept for a retry.
// An AJP backend asks for the body beyond the first chunk, which a dead
// connection never does; an HTTP one is sent it at once.
bool replayable(const proxy::Request& req, const MemberSpec& m, std::string_view first_chunk) noexcept
{
    if (!proxy::is_idempotent(req.method)) return false;
    if (m.scheme == Scheme::ajp || req.body == proxy::BodyKind::none) return true;
    return req.body == proxy::BodyKind::length && static_cast<std::uint64_t>(req.content_length) <= first_chunk.size();
}

// Whether another member may be tried. Always when nothing was sent. When
// the request may have reached the backend, only if the client cannot tell
// it went twice: an idempotent method, no response head back, no client
// body read beyond the first chunk kept for a retry, and a backend that
// broke the exchange rather than timed out (a timed-out request may still
// be running there).
bool may_try_elsewhere(const proxy::Outcome& o, const proxy::Request& req, const SessionRef& session) noexcept
{
    // A busy member of the request's own session: moving the session to
    // another node would cost the user the session, for a moment's load.
    if (o.failure == Failure::member_busy) return !session.routed();
    if (o.retryable_elsewhere()) return true;
    return broke_exchange(o.failure) && !o.head_sent && !o.body_started && proxy::is_idempotent(req.method);
}

// Failures that are the client's, or the request's: no member is to blame
// and no other member would do better.
bool request_fault(Failure f) noexcept
{
    return f == Failure::client_aborted || f == Failure::client_body_error || f == Failure::request_too_large ||
           f == Failure::request_invalid;
}

std::vector<state::SlotKey> local_keys(const BalancerSpec& spec)
{
    std::vector<state::SlotKey> keys;
    for (const auto& m : spec.members) {
        keys.push_back({spec.name, m.url, m.status, m.loadfactor, m.health.method != health::ProbeMethod::none});
    }
    return keys;
}

// The member's request head, in its protocol (an AJP forward request, or
// an HTTP/1.1 head), encoded before a connection is taken: a head too
// large for its packets must cost no connection (a pooled one would be
// reset).
bool encode_head(const proxy::Request& req, const MemberSpec& m, char* buf, std::size_t cap, std::string_view& head,
                 proxy::Outcome& out) noexcept
{
    if (m.scheme == Scheme::http) {
        http::EncodeError why = http::EncodeError::none;
        const char* detail = "";
        std::size_t len = http::encode_request_head(req, buf, cap, &why, &detail);
        if (len == 0) {
            out.failure = why == http::EncodeError::invalid_field ? Failure::request_invalid : Failure::request_too_large;
            out.detail = detail;
            return false;
        }
        head = std::string_view(buf, len);
        return true;
    }
    std::size_t len =
        ajp::encode_forward_request(req, {m.route, m.secret}, reinterpret_cast<std::uint8_t*>(buf), m.packet_size);
    if (len == 0) {
        out.failure = Failure::request_too_large;
        out.detail = "request head does not fit into one AJP packet";
        return false;
    }
    head = std::string_view(buf, len);
    return true;
}

// Counts requests in flight on a member for as long as it lives.
class BusyGuard {
public:
    explicit BusyGuard(const state::InFlight& c) noexcept : c_(c) { c_.enter(); }
    ~BusyGuard() { c_.leave(); }
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;

private:
    const state::InFlight& c_;
};

}  // namespace

const char* to_string(Reason r) noexcept
{
    switch (r) {
    case Reason::none: return "none";
    case Reason::sticky: return "sticky";
    case Reason::new_session: return "new";
    case Reason::failover: return "failover";
    case Reason::retry: return "retry";
    }
    return "unknown";
}

BalancerRuntime::BalancerRuntime(const BalancerSpec& spec, const state::Table& table, std::size_t first_slot,
                                 Millis default_timeout, std::size_t threads, std::size_t row)
    : spec_(spec)
{
    build(table, first_slot, default_timeout, threads, row);
}

BalancerRuntime::BalancerRuntime(const BalancerSpec& spec, Millis default_timeout, std::size_t threads)
    : spec_(spec), local_(std::make_unique<state::LocalTable>(local_keys(spec)))
{
    build(local_->table(), 0, default_timeout, threads, state::kNoRow);
}

BalancerRuntime::~BalancerRuntime() = default;

void BalancerRuntime::build(const state::Table& table, std::size_t first_slot, Millis default_timeout,
                            std::size_t threads, std::size_t row)
{
    members_.reserve(spec_.members.size());
    in_flight_.reserve(spec_.members.size());
    for (std::size_t i = 0; i < spec_.members.size(); ++i) {
        const MemberSpec& m = spec_.members[i];
        members_.push_back(std::make_unique<MemberRuntime>(m, table.slot(first_slot + i), table.node_of(first_slot + i),
                                                           table.sketch(first_slot + i), default_timeout, threads));
        in_flight_.push_back(state::InFlight::of(table, first_slot + i, row));
        if (!m.route.empty()) routes_.add(m.route, i);
        has_http_ = has_http_ || m.scheme == Scheme::http;
    }
}

std::size_t BalancerRuntime::first_chunk_room(const proxy::Request& req) const noexcept
{
    return req.body == proxy::BodyKind::length ? ajp::max_body_chunk(spec_.min_packet_size()) : 0;
}

std::size_t BalancerRuntime::scratch_size(const proxy::Request& req) const noexcept
{
    std::size_t head = spec_.max_packet_size();
    if (has_http_) head = std::max(head, http::request_head_bound(req));
    return first_chunk_room(req) + head;
}

SessionRef BalancerRuntime::session_of(const proxy::Request& req) const noexcept
{
    std::string_view path = req.client_path.empty() ? req.path : req.client_path;
    return find_session(path, req.headers, req.header_count, spec_.sticky, routes_);
}

Candidate BalancerRuntime::candidate(std::size_t i) const noexcept
{
    const MemberSpec& m = members_[i]->spec();
    // The load factor in force: the configuration's, or an operator's.
    int weight = members_[i]->slot().loadfactor.load(std::memory_order_relaxed);
    return Candidate{i, weight > 0 ? weight : m.loadfactor, &members_[i]->slot(), m.display_name()};
}

// The members that may take a new session, or a session whose member is
// gone: active and up. Only when there is none do active members in the
// passive error window get a chance: they may have recovered, and a request
// tried is better than one refused.
std::size_t BalancerRuntime::live_active(std::uint64_t tried, TimePoint now, Candidate* out) const noexcept
{
    // In order, the first tier that has any: active members that are up;
    // hot standbys that are up (mod_proxy's +H: only while no active member
    // is); then, as a last resort, active members and standbys that are up
    // as far as probes know but in their error window.
    struct Tier {
        AdminState admin;
        bool window_ok;
    };
    static constexpr Tier kTiers[] = {{AdminState::active, false}, {AdminState::standby, false},
                                      {AdminState::active, true}, {AdminState::standby, true}};
    std::size_t n = 0;
    for (const Tier& t : kTiers) {
        for (std::size_t i = 0; i < members_.size(); ++i) {
            const MemberRuntime& m = *members_[i];
            if ((tried & bit(i)) || m.admin() != t.admin) continue;
            if (t.window_ok ? m.probed_up() : !m.down(now)) out[n++] = candidate(i);
        }
        if (n > 0) break;
    }
    return n;
}

Choice BalancerRuntime::pick_new(std::uint64_t tried, TimePoint now, Reason reason) noexcept
{
    Candidate c[kMaxMembers];
    std::size_t n = live_active(tried, now, c);
    if (n == 0) return {};
    std::size_t k = spec_.lbmethod == LbMethod::bybusyness ? choose_least_busy(c, n) : choose_weighted(c, n);
    return {c[k].member, reason};
}

// A session whose member cannot take it goes to the member rendezvous
// hashing names among the live active ones (the same everywhere).
Choice BalancerRuntime::pick_successor(const SessionRef& session, std::uint64_t tried, TimePoint now) noexcept
{
    Candidate c[kMaxMembers];
    std::size_t n = live_active(tried, now, c);
    if (n == 0) return {};
    return {c[choose_successor(session.id, c, n)].member, Reason::failover};
}

Choice BalancerRuntime::pick(const SessionRef& session, std::uint64_t tried, TimePoint now) noexcept
{
    Choice c = pick_member(session, tried, now);
    if (c.reason == Reason::sticky) c.session_id = session.id;
    return c;
}

Choice BalancerRuntime::pick_member(const SessionRef& session, std::uint64_t tried, TimePoint now) noexcept
{
    if (!session.routed()) return pick_new(tried, now, tried ? Reason::retry : Reason::new_session);
    auto own = static_cast<std::size_t>(session.member);
    const MemberRuntime& m = *members_[own];
    bool untried = !(tried & bit(own));
    // Active and draining members keep their sessions while up.
    if (untried && m.admin() != AdminState::disabled && !m.down(now)) return {own, Reason::sticky};
    // Its own member, should it merely be in its error window, is better
    // than a refusal when no other member may take the session.
    bool own_last_resort = untried && m.admin() != AdminState::disabled && m.probed_up();
    if (!spec_.failover) return own_last_resort ? Choice{own, Reason::sticky} : Choice{};
    Choice c = pick_successor(session, tried, now);
    if (c.member == Choice::npos && own_last_resort) return {own, Reason::sticky};
    if (c.member == own) c.reason = Reason::sticky;  // the last resort picked its own member
    return c;
}

void BalancerRuntime::count_choice(const Choice& c) noexcept
{
    state::MemberSlot& s = members_[c.member]->slot();
    switch (c.reason) {
    case Reason::sticky: {
        std::int64_t now_ms = wall_now_ms();
        s.sticky.fetch_add(1, std::memory_order_relaxed);
        s.last_sticky_ms.store(now_ms, std::memory_order_relaxed);
        // The drain view: distinct sessions still seen on the member.
        state::note_session(members_[c.member]->sketch(), c.session_id, now_ms / 60000);
        break;
    }
    case Reason::new_session:
    case Reason::retry: s.new_sessions.fetch_add(1, std::memory_order_relaxed); break;
    case Reason::failover: s.failovers.fetch_add(1, std::memory_order_relaxed); break;
    case Reason::none: break;
    }
}

// One attempt over one connection, in the member's protocol. An upgraded
// connection (101 to a request that asked for it) becomes a tunnel here,
// while the request still counts as in flight on the member.
proxy::Outcome BalancerRuntime::exchange(MemberRuntime& m, net::BackendConnection& conn, const proxy::Request& req,
                                         std::string_view head, std::string_view first_chunk,
                                         proxy::BodySource& body, proxy::ResponseSink& sink,
                                         AttemptObserver& observer, const TimeSource& clock) noexcept
{
    if (m.spec().scheme == Scheme::ajp) {
        ajp::ExchangeParams params;
        params.head = head;
        params.first_chunk = first_chunk;
        params.timeout = m.timeout();
        params.send_ahead = m.spec().send_ahead;
        params.flush_wait = m.spec().flush_wait;
        return ajp::exchange(static_cast<ajp::Connection&>(conn), req, params, body, sink);
    }
    auto& hc = static_cast<http::Connection&>(conn);
    http::ExchangeParams params;
    params.head = head;
    params.first_chunk = first_chunk;
    params.timeout = m.timeout();
    params.allow_upgrade = !req.upgrade.empty();
    params.flush_wait = m.spec().flush_wait;
    proxy::Outcome o = http::exchange(hc, req, params, body, sink);
    if (!o.ok() || o.status != 101 || req.upgrade.empty()) return o;

    const TunnelSpec& t = spec_.tunnel;
    proxy::TunnelParams tp;
    tp.idle = t.idle.count() > 0 ? t.idle : m.timeout();
    tp.total = t.total;
    tp.write_timeout = m.timeout();
    // Draining keeps open tunnels (the member keeps its sessions); disabled
    // closes them once the grace time has passed.
    TimePoint disabled_since{};
    auto stop = [&]() {
        if (m.admin() != AdminState::disabled) {
            disabled_since = TimePoint{};
            return false;
        }
        TimePoint now = clock.now();
        if (disabled_since == TimePoint{}) disabled_since = now;
        return now - disabled_since >= t.grace;
    };
    proxy::TunnelStats stats;
    proxy::TunnelEnd end = sink.tunnel(hc.socket(), std::string_view(hc.data(), hc.buffered()), tp, stop, stats);
    o.reusable = false;
    o.body_bytes_in += stats.to_backend;
    o.body_bytes_out += stats.to_client;
    if (end == proxy::TunnelEnd::error && stats.to_backend == 0 && stats.to_client == 0) {
        // The client could not be switched over: it gets a broken response.
        sink.abort();
    }
    observer.tunnel_ended(m.spec(), end, stats);
    return o;
}

ForwardResult BalancerRuntime::forward(const proxy::Request& req, proxy::BodySource& body,
                                       proxy::ResponseSink& sink, char* scratch, AttemptObserver& observer,
                                       const TimeSource& clock) noexcept
{
    ForwardResult res;
    res.session = session_of(req);
    std::string_view first_chunk;
    if (req.body == proxy::BodyKind::length) {
        long first = ajp::read_first_chunk(req, body, scratch, first_chunk_room(req));
        if (first < 0) {
            res.outcome.failure = Failure::client_body_error;
            res.outcome.detail = "reading the client's request body";
            return res;
        }
        first_chunk = std::string_view(scratch, static_cast<std::size_t>(first));
    }

    char* head_buf = scratch + first_chunk_room(req);
    std::size_t head_cap = scratch_size(req) - first_chunk_room(req);
    std::string_view head;

    std::uint64_t tried = 0;
    Choice choice = pick(res.session, tried, clock.now());
    if (choice.member == Choice::npos) {
        res.outcome.failure = Failure::no_member;
        res.outcome.detail = res.session.routed() && !spec_.failover ? "the session's member is unavailable and failover is off"
                                                                    : "no member is active and up";
        return res;
    }
    for (;;) {
        tried |= bit(choice.member);
        MemberRuntime& m = *members_[choice.member];
        res.member = &m.spec();
        res.reason = choice.reason;
        ++res.attempts;
        if (!encode_head(req, m.spec(), head_buf, head_cap, head, res.outcome)) return res;
        count_choice(choice);
        bool known_failing = m.in_error(clock.now());
        observer.attempt_started(m.spec(), choice.reason, res.session);

        proxy::Outcome o;
        bool reused = false;
        TimePoint started = clock.now();
        {
            BusyGuard busy(in_flight_[choice.member]);
            m.slot().requests.fetch_add(1, std::memory_order_relaxed);
            std::unique_ptr<net::BackendConnection> conn =
                m.get(clock.now(), reused, o, replayable(req, m.spec(), first_chunk));
            if (conn) {
                o = exchange(m, *conn, req, head, first_chunk, body, sink, observer, clock);
                if (!o.ok() && reused && resend_on_fresh(o, req)) {
                    // The idle connection had died under us: a fresh one to
                    // the same member.
                    reused = false;
                    conn = m.reopen(std::move(conn), clock.now(), o);
                    if (conn) {
                        m.slot().resent.fetch_add(1, std::memory_order_relaxed);
                        o = exchange(m, *conn, req, head, first_chunk, body, sink, observer, clock);
                    }
                }
                m.finish(std::move(conn), o.reusable, clock.now());
            }
        }
        m.slot().bytes_in.fetch_add(o.body_bytes_in, std::memory_order_relaxed);
        m.slot().bytes_out.fetch_add(o.body_bytes_out, std::memory_order_relaxed);
        res.outcome = o;
        res.reused = reused;
        if (o.ok()) {
            // failonstatus=: a status the operator named (503 from a node
            // that is starting up) puts the member into its error window;
            // the client gets the response as it is.
            if (o.head_sent && health::in_ranges(m.spec().fail_on_status, o.status)) {
                m.slot().failures.fetch_add(1, std::memory_order_relaxed);
                if (m.mark_failed(clock.now())) observer.member_failed(m.spec());
                return res;
            }
            m.mark_ok(started);
            return res;
        }
        if (request_fault(o.failure)) return res;
        m.slot().failures.fetch_add(1, std::memory_order_relaxed);
        if (counts_against_member(o, m.spec(), reused) && m.mark_failed(clock.now())) observer.member_failed(m.spec());
        Choice next;
        if (may_try_elsewhere(o, req, res.session)) next = pick(res.session, tried, clock.now());
        observer.attempt_failed(m.spec(), o, next.member != Choice::npos, known_failing);
        if (next.member == Choice::npos) return res;
        choice = next;
    }
}

}  // namespace ox
