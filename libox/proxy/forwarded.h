// What the backend is told about the client: X-Forwarded-For, -Proto and
// -Host, set by us for every member (OX reads them with
// com.openexchange.server.considerXForwards). A client's own values are
// replaced, never trusted; a trusted proxy's (OXTrustedProxy, the list the
// ACL uses) are kept, so the ACL and the backend agree on who the client is.
#ifndef LIBOX_PROXY_FORWARDED_H
#define LIBOX_PROXY_FORWARDED_H

#include <string_view>

namespace ox::proxy {

struct ForwardedInput {
    std::string_view peer;     // the TCP peer's address, as text
    bool peer_trusted = false; // the peer is an OXTrustedProxy
    bool tls = false;          // the client's connection to us is TLS
    // The headers as received (every line of one header joined with ", "),
    // empty when absent.
    std::string_view x_forwarded_for;
    std::string_view x_forwarded_proto;
    std::string_view x_forwarded_host;
    std::string_view host;     // the request's Host
};

struct ForwardedHeaders {
    // X-Forwarded-For is `kept` + ", " + peer, or the peer alone when
    // `kept` is empty: the proxies' list, with the hop to us appended.
    std::string_view kept_for;
    std::string_view proto;    // "http" or "https"
    std::string_view host;     // empty: no X-Forwarded-Host
    // The HTTPS indicator (AJP is_ssl): TLS to us, or a trusted proxy's
    // X-Forwarded-Proto: https (TLS offloaded in front of us).
    bool https = false;
    // RFC 7239 Forwarded from the client passes only through a trusted proxy.
    bool keep_forwarded = false;
};

ForwardedHeaders forwarded_headers(const ForwardedInput& in) noexcept;

// The rightmost element of a comma-separated header value, trimmed: the
// one the proxy nearest to us wrote.
std::string_view last_element(std::string_view list) noexcept;

}  // namespace ox::proxy

#endif
