// OXProtect / OXTrustedProxy: path prefixes only listed clients may reach,
// decided on the path as the backend will resolve it (libox/acl).
#ifndef MOD_OXBALANCE_ACL_H
#define MOD_OXBALANCE_ACL_H

#include <string_view>

#include "mod_oxbalance_httpd.h"

namespace oxb {

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
