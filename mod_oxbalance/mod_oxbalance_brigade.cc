#include "mod_oxbalance_brigade.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "mod_oxbalance_tunnel.h"
#include "proxy/hop_by_hop.h"

namespace oxb {

using ox::proxy::SinkResult;

BrigadeBodySource::BrigadeBodySource(request_rec* r) noexcept
    : r_(r), bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc))
{
}

long BrigadeBodySource::read(char* dst, std::size_t max) noexcept
{
    std::size_t got = 0;
    while (got == 0 && !eos_) {
        if (APR_BRIGADE_EMPTY(bb_)) {
            rv_ = ap_get_brigade(r_->input_filters, bb_, AP_MODE_READBYTES, APR_BLOCK_READ,
                                 static_cast<apr_off_t>(max));
            if (rv_ != APR_SUCCESS) return -1;
        }
        while (!APR_BRIGADE_EMPTY(bb_) && got < max) {
            apr_bucket* b = APR_BRIGADE_FIRST(bb_);
            if (APR_BUCKET_IS_EOS(b)) {
                eos_ = true;
                apr_bucket_delete(b);
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                apr_bucket_delete(b);
                continue;
            }
            const char* data = nullptr;
            apr_size_t len = 0;
            rv_ = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
            if (rv_ != APR_SUCCESS) return -1;
            std::size_t n = len < max - got ? len : max - got;
            if (n > 0) std::memcpy(dst + got, data, n);
            got += n;
            if (n < len) {
                apr_bucket_split(b, n);
            }
            apr_bucket_delete(b);
        }
    }
    return static_cast<long>(got);
}

int BrigadeBodySource::prime() noexcept
{
    if (!APR_BRIGADE_EMPTY(bb_) || eos_) return OK;
    rv_ = ap_get_brigade(r_->input_filters, bb_, AP_MODE_READBYTES, APR_BLOCK_READ, AP_IOBUFSIZE);
    return rv_ == APR_SUCCESS ? OK : error_status();
}

int BrigadeBodySource::error_status() const noexcept
{
    return ap_map_http_request_error(rv_ == APR_SUCCESS ? APR_EGENERAL : rv_, HTTP_BAD_REQUEST);
}

// The most a TLS record carries (RFC 8446 5.1): smaller body pieces are
// gathered, larger ones go by reference.
constexpr std::size_t kTlsRecord = 16384;
// What the gathered buffers hold: a pass's worth.
constexpr std::size_t kGatherBuffer = 65536;
// Over HTTP/1.1 in the clear, pieces smaller than this are gathered too (into
// buffers of a record's size): a backend writing a body in bytes-long
// chunks (or AJP packets) would otherwise cost a bucket and an iovec each,
// tens of thousands per pass held in the connection's bucket allocator.
// w1's 200-byte body is larger: it still goes by reference.
constexpr std::size_t kTinyPiece = 128;

namespace {

// mod_ssl encrypts bucket by bucket (an SSL_write each): an AJP body
// packet's 8 KiB would go out as records half full, each with its own
// encryption call and write; a 64 KiB buffer is four full records in one
// call (docs/performance.md: w3 over TLS; 64 KiB cost up to 9 % less CPU
// at equal load than record-sized buffers, 2026-11-28).
// mod_http2 copies every memory bucket of a stream on the connection's
// side (h2_beam_receive, httpd 2.4.62) and handles each bucket on its own:
// a pass of eight 8 KiB pieces costs more there than one 64 KiB piece,
// and the copy into one buffer here costs less than that (docs/
// performance.md: w3 over h2 and h2c, about 10 % less CPU per download).
// Over HTTP/1.1 in the clear pieces go by reference, into one writev.
std::size_t gather_size(conn_rec* c) noexcept
{
    return c->master || ap_ssl_conn_is_ssl(c) ? kGatherBuffer : 0;
}

}  // namespace

BrigadeResponseSink::BrigadeResponseSink(request_rec* r) noexcept
    : r_(r),
      bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)),
      gather_(gather_size(r->connection)),
      keep_status_(r->prev && ap_is_HTTP_ERROR(r->status))
{
}

namespace {

bool is(std::string_view a, const char* b) noexcept
{
    return a.size() == std::strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// Whether the response's own Connection header names `name`.
bool named_by_connection(const ox::proxy::ResponseHead& head, std::string_view name) noexcept
{
    for (std::size_t i = 0; i < head.header_count; ++i) {
        if (is(head.headers[i].name, "Connection") && ox::proxy::connection_names(head.headers[i].value, name)) return true;
    }
    return false;
}

// Tomcat 9+ sends the status code as its reason phrase ("200"); passed on,
// clients would read "HTTP/1.1 200 200". Such a reason, or none, gives way to
// httpd's own ("200 OK") where httpd knows the code; a real one is kept.
bool keep_reason(const ox::proxy::ResponseHead& head) noexcept
{
    if (head.reason.empty()) return false;
    char digits[12];
    auto res = std::to_chars(digits, digits + sizeof digits, head.status);
    std::string_view code(digits, static_cast<std::size_t>(res.ptr - digits));
    if (head.reason != code) return true;
    const char* known = ap_get_status_line(head.status);
    return !(known && std::strncmp(known, code.data(), code.size()) == 0);
}

}  // namespace

SinkResult BrigadeResponseSink::head(const ox::proxy::ResponseHead& head) noexcept
{
    request_rec* r = r_;
    apr_pool_t* p = r->pool;
    // Kept for discard(); headers_out is empty but for other modules' rare
    // early entries.
    headers_before_ = apr_is_empty_table(r->headers_out) ? nullptr : apr_table_copy(p, r->headers_out);
    status_before_ = r->status;
    body_left_ = -1;  // this response's, not one discarded before it
    gathered_ = false;
    // An error document fetched from a backend (ErrorDocument on an OXPass
    // path) keeps the status of the error it documents, as with mod_proxy.
    if (!keep_status_) r->status = head.status;
    if (!keep_status_ && keep_reason(head)) {
        r->status_line = apr_psprintf(p, "%d %.*s", head.status, static_cast<int>(head.reason.size()), head.reason.data());
    }
    // Only the backend decides the type; nothing guessed from the path.
    r->content_type = nullptr;
    bool connection = false;
    for (std::size_t i = 0; i < head.header_count; ++i) connection = connection || is(head.headers[i].name, "Connection");
    for (std::size_t i = 0; i < head.header_count; ++i) {
        const ox::proxy::Header& h = head.headers[i];
        if (head.status == HTTP_SWITCHING_PROTOCOLS && is(h.name, "Upgrade")) {
            upgrade_ = apr_pstrmemdup(p, h.value.data(), h.value.size());
        }
        if (ox::proxy::is_hop_by_hop(h.name) || (connection && named_by_connection(head, h.name))) continue;
        char* value = apr_pstrmemdup(p, h.value.data(), h.value.size());
        if (is(h.name, "Content-Type")) {
            ap_set_content_type(r, value);
            continue;
        }
        if (is(h.name, "Content-Length")) {
            // Kept, so that HTTP/1.0 keep-alive clients keep their
            // connection; httpd checks it against the body it passes on.
            apr_off_t len = 0;
            char* end = nullptr;
            if (apr_strtoff(&len, value, &end, 10) == APR_SUCCESS && end != value && !*end && len >= 0) {
                ap_set_content_length(r, len);
                body_left_ = len;
            }
            continue;
        }
        apr_table_addn(r->headers_out, apr_pstrmemdup(p, h.name.data(), h.name.size()), value);
    }
    return SinkResult::ok;
}

namespace {

// apr_bucket_heap's free function: httpd is done with the bytes.
void release_block(void* base) { ox::net::BlockHold::release(base); }

}  // namespace

// Pieces smaller than a TLS record are copied into buffers of gather_
// bytes (see gather_size() for why), over HTTP/1.1 in the clear those
// smaller than kTinyPiece into buffers of a record's size; larger ones go
// by reference. A buffer is no larger than what is left of a body of known
// length, and a body of unknown length starts with a record's size: a
// 200-byte answer does not take 64 KiB (over HTTP/2, for as long as its
// stream holds it).
void BrigadeResponseSink::gather(const char* data, std::size_t len) noexcept
{
    apr_bucket_alloc_t* list = r_->connection->bucket_alloc;
    apr_off_t left = body_left_;  // this piece included, or -1: unknown
    while (len > 0) {
        auto* h = gathering_ ? static_cast<apr_bucket_heap*>(gathering_->data) : nullptr;
        if (!h || gathering_->length == h->alloc_len) {
            std::size_t size = gather_ ? gather_ : kTlsRecord;
            if (left >= 0) {
                size = std::min(size, std::max(len, static_cast<std::size_t>(left)));
            } else if (!gathered_) {
                size = std::min(size, kTlsRecord);
            }
            gathered_ = true;
            auto* buf = static_cast<char*>(apr_bucket_alloc(size, list));
            gathering_ = apr_bucket_heap_create(buf, size, apr_bucket_free, list);
            gathering_->length = 0;
            APR_BRIGADE_INSERT_TAIL(bb_, gathering_);
            h = static_cast<apr_bucket_heap*>(gathering_->data);
        }
        std::size_t n = std::min(len, h->alloc_len - gathering_->length);
        std::memcpy(h->base + gathering_->length, data, n);
        gathering_->length += n;
        data += n;
        len -= n;
        if (left >= 0) left = left > static_cast<apr_off_t>(n) ? left - static_cast<apr_off_t>(n) : 0;
    }
}

SinkResult BrigadeResponseSink::body(const char* data, std::size_t len, ox::net::BlockHold hold) noexcept
{
    apr_bucket_alloc_t* list = r_->connection->bucket_alloc;
    bool small = len < (gather_ ? kTlsRecord : kTinyPiece);
    if (small) gather(data, len);
    if (body_left_ >= 0) body_left_ = body_left_ > static_cast<apr_off_t>(len) ? body_left_ - static_cast<apr_off_t>(len) : 0;
    if (small) return SinkResult::ok;
    // A larger piece goes as it is; what was gathered stays before it.
    gathering_ = nullptr;
    char* base = hold.base();
    if (!base) {
        APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_transient_create(data, len, list));
        return SinkResult::ok;
    }
    // By reference, not copied: a heap bucket over the backend connection's
    // receive block, which the hold keeps until httpd destroys the bucket.
    // Output filters then set the bytes aside without a copy, and mod_http2
    // takes them into its beam as they are (a transient bucket would be
    // copied there once more). The bucket's memory ends at the view, so
    // nothing appends into the block behind it (apr_brigade_write fills a
    // heap bucket's room).
    auto offset = static_cast<std::size_t>(data - base);
    apr_bucket* b = apr_bucket_heap_create(base, offset + len, release_block, list);
    hold.detach();
    b->start = static_cast<apr_off_t>(offset);
    b->length = len;
    APR_BRIGADE_INSERT_TAIL(bb_, b);
    return SinkResult::ok;
}

apr_status_t BrigadeResponseSink::pass_down() noexcept
{
    delivered_ = true;
    gathering_ = nullptr;
    apr_status_t rv = ap_pass_brigade(r_->output_filters, bb_);
    apr_brigade_cleanup(bb_);
    return rv;
}

SinkResult BrigadeResponseSink::pass() noexcept
{
    apr_status_t rv = pass_down();
    if (rv != APR_SUCCESS || r_->connection->aborted) return SinkResult::client_gone;
    return SinkResult::ok;
}

SinkResult BrigadeResponseSink::release(bool flush) noexcept
{
    if (flush) APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_flush_create(r_->connection->bucket_alloc));
    return pass();
}

SinkResult BrigadeResponseSink::finish() noexcept
{
    APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(r_->connection->bucket_alloc));
    apr_status_t rv = pass_down();
    // Only the pass's result counts here, not the connection's aborted
    // flag: mod_http2 sets that flag when it cleans up a stream whose end
    // it already sent, which can happen before this call returns; the
    // response was complete (t/h2/body.t).
    return rv == APR_SUCCESS ? SinkResult::ok : SinkResult::client_gone;
}

void BrigadeResponseSink::abort() noexcept
{
    // Once the response began, what arrived since is passed on, then an
    // error bucket: httpd closes the connection (mod_http2: resets the
    // stream) instead of ending the response, so the client sees a broken
    // download rather than a complete-looking short one.
    // If nothing was passed yet, the body held here is dropped and httpd
    // answers the error bucket alone with a 502. HTTP/1.1's header filter
    // would drop that body itself; mod_http2's response filter looks for an
    // error bucket only before the first body bucket, and would send the
    // backend's head and bytes and then reset the stream (t/h2/faults.t).
    conn_rec* c = r_->connection;
    c->keepalive = AP_CONN_CLOSE;
    r_->no_cache = 1;
    bool before = delivered_;
    gathering_ = nullptr;
    if (!delivered_) apr_brigade_cleanup(bb_);
    APR_BRIGADE_INSERT_TAIL(bb_, ap_bucket_error_create(HTTP_BAD_GATEWAY, nullptr, r_->pool, c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(c->bucket_alloc));
    pass();
    delivered_ = before;
}

void BrigadeResponseSink::discard() noexcept
{
    // Nothing was passed on: the request is as before head(), for another
    // member's response (or httpd's own error response).
    apr_brigade_cleanup(bb_);
    gathering_ = nullptr;
    upgrade_ = nullptr;
    r_->headers_out = headers_before_ ? headers_before_ : apr_table_make(r_->pool, 8);
    headers_before_ = nullptr;
    r_->status = status_before_;
    r_->status_line = nullptr;
    r_->content_type = nullptr;
    r_->clength = 0;
}

ox::proxy::TunnelEnd BrigadeResponseSink::tunnel(ox::net::Socket& backend, std::string_view backend_early,
                                                 const ox::proxy::TunnelParams& params,
                                                 const std::function<bool()>& stop,
                                                 ox::proxy::TunnelStats& stats) noexcept
{
    if (r_->status != HTTP_SWITCHING_PROTOCOLS || !upgrade_) return ox::proxy::TunnelEnd::error;
    // The client connection first: if it cannot be polled, nothing was
    // announced yet and the client gets a plain 502.
    ConnTunnelClient client(r_);
    if (!client.prepare()) return ox::proxy::TunnelEnd::error;
    // The switch is hop-by-hop: ours to announce, with the protocol the
    // backend agreed to.
    apr_table_setn(r_->headers_out, "Connection", "Upgrade");
    apr_table_setn(r_->headers_out, "Upgrade", upgrade_);
    ap_send_interim_response(r_, 1);
    delivered_ = true;
    return ox::proxy::run_tunnel(client, backend, backend_early, params, stop, stats);
}

}  // namespace oxb
