// Per-process runtime: one BalancerRuntime (connection pools, member error
// state) per configured balancer. Created in child_init, before any worker
// thread runs; used by every request thread of the process.
#ifndef MOD_OXBALANCE_RUNTIME_H
#define MOD_OXBALANCE_RUNTIME_H

#include <memory>
#include <vector>

#include "balance/balancer_runtime.h"
#include "mod_oxbalance_config.h"

namespace oxb {

class ChildRuntime {
public:
    ChildRuntime(const ModuleConfig& mc, ox::Millis default_timeout, std::size_t threads);
    ox::BalancerRuntime& balancer(std::size_t index) noexcept { return *balancers_[index]; }

private:
    std::vector<std::unique_ptr<ox::BalancerRuntime>> balancers_;
};

void child_init(apr_pool_t* pchild, server_rec* s);

}  // namespace oxb

#endif
