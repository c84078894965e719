// Bounds-checked marshalling of AJP packets. Writers and readers never touch
// a byte outside their buffer: an overflow or an over-read sets a sticky
// failure instead.
#ifndef LIBOX_AJP_MESSAGE_H
#define LIBOX_AJP_MESSAGE_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ox::ajp {

// Builds one proxy->container packet in a caller-owned buffer whose size is
// the packet size limit.
class PacketWriter {
public:
    PacketWriter(std::uint8_t* buf, std::size_t capacity) noexcept;

    void put_u8(std::uint8_t v) noexcept;
    void put_u16(std::uint16_t v) noexcept;
    void put_string(std::string_view s) noexcept;  // length, bytes, NUL
    void put_null_string() noexcept;               // 0xFFFF
    void put_bytes(const void* data, std::size_t len) noexcept;

    bool ok() const noexcept { return ok_; }
    // Completes the header; returns the whole packet's length, 0 if the
    // payload did not fit.
    std::size_t finish() noexcept;

private:
    bool reserve(std::size_t n) noexcept;

    std::uint8_t* buf_;
    std::size_t cap_;
    std::size_t pos_;
    bool ok_ = true;
};

// Writes the packet header of a body packet carrying `data_len` bytes into
// out[0..6). The data itself goes at out + kBodyPacketOverhead.
void put_body_packet_header(std::uint8_t* out, std::uint16_t data_len) noexcept;

// Reads the payload of one container->proxy packet.
class PayloadReader {
public:
    PayloadReader(const std::uint8_t* data, std::size_t len) noexcept : p_(data), end_(data + len) {}

    bool u8(std::uint8_t& v) noexcept;
    bool u16(std::uint16_t& v) noexcept;
    // An AJP string: length, bytes, NUL terminator. `is_null` reports the
    // 0xFFFF null string (returned as an empty view).
    bool string(std::string_view& s, bool* is_null = nullptr) noexcept;
    bool bytes(std::size_t n, const std::uint8_t*& out) noexcept;
    // Peeks the next two bytes without consuming them.
    bool peek_u16(std::uint16_t& v) const noexcept;

    std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
    bool ok() const noexcept { return ok_; }

private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
    bool ok_ = true;
};

}  // namespace ox::ajp

#endif
