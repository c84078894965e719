// The status page's snapshot (libox status/status_model.h), filled from the
// configuration and the shared block at one moment, so that one page's
// numbers belong together.
#ifndef MOD_OXBALANCE_STATUS_MODEL_H
#define MOD_OXBALANCE_STATUS_MODEL_H

#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"
#include "status/status_model.h"

namespace oxb {

// N of "sessions seen on the member in the last N minutes".
constexpr unsigned kSessionsWindowMinutes = 10;

// Every balancer and member of the configuration with its shared state.
// Allocates: may throw std::bad_alloc (the status handler catches).
ox::status::StatusModel status_model(const server_rec* s, const ModuleConfig& mc);

}  // namespace oxb

#endif
