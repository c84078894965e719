#include "ctl_http.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/text.h"
#include "http/http_connection.h"
#include "http/http_exchange.h"
#include "http/http_request.h"
#include "proxy/io.h"
#include "proxy/request.h"

namespace oxctl {

namespace {

bool starts_with_lowercase(std::string_view s, std::string_view prefix) noexcept
{
    return s.size() >= prefix.size() && ox::equals_lowercase(s.substr(0, prefix.size()), prefix);
}

bool has_space_or_control(std::string_view s) noexcept
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7F) return true;
    }
    return false;
}

// The request body, from a string.
class StringSource final : public ox::proxy::BodySource {
public:
    explicit StringSource(std::string_view s) noexcept : s_(s) {}
    long read(char* dst, std::size_t max) noexcept override
    {
        std::size_t n = std::min(max, s_.size());
        std::memcpy(dst, s_.data(), n);
        s_.remove_prefix(n);
        return static_cast<long>(n);
    }

private:
    std::string_view s_;
};

// The response, into an HttpResponse; a body over the limit ends it.
class StringSink final : public ox::proxy::ResponseSink {
public:
    explicit StringSink(HttpResponse& out) noexcept : out_(out) {}
    ox::proxy::SinkResult head(const ox::proxy::ResponseHead& h) noexcept override
    {
        try {
            out_.status = h.status;
            out_.reason = std::string(h.reason);
            for (std::size_t i = 0; i < h.header_count; ++i) {
                if (ox::equals_lowercase(h.headers[i].name, "content-type")) {
                    out_.content_type = std::string(h.headers[i].value);
                }
            }
            return ox::proxy::SinkResult::ok;
        } catch (...) {
            return ox::proxy::SinkResult::client_gone;
        }
    }
    ox::proxy::SinkResult body(const char* data, std::size_t len, ox::net::BlockHold) noexcept override
    {
        if (len > HttpClient::kMaxBody - out_.body.size()) {
            too_large = true;
            return ox::proxy::SinkResult::client_gone;
        }
        try {
            out_.body.append(data, len);
            return ox::proxy::SinkResult::ok;
        } catch (...) {
            return ox::proxy::SinkResult::client_gone;
        }
    }
    ox::proxy::SinkResult release(bool) noexcept override { return ox::proxy::SinkResult::ok; }
    ox::proxy::SinkResult finish() noexcept override { return ox::proxy::SinkResult::ok; }
    void abort() noexcept override {}
    void discard() noexcept override { out_ = HttpResponse(); }

    bool too_large = false;

private:
    HttpResponse& out_;
};

}  // namespace

std::string parse_http_url(std::string_view text, HttpUrl& out)
{
    out = HttpUrl();
    out.text = std::string(text);
    if (starts_with_lowercase(text, "https://")) {
        return "https:// is not supported: oxbalancectl talks plain HTTP to a status page on a local or admin "
               "network; give the page's http:// address (through an SSH tunnel when it is remote)";
    }
    if (!starts_with_lowercase(text, "http://")) return "'" + out.text + "' is not an http:// URL";
    std::string_view rest = text.substr(7);
    if (has_space_or_control(rest)) return "the URL holds white space or a control character";
    if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos) {
        return "the URL must not have a query or fragment: give the page's path (http://HOST:PORT/oxbalance-status)";
    }
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos) return "user names or passwords in the URL are not supported";
    if (authority.empty()) return "the URL has no host";
    ox::net::Endpoint ep;
    if (std::string err = ox::net::parse_endpoint(authority, 80, ep); !err.empty()) {
        return "the URL's host and port: " + err;
    }
    if (ep.host.empty() || ep.port == 0) return "the URL's host and port: a host and a port from 1 to 65535";
    out.host = ep.host;
    out.port = ep.port;
    out.host_header = std::string(authority);
    out.path = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
    return {};
}

bool HttpClient::fail(HttpFailure f, const std::string& why)
{
    failure_ = f;
    error_ = why;
    return false;
}

bool HttpClient::connect(ox::net::Socket& out)
{
    std::string where = ox::net::Endpoint{url_.host, url_.port}.to_string();
    if (!resolved_) {
        if (std::string err = ox::net::resolve(ox::net::Endpoint{url_.host, url_.port}, addrs_); !err.empty()) {
            return fail(HttpFailure::resolve, "cannot resolve " + url_.host + ": " + err);
        }
        resolved_ = true;
    }
    // Once one address answered, only that one: the page's nonce is good
    // for the address it was given to.
    std::size_t first = connected_once_ ? chosen_ : 0;
    std::size_t last = connected_once_ ? chosen_ + 1 : addrs_.size();
    bool timed_out = false;
    int err = 0;
    for (std::size_t i = first; i < last; ++i) {
        int e = 0;
        ox::net::IoStatus st = ox::net::Socket::connect(addrs_[i], timeout_, out, e);
        if (st == ox::net::IoStatus::ok) {
            chosen_ = i;
            connected_once_ = true;
            return true;
        }
        if (st == ox::net::IoStatus::timeout) timed_out = true;
        else err = e;
    }
    if (err) return fail(HttpFailure::connect, "cannot connect to " + where + ": " + std::strerror(err));
    if (timed_out) {
        return fail(HttpFailure::timeout,
                    "cannot connect to " + where + ": no answer within " + std::to_string(timeout_.count() / 1000) + " s");
    }
    return fail(HttpFailure::connect, "cannot connect to " + where);
}

bool HttpClient::request(const char* method, std::string_view query, std::string_view body, HttpResponse& out)
{
    out = HttpResponse();
    failure_ = HttpFailure::none;
    error_.clear();
    ox::net::Socket sock;
    if (!connect(sock)) return false;

    std::vector<ox::proxy::Header> headers{{"Host", url_.host_header},
                                           {"User-Agent", "oxbalancectl"},
                                           {"Accept", "text/html, application/json"}};
    if (*method == 'P') headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    ox::proxy::Request req;
    req.method = method;
    req.protocol = "HTTP/1.1";
    req.path = url_.path;
    req.query = query;
    req.has_query = !query.empty();
    req.headers = headers.data();
    req.header_count = headers.size();
    if (!body.empty()) {
        req.body = ox::proxy::BodyKind::length;
        req.content_length = static_cast<std::int64_t>(body.size());
    }
    std::string head(ox::http::request_head_bound(req), '\0');
    const char* detail = "";
    std::size_t n = ox::http::encode_request_head(req, head.data(), head.size(), nullptr, &detail);
    if (n == 0) return fail(HttpFailure::protocol, std::string("cannot write the request: ") + detail);
    head.resize(n);

    ox::http::Connection conn(std::move(sock));
    ox::http::ExchangeParams p;
    p.head = head;
    p.timeout = timeout_;
    StringSource source(body);
    StringSink sink(out);
    ox::proxy::Outcome o = ox::http::exchange(conn, req, p, source, sink);
    std::string where = "http://" + url_.host_header + url_.path;
    if (o.ok()) return true;
    if (sink.too_large) {
        return fail(HttpFailure::protocol, where + " answered with more than " + std::to_string(kMaxBody) + " bytes");
    }
    switch (o.failure) {
    case ox::proxy::Failure::read_timeout:
        return fail(HttpFailure::timeout,
                    where + " did not answer within " + std::to_string(timeout_.count() / 1000) + " s");
    case ox::proxy::Failure::malformed:
        return fail(HttpFailure::protocol, where + " answered with something that is not HTTP/1.1 (" +
                                               std::string(o.detail ? o.detail : "") + ")");
    default: {
        std::string why = ox::proxy::failure_name(o.failure);
        if (o.sys_errno) why += std::string(": ") + std::strerror(o.sys_errno);
        return fail(HttpFailure::protocol, where + ": " + why);
    }
    }
}

}  // namespace oxctl
