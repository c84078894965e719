#include "mod_oxbalance_runtime.h"

#include "mod_oxbalance_log.h"
#include "mod_oxbalance_pool.h"

namespace oxb {

ChildRuntime::ChildRuntime(const ModuleConfig& mc, ox::Millis default_timeout, std::size_t threads)
{
    balancers_.reserve(mc.balancers.size());
    for (const auto& b : mc.balancers) {
        balancers_.push_back(std::make_unique<ox::BalancerRuntime>(b->spec, default_timeout, threads));
    }
}

void child_init(apr_pool_t* pchild, server_rec* s)
{
    ModuleConfig* mc = server_config(s)->module;
    if (mc->balancers.empty()) return;
    try {
        int threads = 0;
        if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1) threads = 1;
        auto timeout = std::chrono::duration_cast<ox::Millis>(std::chrono::microseconds(s->timeout));
        mc->runtime = pool_new<ChildRuntime>(pchild, *mc, timeout, static_cast<std::size_t>(threads));
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00020) "cannot create the per-process runtime: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00020) "cannot create the per-process runtime");
    }
}

}  // namespace oxb
