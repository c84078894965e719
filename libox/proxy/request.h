// The request a backend protocol forwards: a plain view of the client request,
// filled by the httpd glue, read by the AJP (and later HTTP) encoders.
// Nothing here owns memory: every view points into storage that outlives the
// exchange (the httpd request pool).
#ifndef LIBOX_PROXY_REQUEST_H
#define LIBOX_PROXY_REQUEST_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ox::proxy {

struct Header {
    std::string_view name;
    std::string_view value;
};

// What the backend must be told about a TLS client connection.
struct TlsInfo {
    bool on = false;
    std::string_view cipher;       // e.g. "ECDHE-RSA-AES256-GCM-SHA384"
    std::string_view session_id;   // hex
    std::string_view client_cert;  // PEM, empty when the client sent none
    std::string_view protocol;     // e.g. "TLSv1.3"
    int key_size = -1;             // bits, -1 when unknown
};

// How the request body reaches the backend.
enum class BodyKind : std::uint8_t {
    none,     // no body (no Content-Length, or Content-Length: 0)
    length,   // Content-Length > 0: exactly content_length bytes
    chunked,  // length unknown until the client's last chunk
};

struct Request {
    std::string_view method;    // as sent by the client, e.g. "PROPFIND"
    std::string_view protocol;  // "HTTP/1.1"
    std::string_view path;      // as the backend must see it, still %-encoded
    std::string_view client_path;  // as the client sent it (where ;jsessionid= is looked for); empty: `path`
    std::string_view query;     // without '?'
    bool has_query = false;

    std::string_view remote_addr;
    std::string_view remote_host;
    std::uint16_t remote_port = 0;
    std::string_view local_addr;
    std::string_view server_name;
    std::uint16_t server_port = 0;
    std::string_view remote_user;  // empty unless httpd authenticated the client
    std::string_view auth_type;

    const Header* headers = nullptr;  // end-to-end headers, in client order
    std::size_t header_count = 0;

    TlsInfo tls;
    // The protocol the client asks to switch to ("websocket"), for members
    // that can tunnel it (http://); empty: none.
    std::string_view upgrade;
    BodyKind body = BodyKind::none;
    std::int64_t content_length = 0;  // valid when body == length
};

}  // namespace ox::proxy

#endif
