// Forwards one request over one HTTP/1.1 connection and streams the
// response to a sink: the HTTP counterpart of ajp::exchange, with the same
// Outcome semantics. It never logs; the Outcome says what happened.
#ifndef LIBOX_HTTP_EXCHANGE_H
#define LIBOX_HTTP_EXCHANGE_H

#include <cstddef>
#include <string_view>

#include "core/clock.h"
#include "http/http_connection.h"
#include "http/http_response.h"
#include "proxy/io.h"
#include "proxy/outcome.h"
#include "proxy/request.h"

namespace ox::http {

struct ExchangeParams {
    // The request head (encode_request_head), encoded by the caller before
    // it took a connection.
    std::string_view head;
    Millis timeout{300000};  // each wait for the backend, reading or writing
    // The start of the body, already read from the client (for a
    // Content-Length body, see ajp::read_first_chunk; for a chunked one, it
    // is sent as one chunk). Kept by the caller, so that a request that
    // never reached a backend can be sent to another one.
    std::string_view first_chunk;
    std::size_t max_head = kDefaultMaxHead;  // the largest response head taken
    // The request asks for a protocol upgrade: a 101 answer ends the
    // exchange right after head(), with the connection left to the caller
    // (not finished, not reusable). Without it a 101 is malformed.
    bool allow_upgrade = false;
    // As ajp::ExchangeParams::flush_wait.
    Millis flush_wait{0};
};

// Writes the head and the whole body, then reads the response. A response
// the backend sent early (before it read the whole body) is still read when
// writing the body fails; the connection is then not reusable.
proxy::Outcome exchange(Connection& conn, const proxy::Request& req, const ExchangeParams& params,
                        proxy::BodySource& body, proxy::ResponseSink& sink) noexcept;

// A health check: sends `head` (a ready-made GET or HEAD), reads the final
// status and drops a small body. True when a status was read (`status`);
// false with `detail` otherwise. The connection is not reusable afterwards.
bool probe(Connection& conn, std::string_view head, Millis timeout, int& status, const char*& detail) noexcept;

}  // namespace ox::http

#endif
