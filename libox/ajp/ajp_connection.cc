#include "ajp/ajp_connection.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ajp/ajp_protocol.h"

namespace ox::ajp {

namespace {
// Large enough to take several body packets per recv() on a fast download.
constexpr std::size_t kMinReadBuffer = 64 * 1024;
constexpr std::size_t kMaxReadSize = 64 * 1024;
constexpr std::size_t kCheapMove = 16 * 1024;
}  // namespace

Connection::Connection(net::Socket socket, std::size_t packet_size)
    : BackendConnection(std::move(socket)),
      packet_size_(packet_size),
      out_(new std::uint8_t[packet_size]),
      in_(std::max(kMinReadBuffer, 2 * packet_size))
{
    headers_.reserve(32);
}

FrameStatus Connection::frame(std::size_t& packet_len) const noexcept
{
    return check_frame(bytes() + in_pos_, in_len_ - in_pos_, packet_size_, packet_len);
}

net::IoStatus Connection::fill(Millis timeout, int& err) noexcept { return read(timeout, true, err); }

net::IoStatus Connection::fill_now(int& err) noexcept { return read(Millis(0), false, err); }

net::IoStatus Connection::read(Millis timeout, bool wait, int& err) noexcept
{
    // Move the unread bytes to the front, so the next read can be a large
    // one, unless there are many of them (part of a 64 KiB packet) and the
    // rest of the packet fits behind them: moving those would cost as much
    // as reading the data. Bytes a hold keeps are not moved but copied into
    // another block (RecvBuffer::compact).
    std::size_t need = packet_size_;
    std::size_t left = in_len_ - in_pos_;
    if (left >= kPacketHeaderLen) {
        std::size_t plen = 0;
        FrameStatus fs = check_frame(bytes() + in_pos_, left, packet_size_, plen);
        if (fs == FrameStatus::need_more) need = plen;
    }
    if (in_pos_ > 0 && (left <= kCheapMove || in_.capacity() - in_pos_ < need)) {
        if (!in_.compact(in_pos_, left)) {
            err = ENOMEM;
            return net::IoStatus::error;
        }
        in_len_ = left;
        in_pos_ = 0;
    }
    std::size_t got = 0;
    // Room is left: either the packet fits behind in_pos_, or the buffer
    // (at least two packets) was compacted. One read takes at most 64 KiB:
    // larger reads into the 128 KiB buffer of 64 KiB packets cost more in
    // cache misses than they save in system calls (bench/profile).
    std::size_t room = std::min<std::size_t>(in_.capacity() - in_len_, kMaxReadSize);
    char* dst = in_.data() + in_len_;
    net::IoStatus st = wait ? socket().read_some(dst, room, timeout, got, err) : socket().read_now(dst, room, got, err);
    in_len_ += got;
    return st;
}

}  // namespace ox::ajp
