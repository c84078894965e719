// One balancer in one process: its members' runtimes and the request flow
// that finds the request's session, picks a member by DESIGN's table,
// forwards, and decides whether another member may be tried. The httpd glue
// supplies the request, body source and response sink.
#ifndef LIBOX_BALANCE_BALANCER_RUNTIME_H
#define LIBOX_BALANCE_BALANCER_RUNTIME_H

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "balance/balancer_spec.h"
#include "balance/member_runtime.h"
#include "balance/selection.h"
#include "balance/session_route.h"
#include "core/clock.h"
#include "proxy/io.h"
#include "proxy/outcome.h"
#include "proxy/request.h"
#include "state/in_flight.h"
#include "state/shared_state.h"

namespace ox {

enum class Reason : std::uint8_t;

// Told about every attempt, so the caller can record where the request went
// (before the response starts) and log each failure exactly once.
class AttemptObserver {
public:
    virtual ~AttemptObserver() = default;
    // A member was chosen for the request; the response has not begun.
    virtual void attempt_started(const MemberSpec& member, Reason reason, const SessionRef& session) noexcept = 0;
    // `retrying`: another member will be tried for this request.
    // `known_failing`: the member was in its error window when it was
    // picked (a last resort, every member being down): its failure is old
    // news, already reported when the window began.
    virtual void attempt_failed(const MemberSpec& member, const proxy::Outcome& outcome, bool retrying,
                                bool known_failing) noexcept = 0;
    // The member just entered the error state (in every process) and is
    // avoided for `retry`.
    virtual void member_failed(const MemberSpec& member) noexcept = 0;
    // An upgraded connection (a WebSocket) to the member ended.
    virtual void tunnel_ended(const MemberSpec& member, proxy::TunnelEnd end, const proxy::TunnelStats& stats) noexcept
    {
        (void)member, (void)end, (void)stats;
    }
};

// Why a request went to the member it went to.
enum class Reason : std::uint8_t {
    none,         // no member could take it
    sticky,       // its session's member
    new_session,  // no route: chosen by the balancing method
    failover,     // its session's member is disabled or down: the successor
    retry,        // no route, and an earlier member could not be reached
};
const char* to_string(Reason r) noexcept;

struct Choice {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t member = npos;
    Reason reason = Reason::none;
    // For Reason::sticky: the session the member keeps (a view into the
    // request), noted as seen on it when the choice is counted.
    std::string_view session_id = {};
};

struct ForwardResult {
    proxy::Outcome outcome;               // of the last attempt
    const MemberSpec* member = nullptr;   // the member of the last attempt
    Reason reason = Reason::none;         // why that member
    SessionRef session;                   // the session the request carried
    int attempts = 0;
    bool reused = false;                  // the last attempt used a pooled connection
};

// The most members one balancer may have (attempts are tracked in a bitmask).
constexpr std::size_t kMaxMembers = 64;

class BalancerRuntime {
public:
    // State shared with other processes: the members' slots are
    // table.slot(first_slot + i); this process counts its requests in
    // flight into table row `row` (state/in_flight.h; kNoRow: none).
    BalancerRuntime(const BalancerSpec& spec, const state::Table& table, std::size_t first_slot,
                    Millis default_timeout, std::size_t threads, std::size_t row = state::kNoRow);
    // State of this process only (tests, tools).
    BalancerRuntime(const BalancerSpec& spec, Millis default_timeout, std::size_t threads);
    ~BalancerRuntime();

    const BalancerSpec& spec() const noexcept { return spec_; }
    std::size_t size() const noexcept { return members_.size(); }
    MemberRuntime& member(std::size_t i) noexcept { return *members_[i]; }

    // Bytes of scratch space forward() needs for `req`: its first body
    // chunk, then its request head as any member encodes it (an AJP
    // packet, or an HTTP head).
    std::size_t scratch_size(const proxy::Request& req) const noexcept;

    // The session a request carries (its route names one of our members).
    SessionRef session_of(const proxy::Request& req) const noexcept;

    // DESIGN's request table. `tried` marks members already attempted for
    // this request.
    Choice pick(const SessionRef& session, std::uint64_t tried, TimePoint now) noexcept;

    ForwardResult forward(const proxy::Request& req, proxy::BodySource& body, proxy::ResponseSink& sink,
                          char* scratch, AttemptObserver& observer, const TimeSource& clock) noexcept;

private:
    void build(const state::Table& table, std::size_t first_slot, Millis default_timeout, std::size_t threads,
               std::size_t row);
    Candidate candidate(std::size_t i) const noexcept;
    std::size_t live_active(std::uint64_t tried, TimePoint now, Candidate* out) const noexcept;
    Choice pick_new(std::uint64_t tried, TimePoint now, Reason reason) noexcept;
    Choice pick_successor(const SessionRef& session, std::uint64_t tried, TimePoint now) noexcept;
    Choice pick_member(const SessionRef& session, std::uint64_t tried, TimePoint now) noexcept;
    void count_choice(const Choice& c) noexcept;
    std::size_t first_chunk_room(const proxy::Request& req) const noexcept;
    proxy::Outcome exchange(MemberRuntime& m, net::BackendConnection& conn, const proxy::Request& req,
                            std::string_view head, std::string_view first_chunk, proxy::BodySource& body,
                            proxy::ResponseSink& sink, AttemptObserver& observer, const TimeSource& clock) noexcept;
    bool has_http_ = false;  // a member speaks HTTP

    const BalancerSpec& spec_;
    std::unique_ptr<state::LocalTable> local_;  // when state is not shared
    std::vector<std::unique_ptr<MemberRuntime>> members_;
    std::vector<state::InFlight> in_flight_;  // per member
    RouteIndex routes_;
};

}  // namespace ox

#endif
