// The two ends an exchange streams between: the client's request body (a
// source) and the client's response (a sink). The httpd glue implements both
// over brigades; unit tests implement them over strings.
#ifndef LIBOX_PROXY_IO_H
#define LIBOX_PROXY_IO_H

#include <cstddef>
#include <functional>
#include <string_view>

#include "net/recv_buffer.h"
#include "net/socket.h"
#include "proxy/request.h"
#include "proxy/tunnel.h"

namespace ox::proxy {

class BodySource {
public:
    virtual ~BodySource() = default;
    // Reads up to `max` (> 0) bytes of the client's request body into `dst`.
    // Returns the number of bytes read, 0 at the end of the body, or -1 when
    // the client body cannot be read (client gone, timed out, bad chunking).
    virtual long read(char* dst, std::size_t max) noexcept = 0;
};

struct ResponseHead {
    int status = 0;
    std::string_view reason;
    const Header* headers = nullptr;
    std::size_t header_count = 0;
};

enum class SinkResult { ok, client_gone };

// Receives one response. Views passed to head() are valid only during the
// call: the sink copies what it keeps (the backend's next packet may land on
// the same bytes). A view passed to body() stays valid as long as the hold
// given with it: a sink that keeps the bytes past the call (to hand them on
// without a copy) keeps the hold with them.
class ResponseSink {
public:
    virtual ~ResponseSink() = default;
    virtual SinkResult head(const ResponseHead& head) noexcept = 0;
    virtual SinkResult body(const char* data, std::size_t len, net::BlockHold hold) noexcept = 0;
    // Hands everything received so far to the client; `flush` asks for it to
    // be written out now because the backend has nothing more at the moment.
    virtual SinkResult release(bool flush) noexcept = 0;
    // The response is complete.
    virtual SinkResult finish() noexcept = 0;
    // Whether the response's end, passed on apart from its body, costs the
    // client's side a message and a write of its own: over HTTP/2 a frame
    // with END_STREAM (and a hand-off between mod_http2's threads), where
    // over HTTP/1.1 the last byte of a Content-Length body ends it. The
    // exchange then waits (up to flush_wait) for the end behind a body it
    // holds whole.
    virtual bool end_apart_costs() const noexcept { return false; }
    // The backend failed after head(): the client must see a broken response,
    // never a short one that looks complete.
    virtual void abort() noexcept = 0;
    // The backend failed after head() but before anything was released:
    // forget the head and the body given so far, as if head() had never been
    // called, so that another member's response can take their place.
    virtual void discard() noexcept = 0;
    // The backend switched protocols (101, given to head()) for a request
    // that asked to upgrade: answer the client with that head, then relay
    // bytes both ways until the tunnel ends (proxy/tunnel.h). A sink that
    // cannot tunnel says error, and the client gets a 502.
    virtual TunnelEnd tunnel(net::Socket& backend, std::string_view backend_early, const TunnelParams& params,
                             const std::function<bool()>& stop, TunnelStats& stats) noexcept
    {
        (void)backend, (void)backend_early, (void)params, (void)stop, (void)stats;
        return TunnelEnd::error;
    }
};

}  // namespace ox::proxy

#endif
