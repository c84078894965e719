// The test endpoints. Dispatch is on req_uri, parameters come from the
// query_string attribute (numbers accept K/M/G/T suffixes; bad ones get 400).
//
//   /echo[/...]      dump of the request (method, uri, query, protocol, ...,
//                    headers, attributes, body length and SHA-256); AJP null
//                    strings are shown as "(null)"
//   /stream?bytes=N[&chunk=K][&cl=0]      N pattern bytes (t/tools/oxb_pattern.h)
//   /slow-stream?bytes=N[&chunk=K][&interval=MS]   same, sleeping between chunks
//   /status?code=N   (200..599; 204/304 without body and Content-Length)
//   /cookies?n=K  /headers?n=K&size=S[&connection=NAME]  /delay?ms=N  /conn  /stats
//   /hang /close /reset?after=N /truncated /oversized[?len=N] /garbage?kind=K
//   /noreuse /early  (misbehaving backends, see each handler)
//   /longer /shorter (a body that disagrees with its Content-Length)
//   /pause-before-end?ms=N|gate=G[&bytes=B]  head and whole body
//                            (Content-Length; B pattern bytes in packets
//                            instead of "whole body\n"), a pause, then
//                            END_RESPONSE
//   /pause-after-flush?ms=N|gate=G  head and an empty body chunk (Tomcat's
//                            flush), a pause, then body and END_RESPONSE
//   /open?gate=G             ends the pauses that wait for gate G (in this
//                            server process); a pause waits at most 30 s
//
// Every response carries X-Backend, X-Conn-Id and X-Conn-Requests. Unless a
// handler says otherwise the whole request body is read (and hashed) first.
// A request without Content-Length has a body of unknown length, so even a
// plain GET costs one GET_BODY_CHUNK answered by an empty body packet. HEAD
// responses carry no body unless ?head-body=1, as with Tomcat.
#include "session.h"

#include <chrono>
#include <cstdarg>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "../tools/oxb_pattern.h"
#include "ajp_codec.h"
#include "ajp_request.h"
#include "gates.h"
#include "malformed.h"

namespace ajpt {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// A request parameter is missing or out of range: answered with 400.
struct BadRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What happens to the connection after an endpoint answered.
enum class After { keep, close, drain };

constexpr std::size_t kFlushThreshold = 1 << 20;

// Response header names sent coded (all others go as strings on purpose).
constexpr std::uint16_t kCodedContentType = 0xA001;
constexpr std::uint16_t kCodedContentLength = 0xA003;
constexpr std::uint16_t kCodedSetCookie = 0xA007;

void log_line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_line(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    // One fprintf call per line keeps concurrent lines from interleaving.
    std::fprintf(stderr, "ajp_test_server: %s\n", buf);
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Payload Too Large";
        case 418: return "I'm a teapot";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Unknown";
    }
}

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void reset() {
        if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
            throw std::runtime_error("EVP sha256 init failed");
        }
    }
    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_, md, &len);
        std::string s;
        for (unsigned i = 0; i < len; ++i) {
            s += oxb::kHexDigits[md[i] >> 4];
            s += oxb::kHexDigits[md[i] & 15];
        }
        reset();
        return s;
    }

private:
    EVP_MD_CTX* ctx_;
};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

// The query string's parameters; the first occurrence of a name wins.
class Query {
public:
    Query() = default;
    explicit Query(const Str& qs) {
        if (!qs) return;
        std::size_t start = 0;
        while (start <= qs->size()) {
            std::size_t amp = qs->find('&', start);
            if (amp == std::string::npos) amp = qs->size();
            std::string item = qs->substr(start, amp - start);
            std::size_t eq = item.find('=');
            std::string key = percent_decode(item.substr(0, eq));
            std::string value = eq == std::string::npos ? "" : percent_decode(item.substr(eq + 1));
            if (!key.empty()) params_.emplace(std::move(key), std::move(value));
            start = amp + 1;
        }
    }

    std::optional<std::string> get(const std::string& name) const {
        auto it = params_.find(name);
        if (it == params_.end()) return std::nullopt;
        return it->second;
    }

    // A number (K/M/G/T suffixes allowed) in [lo, hi]; `def` when absent,
    // BadRequest when absent without default or malformed.
    std::uint64_t number(const std::string& name, std::optional<std::uint64_t> def, std::uint64_t lo,
                         std::uint64_t hi) const {
        std::optional<std::string> v = get(name);
        if (!v) {
            if (!def) throw BadRequest("missing parameter " + name);
            return *def;
        }
        std::optional<std::uint64_t> n = oxb::parse_size(*v);
        if (!n || *n < lo || *n > hi) {
            throw BadRequest("parameter " + name + "=" + *v + " is not a number in [" + std::to_string(lo) + ", " +
                             std::to_string(hi) + "]");
        }
        return *n;
    }

private:
    std::map<std::string, std::string> params_;
};

using testgates::gates;

// How a paused endpoint pauses: until a gate opens, or for a time.
struct Pause {
    std::optional<std::string> gate;
    std::uint64_t ms = 0;
};

// Request body state. The rule is Tomcat's: with Content-Length > 0 the proxy
// sends the first body packet unasked; after that, and always when the length
// is unknown, the server asks with GET_BODY_CHUNK.
struct BodyState {
    std::optional<std::uint64_t> length;  // absent: unknown (chunked client body)
    std::uint64_t received = 0;
    bool first_unsolicited = false;  // the next packet comes without asking
    bool done = false;
};

class Session {
public:
    Session(int fd, std::uint64_t id, const ServerConfig& cfg, ServerStats& stats)
        : conn_(fd, cfg.packet_size), id_(id), cfg_(cfg), stats_(stats) {}

    void run();

private:
    using Handler = After (Session::*)();

    bool serve_one();
    Handler route() const;
    After dispatch();
    void log_request() const;

    // Request body.
    void start_body();
    bool next_body_chunk();
    void read_body();

    // Response output, batched in out_ and written by flush().
    std::size_t max_chunk() const { return cfg_.packet_size - 8; }
    bool body_allowed() const;
    bool add_headers(int status, const Headers& extra);
    void add_body(const std::string& data);
    void add_pattern_chunk(std::uint64_t off, std::size_t n);
    void add_body_flush();
    void add_end(bool reuse);
    void flush();
    void send_cpong();
    After respond(int status, const std::string& body, const Headers& extra = {}, bool reuse = true);

    // Endpoints.
    After echo();
    After stream();
    After slow_stream();
    After stream_common(bool slow);
    After status();
    After cookies();
    After headers();
    After delay();
    After hang();
    After close_conn();
    After reset();
    After truncated();
    After oversized();
    After garbage();
    After noreuse();
    After early();
    After longer();
    After shorter();
    After pause_before_end();
    After pause_after_flush();
    After open_gate();
    Pause pause_param() const;
    void pause(const Pause& p);
    After conn_info();
    After stats();
    After not_found();

    Conn conn_;
    std::uint64_t id_;
    const ServerConfig& cfg_;
    ServerStats& stats_;
    std::uint64_t requests_ = 0;
    ForwardRequest req_;
    Query query_;
    BodyState body_;
    Sha256 body_sha_;
    std::vector<std::uint8_t> in_;
    std::vector<std::uint8_t> out_;
};

void Session::run() {
    try {
        while (serve_one()) {
        }
    } catch (const ProtocolError& e) {
        log_line("conn %llu: protocol error: %s", static_cast<unsigned long long>(id_), e.what());
    } catch (const PeerGone& e) {
        if (cfg_.verbose) log_line("conn %llu: peer gone: %s", static_cast<unsigned long long>(id_), e.what());
    } catch (const std::exception& e) {
        log_line("conn %llu: error: %s", static_cast<unsigned long long>(id_), e.what());
    }
    if (cfg_.verbose) log_line("conn %llu: closed", static_cast<unsigned long long>(id_));
}

// Handles one packet between requests: CPING or a whole request. Returns false
// when the connection is over.
bool Session::serve_one() {
    if (!conn_.read_packet(in_)) return false;
    if (in_.empty()) throw ProtocolError("empty packet where a request was expected");
    if (in_[0] == kCPing) {
        if (in_.size() != 1) throw ProtocolError("CPING with " + std::to_string(in_.size() - 1) + " extra bytes");
        ++stats_.cpings;
        send_cpong();
        return true;
    }
    if (in_[0] != kForwardRequest) {
        char msg[80];
        std::snprintf(msg, sizeof msg, "unexpected packet type 0x%02x where a request was expected", in_[0]);
        throw ProtocolError(msg);
    }
    req_ = parse_forward_request(in_);
    ++requests_;
    ++stats_.requests;
    query_ = Query(req_.query);
    start_body();
    if (cfg_.verbose) log_request();
    switch (dispatch()) {
        case After::keep: return true;
        case After::close: conn_.close(); return false;
        case After::drain: conn_.drain_until_eof(); return false;
    }
    return false;
}

void Session::log_request() const {
    log_line("conn %llu req %llu: %s %s%s%s", static_cast<unsigned long long>(id_),
             static_cast<unsigned long long>(requests_), req_.method.c_str(), req_.uri.c_str(),
             req_.query ? "?" : "", req_.query ? req_.query->c_str() : "");
}

Session::Handler Session::route() const {
    static const std::map<std::string, Handler> routes = {
        {"/stream", &Session::stream},         {"/slow-stream", &Session::slow_stream},
        {"/status", &Session::status},         {"/cookies", &Session::cookies},
        {"/headers", &Session::headers},       {"/delay", &Session::delay},
        {"/hang", &Session::hang},             {"/close", &Session::close_conn},
        {"/reset", &Session::reset},           {"/truncated", &Session::truncated},
        {"/oversized", &Session::oversized},   {"/garbage", &Session::garbage},
        {"/noreuse", &Session::noreuse},       {"/early", &Session::early},
        {"/longer", &Session::longer},         {"/shorter", &Session::shorter},
        {"/pause-before-end", &Session::pause_before_end},
        {"/pause-after-flush", &Session::pause_after_flush},
        {"/open", &Session::open_gate},
        {"/conn", &Session::conn_info},        {"/stats", &Session::stats},
    };
    const std::string& uri = req_.uri;
    if (uri == "/echo" || uri.compare(0, 6, "/echo/") == 0) return &Session::echo;
    auto it = routes.find(uri);
    return it == routes.end() ? &Session::not_found : it->second;
}

After Session::dispatch() {
    try {
        return (this->*route())();
    } catch (const BadRequest& e) {
        // Parameters are checked before any output, so a 400 can still be sent.
        out_.clear();
        read_body();
        return respond(400, std::string(e.what()) + "\n");
    }
}

// ---- request body -------------------------------------------------------------

void Session::start_body() {
    body_ = BodyState{};
    body_.length = req_.content_length;
    body_.first_unsolicited = body_.length && *body_.length > 0;
    body_.done = body_.length && *body_.length == 0;
    body_sha_.reset();
}

// Reads one body packet, asking for it unless it comes unsolicited. Returns
// false at the end of the body.
bool Session::next_body_chunk() {
    if (body_.done) return false;
    if (!body_.first_unsolicited) {
        std::vector<std::uint8_t> ask;
        PacketBuilder p(ask);
        p.u8(kGetBodyChunk);
        p.u16(static_cast<std::uint16_t>(cfg_.packet_size - 6));
        p.finish();
        conn_.send(ask);
    }
    body_.first_unsolicited = false;
    if (!conn_.read_packet(in_)) throw ProtocolError("connection closed while reading the request body");
    // An empty packet, or (like Tomcat) a data length of 0, ends the body.
    if (in_.empty()) {
        body_.done = true;
        return false;
    }
    PayloadReader r(in_.data(), in_.size());
    std::uint16_t len = r.u16("body chunk length");
    if (r.remaining() != len) {
        throw ProtocolError("body chunk length " + std::to_string(len) + " but " + std::to_string(r.remaining()) +
                            " data bytes in the packet");
    }
    if (len == 0) {
        body_.done = true;
        return false;
    }
    if (body_.length && body_.received + len > *body_.length) {
        throw ProtocolError("request body exceeds content-length " + std::to_string(*body_.length));
    }
    body_sha_.update(in_.data() + 2, len);
    body_.received += len;
    if (body_.length && body_.received == *body_.length) body_.done = true;
    return true;
}

void Session::read_body() {
    while (next_body_chunk()) {
    }
}

// ---- response output ------------------------------------------------------------

// Like Tomcat, no body for HEAD; ?head-body=1 sends one anyway, to test how the
// client copes with a backend that does.
bool Session::body_allowed() const { return req_.method != "HEAD" || query_.get("head-body") == std::string("1"); }

// Appends SEND_HEADERS with `extra` plus the X-Backend/X-Conn-* headers.
// Returns false (appending nothing) if the packet would exceed the packet size.
bool Session::add_headers(int status, const Headers& extra) {
    Headers all = extra;
    all.emplace_back("X-Backend", cfg_.name);
    all.emplace_back("X-Conn-Id", std::to_string(id_));
    all.emplace_back("X-Conn-Requests", std::to_string(requests_));
    std::size_t start = out_.size();
    PacketBuilder p(out_);
    p.u8(kSendHeaders);
    p.u16(static_cast<std::uint16_t>(status));
    p.str(reason_phrase(status));
    p.u16(static_cast<std::uint16_t>(all.size()));
    for (const auto& [name, value] : all) {
        if (name == "Content-Type") {
            p.u16(kCodedContentType);
        } else if (name == "Content-Length") {
            p.u16(kCodedContentLength);
        } else if (name == "Set-Cookie") {
            p.u16(kCodedSetCookie);
        } else {
            p.str(name);
        }
        p.str(value);
    }
    if (p.payload_size() > cfg_.packet_size - kHeaderSize) {
        out_.resize(start);
        return false;
    }
    p.finish();
    return true;
}

void Session::add_body(const std::string& data) {
    for (std::size_t off = 0; off < data.size(); off += max_chunk()) {
        std::size_t n = std::min(max_chunk(), data.size() - off);
        PacketBuilder p(out_);
        p.u8(kSendBodyChunk);
        p.u16(static_cast<std::uint16_t>(n));
        p.bytes(data.data() + off, n);
        p.u8(0);
        p.finish();
    }
}

// An empty SEND_BODY_CHUNK: Tomcat's flush when a servlet calls flush().
void Session::add_body_flush() {
    PacketBuilder p(out_);
    p.u8(kSendBodyChunk);
    p.u16(0);
    p.u8(0);
    p.finish();
}

// One SEND_BODY_CHUNK of pattern bytes, generated in place (no copy).
void Session::add_pattern_chunk(std::uint64_t off, std::size_t n) {
    std::size_t at = out_.size();
    out_.resize(at + n + 8);
    std::uint8_t* p = out_.data() + at;
    std::size_t payload = n + 4;
    p[0] = 'A';
    p[1] = 'B';
    p[2] = static_cast<std::uint8_t>(payload >> 8);
    p[3] = static_cast<std::uint8_t>(payload & 0xFF);
    p[4] = kSendBodyChunk;
    p[5] = static_cast<std::uint8_t>(n >> 8);
    p[6] = static_cast<std::uint8_t>(n & 0xFF);
    oxb::pattern_fill(off, reinterpret_cast<char*>(p + 7), n);
    p[7 + n] = 0;
}

void Session::add_end(bool reuse) {
    PacketBuilder p(out_);
    p.u8(kEndResponse);
    p.u8(reuse ? 1 : 0);
    p.finish();
}

void Session::flush() {
    if (!out_.empty()) conn_.send(out_);
    out_.clear();
}

void Session::send_cpong() {
    const std::uint8_t pong[] = {'A', 'B', 0, 1, kCPong};
    conn_.send(pong, sizeof pong);
}

// A complete response with a text body and Content-Length, in one write.
After Session::respond(int status, const std::string& body, const Headers& extra, bool reuse) {
    Headers hs = {{"Content-Type", "text/plain"}, {"Content-Length", std::to_string(body.size())}};
    hs.insert(hs.end(), extra.begin(), extra.end());
    if (!add_headers(status, hs)) {
        return respond(500, "response headers do not fit in packet size " + std::to_string(cfg_.packet_size) + "\n");
    }
    if (body_allowed()) add_body(body);
    add_end(reuse);
    flush();
    return After::keep;
}

// ---- endpoints ----------------------------------------------------------------

std::string str_or_null(const Str& s) { return s ? *s : "(null)"; }

After Session::echo() {
    read_body();
    std::string d;
    d += "method: " + req_.method + "\n";
    d += "uri: " + req_.uri + "\n";
    if (req_.query) d += "query: " + *req_.query + "\n";
    d += "protocol: " + str_or_null(req_.protocol) + "\n";
    d += "remote-addr: " + str_or_null(req_.remote_addr) + "\n";
    d += "remote-host: " + str_or_null(req_.remote_host) + "\n";
    d += "server-name: " + str_or_null(req_.server_name) + "\n";
    d += "server-port: " + std::to_string(req_.server_port) + "\n";
    d += std::string("is-ssl: ") + (req_.is_ssl ? "1" : "0") + "\n";
    for (const auto& [name, value] : req_.headers) d += "header: " + name + ": " + str_or_null(value) + "\n";
    for (const auto& [name, value] : req_.attributes) d += "attr: " + name + "=" + str_or_null(value) + "\n";
    d += "body-length: " + std::to_string(body_.received) + "\n";
    d += "body-sha256: " + body_sha_.hex() + "\n";
    return respond(200, d);
}

After Session::stream() { return stream_common(false); }
After Session::slow_stream() { return stream_common(true); }

After Session::stream_common(bool slow) {
    std::uint64_t bytes = query_.number("bytes", std::nullopt, 0, UINT64_MAX);
    std::size_t chunk = query_.number("chunk", max_chunk(), 1, max_chunk());
    bool with_length = query_.number("cl", 1, 0, 1) == 1;
    std::uint64_t interval = slow ? query_.number("interval", 100, 0, 3600 * 1000) : 0;
    read_body();
    Headers hs = {{"Content-Type", "application/octet-stream"}};
    if (with_length) hs.emplace_back("Content-Length", std::to_string(bytes));
    add_headers(200, hs);
    for (std::uint64_t off = 0; body_allowed() && off < bytes;) {
        if (slow && off > 0) std::this_thread::sleep_for(std::chrono::milliseconds(interval));
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, bytes - off));
        add_pattern_chunk(off, n);
        off += n;
        // Several packets per write() for throughput; one per write when slow.
        if (slow || out_.size() >= kFlushThreshold) flush();
    }
    add_end(true);
    flush();
    return After::keep;
}

After Session::status() {
    int code = static_cast<int>(query_.number("code", std::nullopt, 200, 599));
    read_body();
    if (code == 204 || code == 304) {
        add_headers(code, {});
        add_end(true);
        flush();
        return After::keep;
    }
    return respond(code, "status " + std::to_string(code) + "\n");
}

After Session::cookies() {
    std::uint64_t n = query_.number("n", 1, 0, 10000);
    read_body();
    Headers hs;
    for (std::uint64_t i = 1; i <= n; ++i) {
        hs.emplace_back("Set-Cookie", "c" + std::to_string(i) + "=v" + std::to_string(i) + "; Path=/");
    }
    return respond(200, "cookies=" + std::to_string(n) + "\n", hs);
}

After Session::headers() {
    std::uint64_t n = query_.number("n", 1, 0, 10000);
    std::size_t size = query_.number("size", 10, 0, 65534);
    read_body();
    Headers hs;
    for (std::uint64_t i = 1; i <= n; ++i) hs.emplace_back("X-H" + std::to_string(i), std::string(size, 'x'));
    // ?connection=NAME: a hop-by-hop header of our own, named by Connection.
    if (std::optional<std::string> hop = query_.get("connection")) {
        hs.emplace_back("Connection", *hop);
        hs.emplace_back(*hop, "hop-by-hop");
    }
    return respond(200, "headers=" + std::to_string(n) + " size=" + std::to_string(size) + "\n", hs);
}

After Session::delay() {
    std::uint64_t ms = query_.number("ms", std::nullopt, 0, 3600 * 1000);
    read_body();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return respond(200, "delayed\n");
}

After Session::hang() {
    read_body();
    return After::drain;
}

After Session::close_conn() {
    read_body();
    return After::close;
}

After Session::reset() {
    std::uint64_t after = query_.number("after", 0, 0, std::uint64_t{1} << 40);
    read_body();
    add_headers(200, {{"Content-Type", "application/octet-stream"},
                      {"Content-Length", std::to_string(2 * after + 1)}});
    for (std::uint64_t off = 0; off < after;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(max_chunk(), after - off));
        add_pattern_chunk(off, n);
        off += n;
        if (out_.size() >= kFlushThreshold) flush();
    }
    flush();
    conn_.reset_close();
    return After::close;
}

After Session::truncated() {
    read_body();
    conn_.send(truncated_bytes());
    return After::close;
}

After Session::oversized() {
    std::size_t len = query_.number("len", 65535, 0, 65535);
    read_body();
    try {
        conn_.send(oversized_bytes(len));
    } catch (const PeerGone&) {
        // The client stopped reading and closed: that is the expected outcome.
    }
    return After::drain;
}

After Session::garbage() {
    std::optional<std::string> kind = query_.get("kind");
    std::optional<std::vector<std::uint8_t>> bytes = garbage_bytes(kind.value_or(""));
    if (!bytes) throw BadRequest(std::string("unknown garbage kind; known: ") + garbage_kinds());
    read_body();
    conn_.send(*bytes);
    return After::drain;
}

After Session::noreuse() {
    read_body();
    respond(200, "ok\n", {}, false);
    return After::close;
}

// Answers before reading the body, as a servlet that ignores its input does.
// Like Tomcat's finishResponse(), the first body packet (which the proxy sends
// unasked when Content-Length > 0) is swallowed after the response body and
// before END_RESPONSE; nothing more is asked for. The proxy must then drop
// the rest of the client body itself: the connection stays in sync (no body
// packet is in flight) and is reusable, hence reuse=1.
After Session::early() {
    Headers hs = {{"Content-Type", "text/plain"}, {"Content-Length", "6"}};
    add_headers(200, hs);
    if (body_allowed()) add_body("early\n");
    flush();
    if (body_.first_unsolicited) next_body_chunk();
    add_end(true);
    flush();
    return After::keep;
}

// Declares Content-Length: 5 and sends "hello" followed by a whole HTTP
// response, as a servlet that writes more than it declared does through
// Tomcat: a proxy that passes it on lets the client read "INJECTED" as the
// answer to its next request.
After Session::longer() {
    read_body();
    add_headers(200, {{"Content-Type", "text/plain"}, {"Content-Length", "5"}});
    if (body_allowed()) {
        add_body("hello");
        add_body("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nINJECTED\n");
    }
    add_end(true);
    flush();
    return After::keep;
}

// Declares Content-Length: 100 and sends 6 bytes: a client that believes it
// reads its next response as the rest of this body.
After Session::shorter() {
    read_body();
    add_headers(200, {{"Content-Type", "text/plain"}, {"Content-Length", "100"}});
    if (body_allowed()) add_body("short\n");
    add_end(true);
    flush();
    return After::keep;
}

// A servlet that has written its whole response and goes on working before
// it returns: the client should not wait for that.
After Session::pause_before_end() {
    Pause p = pause_param();
    std::uint64_t bytes = query_.number("bytes", 0, 0, 16 * 1024 * 1024);
    read_body();
    const std::string body = "whole body\n";
    add_headers(200, {{"Content-Type", "text/plain"},
                      {"Content-Length", std::to_string(bytes > 0 ? bytes : body.size())}});
    if (body_allowed() && bytes == 0) add_body(body);
    for (std::uint64_t off = 0; body_allowed() && off < bytes;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(max_chunk(), bytes - off));
        add_pattern_chunk(off, n);
        off += n;
    }
    flush();
    pause(p);
    add_end(true);
    flush();
    return After::keep;
}

// A servlet that commits its head with flush() (Tomcat sends an empty body
// chunk), then works before it writes the body.
After Session::pause_after_flush() {
    Pause p = pause_param();
    read_body();
    add_headers(200, {{"Content-Type", "text/plain"}});
    add_body_flush();
    flush();
    pause(p);
    if (body_allowed()) add_body("after the pause\n");
    add_end(true);
    flush();
    return After::keep;
}

// Checked before any output, so that a bad parameter still gets its 400.
Pause Session::pause_param() const {
    Pause p;
    p.gate = query_.get("gate");
    if (!p.gate) p.ms = query_.number("ms", std::nullopt, 0, 3600 * 1000);
    return p;
}

void Session::pause(const Pause& p) {
    if (p.gate) {
        gates().wait(*p.gate, std::chrono::seconds(30));
    } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(p.ms));
    }
}

After Session::open_gate() {
    std::optional<std::string> gate = query_.get("gate");
    if (!gate) throw BadRequest("missing parameter gate");
    read_body();
    gates().open(*gate);
    return respond(200, "opened\n");
}

After Session::conn_info() {
    read_body();
    return respond(200, "conn=" + std::to_string(id_) + " requests=" + std::to_string(requests_) + "\n");
}

After Session::stats() {
    read_body();
    return respond(200, "connections=" + std::to_string(stats_.connections.load()) +
                            " requests=" + std::to_string(stats_.requests.load()) +
                            " cpings=" + std::to_string(stats_.cpings.load()) + "\n");
}

After Session::not_found() {
    read_body();
    return respond(404, "not found\n");
}

}  // namespace

void run_session(int fd, std::uint64_t conn_id, const ServerConfig& cfg, ServerStats& stats) noexcept {
    try {
        Session(fd, conn_id, cfg, stats).run();
    } catch (const std::exception& e) {
        // Only construction can get here (e.g. out of memory).
        log_line("conn %llu: cannot serve: %s", static_cast<unsigned long long>(conn_id), e.what());
    }
}

}  // namespace ajpt
