// RFC 6455 for the HTTP test backend: the server handshake check and an echo
// loop that is strict about what a client (or a tunnelling proxy) sends.
#ifndef OXB_BACKEND_HTTP_WEBSOCKET_H
#define OXB_BACKEND_HTTP_WEBSOCKET_H

#include <atomic>
#include <cstdint>
#include <string>

#include "http_io.h"
#include "http_request.h"

namespace httpt {

// Checks the client handshake. Returns the Sec-WebSocket-Accept value, or
// throws BadMessage saying what is wrong (answered with 400).
std::string websocket_accept(const Request& req);

struct WsOptions {
    std::string hello;             // sent as the first text message if not empty
    std::uint64_t close_after = 0;  // the server closes after this many echoes (0: never)
    std::size_t fragment = 0;       // echo in frames of this many bytes (0: one frame)
};

// After the 101: echoes messages until the close handshake or an error.
// Logs protocol errors; counts echoed messages in `messages`.
void run_websocket(Socket& sock, std::uint64_t conn_id, const WsOptions& opts, std::atomic<std::uint64_t>& messages);

}  // namespace httpt

#endif
