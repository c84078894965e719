#include "proxy/failed_response.h"

#include "proxy/method.h"

namespace ox::proxy {

void settle_failed_response(Outcome& out, ResponseSink& sink, std::string_view method, bool released) noexcept
{
    if (!out.head_sent || out.failure == Failure::client_aborted) return;
    if (out.failure == Failure::backend_closed && !released && is_idempotent(method)) {
        sink.discard();
        out.head_sent = false;
        out.head_discarded = true;
        out.body_bytes_out = 0;
        return;
    }
    sink.abort();
}

}  // namespace ox::proxy
