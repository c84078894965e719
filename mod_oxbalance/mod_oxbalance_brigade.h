// libox's body source and response sink over httpd's filter chains: the
// request body is read from r->input_filters, the response is passed down
// r->output_filters. Neither buffers a whole body.
#ifndef MOD_OXBALANCE_BRIGADE_H
#define MOD_OXBALANCE_BRIGADE_H

#include "mod_oxbalance_httpd.h"
#include "proxy/io.h"

namespace oxb {

class BrigadeBodySource final : public ox::proxy::BodySource {
public:
    explicit BrigadeBodySource(request_rec* r) noexcept;
    long read(char* dst, std::size_t max) noexcept override;
    // Reads the first piece of the body through the input filters and keeps
    // it for read(): filters act on the request when they first run. OK, or
    // the status for a body that cannot be read.
    int prime() noexcept;
    // The status for a body that could not be read (400, 408, 413, ...).
    int error_status() const noexcept;

private:
    request_rec* r_;
    apr_bucket_brigade* bb_;
    apr_status_t rv_ = APR_SUCCESS;
    bool eos_ = false;
};

class BrigadeResponseSink final : public ox::proxy::ResponseSink {
public:
    explicit BrigadeResponseSink(request_rec* r) noexcept;
    ox::proxy::SinkResult head(const ox::proxy::ResponseHead& head) noexcept override;
    ox::proxy::SinkResult body(const char* data, std::size_t len, ox::net::BlockHold hold) noexcept override;
    ox::proxy::SinkResult release(bool flush) noexcept override;
    bool end_apart_costs() const noexcept override { return r_->connection->master != nullptr; }
    ox::proxy::SinkResult finish() noexcept override;
    void abort() noexcept override;
    void discard() noexcept override;
    ox::proxy::TunnelEnd tunnel(ox::net::Socket& backend, std::string_view backend_early,
                                const ox::proxy::TunnelParams& params, const std::function<bool()>& stop,
                                ox::proxy::TunnelStats& stats) noexcept override;

    // Whether anything of the backend's response reached httpd's output
    // filters: after abort(), false means the client got a plain 502.
    bool delivered() const noexcept { return delivered_; }

private:
    ox::proxy::SinkResult pass() noexcept;
    apr_status_t pass_down() noexcept;
    void gather(const char* data, std::size_t len) noexcept;

    request_rec* r_;
    apr_bucket_brigade* bb_;
    // Body pieces smaller than a TLS record are gathered into buffers of
    // gather_ bytes (see gather(); 0: never): a record's size over
    // HTTP/1.1 with TLS, 64 KiB for an HTTP/2 stream. The one being
    // filled, last in bb_.
    std::size_t gather_ = 0;
    apr_bucket* gathering_ = nullptr;
    bool gathered_ = false;      // a buffer was begun for this response
    apr_off_t body_left_ = -1;   // of the backend's Content-Length; -1: none
    bool keep_status_;  // an ErrorDocument's internal redirect: r->status is the error's
    bool delivered_ = false;
    const char* upgrade_ = nullptr;  // a 101's Upgrade header
    // What r->headers_out held before head() added the backend's (null:
    // nothing), and r->status: what discard() puts back.
    apr_table_t* headers_before_ = nullptr;
    int status_before_ = 0;
};

}  // namespace oxb

#endif
