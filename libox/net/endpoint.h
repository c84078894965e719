// Backend addresses: parsing "host:port" / "[v6]:port" and resolving them.
#ifndef LIBOX_NET_ENDPOINT_H
#define LIBOX_NET_ENDPOINT_H

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ox::net {

struct Endpoint {
    std::string host;  // name or address, IPv6 without brackets
    std::uint16_t port = 0;

    std::string to_string() const;  // "host:port", "[v6]:port"
};

// Parses "host", "host:port", "[v6addr]" or "[v6addr]:port". Returns an empty
// string on success, else what is wrong.
std::string parse_endpoint(std::string_view text, std::uint16_t default_port, Endpoint& out);

struct SockAddr {
    sockaddr_storage storage{};
    socklen_t len = 0;
};

// Resolves to every address of the host, in resolver order. Returns an empty
// string on success, else the resolver's message.
std::string resolve(const Endpoint& ep, std::vector<SockAddr>& out);

// For a host written as an IPv4 or IPv6 address: that address, found
// without asking a name server. False for a name.
bool numeric_address(const Endpoint& ep, std::vector<SockAddr>& out);

}  // namespace ox::net

#endif
