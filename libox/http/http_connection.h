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
#include "net/recv_buffer.h"
#include "net/socket.h"
#include "proxy/request.h"

namespace ox::http {

class Connection final : public net::BackendConnection {
public:
    // `buffer_size`: the read buffer, grown (once) only for a response head
    // larger than it when the head limit allows one.
    explicit Connection(net::Socket socket, std::size_t buffer_size = 64 * 1024);

    // --- incoming bytes --------------------------------------------------
    const char* data() const noexcept { return in_.data() + in_pos_; }
    std::size_t buffered() const noexcept { return in_len_ - in_pos_; }
    void consume(std::size_t n) noexcept;
    std::size_t capacity() const noexcept { return in_.capacity(); }
    // Reads more bytes from the socket; moves the unread bytes to the front
    // first, which invalidates views into them unless a hold() keeps them.
    // Needs buffered() < capacity().
    net::IoStatus fill(Millis timeout, int& err) noexcept;
    // As fill(), without waiting: timeout when the socket has nothing now.
    net::IoStatus fill_now(int& err) noexcept;
    // Keeps the bytes read so far valid through later fills.
    net::BlockHold hold() noexcept { return in_.hold(); }
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
    net::IoStatus read(Millis timeout, bool wait, int& err) noexcept;

    net::RecvBuffer in_;
    std::size_t in_pos_ = 0;
    std::size_t in_len_ = 0;
    ResponseReader reader_;
    proxy::Header headers_[kMaxHeaders];
};

}  // namespace ox::http

#endif
