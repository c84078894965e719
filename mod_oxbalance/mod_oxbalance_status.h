// OXStatus: the status page (HTML, ?json, ?metrics) and its actions (POST),
// at exactly one path per server. It reads the request target the module
// read when the request arrived, answers only the clients its list allows,
// and never forwards anything or serves another path.
#ifndef MOD_OXBALANCE_STATUS_H
#define MOD_OXBALANCE_STATUS_H

#include "mod_oxbalance_httpd.h"

namespace oxb {

// OXStatus /path [address|cidr|local ...] [noncewindow=DURATION] | OXStatus off
const char* cmd_status(cmd_parms* cmd, void*, const char* args);

// The nonce secret: made once and kept in httpd's retained data, so every
// child makes and accepts the same nonces, across restarts too.
int status_post_config(apr_pool_t* pconf, server_rec* s);

// translate_name: the status path (and it with a trailing '/') is the
// page's; map_to_storage: no file-system walk for it; the handler.
int status_translate_name(request_rec* r);
int status_map_to_storage(request_rec* r);
int status_handler(request_rec* r);

}  // namespace oxb

#endif
