#include "proxy/outcome.h"

namespace ox::proxy {

const char* failure_name(Failure f) noexcept
{
    switch (f) {
    case Failure::none: return "none";
    case Failure::connect_refused: return "connection refused";
    case Failure::connect_timeout: return "connect timed out";
    case Failure::connect_error: return "connect failed";
    case Failure::send_failed: return "send failed";
    case Failure::read_timeout: return "read timed out";
    case Failure::backend_closed: return "backend closed the connection";
    case Failure::malformed: return "malformed AJP";
    case Failure::request_too_large: return "request head too large";
    case Failure::request_invalid: return "request field not forwardable";
    case Failure::client_aborted: return "client aborted";
    case Failure::client_body_error: return "client body unreadable";
    case Failure::no_member: return "no member available";
    case Failure::member_busy: return "member busy";
    }
    return "unknown";
}

}  // namespace ox::proxy
