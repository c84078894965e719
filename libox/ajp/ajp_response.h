// Parsing of the packets a backend sends. Every function validates the whole
// packet against the protocol and returns nullptr, or a static text naming
// the rule that was broken (that text goes into the error log).
#ifndef LIBOX_AJP_RESPONSE_H
#define LIBOX_AJP_RESPONSE_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "proxy/io.h"

namespace ox::ajp {

enum class FrameStatus {
    complete,    // a whole packet is available
    need_more,   // fewer bytes than the packet needs
    bad_magic,   // does not start with "AB"
    empty,       // payload length 0: no prefix code
    too_large,   // longer than the packet size allows
};

// Checks the packet header at data[0..len). On `complete`, `packet_len` is
// the whole packet's length (header included). `max_packet` is the packet
// size: a backend packet may not be longer.
FrameStatus check_frame(const std::uint8_t* data, std::size_t len, std::size_t max_packet,
                        std::size_t& packet_len) noexcept;

// The functions below take the payload (after the 4-byte header), starting
// with the prefix code.

// SEND_HEADERS. Header views point into the payload; `storage` is reused
// across calls so that steady-state parsing does not allocate.
const char* parse_send_headers(const std::uint8_t* payload, std::size_t len, proxy::ResponseHead& head,
                               std::vector<proxy::Header>& storage) noexcept;

// SEND_BODY_CHUNK.
const char* parse_body_chunk(const std::uint8_t* payload, std::size_t len, const char*& data,
                             std::size_t& data_len) noexcept;

// END_RESPONSE.
const char* parse_end_response(const std::uint8_t* payload, std::size_t len, bool& reuse) noexcept;

// GET_BODY_CHUNK.
const char* parse_get_body_chunk(const std::uint8_t* payload, std::size_t len, std::uint16_t& requested) noexcept;

// CPONG_REPLY.
const char* parse_cpong(const std::uint8_t* payload, std::size_t len) noexcept;

}  // namespace ox::ajp

#endif
