// Deliberately broken server-to-proxy byte sequences for /garbage, /truncated
// and /oversized: the client under test must reject each by itself.
#ifndef OXB_BACKEND_MALFORMED_H
#define OXB_BACKEND_MALFORMED_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ajpt {

// The bytes for /garbage?kind=<kind>, or nullopt for an unknown kind.
std::optional<std::vector<std::uint8_t>> garbage_bytes(const std::string& kind);

// The kinds garbage_bytes() knows, space-separated (for error bodies).
const char* garbage_kinds();

// A packet header promising 100 payload bytes followed by only 10.
std::vector<std::uint8_t> truncated_bytes();

// An 'AB' packet of payload length `len` (<= 0xFFFF). When len >= 4 the
// payload is a well-formed SEND_BODY_CHUNK, so only its size is wrong.
std::vector<std::uint8_t> oversized_bytes(std::size_t len);

}  // namespace ajpt

#endif
