// What the module's hooks learn about a request and hand to the next hook:
// the OXPass rule (translate_name) and the client address the ACL decided
// on (post_read_request). Kept in the request's config vector.
#ifndef MOD_OXBALANCE_REQUEST_STATE_H
#define MOD_OXBALANCE_REQUEST_STATE_H

#include "acl/cidr_set.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"

namespace oxb {

struct RequestState {
    const PassRule* rule = nullptr;  // set when the request is forwarded
    bool client_resolved = false;
    ox::acl::Client client;          // valid when client_resolved
};

// The request's state, created (zeroed) on first use when `create`.
inline RequestState* request_state(request_rec* r, bool create) noexcept
{
    auto* st = static_cast<RequestState*>(ap_get_module_config(r->request_config, &oxbalance_module));
    if (!st && create) {
        st = static_cast<RequestState*>(apr_pcalloc(r->pool, sizeof(RequestState)));
        new (st) RequestState();  // trivially destructible: nothing to clean up
        ap_set_module_config(r->request_config, &oxbalance_module, st);
    }
    return st;
}

}  // namespace oxb

#endif
