// One balancer in one process: its members' runtimes and the request flow
// that picks a member, forwards, and decides whether another member may be
// tried. The httpd glue supplies the request, body source and response sink.
#ifndef LIBOX_BALANCE_BALANCER_RUNTIME_H
#define LIBOX_BALANCE_BALANCER_RUNTIME_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "balance/balancer_spec.h"
#include "balance/member_runtime.h"
#include "core/clock.h"
#include "proxy/io.h"
#include "proxy/outcome.h"
#include "proxy/request.h"

namespace ox {

// Told about every failed attempt, so the caller can log each exactly once.
class AttemptObserver {
public:
    virtual ~AttemptObserver() = default;
    // `retrying`: another member will be tried for this request.
    virtual void attempt_failed(const MemberSpec& member, const proxy::Outcome& outcome, bool retrying) noexcept = 0;
    // The member just entered the error state and is avoided for `retry`.
    virtual void member_failed(const MemberSpec& member) noexcept = 0;
};

struct ForwardResult {
    proxy::Outcome outcome;               // of the last attempt
    const MemberSpec* member = nullptr;   // the member of the last attempt
    int attempts = 0;
    bool reused = false;                  // the last attempt used a pooled connection
};

// The most members one balancer may have (attempts are tracked in a bitmask).
constexpr std::size_t kMaxMembers = 64;

class BalancerRuntime {
public:
    BalancerRuntime(const BalancerSpec& spec, Millis default_timeout, std::size_t threads);

    const BalancerSpec& spec() const noexcept { return spec_; }
    std::size_t size() const noexcept { return members_.size(); }
    MemberRuntime& member(std::size_t i) noexcept { return *members_[i]; }

    // Bytes of scratch space forward() needs for the first body chunk.
    std::size_t scratch_size() const noexcept;

    ForwardResult forward(const proxy::Request& req, proxy::BodySource& body, proxy::ResponseSink& sink,
                          char* scratch, AttemptObserver& observer, const TimeSource& clock) noexcept;

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    // Round robin over members not yet tried; members in the error state
    // only when no other is left.
    std::size_t choose(std::uint64_t tried, TimePoint now) noexcept;
    bool untried_left(std::uint64_t tried) const noexcept;

    const BalancerSpec& spec_;
    std::vector<std::unique_ptr<MemberRuntime>> members_;
    std::atomic<std::uint32_t> next_{0};
};

}  // namespace ox

#endif
