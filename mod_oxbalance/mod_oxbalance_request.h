// Builds the protocol-neutral request (libox) from httpd's request_rec.
#ifndef MOD_OXBALANCE_REQUEST_H
#define MOD_OXBALANCE_REQUEST_H

#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"
#include "proxy/request.h"

namespace oxb {

// The client's request-target path, still %-encoded, without the query:
// httpd decodes r->uri and r->parsed_uri.path in place, r->unparsed_uri keeps
// the client's bytes.
std::string_view raw_path(const request_rec* r) noexcept;

// Fills `out` with views into r's pool. Returns OK, or the HTTP status for a
// request that cannot be forwarded (an unsupported Transfer-Encoding, a bad
// Content-Length).
int build_request(request_rec* r, const PassRule& rule, ox::proxy::Request& out);

}  // namespace oxb

#endif
