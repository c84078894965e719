// The shared-memory block every child uses for member state (libox
// state::Table). Created by the parent in post_config; kept from one
// configuration generation to the next through httpd's retained data, so
// that a graceful restart keeps each member's admin state, error window and
// counters.
#ifndef MOD_OXBALANCE_SHM_H
#define MOD_OXBALANCE_SHM_H

#include "mod_oxbalance_httpd.h"

namespace oxb {

int post_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);

}  // namespace oxb

#endif
