#include "http_io.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace httpt {

Socket::Socket(int fd) : fd_(fd), buf_(65536) {}

Socket::~Socket() { close(); }

void Socket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool Socket::fill() {
    for (;;) {
        ssize_t r = ::recv(fd_, buf_.data(), buf_.size(), 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw PeerGone(std::string("recv: ") + std::strerror(errno));
        }
        pos_ = 0;
        end_ = static_cast<std::size_t>(r);
        return r > 0;
    }
}

bool Socket::read_line(std::string& line, std::size_t max) {
    line.clear();
    for (;;) {
        if (pos_ == end_ && !fill()) {
            if (line.empty()) return false;
            throw BadMessage("connection closed inside a line (" + std::to_string(line.size()) + " bytes)");
        }
        const char* start = buf_.data() + pos_;
        const void* lf = std::memchr(start, '\n', end_ - pos_);
        std::size_t take = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - start) + 1 : end_ - pos_;
        if (line.size() + take > max) throw BadMessage("line longer than " + std::to_string(max) + " bytes");
        line.append(start, take);
        pos_ += take;
        if (lf) return true;
    }
}

void Socket::read_exact(void* dst, std::size_t n) {
    auto* d = static_cast<char*>(dst);
    for (std::size_t got = 0; got < n;) {
        std::size_t r = read_some(d + got, n - got);
        if (r == 0) {
            throw BadMessage("connection closed after " + std::to_string(got) + " of " + std::to_string(n) +
                             " bytes");
        }
        got += r;
    }
}

std::size_t Socket::read_some(void* dst, std::size_t n) {
    if (pos_ == end_) {
        // Large reads bypass the buffer.
        if (n >= buf_.size()) {
            for (;;) {
                ssize_t r = ::recv(fd_, dst, n, 0);
                if (r >= 0) return static_cast<std::size_t>(r);
                if (errno != EINTR) throw PeerGone(std::string("recv: ") + std::strerror(errno));
            }
        }
        if (!fill()) return 0;
    }
    std::size_t take = std::min(n, end_ - pos_);
    std::memcpy(dst, buf_.data() + pos_, take);
    pos_ += take;
    return take;
}

bool Socket::readable_within(int ms) {
    if (pos_ < end_) return true;
    pollfd p{fd_, POLLIN, 0};
    int r;
    do {
        r = ::poll(&p, 1, ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

void Socket::send(const void* p, std::size_t n) {
    const auto* b = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::send(fd_, b, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw PeerGone(std::string("send: ") + std::strerror(errno));
        }
        b += w;
        n -= static_cast<std::size_t>(w);
    }
}

void Socket::drain_until_eof(int max_ms) {
    pos_ = end_ = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !readable_within(static_cast<int>(left.count()))) return;
        ssize_t r = ::recv(fd_, buf_.data(), buf_.size(), 0);
        if (r == 0 || (r < 0 && errno != EINTR)) return;
    }
}

void Socket::lingering_close() {
    if (fd_ < 0) return;
    ::shutdown(fd_, SHUT_WR);
    drain_until_eof(5000);
    close();
}

void Socket::reset_close() {
    // SO_LINGER 0 drops unsent data, so wait until everything is acknowledged
    // (SIOCOUTQ: unsent + unacknowledged bytes).
    for (int i = 0; i < 2000; ++i) {
        int pending = 0;
        if (::ioctl(fd_, SIOCOUTQ, &pending) != 0 || pending == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    struct linger lg = {1, 0};
    (void)::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close();
}

}  // namespace httpt
