// mod_oxbalance: the module definition, the only C boundary. Every hook is a
// thin C-linkage shim into namespace oxb.
#include "mod_oxbalance_acl.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_configdb.h"
#include "mod_oxbalance_handler.h"
#include "mod_oxbalance_prober.h"
#include "mod_oxbalance_httpd.h"
#include "mod_oxbalance_inflight.h"
#include "mod_oxbalance_leader.h"
#include "mod_oxbalance_runtime.h"
#include "mod_oxbalance_shm.h"
#include "mod_oxbalance_state_file.h"
#include "mod_oxbalance_status.h"

extern "C" {

static int oxb_check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s)
{
    return oxb::check_config(pconf, plog, ptemp, s);
}
static int oxb_pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) { return oxb::state_file_pre_config(pconf); }
static int oxb_post_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s)
{
    int rc = oxb::post_config(pconf, plog, ptemp, s);  // the shared block first: the others use it
    if (rc == OK) rc = oxb::state_file_post_config(pconf, s);
    if (rc == OK) rc = oxb::status_post_config(pconf, s);
    if (rc == OK) rc = oxb::prober_post_config(pconf, s);
    return rc == OK ? oxb::configdb_post_config(pconf, s) : rc;
}
static void oxb_child_init(apr_pool_t* p, server_rec* s)
{
    oxb::state_file_child_init(p, s);
    oxb::child_init(p, s);
    oxb::leader_child_init(p, *oxb::server_config(s)->module);
}
static void oxb_child_status(server_rec* s, pid_t pid, ap_generation_t gen, int slot, mpm_child_status state)
{
    oxb::child_status(s, pid, gen, slot, state);
}
static int oxb_translate_name(request_rec* r) { return oxb::translate_name(r); }
static int oxb_acl_post_read_request(request_rec* r) { return oxb::acl_post_read_request(r); }
static int oxb_acl_translate_name(request_rec* r) { return oxb::acl_translate_name(r); }
static int oxb_map_to_storage(request_rec* r) { return oxb::map_to_storage(r); }
static int oxb_handler(request_rec* r) { return oxb::handler(r); }
static int oxb_status_translate_name(request_rec* r) { return oxb::status_translate_name(r); }
static int oxb_status_map_to_storage(request_rec* r) { return oxb::status_map_to_storage(r); }
static int oxb_status_handler(request_rec* r) { return oxb::status_handler(r); }
static void* oxb_create_server_config(apr_pool_t* p, server_rec* s) { return oxb::create_server_config(p, s); }
static void* oxb_merge_server_config(apr_pool_t* p, void* base, void* add)
{
    return oxb::merge_server_config(p, base, add);
}

static void oxb_register_hooks(apr_pool_t*)
{
    ap_hook_pre_config(oxb_pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(oxb_check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    // Before mod_watchdog's: it makes the singleton's mutex for the
    // instances that exist by then.
    static const char* const watchdog[] = {"mod_watchdog.c", nullptr};
    ap_hook_post_config(oxb_post_config, nullptr, watchdog, APR_HOOK_MIDDLE);
    ap_hook_child_init(oxb_child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_status(oxb_child_status, nullptr, nullptr, APR_HOOK_MIDDLE);
    // The access check comes before anything else may act on the request.
    ap_hook_post_read_request(oxb_acl_post_read_request, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_translate_name(oxb_acl_translate_name, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    // Before mod_alias, mod_rewrite's per-server phase and core; the
    // status page before an OXPass prefix that covers its path.
    ap_hook_translate_name(oxb_status_translate_name, nullptr, nullptr, APR_HOOK_FIRST - 1);
    ap_hook_translate_name(oxb_translate_name, nullptr, nullptr, APR_HOOK_FIRST);
    ap_hook_map_to_storage(oxb_status_map_to_storage, nullptr, nullptr, APR_HOOK_FIRST);
    ap_hook_map_to_storage(oxb_map_to_storage, nullptr, nullptr, APR_HOOK_FIRST);
    ap_hook_handler(oxb_status_handler, nullptr, nullptr, APR_HOOK_FIRST);
    ap_hook_handler(oxb_handler, nullptr, nullptr, APR_HOOK_FIRST);
}

// STANDARD20_MODULE_STUFF, with the module's name spelled out: httpd names a
// module after its source file, and operators write <IfModule mod_oxbalance.c>
// by habit (a .cc name would make that block vanish without a word).
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA oxbalance_module = {
    MODULE_MAGIC_NUMBER_MAJOR,
    MODULE_MAGIC_NUMBER_MINOR,
    -1,
    "mod_oxbalance.c",
    nullptr,
    nullptr,
    MODULE_MAGIC_COOKIE,
    nullptr,
    nullptr,                   // per-directory config: none
    nullptr,
    oxb_create_server_config,  // per-server config
    oxb_merge_server_config,
    oxb::directives,
    oxb_register_hooks,
    AP_MODULE_FLAG_NONE,
};

}  // extern "C"
