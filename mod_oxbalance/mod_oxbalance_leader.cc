#include "mod_oxbalance_leader.h"

#include <unistd.h>

#include <chrono>

#include "core/clock.h"

namespace oxb {

namespace {

constexpr const char* kLeaderWatchdogName = "oxbalance-leader";

std::int64_t steady_ms() noexcept
{
    return std::chrono::duration_cast<ox::Millis>(ox::Clock::now().time_since_epoch()).count();
}

std::uint32_t self() noexcept { return static_cast<std::uint32_t>(getpid()); }

}  // namespace

LeaderChange leader_step(const ox::state::Table& t, bool running) noexcept
{
    bool held = ox::state::renew_or_take(t.leader(), self(), steady_ms(), kLeaderStale);
    if (held && !running) return LeaderChange::became;
    if (!held && running) return LeaderChange::lost;
    return LeaderChange::none;
}

bool is_leader(const ox::state::Table& t) noexcept { return ox::state::held_by(t.leader(), self()); }

void leader_exits(const ox::state::Table& t) noexcept { ox::state::release(t.leader(), self()); }

void leader_ended(const ox::state::Table& t, pid_t pid) noexcept
{
    if (pid > 0) ox::state::release(t.leader(), static_cast<std::uint32_t>(pid));
}

apr_status_t leader_register(apr_pool_t* pconf, const void* data, ap_watchdog_callback_fn_t* callback) noexcept
{
    auto* get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    auto* register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!get_instance || !register_callback) return APR_ENOTIMPL;
    ap_watchdog_t* wd = nullptr;
    // Not a singleton: a thread in every child; the lease picks the one.
    apr_status_t rv = get_instance(&wd, kLeaderWatchdogName, 0, 0, pconf);
    return rv == APR_SUCCESS ? register_callback(wd, kLeaderTick, data, callback) : rv;
}

}  // namespace oxb
