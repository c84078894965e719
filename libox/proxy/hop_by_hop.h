// Header fields that describe one connection, not the message (RFC 9110
// 7.6.1): they end at this hop in both directions. That is the fixed list
// plus whatever the sender's Connection header names.
#ifndef LIBOX_PROXY_HOP_BY_HOP_H
#define LIBOX_PROXY_HOP_BY_HOP_H

#include <string_view>

namespace ox::proxy {

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade (case-insensitive).
bool is_hop_by_hop(std::string_view name) noexcept;

// Whether the Connection field value `connection` ("close, X-Foo") names
// `name` (case-insensitive, one comma-separated token).
bool connection_names(std::string_view connection, std::string_view name) noexcept;

// Whether a Connection header may take `name` away from a request. Host and
// Content-Length may not: the backend needs them to route and frame the
// request we forward, and a client must not change that framing by naming
// them.
bool connection_may_drop(std::string_view name) noexcept;

}  // namespace ox::proxy

#endif
