// OXProtect / OXTrustedProxy: path prefixes only listed clients may reach,
// decided on the path as the backend will resolve it (libox/acl).
#ifndef MOD_OXBALANCE_ACL_H
#define MOD_OXBALANCE_ACL_H

#include <string_view>

#include "acl/cidr_set.h"
#include "mod_oxbalance_httpd.h"

namespace oxb {

struct ServerConfig;

// The client address the ACL decides on (OXTrustedProxy's headers counted),
// resolved once per request. The status page's allow list and its nonces
// use the same. May throw std::bad_alloc.
const ox::acl::Client& client_of(request_rec* r, const ServerConfig& sc);
// The client as text for the log ("an unknown client" when it is not known).
const char* client_text(request_rec* r, const ox::acl::Client& c);

// Every request, as soon as it is read: reads its target (once), then 403
// or 400, or DECLINED.
int acl_post_read_request(request_rec* r);
// Internal redirects and subrequests (a target of their own): the same.
int acl_translate_name(request_rec* r);

// Directive handlers (registered in mod_oxbalance_config.cc).
const char* cmd_protect(cmd_parms* cmd, void*, const char* args);
const char* cmd_trusted_proxy(cmd_parms* cmd, void*, const char* word);

}  // namespace oxb

#endif
