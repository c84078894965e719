// One TCP connection to an HTTP/1.1 backend with its reusable buffers and
// response reader. Owned by one request at a time (taken from and returned
// to a ConnectionPool as a net::BackendConnection).
#ifndef LIBOX_HTTP_CONNECTION_H
#define LIBOX_HTTP_CONNECTION_H

#include <cstddef>
#include <memory>

#include "core/clock.h"
#include "http/http_reader.h"
#include "net/backend_connection.h"
#include "net/socket.h"
#include "proxy/request.h"

namespace ox::http {

class Connection final : public net::BackendConnection {
public:
    // `buffer_size`: the read buffer, grown (once) only for a response head
    // larger than it when the head limit allows one.
    explicit Connection(net::Socket socket, std::size_t buffer_size = 64 * 1024);

    // --- incoming bytes --------------------------------------------------
    const char* data() const noexcept { return in_.get() + in_pos_; }
    std::size_t buffered() const noexcept { return in_len_ - in_pos_; }
    void consume(std::size_t n) noexcept;
    std::size_t capacity() const noexcept { return in_cap_; }
    // Reads more bytes from the socket; moves the unread bytes to the front
    // first, which invalidates views into them. Needs buffered() < capacity().
    net::IoStatus fill(Millis timeout, int& err) noexcept;
    // Reads what the socket has now behind the buffered bytes, without
    // waiting and without moving anything, so views into them stay valid:
    // timeout when nothing is there yet. Needs tail_room() > 0.
    net::IoStatus fill_keeping_now(int& err) noexcept;
    std::size_t tail_room() const noexcept { return in_cap_ - in_len_; }
    // Makes the buffer at least `size` bytes, keeping what it holds. False
    // when memory is short.
    bool grow(std::size_t size) noexcept;

    // --- outgoing body ---------------------------------------------------
    char* out_buffer() noexcept { return out_.get(); }
    std::size_t out_size() const noexcept { return kOutSize; }

    // Reused across requests so that reading a response does not allocate.
    ResponseReader& reader() noexcept { return reader_; }
    proxy::Header* header_storage() noexcept { return headers_; }

    static constexpr std::size_t kOutSize = 16 * 1024;

private:
    std::unique_ptr<char[]> out_;
    std::unique_ptr<char[]> in_;
    std::size_t in_cap_;
    std::size_t in_pos_ = 0;
    std::size_t in_len_ = 0;
    ResponseReader reader_;
    proxy::Header headers_[kMaxHeaders];
};

}  // namespace ox::http

#endif
