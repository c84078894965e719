// Forwards one request over one AJP connection and streams the response to a
// sink: the AJP13 client loop. It never logs; the Outcome says what happened.
#ifndef LIBOX_AJP_EXCHANGE_H
#define LIBOX_AJP_EXCHANGE_H

#include <cstddef>
#include <string_view>

#include "ajp/ajp_connection.h"
#include "ajp/ajp_protocol.h"
#include "ajp/ajp_request.h"
#include "core/clock.h"
#include "proxy/io.h"
#include "proxy/outcome.h"
#include "proxy/request.h"

namespace ox::ajp {

struct ExchangeParams {
    // The AJP13_FORWARD_REQUEST packet (encode_forward_request), encoded by
    // the caller before it took a connection: a head too large for the
    // member's packets must not cost one.
    std::string_view head;
    Millis timeout{300000};  // each wait for the backend
    // For a Content-Length body: its first chunk, already read from the
    // client (see read_first_chunk), sent right after the forward request as
    // Tomcat expects. It is kept by the caller so that a request that never
    // reached a backend can be sent to another one.
    std::string_view first_chunk;
    // How many bytes of a Content-Length body may be sent before the backend
    // asks for them, once it has asked for the first (0: only as asked).
    std::size_t send_ahead = 0;
    // How long a body under way may wait for the backend's next bytes
    // before what was gathered goes to the client with a flush (0: at once).
    Millis flush_wait{0};
};

// The largest body chunk a packet of `packet_size` can carry to the backend.
constexpr std::size_t max_body_chunk(std::size_t packet_size) noexcept
{
    return packet_size - kBodyPacketOverhead;
}

// Reads the first chunk of a Content-Length body into dst (up to `max` and
// never beyond Content-Length). Returns its length, or -1 if the client body
// could not be read.
long read_first_chunk(const proxy::Request& req, proxy::BodySource& body, char* dst, std::size_t max) noexcept;

proxy::Outcome exchange(Connection& conn, const proxy::Request& req, const ExchangeParams& params,
                        proxy::BodySource& body, proxy::ResponseSink& sink) noexcept;

// CPing/CPong: true when the backend answered CPONG within `timeout` and
// sent nothing behind it. `detail` names the problem otherwise;
// `timed_out` (when given) tells a backend that did not answer in time
// from one that closed the connection or answered wrongly.
bool cping(Connection& conn, Millis timeout, const char*& detail, bool* timed_out = nullptr) noexcept;

}  // namespace ox::ajp

#endif
