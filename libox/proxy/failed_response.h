// What a failed exchange leaves its client, the same for every protocol.
#ifndef LIBOX_PROXY_FAILED_RESPONSE_H
#define LIBOX_PROXY_FAILED_RESPONSE_H

#include <string_view>

#include "proxy/io.h"
#include "proxy/outcome.h"

namespace ox::proxy {

// After `out.failure` is set: nothing to do when no head came or the client
// is gone; a response the node closed before any of it was released
// (`released`: the sink was told to pass something on) is forgotten, so
// that an idempotent request may go to another member (`head_discarded`);
// any other is aborted, so that the client never takes a truncated body for
// a complete one.
void settle_failed_response(Outcome& out, ResponseSink& sink, std::string_view method, bool released) noexcept;

}  // namespace ox::proxy

#endif
