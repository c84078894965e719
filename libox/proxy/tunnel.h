// A tunnel between the client and a backend after the backend switched
// protocols (101, a WebSocket): bytes are relayed both ways as they come,
// until either side closes, nothing moves for `idle`, the tunnel is older
// than `total`, or the caller stops it (its member was disabled and the
// grace time passed). The client side is the httpd glue's (its connection
// filters, TLS included); the backend side is a plain socket.
#ifndef LIBOX_PROXY_TUNNEL_H
#define LIBOX_PROXY_TUNNEL_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "core/clock.h"
#include "net/socket.h"

namespace ox::proxy {

class TunnelClient {
public:
    virtual ~TunnelClient() = default;
    // A descriptor that becomes readable when the client sent something.
    virtual int poll_fd() const noexcept = 0;
    // What the client sent, without waiting: > 0 bytes, 0 when nothing is
    // there yet, -1 when the client closed the connection or it failed.
    virtual long read_now(char* dst, std::size_t max) noexcept = 0;
    // Writes all of it to the client, flushed; false when the client is gone.
    virtual bool write(const char* data, std::size_t len) noexcept = 0;
};

enum class TunnelEnd : std::uint8_t {
    client_closed,
    backend_closed,
    idle_timeout,   // nothing moved either way for `idle`
    total_timeout,  // the tunnel is older than `total`
    stopped,        // the caller's stop() said so
    error,          // a read or write failed
};
const char* to_string(TunnelEnd e) noexcept;

struct TunnelParams {
    Millis idle{60000};      // 0: no idle limit
    Millis total{0};         // 0: no limit
    Millis check_every{1000};  // how often stop() is asked
    Millis write_timeout{30000};  // each write to the backend
};

struct TunnelStats {
    std::uint64_t to_backend = 0;
    std::uint64_t to_client = 0;
};

// Relays until the tunnel ends. `backend_early` are bytes the backend sent
// behind its 101 response (read with it): they go to the client first.
// `stop` (may be empty) is asked every check_every.
TunnelEnd run_tunnel(TunnelClient& client, net::Socket& backend, std::string_view backend_early,
                     const TunnelParams& params, const std::function<bool()>& stop, TunnelStats& stats) noexcept;

}  // namespace ox::proxy

#endif
