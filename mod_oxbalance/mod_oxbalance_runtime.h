// Per-process runtime: one BalancerRuntime (connection pools, member error
// state) per configured balancer. Created in child_init, before any worker
// thread runs; used by every request thread of the process.
#ifndef MOD_OXBALANCE_RUNTIME_H
#define MOD_OXBALANCE_RUNTIME_H

#include <atomic>
#include <string_view>
#include <memory>
#include <vector>

#include "balance/balancer_runtime.h"
#include "mod_oxbalance_config.h"

namespace oxb {

class ChildRuntime {
public:
    // `row`: this process's row in the shared table (state/in_flight.h).
    ChildRuntime(const ModuleConfig& mc, ox::Millis default_timeout, std::size_t threads, std::size_t row);
    ox::BalancerRuntime& balancer(std::size_t index) noexcept { return *balancers_[index]; }

    // "No member can take this request" is logged at most once per
    // interval per balancer and process: a cluster that is down must not
    // flood the log. Returns how many were left unlogged before this one,
    // or -1 when this one is not to be logged either.
    long no_member_log_due(std::size_t index, ox::TimePoint now) noexcept;
    // The same for "request head too large" (431), once per minute per
    // process: any client can send such heads.
    long too_large_log_due(ox::TimePoint now) noexcept;
    // The same for "every max= connection of a member is in use", once per
    // 10 s per member and process: it happens under load, to many requests
    // at once, and a second member that runs full meanwhile is news.
    long busy_log_due(const ox::BalancerSpec& b, const ox::MemberSpec& m, ox::TimePoint now) noexcept;

    // Access denials are logged once per client and rule (or reason) per
    // minute: a scanner must not flood the log.
    bool acl_log_due(std::string_view client, std::string_view what, ox::TimePoint now) noexcept;

private:
    struct Seen {
        std::atomic<std::uint64_t> key{0};
        std::atomic<std::int64_t> until_ms{0};
    };
    static constexpr std::size_t kSeen = 256;
    struct Quiet {
        std::atomic<std::int64_t> next_ms{0};
        std::atomic<long> suppressed{0};
    };
    static long log_due(Quiet& q, std::int64_t interval_ms, ox::TimePoint now) noexcept;
    std::vector<std::unique_ptr<ox::BalancerRuntime>> balancers_;
    std::unique_ptr<Quiet[]> quiet_;  // per balancer
    Quiet too_large_quiet_;
    std::vector<const ox::BalancerSpec*> specs_;  // to find a member's busy_quiet_
    std::vector<std::size_t> first_member_;       // per balancer, in busy_quiet_; then the spare
    std::unique_ptr<Quiet[]> busy_quiet_;         // per member of every balancer
    std::unique_ptr<Seen[]> seen_;
};

void child_init(apr_pool_t* pchild, server_rec* s);

}  // namespace oxb

#endif
