// How a node's probe results add up to its health: `fails` failed probes in
// a row make an up node down, `passes` good ones in a row make a down node
// up (mod_proxy_hcheck's hcfails/hcpasses). The counters live in the node's
// shared slot; only the prober writes them.
#ifndef LIBOX_HEALTH_PROBE_STATE_H
#define LIBOX_HEALTH_PROBE_STATE_H

#include "balance/member_state.h"

namespace ox::health {

struct ProbeCounters {
    Health health = Health::up;
    unsigned failed_in_row = 0;
    unsigned passed_in_row = 0;
};

// Records one probe result. Returns true when the health changed.
bool record_probe(ProbeCounters& c, bool ok, unsigned fails, unsigned passes) noexcept;

}  // namespace ox::health

#endif
