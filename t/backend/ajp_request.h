// Decoding of the AJP13 FORWARD_REQUEST message (proxy to server).
#ifndef OXB_BACKEND_AJP_REQUEST_H
#define OXB_BACKEND_AJP_REQUEST_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ajp_codec.h"

namespace ajpt {

struct ForwardRequest {
    std::uint8_t method_code = 0;
    std::string method;  // the name; for 0xFF the stored_method attribute
    Str protocol;
    std::string uri;
    Str remote_addr;
    Str remote_host;
    Str server_name;
    std::uint16_t server_port = 0;
    bool is_ssl = false;
    // In wire order; coded names are spelled as their lowercase canonical names.
    std::vector<std::pair<std::string, Str>> headers;
    // In wire order, rendered for /echo: name (req_attribute: its own name)
    // and value (ssl_key_size in decimal).
    std::vector<std::pair<std::string, Str>> attributes;
    Str query;                                   // attribute 0x05, if present
    std::optional<std::uint64_t> content_length;  // absent: length unknown
};

// Parses a FORWARD_REQUEST payload (including its 0x02 type byte). Throws
// ProtocolError on any syntax violation, including trailing bytes.
ForwardRequest parse_forward_request(const std::vector<std::uint8_t>& payload);

}  // namespace ajpt

#endif
