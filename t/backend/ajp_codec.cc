#include "ajp_codec.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ajpt {

// ---- PayloadReader ----------------------------------------------------------

void PayloadReader::need(std::size_t n, const char* what) const {
    if (n > size_ - pos_) {
        throw ProtocolError(std::string(what) + ": needs " + std::to_string(n) + " bytes at payload offset " +
                            std::to_string(pos_) + ", only " + std::to_string(size_ - pos_) + " left");
    }
}

std::uint8_t PayloadReader::u8(const char* what) {
    need(1, what);
    return data_[pos_++];
}

std::uint16_t PayloadReader::u16(const char* what) {
    need(2, what);
    std::uint16_t v = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return v;
}

Str PayloadReader::str(const char* what) { return str_with_len(u16(what), what); }

Str PayloadReader::str_with_len(std::uint16_t len, const char* what) {
    if (len == kNullString) return std::nullopt;
    need(std::size_t{len} + 1, what);
    const std::uint8_t* p = data_ + pos_;
    if (p[len] != 0) {
        throw ProtocolError(std::string(what) + ": string of length " + std::to_string(len) +
                            " is not NUL-terminated");
    }
    pos_ += std::size_t{len} + 1;
    return std::string(reinterpret_cast<const char*>(p), len);
}

std::string PayloadReader::nonnull_str(const char* what) {
    Str s = str(what);
    if (!s) throw ProtocolError(std::string(what) + ": null string not allowed");
    return *s;
}

void PayloadReader::expect_end(const char* what) const {
    if (pos_ != size_) {
        throw ProtocolError(std::string(what) + ": " + std::to_string(size_ - pos_) + " trailing bytes");
    }
}

// ---- PacketBuilder ----------------------------------------------------------

PacketBuilder::PacketBuilder(std::vector<std::uint8_t>& out) : out_(out), start_(out.size()) {
    const std::uint8_t hdr[kHeaderSize] = {'A', 'B', 0, 0};
    out_.insert(out_.end(), hdr, hdr + kHeaderSize);
}

void PacketBuilder::u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void PacketBuilder::str(const std::string& s) {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
    u8(0);
}

void PacketBuilder::bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
}

void PacketBuilder::finish() {
    // Callers check sizes against the packet size first; this only guards the
    // u16 field itself.
    std::size_t n = std::min<std::size_t>(payload_size(), 0xFFFF);
    out_[start_ + 2] = static_cast<std::uint8_t>(n >> 8);
    out_[start_ + 3] = static_cast<std::uint8_t>(n & 0xFF);
}

// ---- Conn -------------------------------------------------------------------

Conn::Conn(int fd, std::size_t packet_size) : fd_(fd), packet_size_(packet_size), rbuf_(64 * 1024) {}

Conn::~Conn() { close(); }

void Conn::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool Conn::read_exact(std::uint8_t* dst, std::size_t n, bool eof_ok) {
    std::size_t got = 0;
    while (got < n) {
        if (rpos_ == rend_) {
            ssize_t r = ::recv(fd_, rbuf_.data(), rbuf_.size(), 0);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw PeerGone(std::string("recv: ") + std::strerror(errno));
            }
            if (r == 0) {
                if (got == 0 && eof_ok) return false;
                throw ProtocolError("connection closed inside a packet (" + std::to_string(got) + " of " +
                                    std::to_string(n) + " bytes)");
            }
            rpos_ = 0;
            rend_ = static_cast<std::size_t>(r);
        }
        std::size_t take = std::min(n - got, rend_ - rpos_);
        std::memcpy(dst + got, rbuf_.data() + rpos_, take);
        rpos_ += take;
        got += take;
    }
    return true;
}

bool Conn::read_packet(std::vector<std::uint8_t>& payload) {
    std::uint8_t hdr[kHeaderSize];
    if (!read_exact(hdr, 1, true)) return false;
    read_exact(hdr + 1, kHeaderSize - 1, false);
    if (hdr[0] != 0x12 || hdr[1] != 0x34) {
        char msg[64];
        std::snprintf(msg, sizeof msg, "bad packet magic 0x%02x 0x%02x", hdr[0], hdr[1]);
        throw ProtocolError(msg);
    }
    std::size_t len = std::size_t{hdr[2]} << 8 | hdr[3];
    // Like Tomcat's packetSize: the whole packet, header included, must fit.
    if (len > packet_size_ - kHeaderSize) {
        throw ProtocolError("packet length " + std::to_string(len) + " exceeds packet size " +
                            std::to_string(packet_size_));
    }
    payload.resize(len);
    if (len > 0) read_exact(payload.data(), len, false);
    return true;
}

void Conn::send(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
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

void Conn::drain_until_eof() {
    // Bytes still in our read buffer are discarded along with the rest.
    rpos_ = rend_ = 0;
    for (;;) {
        ssize_t r = ::recv(fd_, rbuf_.data(), rbuf_.size(), 0);
        if (r == 0) return;
        if (r < 0 && errno != EINTR) return;
    }
}

void Conn::reset_close() {
    // SO_LINGER 0 discards unsent data, so first wait until the peer has
    // acknowledged everything (SIOCOUTQ counts unsent + unacked bytes).
    for (int i = 0; i < 2000; ++i) {
        int pending = 0;
        if (::ioctl(fd_, SIOCOUTQ, &pending) != 0 || pending == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    struct linger lg = {1, 0};
    (void)::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close();
}

}  // namespace ajpt
