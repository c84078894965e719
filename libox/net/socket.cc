#include "net/socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace ox::net {

namespace {

int poll_ms(Millis timeout) noexcept
{
    auto ms = timeout.count();
    if (ms < 0) return -1;
    if (ms > INT_MAX) return INT_MAX;
    return static_cast<int>(ms);
}

// Waits for `events` on fd (connect only). Returns ok, timeout or error.
IoStatus wait_for(int fd, short events, Millis timeout, int& err) noexcept
{
    pollfd p{fd, events, 0};
    for (;;) {
        int rc = ::poll(&p, 1, poll_ms(timeout));
        if (rc > 0) return IoStatus::ok;
        if (rc == 0) return IoStatus::timeout;
        if (errno != EINTR) {
            err = errno;
            return IoStatus::error;
        }
    }
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept
{
    if (this != &o) {
        close();
        fd_ = o.fd_;
        rcv_timeout_ms_ = o.rcv_timeout_ms_;
        snd_timeout_ms_ = o.snd_timeout_ms_;
        o.fd_ = -1;
    }
    return *this;
}

IoStatus Socket::connect(const SockAddr& addr, Millis timeout, Socket& out, int& err) noexcept
{
    int fd = ::socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        err = errno;
        return IoStatus::error;
    }
    Socket s(fd);
    int one = 1;
    // Requests and responses are written whole; Nagle would only add delay.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) != 0) {
        if (errno != EINPROGRESS) {
            err = errno;
            return IoStatus::error;
        }
        IoStatus st = wait_for(fd, POLLOUT, timeout, err);
        if (st != IoStatus::ok) {
            if (st == IoStatus::timeout) err = ETIMEDOUT;
            return st;
        }
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
        if (so_error != 0) {
            err = so_error;
            return IoStatus::error;
        }
    }
    // From here on the socket blocks; the kernel enforces the timeouts.
    if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        err = errno;
        return IoStatus::error;
    }
    out = std::move(s);
    return IoStatus::ok;
}

bool Socket::set_timeout(int option, long& current_ms, Millis timeout, int& err) noexcept
{
    long ms = timeout.count() < 0 ? -1 : static_cast<long>(timeout.count());
    if (ms == current_ms) return true;
    // 0 would mean "wait forever" to the kernel; a zero timeout waits 1 ms.
    long eff = ms < 0 ? 0 : (ms == 0 ? 1 : ms);
    timeval tv{eff / 1000, static_cast<suseconds_t>((eff % 1000) * 1000)};
    if (::setsockopt(fd_, SOL_SOCKET, option, &tv, sizeof tv) != 0) {
        err = errno;
        return false;
    }
    current_ms = ms;
    return true;
}

IoStatus Socket::write_all(struct iovec* iov, int iovcnt, Millis timeout, std::size_t& written, int& err) noexcept
{
    written = 0;
    if (!set_timeout(SO_SNDTIMEO, snd_timeout_ms_, timeout, err)) return IoStatus::error;
    while (iovcnt > 0) {
        if (iov->iov_len == 0) {
            ++iov;
            --iovcnt;
            continue;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(iovcnt);
        ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // SO_SNDTIMEO expired with nothing sent in this call.
                err = ETIMEDOUT;
                return IoStatus::timeout;
            }
            err = errno;
            return (err == EPIPE || err == ECONNRESET) ? IoStatus::closed : IoStatus::error;
        }
        auto left = static_cast<std::size_t>(n);
        written += left;
        while (left > 0 && iovcnt > 0) {
            if (left >= iov->iov_len) {
                left -= iov->iov_len;
                ++iov;
                --iovcnt;
            } else {
                iov->iov_base = static_cast<char*>(iov->iov_base) + left;
                iov->iov_len -= left;
                left = 0;
            }
        }
    }
    return IoStatus::ok;
}

IoStatus Socket::write_all(const void* data, std::size_t len, Millis timeout, std::size_t& written, int& err) noexcept
{
    iovec iov{const_cast<void*>(data), len};
    return write_all(&iov, 1, timeout, written, err);
}

IoStatus Socket::write_now(const void* data, std::size_t len, std::size_t& written, int& err) noexcept
{
    written = 0;
    while (written < len) {
        ssize_t n = ::send(fd_, static_cast<const char*>(data) + written, len - written, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            written += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::ok;
        err = errno;
        return (err == EPIPE || err == ECONNRESET) ? IoStatus::closed : IoStatus::error;
    }
    return IoStatus::ok;
}

IoStatus Socket::read_some(void* dst, std::size_t max, Millis timeout, std::size_t& got, int& err) noexcept
{
    got = 0;
    if (!set_timeout(SO_RCVTIMEO, rcv_timeout_ms_, timeout, err)) return IoStatus::error;
    for (;;) {
        ssize_t n = ::recv(fd_, dst, max, 0);
        if (n > 0) {
            got = static_cast<std::size_t>(n);
            return IoStatus::ok;
        }
        if (n == 0) return IoStatus::closed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // SO_RCVTIMEO expired.
            err = ETIMEDOUT;
            return IoStatus::timeout;
        }
        err = errno;
        return errno == ECONNRESET ? IoStatus::closed : IoStatus::error;
    }
}

IoStatus Socket::read_now(void* dst, std::size_t max, std::size_t& got, int& err) noexcept
{
    got = 0;
    for (;;) {
        ssize_t n = ::recv(fd_, dst, max, MSG_DONTWAIT);
        if (n > 0) {
            got = static_cast<std::size_t>(n);
            return IoStatus::ok;
        }
        if (n == 0) return IoStatus::closed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::timeout;
        err = errno;
        return errno == ECONNRESET ? IoStatus::closed : IoStatus::error;
    }
}

bool Socket::readable_now() const noexcept
{
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

bool Socket::readable_within(Millis wait, std::size_t at_least) const noexcept
{
    int lowat = static_cast<int>(std::min<std::size_t>(at_least, 1 << 20));
    if (lowat > 1 && ::setsockopt(fd_, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat) != 0) lowat = 1;
    pollfd p{fd_, POLLIN, 0};
    auto ms = static_cast<int>(std::min<Millis::rep>(wait.count(), 60000));
    int rc;
    while ((rc = ::poll(&p, 1, ms)) < 0 && errno == EINTR) {
    }
    if (lowat > 1) {
        // Every other read of this socket, and the pool's idle check, want
        // a single byte. (Cannot fail where setting the mark did.)
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
    }
    return rc != 0;  // an error other than EINTR: let the read say what is wrong
}

bool Socket::idle_and_open() const noexcept
{
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, 0);
    // Readable on an idle connection means EOF, RST or bytes nobody asked
    // for: in each case the connection cannot carry a request.
    return rc == 0;
}

void Socket::close() noexcept
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

void Socket::abort() noexcept
{
    if (fd_ >= 0) {
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close();
    }
}

}  // namespace ox::net
