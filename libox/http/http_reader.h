// One whole response read from a backend's byte stream: interim (1xx)
// heads skipped, the final head, then the body as its framing says. It
// reads from the caller's buffer and never copies; the exchange, the probe
// and the fuzz target all drive the same object.
#ifndef LIBOX_HTTP_READER_H
#define LIBOX_HTTP_READER_H

#include <cstddef>
#include <cstdint>

#include "http/http_chunked.h"
#include "http/http_response.h"
#include "proxy/io.h"

namespace ox::http {

class ResponseReader {
public:
    enum class Step : std::uint8_t {
        need_more,  // every byte given was taken (or is part of an unfinished head)
        head,       // the final head is complete: see response_head()
        body,       // body data, a view into the bytes given
        done,       // the response is complete
        malformed,  // see detail()
    };

    // Starts a response to a request. `head_request`: the response to HEAD
    // has no body whatever its head says. `allow_upgrade`: a 101 answers an
    // upgrade the request asked for; otherwise it is malformed.
    void start(bool head_request, bool allow_upgrade, std::size_t max_head) noexcept;

    // Reads from data[0..len), the unread bytes of the connection (an
    // unfinished head from its first byte). `used` bytes were taken: the
    // caller drops them whatever the step, and passes the rest again with
    // more behind it. On `body`, [out, out + out_len) lies within them.
    Step next(const char* data, std::size_t len, std::size_t& used, const char*& out, std::size_t& out_len) noexcept;

    // The backend closed the connection: true when that ends the response
    // (a body delimited by the close, or a response already done).
    bool at_eof() noexcept;

    // After `head`, before the caller drops the bytes or reads more: the
    // head as the client gets it, without Transfer-Encoding (the client's
    // framing is not the backend's). `storage` holds kMaxHeaders.
    void response_head(proxy::Header* storage, proxy::ResponseHead& out) const noexcept;

    const char* detail() const noexcept { return detail_; }
    bool head_done() const noexcept { return phase_ != Phase::head; }
    int status() const noexcept { return head_.status(); }
    bool upgraded() const noexcept { return upgraded_; }
    // The framing of this response's body (none for HEAD, 204, 304, 101).
    Framing framing() const noexcept { return framing_; }
    // Bytes of a Content-Length body not read yet (0 for other framings).
    std::uint64_t length_left() const noexcept
    {
        return framing_ == Framing::length && phase_ == Phase::body ? remaining_ : 0;
    }
    // The connection may carry another request after this response, as far
    // as the response says (HTTP/1.1, no Connection: close, a delimited
    // body). The caller still checks that nothing follows it.
    bool keep_alive() const noexcept;

private:
    enum class Phase : std::uint8_t { head, body, done, failed };

    Step fail(const char* detail) noexcept;
    Step head_step(const char* data, std::size_t len, std::size_t& used) noexcept;
    Step body_step(const char* data, std::size_t len, std::size_t& used, const char*& out, std::size_t& out_len) noexcept;

    HeadParser head_;
    ChunkDecoder chunks_;
    Phase phase_ = Phase::head;
    Framing framing_ = Framing::none;
    bool head_request_ = false;
    bool allow_upgrade_ = false;
    bool upgraded_ = false;
    std::size_t max_head_ = kDefaultMaxHead;
    unsigned interim_ = 0;             // 1xx heads skipped so far
    std::uint64_t remaining_ = 0;      // of a Content-Length body
    const char* head_base_ = nullptr;  // the final head's first byte, for response_head()
    const char* detail_ = nullptr;
};

}  // namespace ox::http

#endif
