#include "mod_oxbalance_tunnel.h"

namespace oxb {

ConnTunnelClient::ConnTunnelClient(request_rec* r) noexcept
    : r_(r),
      c_(r->connection),
      in_(apr_brigade_create(r->pool, r->connection->bucket_alloc)),
      out_(apr_brigade_create(r->pool, r->connection->bucket_alloc))
{
}

bool ConnTunnelClient::prepare() noexcept
{
    apr_pollfd_t pfd{};
    pfd.p = r_->pool;
    apr_interval_time_t timeout = -1;
    if (ap_get_pollfd_from_conn(c_, &pfd, &timeout) != APR_SUCCESS) return false;
    apr_os_sock_t fd = -1;
    if (pfd.desc_type == APR_POLL_SOCKET) {
        // Reads must not wait: the tunnel polls, then takes what is there.
        apr_socket_opt_set(pfd.desc.s, APR_SO_NONBLOCK, 1);
        if (apr_os_sock_get(&fd, pfd.desc.s) != APR_SUCCESS) return false;
    } else if (pfd.desc_type == APR_POLL_FILE) {
        if (apr_os_file_get(&fd, pfd.desc.f) != APR_SUCCESS) return false;
    } else {
        return false;
    }
    fd_ = fd;
    // A stream of frames is no request: mod_reqtimeout must not cut it.
    ap_remove_input_filter_byhandle(c_->input_filters, "reqtimeout");
    // The request's filters (HTTP chunking, the body's length) have no part
    // in it: only the connection's (TLS) stay.
    r_->input_filters = r_->proto_input_filters = c_->input_filters;
    r_->output_filters = r_->proto_output_filters = c_->output_filters;
    c_->keepalive = AP_CONN_CLOSE;
    return true;
}

long ConnTunnelClient::read_now(char* dst, std::size_t max) noexcept
{
    apr_status_t rv = ap_get_brigade(c_->input_filters, in_, AP_MODE_READBYTES, APR_NONBLOCK_READ,
                                     static_cast<apr_off_t>(max));
    if (APR_STATUS_IS_EAGAIN(rv)) return 0;
    if (rv != APR_SUCCESS) return -1;
    bool eos = false;
    for (apr_bucket* b = APR_BRIGADE_FIRST(in_); b != APR_BRIGADE_SENTINEL(in_); b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_EOS(b)) eos = true;
    }
    apr_size_t len = max;
    rv = apr_brigade_flatten(in_, dst, &len);
    apr_brigade_cleanup(in_);
    if (rv != APR_SUCCESS) return -1;
    if (len == 0 && eos && c_->master && !request_eos_seen_) {
        // An HTTP/2 stream (a WebSocket over HTTP/2, RFC 8441): mod_http2
        // starts its input with an EOS that ends the handshake request's
        // empty body; the client's bytes follow it. Only a later EOS, or
        // APR_EOF, is the client's end.
        request_eos_seen_ = true;
        return read_now(dst, max);
    }
    if (len == 0) return eos ? -1 : 0;
    return static_cast<long>(len);
}

bool ConnTunnelClient::write(const char* data, std::size_t len) noexcept
{
    APR_BRIGADE_INSERT_TAIL(out_, apr_bucket_transient_create(data, len, c_->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(out_, apr_bucket_flush_create(c_->bucket_alloc));
    apr_status_t rv = ap_pass_brigade(c_->output_filters, out_);
    apr_brigade_cleanup(out_);
    return rv == APR_SUCCESS && !c_->aborted;
}

}  // namespace oxb
