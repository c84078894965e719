// One TCP connection to an AJP backend with its reusable buffers. Owned by
// one request at a time (taken from and returned to a ConnectionPool).
#ifndef LIBOX_AJP_CONNECTION_H
#define LIBOX_AJP_CONNECTION_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ajp/ajp_response.h"
#include "core/clock.h"
#include "net/backend_connection.h"
#include "net/recv_buffer.h"
#include "net/socket.h"
#include "proxy/request.h"

namespace ox::ajp {

class Connection final : public net::BackendConnection {
public:
    Connection(net::Socket socket, std::size_t packet_size);

    std::size_t packet_size() const noexcept { return packet_size_; }

    // Scratch space for one outgoing packet: a body packet or a CPing (the
    // forward request is encoded by the caller, before it takes a connection).
    std::uint8_t* out_buffer() noexcept { return out_.get(); }

    // --- incoming packets ------------------------------------------------
    // Checks whether a whole packet is buffered; see check_frame().
    FrameStatus frame(std::size_t& packet_len) const noexcept;
    const std::uint8_t* frame_data() const noexcept { return bytes() + in_pos_; }
    void consume(std::size_t n) noexcept { in_pos_ += n; }
    std::size_t buffered() const noexcept { return in_len_ - in_pos_; }
    // Reads more bytes from the socket; may move buffered bytes, which
    // invalidates views into earlier packets unless a hold() keeps them.
    net::IoStatus fill(Millis timeout, int& err) noexcept;
    // As fill(), without waiting: timeout when the socket has nothing now.
    net::IoStatus fill_now(int& err) noexcept;
    // Keeps the bytes of the packets read so far valid through later fills.
    net::BlockHold hold() noexcept { return in_.hold(); }

    // Reused across requests so that header parsing does not allocate.
    std::vector<proxy::Header>& header_storage() noexcept { return headers_; }

private:
    std::size_t packet_size_;
    std::unique_ptr<std::uint8_t[]> out_;
    net::IoStatus read(Millis timeout, bool wait, int& err) noexcept;
    const std::uint8_t* bytes() const noexcept { return reinterpret_cast<const std::uint8_t*>(in_.data()); }

    net::RecvBuffer in_;
    std::size_t in_pos_ = 0;
    std::size_t in_len_ = 0;
    std::vector<proxy::Header> headers_;
};

}  // namespace ox::ajp

#endif
