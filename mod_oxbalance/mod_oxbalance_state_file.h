// OXStateFile: admin states and load factors set at run time survive a full
// stop and start. Read at a full start (a graceful restart carries them in
// shared memory already); written on every change the status page makes.
// The format and the atomic write are libox's (state/state_file.h); this is
// where httpd's lifecycle, mutex and log meet them.
#ifndef MOD_OXBALANCE_STATE_FILE_H
#define MOD_OXBALANCE_STATE_FILE_H

#include "mod_oxbalance_httpd.h"

namespace oxb {

struct ModuleConfig;

// OXStateFile PATH (server config only).
const char* cmd_state_file(cmd_parms* cmd, void*, const char* path);

// Registers the writers' mutex type, so that httpd's `Mutex` directive can
// choose its mechanism.
int state_file_pre_config(apr_pool_t* pconf);
// After the shared block was made: on a full start, the file's values
// become the members' (where the configuration did not change); creates the
// writers' mutex. A missing file is a first start; an unreadable or corrupt
// one is logged and ignored.
int state_file_post_config(apr_pool_t* pconf, server_rec* s);
// Reattaches the writers' mutex in a child.
void state_file_child_init(apr_pool_t* pchild, server_rec* s);

// Stores every member's run-time admin state and load factor where they
// survive a full restart: today the state file (atomically, writers
// serialised across children); configdb in a later release. A failure is
// logged once per cause and process; the change stays in force in memory.
// Blocks the caller for one file write.
void save_admin_states(server_rec* s, const ModuleConfig& mc) noexcept;

}  // namespace oxb

#endif
