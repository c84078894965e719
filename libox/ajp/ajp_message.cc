#include "ajp/ajp_message.h"

#include <cstring>

#include "ajp/ajp_protocol.h"

namespace ox::ajp {

PacketWriter::PacketWriter(std::uint8_t* buf, std::size_t capacity) noexcept
    : buf_(buf), cap_(capacity), pos_(kPacketHeaderLen)
{
    if (cap_ < kPacketHeaderLen) ok_ = false;
}

bool PacketWriter::reserve(std::size_t n) noexcept
{
    if (!ok_ || cap_ - pos_ < n) {
        ok_ = false;
        return false;
    }
    return true;
}

void PacketWriter::put_u8(std::uint8_t v) noexcept
{
    if (reserve(1)) buf_[pos_++] = v;
}

void PacketWriter::put_u16(std::uint16_t v) noexcept
{
    if (reserve(2)) {
        buf_[pos_++] = static_cast<std::uint8_t>(v >> 8);
        buf_[pos_++] = static_cast<std::uint8_t>(v & 0xFF);
    }
}

void PacketWriter::put_string(std::string_view s) noexcept
{
    // 0xFFFF is the null string, so the longest real string is one shorter.
    if (s.size() >= kNullString || !reserve(2 + s.size() + 1)) {
        ok_ = false;
        return;
    }
    put_u16(static_cast<std::uint16_t>(s.size()));
    if (!s.empty()) std::memcpy(buf_ + pos_, s.data(), s.size());
    pos_ += s.size();
    buf_[pos_++] = 0;
}

void PacketWriter::put_null_string() noexcept { put_u16(kNullString); }

void PacketWriter::put_bytes(const void* data, std::size_t len) noexcept
{
    if (reserve(len) && len > 0) {
        std::memcpy(buf_ + pos_, data, len);
        pos_ += len;
    }
}

std::size_t PacketWriter::finish() noexcept
{
    std::size_t payload = pos_ - kPacketHeaderLen;
    if (!ok_ || payload > 0xFFFF) return 0;
    buf_[0] = kToBackend0;
    buf_[1] = kToBackend1;
    buf_[2] = static_cast<std::uint8_t>(payload >> 8);
    buf_[3] = static_cast<std::uint8_t>(payload & 0xFF);
    return pos_;
}

void put_body_packet_header(std::uint8_t* out, std::uint16_t data_len) noexcept
{
    // An empty body packet has no length field: it is the end-of-body mark.
    std::uint16_t payload = data_len == 0 ? 0 : static_cast<std::uint16_t>(data_len + 2);
    out[0] = kToBackend0;
    out[1] = kToBackend1;
    out[2] = static_cast<std::uint8_t>(payload >> 8);
    out[3] = static_cast<std::uint8_t>(payload & 0xFF);
    out[4] = static_cast<std::uint8_t>(data_len >> 8);
    out[5] = static_cast<std::uint8_t>(data_len & 0xFF);
}

bool PayloadReader::u8(std::uint8_t& v) noexcept
{
    if (!ok_ || remaining() < 1) return ok_ = false;
    v = *p_++;
    return true;
}

bool PayloadReader::u16(std::uint16_t& v) noexcept
{
    if (!ok_ || remaining() < 2) return ok_ = false;
    v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return true;
}

bool PayloadReader::peek_u16(std::uint16_t& v) const noexcept
{
    if (!ok_ || remaining() < 2) return false;
    v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
    return true;
}

bool PayloadReader::string(std::string_view& s, bool* is_null) noexcept
{
    std::uint16_t len = 0;
    if (!u16(len)) return false;
    if (is_null) *is_null = (len == kNullString);
    if (len == kNullString) {
        s = {};
        return true;
    }
    // The terminator must be there and be a NUL: a length that runs past the
    // payload or a missing terminator is a broken packet, not a short string.
    if (remaining() < static_cast<std::size_t>(len) + 1 || p_[len] != 0) return ok_ = false;
    s = std::string_view(reinterpret_cast<const char*>(p_), len);
    p_ += len + 1;
    return true;
}

bool PayloadReader::bytes(std::size_t n, const std::uint8_t*& out) noexcept
{
    if (!ok_ || remaining() < n) return ok_ = false;
    out = p_;
    p_ += n;
    return true;
}

}  // namespace ox::ajp
