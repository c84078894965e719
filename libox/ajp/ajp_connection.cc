#include "ajp/ajp_connection.h"

#include <algorithm>
#include <cstring>

namespace ox::ajp {

namespace {
// Large enough to take several body packets per recv() on a fast download.
constexpr std::size_t kMinReadBuffer = 64 * 1024;
}  // namespace

Connection::Connection(net::Socket socket, std::size_t packet_size)
    : socket_(std::move(socket)),
      packet_size_(packet_size),
      out_(new std::uint8_t[2 * packet_size]),
      in_cap_(std::max(kMinReadBuffer, 2 * packet_size))
{
    in_.reset(new std::uint8_t[in_cap_]);
    headers_.reserve(32);
}

FrameStatus Connection::frame(std::size_t& packet_len) const noexcept
{
    return check_frame(in_.get() + in_pos_, in_len_ - in_pos_, packet_size_, packet_len);
}

net::IoStatus Connection::fill(Millis timeout, int& err) noexcept
{
    if (in_pos_ > 0) {
        std::size_t left = in_len_ - in_pos_;
        if (left > 0) std::memmove(in_.get(), in_.get() + in_pos_, left);
        in_len_ = left;
        in_pos_ = 0;
    }
    std::size_t got = 0;
    // check_frame() rejects packets larger than packet_size, and the buffer
    // holds at least two, so there is always room here.
    net::IoStatus st = socket_.read_some(in_.get() + in_len_, in_cap_ - in_len_, timeout, got, err);
    in_len_ += got;
    return st;
}

}  // namespace ox::ajp
