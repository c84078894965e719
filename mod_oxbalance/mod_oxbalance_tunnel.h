// The client side of a tunnel (proxy/tunnel.h) over httpd's connection
// filters, so that TLS (mod_ssl) and HTTP/2's WebSockets (mod_http2, whose
// streams poll through a pipe) work as well as a plain socket.
#ifndef MOD_OXBALANCE_TUNNEL_H
#define MOD_OXBALANCE_TUNNEL_H

#include "mod_oxbalance_httpd.h"
#include "proxy/tunnel.h"

namespace oxb {

class ConnTunnelClient final : public ox::proxy::TunnelClient {
public:
    explicit ConnTunnelClient(request_rec* r) noexcept;
    // Takes the connection over for the tunnel: connection filters only,
    // no request timeouts, not kept alive afterwards. False when the
    // connection has nothing to poll.
    bool prepare() noexcept;

    int poll_fd() const noexcept override { return fd_; }
    long read_now(char* dst, std::size_t max) noexcept override;
    bool write(const char* data, std::size_t len) noexcept override;

private:
    request_rec* r_;
    conn_rec* c_;
    apr_bucket_brigade* in_;
    apr_bucket_brigade* out_;
    int fd_ = -1;
    // An HTTP/2 stream's first EOS (mod_http2) has been taken: see read_now.
    bool request_eos_seen_ = false;
};

}  // namespace oxb

#endif
