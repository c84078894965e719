#include "mod_oxbalance_runtime.h"

#include <new>

#include "mod_oxbalance_fault.h"
#include "mod_oxbalance_inflight.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_pool.h"

namespace oxb {

ChildRuntime::ChildRuntime(const ModuleConfig& mc, ox::Millis default_timeout, std::size_t threads,
                           std::size_t row)
    : quiet_(new Quiet[mc.balancers.size()]), seen_(new Seen[kSeen])
{
    balancers_.reserve(mc.balancers.size());
    std::size_t members = 0;
    for (const auto& b : mc.balancers) {
        balancers_.push_back(
            std::make_unique<ox::BalancerRuntime>(b->spec, mc.table, b->first_slot, default_timeout, threads, row));
        specs_.push_back(&b->spec);
        first_member_.push_back(members);
        members += b->spec.members.size();
    }
    // One past the last member: the spare where a member not found in the
    // list is counted.
    first_member_.push_back(members);
    busy_quiet_.reset(new Quiet[members + 1]);
}

long ChildRuntime::log_due(Quiet& q, std::int64_t interval_ms, ox::TimePoint now) noexcept
{
    std::int64_t now_ms = ox::to_ms(now);
    std::int64_t due = q.next_ms.load(std::memory_order_relaxed);
    if (now_ms < due || !q.next_ms.compare_exchange_strong(due, now_ms + interval_ms)) {
        q.suppressed.fetch_add(1, std::memory_order_relaxed);
        return -1;
    }
    return q.suppressed.exchange(0, std::memory_order_relaxed);
}

long ChildRuntime::no_member_log_due(std::size_t index, ox::TimePoint now) noexcept
{
    return log_due(quiet_[index], 10000, now);
}

long ChildRuntime::too_large_log_due(ox::TimePoint now) noexcept
{
    return log_due(too_large_quiet_, 60000, now);
}

long ChildRuntime::busy_log_due(const ox::BalancerSpec& b, const ox::MemberSpec& m, ox::TimePoint now) noexcept
{
    std::size_t slot = first_member_.back();
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        if (specs_[i] != &b) continue;
        auto index = static_cast<std::size_t>(&m - b.members.data());
        if (index < b.members.size()) slot = first_member_[i] + index;
        break;
    }
    return log_due(busy_quiet_[slot], 10000, now);
}

bool ChildRuntime::acl_log_due(std::string_view client, std::string_view what, ox::TimePoint now) noexcept
{
    constexpr std::int64_t kIntervalMs = 60000;
    std::uint64_t key = 0xcbf29ce484222325ULL;
    for (std::string_view part : {client, std::string_view("\0", 1), what}) {
        for (unsigned char c : part) key = (key ^ c) * 0x100000001b3ULL;
    }
    key |= 1;  // 0 marks an empty entry
    Seen& e = seen_[key % kSeen];
    std::int64_t now_ms = ox::to_ms(now);
    if (e.key.load(std::memory_order_relaxed) == key && now_ms < e.until_ms.load(std::memory_order_relaxed)) return false;
    e.key.store(key, std::memory_order_relaxed);
    e.until_ms.store(now_ms + kIntervalMs, std::memory_order_relaxed);
    return true;
}

void child_init(apr_pool_t* pchild, server_rec* s)
{
    ModuleConfig* mc = server_config(s)->module;
    // Without balancers there is no table, but the ACL still needs its log
    // limiter.
    if (!mc->balancers.empty() && !mc->table.valid()) return;
    try {
        int threads = 0;
        if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1) threads = 1;
        auto timeout = std::chrono::duration_cast<ox::Millis>(std::chrono::microseconds(s->timeout));
        if (injected_fault("child_init")) throw std::bad_alloc();
        std::size_t row = mc->table.valid() ? claim_process_row(s, mc->table) : ox::state::kNoRow;
        mc->runtime = pool_new<ChildRuntime>(pchild, *mc, timeout, static_cast<std::size_t>(threads), row);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00020) "cannot create the per-process runtime: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00020) "cannot create the per-process runtime");
    }
}

}  // namespace oxb
