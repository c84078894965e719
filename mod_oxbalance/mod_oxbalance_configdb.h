// OXConfigDB: the admin states and load factors every front end shares,
// kept in OX's configdb (libox/configdb). This is where httpd meets it:
//
// - the directive (server config, once), checked at configtest: the
//   arguments and, for a configdb.properties path, the file (its errors
//   name the line);
// - one poller per httpd server, a thread in the leader, the process that
//   runs the prober too (mod_oxbalance_leader.h): it
//   reads the table every poll= seconds and writes each member's admin
//   state and load factor into the shared member slots, where every child
//   acts on them at once; a row's NULL / 0 and a member without a row take
//   the configuration's value;
// - a small shared block (libox configdb/shared_block.h), kept across
//   graceful restarts: the poll status for the status page, and the queue
//   through which status page actions reach the configdb (written by the
//   poller's thread, so that no request ever waits on MySQL).
#ifndef MOD_OXBALANCE_CONFIGDB_H
#define MOD_OXBALANCE_CONFIGDB_H

#include <string>

#include "configdb/properties.h"
#include "configdb/shared_block.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"
#include "status/status_model.h"

namespace oxb {

struct ConfigdbConfig {
    ox::configdb::Settings settings;
    std::string properties_path;  // "" with explicit arguments
    ConfigPlace place;
    std::string frontend;                        // who we are in the history (post_config)
    std::string announced_as;                    // host:ServerRoot, in oxbalance_frontend_member
    ox::configdb::SharedBlock* block = nullptr;  // post_config
};

// OXConfigDB PATH [poll=] [create=] | read= write= user= password= [poll=] [create=]
const char* cmd_configdb(cmd_parms* cmd, void*, const char* args);

// After the shared member block exists: the configdb's shared block, the
// client library, warnings, and the poller's watchdog callback.
int configdb_post_config(apr_pool_t* pconf, server_rec* s);

// The poll status for the status page (configured false without OXConfigDB).
ox::status::ConfigdbStatus configdb_status(const ModuleConfig& mc);

// A status page change goes to the configdb in two steps: queued before it
// is applied in shared memory (so that a poll running meanwhile keeps the
// page's value: the member shows as pending), then waited for, at most 2 s
// by our own clock. `client` is the page's client address.
struct ConfigdbTicket {
    bool configured = false;     // false: no OXConfigDB, nothing to say
    std::string refused;         // why it was not queued ("" when it was)
    ox::configdb::Ticket ticket;
};
ConfigdbTicket configdb_enqueue(request_rec* r, const ModuleConfig& mc, ox::configdb::Change change,
                                const std::string& client) noexcept;
// "" without OXConfigDB; else a sentence for the page: written, or why not.
// `failed`: the change did not (yet) reach the configdb.
std::string configdb_await(const ModuleConfig& mc, const ConfigdbTicket& t, bool& failed) noexcept;

}  // namespace oxb

#endif
