// Encodes AJP13_FORWARD_REQUEST from a protocol-neutral request.
#ifndef LIBOX_AJP_REQUEST_H
#define LIBOX_AJP_REQUEST_H

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/request.h"

namespace ox::ajp {

// What the member adds to every request it forwards.
struct ForwardOptions {
    std::string_view route;   // sent as the jvm_route attribute when set
    std::string_view secret;  // Tomcat's `secret`, sent when set
};

// Writes the forward request packet into buf[0..capacity). Returns the packet
// length, or 0 when it does not fit into `capacity` (the packet size).
std::size_t encode_forward_request(const proxy::Request& req, const ForwardOptions& opt,
                                   std::uint8_t* buf, std::size_t capacity) noexcept;

// Writes a CPing packet (5 bytes) into buf.
std::size_t encode_cping(std::uint8_t* buf) noexcept;

}  // namespace ox::ajp

#endif
