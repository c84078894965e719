// Encodes the head of an HTTP/1.1 request to a backend from a
// protocol-neutral request: request line, the client's end-to-end header
// fields, Host, and the framing of the body as we send it.
#ifndef LIBOX_HTTP_REQUEST_H
#define LIBOX_HTTP_REQUEST_H

#include <cstddef>
#include <cstdint>

#include "proxy/request.h"

namespace ox::http {

enum class EncodeError : std::uint8_t {
    none,
    too_large,      // does not fit into the buffer
    invalid_field,  // a method, target or header field that would break the head
};

// Writes the head into buf[0..cap). Returns its length, or 0 when it does
// not fit or a field is invalid (`error`, when given, says which; `detail`
// names the field for the log). Nothing is allocated.
// At least as many bytes as encode_request_head needs for `req`.
std::size_t request_head_bound(const proxy::Request& req) noexcept;

std::size_t encode_request_head(const proxy::Request& req, char* buf, std::size_t cap,
                                EncodeError* error = nullptr, const char** detail = nullptr) noexcept;

}  // namespace ox::http

#endif
