// What happened to one attempt at forwarding a request to one member. The
// httpd glue turns it into a status code and one log line; the balancer uses
// it to decide whether another member may be tried.
#ifndef LIBOX_PROXY_OUTCOME_H
#define LIBOX_PROXY_OUTCOME_H

#include <cstdint>

namespace ox::proxy {

enum class Failure : std::uint8_t {
    none,
    connect_refused,    // nothing listens: the member is down
    connect_timeout,    // no answer to the connect within the connect timeout
    connect_error,      // any other connect error (unreachable, resolve failed)
    send_failed,        // the connection broke while the request was written
    read_timeout,       // the backend did not answer within `timeout`
    backend_closed,     // the backend closed or reset the connection early
    malformed,          // the backend sent bytes that are not valid AJP
    request_too_large,  // the request head does not fit into one packet
    request_invalid,    // a request field the member's protocol cannot carry
    client_aborted,     // the client went away while the response streamed
    client_body_error,  // the client's request body could not be read
    no_member,          // no member may take the request (disabled, draining, down)
    member_busy,        // all of the member's max= connections are in use (acquire= passed)
};

const char* failure_name(Failure f) noexcept;

struct Outcome {
    Failure failure = Failure::none;
    int sys_errno = 0;
    const char* detail = "";   // static text: which rule the backend broke
    bool request_sent = false; // at least one byte of the request was written
    bool body_started = false; // at least one client body byte was consumed
    bool head_sent = false;    // the response head was handed to the sink
    // A head came, but the backend closed before anything was released to
    // the client: the sink forgot it (head_sent is false again), and an
    // idempotent request may go to another member.
    bool head_discarded = false;
    int status = 0;            // the response's status, once head_sent
    bool reusable = false;     // the connection may carry another request
    std::uint64_t body_bytes_in = 0;   // request body bytes forwarded
    std::uint64_t body_bytes_out = 0;  // response body bytes received

    bool ok() const noexcept { return failure == Failure::none; }
    // Nothing reached the backend, so another member may be tried.
    bool retryable_elsewhere() const noexcept { return !ok() && !request_sent; }
};

}  // namespace ox::proxy

#endif
