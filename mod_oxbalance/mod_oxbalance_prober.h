// The prober: one per httpd server, not one per child. It runs in whichever
// child holds mod_watchdog's singleton mutex (as mod_proxy_hcheck does): if
// that child exits or crashes, another takes over; a graceful restart
// starts the new generation's. It probes every backend node on a thread of
// its own (libox/health/prober) and writes the results into the node slots
// of the shared block, where every child acts on them at once.
#ifndef MOD_OXBALANCE_PROBER_H
#define MOD_OXBALANCE_PROBER_H

#include "mod_oxbalance_httpd.h"

namespace oxb {

// mod_watchdog's instance (a singleton) the prober runs on; the configdb
// poller registers on it too, so that one process runs both.
constexpr const char* kProberWatchdogName = "oxbalance-prober";

// Registers the watchdog callback when any node is probed (post_config,
// after the shared block exists). OK, or an error when mod_watchdog is
// missing.
int prober_post_config(apr_pool_t* pconf, server_rec* s);

}  // namespace oxb

#endif
