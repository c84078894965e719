// A small blocking HTTP/1.1 client for oxbalancectl's status page mode,
// over libox's own (net::Socket for the connection, http::exchange for the
// request and a strictly read response). Plain http:// only: the status
// page is meant for the local or an admin network.
#ifndef OXB_TOOLS_CTL_HTTP_H
#define OXB_TOOLS_CTL_HTTP_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "net/endpoint.h"
#include "net/socket.h"

namespace oxctl {

struct HttpUrl {
    std::string host;         // a name, or an address (IPv6 without brackets)
    std::uint16_t port = 80;
    std::string host_header;  // as written in the URL: "host", "host:8080", "[::1]:8080"
    std::string path;         // "/oxbalance-status"
    std::string text;         // the URL as given, for messages
};

// Parses http://HOST[:PORT][/PATH]; the path defaults to "/". Refused: other
// schemes (https:// with its own reason), user info, a query, a fragment,
// a port that is not 1-65535, white space or control characters. Returns ""
// and fills `out`, or why.
std::string parse_http_url(std::string_view text, HttpUrl& out);

struct HttpResponse {
    int status = 0;
    std::string reason;
    std::string content_type;
    std::string body;
};

// Why a request got no response.
enum class HttpFailure { none, resolve, connect, timeout, protocol };

// Requests to one server. The host is resolved once, and the address that
// answered first is used for every later request: the status page ties its
// nonce to the client's address, so a page and its POST must come from the
// same connection path.
class HttpClient {
public:
    // `timeout`: connecting, and each wait while writing or reading.
    HttpClient(HttpUrl url, ox::Millis timeout) : url_(std::move(url)), timeout_(timeout) {}

    // GET of the URL's path (with "?query" when `query` is not empty).
    bool get(std::string_view query, HttpResponse& out) { return request("GET", query, {}, out); }
    // POST of an application/x-www-form-urlencoded body to the path.
    bool post_form(std::string_view body, HttpResponse& out) { return request("POST", {}, body, out); }

    // After a failed request: why, in words, naming the server.
    const std::string& error() const noexcept { return error_; }
    HttpFailure failure() const noexcept { return failure_; }

    // The largest response body taken.
    static constexpr std::size_t kMaxBody = 16 * 1024 * 1024;

private:
    bool request(const char* method, std::string_view query, std::string_view body, HttpResponse& out);
    bool connect(ox::net::Socket& out);
    bool fail(HttpFailure f, const std::string& why);

    HttpUrl url_;
    ox::Millis timeout_;
    std::vector<ox::net::SockAddr> addrs_;
    bool resolved_ = false;
    std::size_t chosen_ = 0;  // index into addrs_ once one connected
    bool connected_once_ = false;
    std::string error_;
    HttpFailure failure_ = HttpFailure::none;
};

}  // namespace oxctl

#endif
