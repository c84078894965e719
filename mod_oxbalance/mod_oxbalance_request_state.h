// What the module's hooks learn about a request and hand to the next hook:
// the request target (read once, when the request arrives: the access check,
// the OXPass match and the forwarder all read it), the client address the
// ACL decided on, and the client's own hop-by-hop headers. Kept in the
// request's config vector.
#ifndef MOD_OXBALANCE_REQUEST_STATE_H
#define MOD_OXBALANCE_REQUEST_STATE_H

#include <type_traits>

#include "acl/cidr_set.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"
#include "proxy/request_target.h"

namespace oxb {

struct RequestState {
    bool target_read = false;
    ox::proxy::RequestTarget target;  // valid when target_read
    bool forwarding = false;          // translate_name gave the request to our handler
    bool status_page = false;         // translate_name gave the request to the status page
    bool client_resolved = false;
    ox::acl::Client client;           // valid when client_resolved
    // The values of the client's headers that its Connection header names
    // (RFC 9110 7.6.1), as read: these entries, and only these, end at this
    // hop. A header a module sets later has another value pointer.
    const char** hop_values = nullptr;
    std::size_t hop_count = 0;
};

static_assert(std::is_trivially_destructible_v<RequestState>, "request pool memory is never destructed");

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
