#include "http/http_connection.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace ox::http {

namespace {
// As for AJP: larger single reads cost more in cache misses than they save
// in system calls.
constexpr std::size_t kMaxReadSize = 64 * 1024;
}  // namespace

Connection::Connection(net::Socket socket, std::size_t buffer_size)
    : BackendConnection(std::move(socket)),
      out_(new char[kOutSize]),
      in_(new char[std::max<std::size_t>(buffer_size, 1024)]),
      in_cap_(std::max<std::size_t>(buffer_size, 1024))
{
}

void Connection::consume(std::size_t n) noexcept
{
    // Consumed bytes stay where they are (body views may point at them)
    // until fill() moves what is left.
    in_pos_ += std::min(n, buffered());
}

net::IoStatus Connection::fill(Millis timeout, int& err) noexcept
{
    // What is left unread is at most an unfinished head or a few framing
    // bytes (bodies are taken whole), so the move is cheap.
    std::size_t left = buffered();
    if (in_pos_ > 0) {
        std::memmove(in_.get(), in_.get() + in_pos_, left);
        in_pos_ = 0;
        in_len_ = left;
    }
    if (in_len_ == in_cap_) {
        err = ENOBUFS;
        return net::IoStatus::error;
    }
    std::size_t got = 0;
    std::size_t room = std::min(in_cap_ - in_len_, kMaxReadSize);
    net::IoStatus st = socket().read_some(in_.get() + in_len_, room, timeout, got, err);
    in_len_ += got;
    return st;
}

net::IoStatus Connection::fill_keeping_now(int& err) noexcept
{
    std::size_t got = 0;
    std::size_t room = std::min(in_cap_ - in_len_, kMaxReadSize);
    net::IoStatus st = socket().read_now(in_.get() + in_len_, room, got, err);
    in_len_ += got;
    return st;
}

bool Connection::grow(std::size_t size) noexcept
{
    if (size <= in_cap_) return true;
    std::unique_ptr<char[]> bigger(new (std::nothrow) char[size]);
    if (!bigger) return false;
    std::size_t left = buffered();
    std::memcpy(bigger.get(), in_.get() + in_pos_, left);
    in_ = std::move(bigger);
    in_cap_ = size;
    in_pos_ = 0;
    in_len_ = left;
    return true;
}

}  // namespace ox::http
