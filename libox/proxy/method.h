#ifndef LIBOX_PROXY_METHOD_H
#define LIBOX_PROXY_METHOD_H

#include <string_view>

namespace ox::proxy {

// Methods a client may expect to be repeated (RFC 9110 9.2.2, RFC 4918):
// only these are sent again when a pooled connection turns out to be dead
// after the request was written to it.
bool is_idempotent(std::string_view method) noexcept;

}  // namespace ox::proxy

#endif
