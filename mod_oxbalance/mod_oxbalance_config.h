// Configuration: the directives, the per-server config and its merge, and the
// module-wide list of balancers. Everything here is immutable once
// check_config has run, except ModuleConfig::runtime (set in child_init).
#ifndef MOD_OXBALANCE_CONFIG_H
#define MOD_OXBALANCE_CONFIG_H

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "acl/cidr_set.h"
#include "acl/protect_rules.h"
#include "balance/balancer_spec.h"
#include "proxy/pass_rules.h"
#include "core/clock.h"
#include "mod_oxbalance_httpd.h"
#include "state/shared_state.h"

namespace oxb {

class ChildRuntime;
struct ConfigdbConfig;
class LeaderTask;

// Where a directive was written, for errors found after parsing.
struct ConfigPlace {
    const char* file = "";
    int line = 0;
};

struct BalancerConfig {
    ox::BalancerSpec spec;
    ConfigPlace place;
    std::size_t index = 0;       // slot in ChildRuntime
    std::size_t first_slot = 0;  // its first member's slot in the shared table
    // The directives given once per balancer (OXStickySession, OXLBMethod,
    // ...) already seen in it, and where: a second one is refused.
    std::vector<std::pair<const char*, ConfigPlace>> given;
};

// Module-wide: balancers are defined once and may be used by every vhost.
struct ModuleConfig {
    std::vector<std::unique_ptr<BalancerConfig>> balancers;
    BalancerConfig* current = nullptr;  // while inside <OXBalancer>
    ox::state::Table table;             // the shared state, from post_config
    // post_config: the previous generation's block carried its state into
    // this one (a graceful restart), so OXStateFile is not read.
    bool state_carried = false;
    ChildRuntime* runtime = nullptr;    // this process's, from child_init

    // OXStateFile (empty: none), and the mutex that serialises its writers
    // across children (post_config; child_init reattaches).
    std::string state_file;
    ConfigPlace state_file_place;
    apr_global_mutex_t* state_mutex = nullptr;

    // The status page's nonce secret, in httpd's retained data (the same in
    // every child and across graceful restarts); empty: actions are off.
    std::string_view status_secret;

    // OXConfigDB (null: none); see mod_oxbalance_configdb.h.
    ConfigdbConfig* configdb = nullptr;

    // What the leader runs (the prober, the configdb poller), from
    // post_config; see mod_oxbalance_leader.h.
    std::vector<LeaderTask*> leader_tasks;

    BalancerConfig* find(std::string_view name) const noexcept;
};

struct ServerConfig {
    ModuleConfig* module = nullptr;
    // OXPass: this server's rules and, after merge, the main server's for
    // every prefix it does not configure itself; longest first once
    // check_config has run.
    ox::proxy::PassTable passes;
    // OXRouteHeader: the response header that tells where a request went;
    // empty: none. `route_header_set` is the merge's "unset" sentinel.
    std::string route_header;
    bool route_header_set = false;
    // OXProtect: this server's own lines, and the rules in force (its own
    // and the main server's, built by merge or, for the main server, by
    // check_config).
    ox::acl::ProtectRulesBuilder protect_lines;
    ox::acl::ProtectRules protect;
    // OXTrustedProxy
    ox::acl::CidrSet trusted;
    bool trusted_set = false;
    // OXAddForwardedHeaders: X-Forwarded-For/-Proto/-Host to the backend
    // (on unless turned off); `add_forwarded_set` is the merge's sentinel.
    bool add_forwarded = true;
    bool add_forwarded_set = false;
    // OXStatus: the page's path as canonical paths are compared (no
    // trailing '/'; empty: none), the clients it answers, and the nonce's
    // time window (a page's forms are accepted for one to two windows).
    std::string status_path;
    ox::acl::CidrSet status_allow;
    ox::Millis status_window{300000};
    ConfigPlace status_place;
    bool status_set = false;

    // Whether the module acts on this server's requests at all.
    bool has_rules() const noexcept { return !passes.empty() || !protect.empty() || !status_path.empty(); }
};

ServerConfig* server_config(const server_rec* s) noexcept;

// The remaining words of a directive's RAW_ARGS (quotes honoured), in pool
// `p`; empty words are skipped.
std::vector<std::string_view> conf_words(apr_pool_t* p, const char* args);

extern const command_rec directives[];
void* create_server_config(apr_pool_t* p, server_rec* s);
void* merge_server_config(apr_pool_t* p, void* base, void* add);
// Resolves balancer names and checks what directive handlers cannot see
// alone; runs before `configtest` reports Syntax OK.
int check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);

}  // namespace oxb

#endif
