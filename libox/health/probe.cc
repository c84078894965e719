#include "health/probe.h"

#include <cerrno>
#include <vector>

#include "ajp/ajp_connection.h"
#include "ajp/ajp_exchange.h"
#include "http/http_connection.h"
#include "http/http_exchange.h"
#include "http/http_request.h"
#include "net/socket.h"
#include "proxy/io.h"

namespace ox::health {

namespace {

Millis remaining(TimePoint deadline) noexcept
{
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    return left.count() > 0 ? left : Millis(0);
}

// A connection to the first address of the node that accepts one.
bool connect_node(const ProbeTarget& t, TimePoint deadline, net::Socket& out, ProbeResult& r) noexcept
{
    std::vector<net::SockAddr> addrs;
    try {
        if (!net::resolve(t.endpoint, addrs).empty() || addrs.empty()) {
            r.detail = "cannot resolve the node's host";
            return false;
        }
    } catch (...) {
        r.detail = "out of memory";
        return false;
    }
    for (const net::SockAddr& a : addrs) {
        Millis left = remaining(deadline);
        if (left.count() == 0) break;
        int err = 0;
        net::IoStatus st = net::Socket::connect(a, left, out, err);
        if (st == net::IoStatus::ok) return true;
        r.sys_errno = err;
        r.detail = st == net::IoStatus::timeout ? "connect timed out"
                   : err == ECONNREFUSED        ? "connection refused"
                                                : "cannot connect";
    }
    if (!*r.detail) r.detail = "connect timed out";
    return false;
}

// The request of an http probe over AJP: nothing of it comes from a client.
proxy::Request probe_request(const HealthCheckSpec& spec, const ProbeTarget& t, const std::string& host,
                             proxy::Header (&headers)[3], const std::string& auth) noexcept
{
    proxy::Request req;
    req.method = spec.http_method;
    req.protocol = "HTTP/1.1";
    req.path = spec.uri;
    std::size_t q = spec.uri.find('?');
    if (q != std::string::npos) {
        req.path = std::string_view(spec.uri).substr(0, q);
        req.query = std::string_view(spec.uri).substr(q + 1);
        req.has_query = true;
    }
    req.remote_addr = "127.0.0.1";
    req.server_name = t.endpoint.host;
    req.server_port = t.endpoint.port;
    std::size_t n = 0;
    headers[n++] = {"Host", host};
    headers[n++] = {"User-Agent", "mod_oxbalance health check"};
    if (!auth.empty()) headers[n++] = {"Authorization", auth};
    req.headers = headers;
    req.header_count = n;
    return req;
}

// Keeps the status, drops the body.
class StatusSink final : public proxy::ResponseSink {
public:
    int status = 0;
    proxy::SinkResult head(const proxy::ResponseHead& h) noexcept override
    {
        status = h.status;
        return proxy::SinkResult::ok;
    }
    proxy::SinkResult body(const char*, std::size_t, net::BlockHold) noexcept override { return proxy::SinkResult::ok; }
    proxy::SinkResult release(bool) noexcept override { return proxy::SinkResult::ok; }
    proxy::SinkResult finish() noexcept override { return proxy::SinkResult::ok; }
    void abort() noexcept override {}
    void discard() noexcept override { status = 0; }
};

class NoBody final : public proxy::BodySource {
public:
    long read(char*, std::size_t) noexcept override { return 0; }
};

std::string base64(std::string_view in)
{
    static const char* const k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                     static_cast<unsigned char>(in[i + 2]);
        out += k[v >> 18 & 63];
        out += k[v >> 12 & 63];
        out += k[v >> 6 & 63];
        out += k[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += k[v >> 18 & 63];
        out += k[v >> 12 & 63];
        out += i + 1 < in.size() ? k[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

void http_over_ajp(const HealthCheckSpec& spec, const ProbeTarget& t, net::Socket sock, TimePoint deadline,
                   ProbeResult& r) noexcept
{
    try {
        ajp::Connection conn(std::move(sock), t.packet_size);
        std::string host = spec.host.empty() ? t.endpoint.to_string() : spec.host;
        std::string auth = spec.auth.empty() ? std::string() : "Basic " + base64(spec.auth);
        proxy::Header headers[3];
        proxy::Request req = probe_request(spec, t, host, headers, auth);
        std::vector<std::uint8_t> head(t.packet_size);
        std::size_t head_len = ajp::encode_forward_request(req, {t.route, t.secret}, head.data(), head.size());
        if (head_len == 0) {
            r.detail = "the probe request does not fit into one AJP packet";
            return;
        }
        ajp::ExchangeParams params;
        params.head = std::string_view(reinterpret_cast<const char*>(head.data()), head_len);
        params.timeout = remaining(deadline);
        if (params.timeout.count() == 0) {
            r.detail = "no time left for the request";
            return;
        }
        NoBody body;
        StatusSink sink;
        proxy::Outcome o = ajp::exchange(conn, req, params, body, sink);
        r.status = sink.status;
        if (!o.ok()) {
            r.sys_errno = o.sys_errno;
            r.detail = o.failure == proxy::Failure::read_timeout ? "no answer within the timeout"
                       : *o.detail                               ? o.detail
                                                                 : proxy::failure_name(o.failure);
            return;
        }
        r.ok = spec.expects(sink.status);
        if (!r.ok) r.detail = "unexpected status";
    } catch (...) {
        r.detail = "out of memory";
    }
}

// An http probe of an http:// member: the same request, over HTTP/1.1.
void http_probe(const HealthCheckSpec& spec, const ProbeTarget& t, net::Socket sock, TimePoint deadline,
                ProbeResult& r) noexcept
{
    try {
        std::string host = spec.host.empty() ? t.endpoint.to_string() : spec.host;
        std::string auth = spec.auth.empty() ? std::string() : "Basic " + base64(spec.auth);
        proxy::Header headers[3];
        proxy::Request req = probe_request(spec, t, host, headers, auth);
        std::vector<char> head(http::request_head_bound(req));
        std::size_t head_len = http::encode_request_head(req, head.data(), head.size());
        if (head_len == 0) {
            r.detail = "the probe request cannot be encoded (check hcuri= and hchost=)";
            return;
        }
        Millis left = remaining(deadline);
        if (left.count() == 0) {
            r.detail = "no time left for the request";
            return;
        }
        http::Connection conn(std::move(sock));
        const char* detail = nullptr;
        int status = 0;
        if (!http::probe(conn, std::string_view(head.data(), head_len), left, status, detail)) {
            r.detail = detail ? detail : "no answer";
            return;
        }
        r.status = status;
        r.ok = spec.expects(status);
        if (!r.ok) r.detail = "unexpected status";
    } catch (...) {
        r.detail = "out of memory";
    }
}

}  // namespace

ProbeResult run_probe(const HealthCheckSpec& spec, const ProbeTarget& target) noexcept
{
    ProbeResult r;
    TimePoint start = Clock::now();
    TimePoint deadline = start + spec.timeout;
    if (spec.method == ProbeMethod::none) {
        r.ok = true;
        return r;
    }
    net::Socket sock;
    if (connect_node(target, deadline, sock, r)) {
        switch (spec.method) {
        case ProbeMethod::tcp: r.ok = true; break;
        case ProbeMethod::cping:
            try {
                ajp::Connection conn(std::move(sock), target.packet_size);
                const char* detail = nullptr;
                r.ok = ajp::cping(conn, remaining(deadline), detail);
                if (!r.ok) r.detail = detail ? detail : "CPing failed";
            } catch (...) {
                r.detail = "out of memory";
            }
            break;
        case ProbeMethod::http:
            if (target.http) {
                http_probe(spec, target, std::move(sock), deadline, r);
            } else {
                http_over_ajp(spec, target, std::move(sock), deadline, r);
            }
            break;
        case ProbeMethod::none: break;
        }
    }
    r.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (r.ok) r.detail = "";
    return r;
}

}  // namespace ox::health
