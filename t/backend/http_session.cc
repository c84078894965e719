// The test endpoints of the HTTP backend, mirroring the AJP test server's
// (t/backend/session.cc) where they exist. Dispatch is on the path;
// parameters come from the query (numbers accept K/M/G/T; bad ones get 400
// and the connection stays usable).
//
//   /echo[/...]     dump of the request in OXB::Test::parse_dump's format:
//                   method, uri, query, protocol, request-line (as received),
//                   peer-addr, framing (length|chunked|none), expect,
//                   header:/trailer: lines, body-length, body-sha256
//   /stream?bytes=N[&chunk=K][&te=length|chunked|close]   N pattern bytes
//   /slow-stream?...[&interval=MS]   the same, one write per chunk, sleeping
//   /status?code=N  /cookies?n=K  /headers?n=K&size=S[&connection=NAME]
//   /delay?ms=N  /hang  /close  /reset?after=N  /early  /conn  /stats
//   /session        Set-Cookie: JSESSIONID=<random decimal>.<name>; Path=/
//   /health         200 "OK\n", or what /health-set?code=N set
//   /continue[?reject=N]   with Expect: 100-continue, 100 Continue first
//                   (or N without reading the body), then the /echo dump
//   /bad?kind=K[&then=close|drain]   a response a client must refuse
//                   (longer-late: then the next request is served)
//   /ws[?hello=1][&close-after=N][&fragment=K]   WebSocket echo
//   /pause-after-flush?gate=G|ms=N   head and a first chunk ("before the
//                   pause"), a pause, then the last one (chunked)
//   /open?gate=G    ends the pauses that wait for gate G (in this server
//                   process); a pause waits at most 30 s
//
// Every response carries X-Backend, X-Conn-Id and X-Conn-Requests. Unless a
// handler says otherwise the whole request body is read (and hashed) first.
// A request the strict reader refuses gets 400 (or 501/505), one line on
// stderr ("bad request: ..."), and the connection is closed.
#include "http_session.h"

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../tools/oxb_pattern.h"
#include "gates.h"
#include "http_bad.h"
#include "http_io.h"
#include "http_request.h"
#include "http_util.h"
#include "http_websocket.h"

namespace httpt {
namespace {

// What happens to the connection after an endpoint answered.
enum class After {
    keep,    // next request, unless the request or response said close
    close,   // close now
    linger,  // FIN, read until the peer closes (bounded), close
    drain,   // read until the peer closes, unbounded (a backend that hangs)
    done,    // the endpoint closed the socket itself
};

constexpr std::size_t kFlushThreshold = 1 << 20;
constexpr std::uint64_t kMaxMs = 3600 * 1000;

const char* reason_phrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 413: return "Content Too Large";
        case 417: return "Expectation Failed";
        case 418: return "I'm a teapot";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string peer_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    char buf[INET6_ADDRSTRLEN] = "?";
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        const void* a = ss.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr)
                                                 : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&ss)->sin_addr);
        ::inet_ntop(ss.ss_family, a, buf, sizeof buf);
    }
    return buf;
}

class Session {
public:
    Session(int fd, std::uint64_t id, const ServerConfig& cfg, ServerStats& stats)
        : sock_(fd), id_(id), cfg_(cfg), stats_(stats), sha_(EVP_sha256()), peer_(peer_of(fd)) {}

    void run();

private:
    using Handler = After (Session::*)();

    bool serve_one();
    void refuse(int status, const std::string& why);
    Handler route() const;
    After dispatch();
    void read_body();
    void log(const char* what, const std::string& detail) const;

    // Response output: head() appends to out_, flush() writes it.
    bool head_only() const { return req_.method == "HEAD"; }
    void head(int status, const Headers& extra);
    void flush();
    After respond(int status, const std::string& body, const Headers& extra = {});
    After finish() { return closing_ ? After::close : After::keep; }

    // Endpoints.
    After echo() { return echo_with(""); }
    After echo_with(const std::string& extra);
    After stream() { return stream_common(false); }
    After slow_stream() { return stream_common(true); }
    After stream_common(bool slow);
    After status();
    After cookies();
    After headers();
    After delay();
    After hang();
    After close_conn();
    After reset();
    After early();
    After conn_info();
    After stats();
    After session();
    After health();
    After health_set();
    After expect_continue();
    After bad();
    After websocket();
    After pause_after_flush();
    After open_gate();
    After not_found();

    Socket sock_;
    std::uint64_t id_;
    const ServerConfig& cfg_;
    ServerStats& stats_;
    Digest sha_;
    std::string peer_;
    std::uint64_t requests_ = 0;
    Request req_;
    Query query_;
    std::optional<BodyReader> body_;
    bool head_sent_ = false;
    bool closing_ = false;
    std::string out_;
};

void Session::log(const char* what, const std::string& detail) const {
    log_line("conn %llu: %s: %s", static_cast<unsigned long long>(id_), what, detail.c_str());
}

void Session::run() {
    try {
        while (serve_one()) {
        }
    } catch (const PeerGone& e) {
        if (cfg_.verbose) log("peer gone", e.what());
    } catch (const std::exception& e) {
        log("error", e.what());
    }
    if (cfg_.verbose) log("closed", "");
}

bool Session::serve_one() {
    std::optional<Request> r;
    try {
        r = read_request_head(sock_);
    } catch (const Refused& e) {
        refuse(e.status, e.what());
        return false;
    } catch (const BadMessage& e) {
        refuse(400, e.what());
        return false;
    }
    if (!r) return false;
    req_ = std::move(*r);
    ++requests_;
    ++stats_.requests;
    query_ = Query(req_.query.value_or(""));
    body_.emplace(sock_, req_);
    head_sent_ = false;
    closing_ = !req_.keep_alive;
    out_.clear();
    if (cfg_.verbose) log("request", std::to_string(requests_) + ": " + req_.line);
    After after;
    try {
        after = dispatch();
    } catch (const BadMessage& e) {  // a bad request body
        if (!head_sent_) {
            refuse(400, e.what());
        } else {
            ++stats_.bad_requests;
            log("bad request", e.what());
        }
        return false;
    }
    switch (after) {
        case After::keep:
            if (!closing_) return true;
            sock_.close();
            return false;
        case After::close: sock_.close(); return false;
        case After::linger: sock_.lingering_close(); return false;
        case After::drain: sock_.drain_until_eof(static_cast<int>(kMaxMs)); return false;
        case After::done: return false;
    }
    return false;
}

// The connection cannot go on: answer (unless the peer is gone), log, and
// close without a reset that could destroy the answer.
void Session::refuse(int status, const std::string& why) {
    ++stats_.bad_requests;
    log("bad request", why);
    closing_ = true;
    out_.clear();
    try {
        std::string body = why + "\n";
        head(status, {{"Content-Type", "text/plain"}, {"Content-Length", std::to_string(body.size())}});
        out_ += body;
        flush();
        sock_.lingering_close();
    } catch (const PeerGone&) {
    }
}

Session::Handler Session::route() const {
    static const std::map<std::string, Handler> routes = {
        {"/stream", &Session::stream},      {"/slow-stream", &Session::slow_stream},
        {"/status", &Session::status},      {"/cookies", &Session::cookies},
        {"/headers", &Session::headers},    {"/delay", &Session::delay},
        {"/hang", &Session::hang},          {"/close", &Session::close_conn},
        {"/reset", &Session::reset},        {"/early", &Session::early},
        {"/conn", &Session::conn_info},     {"/stats", &Session::stats},
        {"/session", &Session::session},    {"/health", &Session::health},
        {"/health-set", &Session::health_set}, {"/continue", &Session::expect_continue},
        {"/bad", &Session::bad},            {"/ws", &Session::websocket},
        {"/pause-after-flush", &Session::pause_after_flush}, {"/open", &Session::open_gate},
    };
    const std::string& p = req_.path;
    if (p == "/echo" || p.compare(0, 6, "/echo/") == 0) return &Session::echo;
    auto it = routes.find(p);
    return it == routes.end() ? &Session::not_found : it->second;
}

After Session::dispatch() {
    try {
        return (this->*route())();
    } catch (const BadParam& e) {
        // Parameters are checked before any output, so a 400 can still be sent.
        out_.clear();
        read_body();
        return respond(400, std::string(e.what()) + "\n");
    }
}

void Session::read_body() {
    char buf[65536];
    while (std::size_t n = body_->read(buf, sizeof buf)) sha_.update(buf, n);
}

// ---- response output ---------------------------------------------------------

void Session::head(int status, const Headers& extra) {
    out_ += "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    for (const auto& [name, value] : extra) out_ += name + ": " + value + "\r\n";
    out_ += "X-Backend: " + cfg_.name + "\r\n";
    out_ += "X-Conn-Id: " + std::to_string(id_) + "\r\n";
    out_ += "X-Conn-Requests: " + std::to_string(requests_) + "\r\n";
    if (closing_ && status != 101) out_ += "Connection: close\r\n";
    out_ += "\r\n";
    if (status >= 200) head_sent_ = true;
}

void Session::flush() {
    if (!out_.empty()) sock_.send(out_);
    out_.clear();
}

// A complete response with a text body and Content-Length, in one write.
After Session::respond(int status, const std::string& body, const Headers& extra) {
    Headers hs = {{"Content-Type", "text/plain"}, {"Content-Length", std::to_string(body.size())}};
    hs.insert(hs.end(), extra.begin(), extra.end());
    head(status, hs);
    if (!head_only()) out_ += body;
    flush();
    return finish();
}

// ---- endpoints -----------------------------------------------------------------

After Session::echo_with(const std::string& extra) {
    read_body();
    std::string d;
    d += "method: " + req_.method + "\n";
    d += "uri: " + req_.path + "\n";
    if (req_.query) d += "query: " + *req_.query + "\n";
    d += "protocol: " + req_.version + "\n";
    d += "request-line: " + req_.line + "\n";
    d += "peer-addr: " + peer_ + "\n";
    d += std::string("framing: ") + framing_name(req_.framing) + "\n";
    d += "expect: " + req_.header("Expect").value_or("(none)") + "\n";
    d += extra;
    for (const auto& [name, value] : req_.headers) d += "header: " + name + ": " + value + "\n";
    for (const auto& [name, value] : body_->trailers()) d += "trailer: " + name + ": " + value + "\n";
    d += "body-length: " + std::to_string(body_->received()) + "\n";
    d += "body-sha256: " + to_hex(sha_.finish()) + "\n";
    return respond(200, d);
}

After Session::stream_common(bool slow) {
    std::uint64_t bytes = query_.number("bytes", std::nullopt, 0, UINT64_MAX);
    std::size_t chunk = query_.number("chunk", 16384, 1, 16 << 20);
    std::string te = query_.get("te").value_or("length");
    std::uint64_t interval = slow ? query_.number("interval", 100, 0, kMaxMs) : 0;
    if (te != "length" && te != "chunked" && te != "close") throw BadParam("te must be length, chunked or close");
    if (te == "chunked" && req_.version != "HTTP/1.1") throw BadParam("te=chunked for an HTTP/1.0 request");
    read_body();
    Headers hs = {{"Content-Type", "application/octet-stream"}};
    if (te == "length") hs.emplace_back("Content-Length", std::to_string(bytes));
    if (te == "chunked") hs.emplace_back("Transfer-Encoding", "chunked");
    if (te == "close") closing_ = true;
    head(200, hs);
    if (head_only()) {
        flush();
        return finish();
    }
    char size_line[24];
    for (std::uint64_t off = 0; off < bytes;) {
        if (slow && off > 0) std::this_thread::sleep_for(std::chrono::milliseconds(interval));
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, bytes - off));
        if (te == "chunked") {
            std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
            out_ += size_line;
        }
        std::size_t at = out_.size();
        out_.resize(at + n);
        oxb::pattern_fill(off, out_.data() + at, n);
        if (te == "chunked") out_ += "\r\n";
        off += n;
        if (slow || out_.size() >= kFlushThreshold) flush();
    }
    if (te == "chunked") out_ += "0\r\n\r\n";
    flush();
    return finish();
}

After Session::status() {
    int code = static_cast<int>(query_.number("code", std::nullopt, 200, 599));
    read_body();
    if (code == 204 || code == 304) {
        head(code, {});
        flush();
        return finish();
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
    std::size_t size = query_.number("size", 10, 0, 1 << 20);
    read_body();
    Headers hs;
    for (std::uint64_t i = 1; i <= n; ++i) hs.emplace_back("X-H" + std::to_string(i), std::string(size, 'x'));
    // ?connection=NAME: a hop-by-hop header of our own, named by Connection.
    if (std::optional<std::string> hop = query_.get("connection")) {
        if (!is_token(*hop)) throw BadParam("connection must be a header name");
        hs.emplace_back("Connection", *hop);
        hs.emplace_back(*hop, "hop-by-hop");
    }
    return respond(200, "headers=" + std::to_string(n) + " size=" + std::to_string(size) + "\n", hs);
}

After Session::delay() {
    std::uint64_t ms = query_.number("ms", std::nullopt, 0, kMaxMs);
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

// Head with Content-Length 2N+1, N body bytes, then RST.
After Session::reset() {
    std::uint64_t after = query_.number("after", 0, 0, std::uint64_t{1} << 40);
    read_body();
    head(200, {{"Content-Type", "application/octet-stream"}, {"Content-Length", std::to_string(2 * after + 1)}});
    for (std::uint64_t off = 0; off < after;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(65536, after - off));
        std::size_t at = out_.size();
        out_.resize(at + n);
        oxb::pattern_fill(off, out_.data() + at, n);
        off += n;
        if (out_.size() >= kFlushThreshold) flush();
    }
    flush();
    sock_.reset_close();
    return After::done;
}

// Answers before reading the body, as a server that refuses an upload does:
// with an unread body the connection cannot be reused, so it says close and
// reads the rest only to let the answer arrive (lingering close).
After Session::early() {
    if (!body_->done()) closing_ = true;
    respond(200, "early\n");
    return closing_ ? After::linger : After::keep;
}

// A response whose head and first chunk are on the wire while the backend
// goes on working (until gate G opens, or for N ms).
After Session::pause_after_flush() {
    std::optional<std::string> gate = query_.get("gate");
    std::uint64_t ms = gate ? 0 : query_.number("ms", std::nullopt, 0, kMaxMs);
    if (req_.version != "HTTP/1.1") throw BadParam("a chunked response needs an HTTP/1.1 request");
    read_body();
    head(200, {{"Content-Type", "text/plain"}, {"Transfer-Encoding", "chunked"}});
    if (head_only()) {
        flush();
        return finish();
    }
    out_ += "11\r\nbefore the pause\n\r\n";
    flush();
    if (gate) {
        testgates::gates().wait(*gate, std::chrono::seconds(30));
    } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    out_ += "10\r\nafter the pause\n\r\n0\r\n\r\n";
    flush();
    return finish();
}

After Session::open_gate() {
    std::optional<std::string> gate = query_.get("gate");
    if (!gate) throw BadParam("missing parameter gate");
    read_body();
    testgates::gates().open(*gate);
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
                            " bad-requests=" + std::to_string(stats_.bad_requests.load()) +
                            " websockets=" + std::to_string(stats_.websockets.load()) +
                            " ws-messages=" + std::to_string(stats_.ws_messages.load()) + "\n");
}

After Session::session() {
    read_body();
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string id = std::to_string(rng()) + "." + cfg_.name;
    return respond(200, "session=" + id + "\n", {{"Set-Cookie", "JSESSIONID=" + id + "; Path=/"}});
}

After Session::health() {
    read_body();
    int code = stats_.health_status.load();
    if (code == 200) return respond(200, "OK\n");
    return respond(code, "health " + std::to_string(code) + "\n");
}

After Session::health_set() {
    int code = static_cast<int>(query_.number("code", std::nullopt, 200, 599));
    read_body();
    stats_.health_status = code;
    return respond(200, "health=" + std::to_string(code) + "\n");
}

// The proxy is expected to handle the client's Expect itself and not pass it
// on; /echo's dump shows whether it did. This endpoint answers an Expect
// that arrives as a server must.
After Session::expect_continue() {
    std::uint64_t reject = query_.number("reject", 0, 0, 599);
    if (reject != 0 && reject < 400) throw BadParam("reject must be a status of 400..599");
    std::optional<std::string> expect = req_.header("Expect");
    bool asked = expect && lower(*expect) == "100-continue";
    if (asked && reject != 0) {
        // The body was never asked for: the connection cannot be reused.
        closing_ = true;
        respond(static_cast<int>(reject), "rejected\n");
        return After::linger;
    }
    // A bare interim response: what a client may get from any server.
    if (asked) sock_.send("HTTP/1.1 100 Continue\r\n\r\n");
    return echo_with(std::string("continue: ") + (asked ? "sent" : "not-asked") + "\n");
}

After Session::bad() {
    std::string kind = query_.get("kind").value_or("");
    std::optional<BadResponse> r = bad_response(kind);
    if (!r) throw BadParam("unknown kind '" + kind + "'; known: " + bad_kinds());
    bool close = r->close;
    if (std::optional<std::string> then = query_.get("then")) {
        if (*then != "close" && *then != "drain") throw BadParam("then must be close or drain");
        close = *then == "close";
    }
    read_body();
    sock_.send(r->bytes);
    if (r->late_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(r->late_ms));
        sock_.send(r->late);
        // Unless the kind closes, whatever request comes next on this
        // connection is served, behind the bytes nobody asked for.
        if (!query_.get("then")) return close ? After::close : After::keep;
    }
    return close ? After::close : After::drain;
}

After Session::websocket() {
    WsOptions o;
    if (query_.number("hello", 0, 0, 1) == 1) o.hello = "hello from " + cfg_.name;
    o.close_after = query_.number("close-after", 0, 0, UINT64_MAX);
    o.fragment = query_.number("fragment", 0, 0, 64 << 20);
    std::string accept;
    try {
        accept = websocket_accept(req_);
    } catch (const BadMessage& e) {
        read_body();
        log("websocket handshake refused", e.what());
        return respond(400, std::string(e.what()) + "\n", {{"Sec-WebSocket-Version", "13"}});
    }
    Headers hs = {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", accept}};
    // The first offered subprotocol is chosen, so a test can see it pass both ways.
    if (std::optional<std::string> proto = req_.header("Sec-WebSocket-Protocol")) {
        hs.emplace_back("Sec-WebSocket-Protocol", proto->substr(0, proto->find(',')));
    }
    head(101, hs);
    flush();
    ++stats_.websockets;
    try {
        run_websocket(sock_, id_, o, stats_.ws_messages);
    } catch (const BadMessage& e) {
        log("websocket", e.what());
    }
    return After::close;
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
        log_line("conn %llu: cannot serve: %s", static_cast<unsigned long long>(conn_id), e.what());
    }
}

}  // namespace httpt
