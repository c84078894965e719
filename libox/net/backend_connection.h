// What every backend connection has, whatever protocol it speaks: its
// socket and the pool's bookkeeping. ajp::Connection and http::Connection
// add their buffers; a member's pool holds them as this type.
#ifndef LIBOX_NET_BACKEND_CONNECTION_H
#define LIBOX_NET_BACKEND_CONNECTION_H

#include <cstdint>
#include <utility>

#include "core/clock.h"
#include "net/socket.h"

namespace ox::net {

class BackendConnection {
public:
    explicit BackendConnection(Socket socket) noexcept : socket_(std::move(socket)) {}
    virtual ~BackendConnection() = default;
    BackendConnection(const BackendConnection&) = delete;
    BackendConnection& operator=(const BackendConnection&) = delete;

    Socket& socket() noexcept { return socket_; }

    // Pool bookkeeping.
    TimePoint last_used{};
    std::uint64_t requests = 0;

private:
    Socket socket_;
};

}  // namespace ox::net

#endif
