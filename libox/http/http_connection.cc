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
      in_(std::max<std::size_t>(buffer_size, 1024))
{
}

void Connection::consume(std::size_t n) noexcept
{
    // Consumed bytes stay where they are (body views may point at them)
    // until fill() moves what is left.
    in_pos_ += std::min(n, buffered());
}

net::IoStatus Connection::fill(Millis timeout, int& err) noexcept { return read(timeout, true, err); }

net::IoStatus Connection::fill_now(int& err) noexcept { return read(Millis(0), false, err); }

net::IoStatus Connection::read(Millis timeout, bool wait, int& err) noexcept
{
    // What is left unread is at most an unfinished head or a few framing
    // bytes (bodies are taken whole), so the move is cheap. Bytes a hold
    // keeps are not moved but copied into another block.
    std::size_t left = buffered();
    if (in_pos_ > 0) {
        if (!in_.compact(in_pos_, left)) {
            err = ENOMEM;
            return net::IoStatus::error;
        }
        in_pos_ = 0;
        in_len_ = left;
    }
    if (in_len_ == in_.capacity()) {
        err = ENOBUFS;
        return net::IoStatus::error;
    }
    std::size_t got = 0;
    std::size_t room = std::min(in_.capacity() - in_len_, kMaxReadSize);
    char* dst = in_.data() + in_len_;
    net::IoStatus st = wait ? socket().read_some(dst, room, timeout, got, err) : socket().read_now(dst, room, got, err);
    in_len_ += got;
    return st;
}

bool Connection::grow(std::size_t size) noexcept
{
    if (size <= in_.capacity()) return true;
    std::size_t left = buffered();
    if (!in_.grow(size, in_pos_, left)) return false;
    in_pos_ = 0;
    in_len_ = left;
    return true;
}

}  // namespace ox::http
