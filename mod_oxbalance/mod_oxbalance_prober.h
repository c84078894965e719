// The prober: one per httpd server, not one per child. It runs in the
// leader, whichever child holds the shared block's lease
// (mod_oxbalance_leader.h): if that child exits, crashes or hangs, another
// takes over; a graceful restart starts the new generation's. It probes
// every backend node on a thread of its own (libox/health/prober) and
// writes the results into the node slots of the shared block, where every
// child acts on them at once.
#ifndef MOD_OXBALANCE_PROBER_H
#define MOD_OXBALANCE_PROBER_H

#include "mod_oxbalance_httpd.h"

namespace oxb {

// Registers the prober's callback on the leader's watchdog when any node
// is probed (post_config, after the shared block exists). OK, or an error
// when mod_watchdog is missing.
int prober_post_config(apr_pool_t* pconf, server_rec* s);

}  // namespace oxb

#endif
