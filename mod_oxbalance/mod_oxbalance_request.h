// The request as the module reads it: its target (once per request_rec) and
// the protocol-neutral request (libox) built from it for the backend.
#ifndef MOD_OXBALANCE_REQUEST_H
#define MOD_OXBALANCE_REQUEST_H

#include "mod_oxbalance_brigade.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"
#include "mod_oxbalance_request_state.h"
#include "proxy/request.h"

namespace oxb {

// The request's state with its target read, once: from r->unparsed_uri, the
// target as the client sent it (for internal redirects and subrequests, the
// URI they were given), before httpd decodes anything in place. Null when
// the server has neither OXPass nor OXProtect rules: the module leaves its
// requests alone.
RequestState* read_target(request_rec* r) noexcept;

// Notes which of the client's headers its Connection header names, as they
// are when the request has just been read.
void note_hop_by_hop(request_rec* r, RequestState& st) noexcept;

// Fills `out` with views into r's pool from the request target and httpd's
// headers. May read the start of the body from `body` first, so that input
// filters that change the body (and its headers) have done so. Returns OK,
// or the HTTP status for a request that cannot be forwarded.
int build_request(request_rec* r, const RequestState& st, BrigadeBodySource& body, ox::proxy::Request& out);

}  // namespace oxb

#endif
