// libFuzzer target: the AJP13 client loop (libox/ajp: ajp_exchange over
// ajp_connection, ajp_response and ajp_message) reading whatever a backend
// might send, split into reads at any byte boundary.
//
// Input: byte 0 = flags, byte 1 = the sink call that finds the client gone
// (with flag bit 4; 0: never), bytes 2-3 = a split pattern, byte 4 = the
// request body size (1 + 97 * value bytes), the rest = the backend's byte
// stream. Flags: bit 0 the request is HEAD; bits 1-2 its body: 1 with
// Content-Length, 2 chunked, else none; bit 3 send ahead (sendahead=65536,
// else 0); bit 4 the client goes away at sink call byte 1; bit 5 the first
// body chunk goes with the request (as the module sends it); bit 6 as for
// an HTTP/2 client: flushwait=1 ms and a sink whose end costs a message of
// its own (end_apart_costs), so held bodies wait for more and a complete
// one for its END_RESPONSE.
//
// The exchange runs on a real socket: one end of an AF_UNIX SOCK_SEQPACKET
// pair, whose other end writes the stream as messages and then shuts down
// (the backend closes). A SEQPACKET read returns one message, so each
// message is exactly one read of the exchange: the split is the fuzzer's.
// The stream is fed whole, split where bit (i % 16) of the pattern is set
// (after stream byte i), and, up to 48 bytes, one byte per read. With the
// client gone, only the pattern's split runs (how many sink calls there are
// depends on the reads).
//
// The oracle decodes the stream with the AJP test server's codec
// (t/backend/ajp_codec.h's PayloadReader, written apart from libox; its
// strings, NUL terminators and bounds), Tomcat's coded response header
// names, and the exchange's documented rules (ajp_exchange.h/.cc,
// docs/directives.md): SEND_HEADERS once and first, status 200-599, header
// names tokens and values without controls, Content-Length digits only and
// at most one, SEND_BODY_CHUNK with at most a NUL after its data, no body
// bytes for HEAD, 204 and 304, never more than Content-Length, END_RESPONSE
// (one or two bytes) not before the whole Content-Length, GET_BODY_CHUNK of
// three bytes asking for more than 0, packets "AB" with a payload of
// 1..8188 bytes; a close before END_RESPONSE ends the response only when
// the whole declared body is there. For every feeding:
//   - libox ends as the oracle does (complete, malformed, closed) with the
//     same status, reason, header fields and body: never a success with
//     other bytes, never a malformed stream taken as a response;
//   - body bytes out <= bytes in, and equal to what the sink got;
//   - the sink contract (proxy/io.h): head() once and first, body() views
//     unchanged until the next release() or finish(), finish() only after a
//     complete response, abort() exactly when a started response fails,
//     nothing after finish(), abort() or a client_gone answer;
//   - a reusable connection had END_RESPONSE with reuse=1 and, fed whole,
//     nothing after it (and, without send-ahead, is reusable then);
//   - what reached the backend: the forward request, then body packets
//     whose data is the client's body in order, as many bytes as
//     body_bytes_in, never beyond Content-Length.
// Any violation aborts with the input on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ajp/ajp_connection.h"
#include "ajp/ajp_exchange.h"
#include "ajp/ajp_request.h"
#include "ajp_codec.h"
#include "fuzz_report.h"

namespace {

constexpr std::size_t kPacketSize = 8192;

enum End { complete, malformed, closed, client_gone };

struct Verdict {
    End end = closed;
    bool head = false;
    int status = 0;
    std::string reason;
    std::string headers;  // "name\0value\n" each
    std::string body;
    bool reuse_flag = false;    // END_RESPONSE said reuse=1
    bool by_close = false;      // complete because the backend closed after the whole body
    std::size_t end_at = 0;     // stream offset after END_RESPONSE

    bool same_response(const Verdict& o) const
    {
        return end == o.end && head == o.head && status == o.status && reason == o.reason && headers == o.headers &&
               body == o.body;
    }
};

// ---- the oracle ------------------------------------------------------------

const char* const kCoded[] = {"Content-Type",  "Content-Language", "Content-Length", "Date",
                              "Last-Modified", "Location",         "Set-Cookie",     "Set-Cookie2",
                              "Servlet-Engine", "Status",          "WWW-Authenticate"};

bool tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c));
}

bool field_text(const std::string& s)
{
    for (unsigned char c : s) {
        if ((c < 32 && c != '\t') || c == 127) return false;
    }
    return true;
}

bool is_content_length(const std::string& n)
{
    static const char want[] = "content-length";
    if (n.size() != 14) return false;
    for (std::size_t i = 0; i < 14; ++i) {
        char c = n[i] >= 'A' && n[i] <= 'Z' ? static_cast<char>(n[i] + 32) : n[i];
        if (c != want[i]) return false;
    }
    return true;
}

// A Content-Length value: 1*DIGIT (RFC 9110 8.6) that fits 63 bits; -1 if not.
long long content_length(const std::string& v)
{
    if (v.empty()) return -1;
    long long n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return -1;
        if (n > (0x7fffffffffffffffLL - (c - '0')) / 10) return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}

struct ProtocolBreak {};

// How the feedings ended, printed at exit so that a run shows it reached
// complete responses and not only refusals.
unsigned long g_ends[4];

void report_ends()
{
    std::fprintf(stderr, "fuzz_ajp_response: feedings ended complete %lu, malformed %lu, closed %lu, client gone %lu\n",
                 g_ends[complete], g_ends[malformed], g_ends[closed], g_ends[client_gone]);
}

Verdict oracle(std::string_view s, bool head_request)
{
    Verdict v;
    std::size_t pos = 0;
    bool no_body = false;
    long long declared = -1;
    for (;;) {
        std::size_t rem = s.size() - pos;
        auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[pos + i]); };
        if (rem == 0) {
            // The backend closed between packets: a response only when
            // the whole declared body is there.
            if (v.head && (no_body || (declared >= 0 && v.body.size() == static_cast<std::size_t>(declared)))) {
                v.end = complete;
                v.by_close = true;
            } else {
                v.end = closed;
            }
            return v;
        }
        if (byte(0) != 'A' || (rem >= 2 && byte(1) != 'B')) {
            v.end = malformed;
            return v;
        }
        if (rem < 4) {
            v.end = closed;  // inside a packet header
            return v;
        }
        std::size_t len = static_cast<std::size_t>(byte(2)) << 8 | byte(3);
        if (len == 0 || len + 4 > kPacketSize) {
            v.end = malformed;
            return v;
        }
        if (rem < len + 4) {
            v.end = closed;
            return v;
        }
        const auto* payload = reinterpret_cast<const std::uint8_t*>(s.data() + pos + 4);
        try {
            ajpt::PayloadReader r(payload, len);
            switch (r.u8("type")) {
            case ajpt::kSendHeaders: {
                if (v.head) throw ProtocolBreak{};
                int status = r.u16("status");
                if (status < 200 || status > 599) throw ProtocolBreak{};
                std::string reason = r.str("reason").value_or(""), fields;
                if (!field_text(reason)) throw ProtocolBreak{};
                std::uint16_t count = r.u16("count");
                for (std::uint16_t i = 0; i < count; ++i) {
                    std::uint16_t first = r.u16("name");
                    std::string name;
                    if ((first & 0xFF00) == 0xA000) {
                        if (first < 0xA001 || first > 0xA00B) throw ProtocolBreak{};
                        name = kCoded[first - 0xA001];
                    } else {
                        ajpt::Str n = r.str_with_len(first, "name");
                        if (!n || n->empty()) throw ProtocolBreak{};
                        for (unsigned char c : *n) {
                            if (!tchar(c)) throw ProtocolBreak{};
                        }
                        name = *n;
                    }
                    std::string value = r.str("value").value_or("");
                    if (!field_text(value)) throw ProtocolBreak{};
                    if (is_content_length(name)) {
                        long long n = content_length(value);
                        if (n < 0 || declared >= 0) throw ProtocolBreak{};  // one at most
                        declared = n;
                    }
                    fields += name;
                    fields += '\0';
                    fields += value;
                    fields += '\n';
                }
                r.expect_end("headers");
                v.head = true;
                v.reason = reason;
                v.headers = fields;
                v.status = status;
                no_body = head_request || status == 204 || status == 304;
                break;
            }
            case ajpt::kSendBodyChunk: {
                if (!v.head) throw ProtocolBreak{};
                std::uint16_t n = r.u16("length");
                std::string data;
                for (std::uint16_t i = 0; i < n; ++i) data += static_cast<char>(r.u8("data"));
                if (r.remaining() > 1 || (r.remaining() == 1 && r.u8("nul") != 0)) throw ProtocolBreak{};
                if (n == 0 || no_body) break;
                if (declared >= 0 && v.body.size() + n > static_cast<std::size_t>(declared)) throw ProtocolBreak{};
                v.body += data;
                break;
            }
            case ajpt::kEndResponse: {
                if (!v.head || len > 2) throw ProtocolBreak{};
                if (!no_body && declared >= 0 && v.body.size() < static_cast<std::size_t>(declared)) throw ProtocolBreak{};
                v.reuse_flag = len == 2 && payload[1] == 1;
                v.end = complete;
                v.end_at = pos + 4 + len;
                return v;
            }
            case ajpt::kGetBodyChunk:
                if (len != 3 || r.u16("requested") == 0) throw ProtocolBreak{};
                break;
            default: throw ProtocolBreak{};
            }
        } catch (const ajpt::ProtocolError&) {
            v.end = malformed;
            return v;
        } catch (const ProtocolBreak&) {
            v.end = malformed;
            return v;
        }
        pos += 4 + len;
    }
}

// ---- the client side ----------------------------------------------------------

std::uint8_t body_byte(std::size_t i) { return static_cast<std::uint8_t>(i * 7 + 3); }

class Body final : public ox::proxy::BodySource {
public:
    Body(std::size_t total, std::size_t from, bool chunked) : total_(total), at_(from), chunked_(chunked) {}
    long read(char* dst, std::size_t max) noexcept override
    {
        if (max == 0) fail("BodySource::read asked for 0 bytes");
        std::size_t n = std::min(max, total_ - at_);
        if (chunked_) n = std::min<std::size_t>(n, 700);
        for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<char>(body_byte(at_ + i));
        at_ += n;
        return static_cast<long>(n);
    }

private:
    std::size_t total_, at_;
    bool chunked_;
};

class Sink final : public ox::proxy::ResponseSink {
public:
    Sink(int gone_at, bool end_apart) : gone_at_(gone_at), end_apart_(end_apart) {}

    bool end_apart_costs() const noexcept override { return end_apart_; }

    ox::proxy::SinkResult head(const ox::proxy::ResponseHead& h) noexcept override
    {
        if (got_head) fail("head() twice");
        got_head = true;
        status = h.status;
        reason.assign(h.reason);
        for (std::size_t i = 0; i < h.header_count; ++i) {
            headers.append(h.headers[i].name).append(1, '\0').append(h.headers[i].value).append(1, '\n');
        }
        return step();
    }
    ox::proxy::SinkResult body(const char* data, std::size_t len, ox::net::BlockHold hold) noexcept override
    {
        if (!got_head) fail("body() before head()");
        if (len == 0) fail("an empty body()");
        held_.push_back({data, std::string(data, len)});
        holds_.push_back(std::move(hold));
        all_body.append(data, len);
        return step();
    }
    ox::proxy::SinkResult release(bool) noexcept override
    {
        if (!got_head) fail("release() before head()");
        released = true;
        check_held();
        return step();
    }
    ox::proxy::SinkResult finish() noexcept override
    {
        if (!got_head) fail("finish() before head()");
        check_held();
        ox::proxy::SinkResult r = step();
        finished = true;
        return r;
    }
    void abort() noexcept override
    {
        if (gone_) fail("abort() after the sink said client_gone");
        if (finished || aborted) fail("abort() after finish() or abort()");
        aborted = true;
        held_.clear();
        holds_.clear();
    }
    void discard() noexcept override
    {
        if (gone_) fail("discard() after the sink said client_gone");
        if (finished || aborted) fail("discard() after finish() or abort()");
        if (!got_head) fail("discard() before head()");
        if (released) fail("discard() after release(): the client may have part of the response");
        got_head = false;
        discarded = true;
        status = 0;
        reason.clear();
        headers.clear();
        all_body.clear();
        held_.clear();
        holds_.clear();
    }

    bool gone() const { return gone_; }

    bool got_head = false, finished = false, aborted = false, discarded = false, released = false;
    int status = 0;
    std::string reason, headers, all_body;

private:
    ox::proxy::SinkResult step()
    {
        if (gone_) fail("the sink was called after it said client_gone");
        if (finished || aborted) fail("the sink was called after finish() or abort()");
        if (++calls_ == gone_at_) {
            gone_ = true;
            return ox::proxy::SinkResult::client_gone;
        }
        return ox::proxy::SinkResult::ok;
    }
    // Body views stay valid (and unchanged) while the holds given with them
    // live: this sink keeps them until release() or finish().
    void check_held()
    {
        for (const auto& [p, copy] : held_) {
            if (std::memcmp(p, copy.data(), copy.size()) != 0) fail("body bytes changed before release()");
        }
        held_.clear();
        holds_.clear();
    }

    int gone_at_;
    bool end_apart_;
    int calls_ = 0;
    bool gone_ = false;
    std::vector<std::pair<const char*, std::string>> held_;
    std::vector<ox::net::BlockHold> holds_;
};

struct Setup {
    bool head_request = false;
    ox::proxy::BodyKind kind = ox::proxy::BodyKind::none;
    std::size_t body_size = 0;
    bool send_ahead = false;
    bool first_chunk = false;
    int gone_at = 0;
    bool http2 = false;  // flushwait and end_apart_costs as over HTTP/2
};

struct Run {
    Verdict v;
    bool discarded = false;  // the sink dropped the head (ResponseSink::discard)
    bool reusable = false;
    std::uint64_t body_in = 0;
};

// What the backend end received: the forward request, then body packets
// (0x12 0x34 framing) whose data must be the client's body in order.
void check_backend_side(int fd, const Setup& st, std::uint64_t body_in)
{
    std::string got;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t pos = 0, body = 0, packets = 0;
    while (pos < got.size()) {
        if (got.size() - pos < 4 || got[pos] != 0x12 || got[pos + 1] != 0x34) fail("the backend got a broken packet");
        std::size_t len = static_cast<std::size_t>(static_cast<std::uint8_t>(got[pos + 2])) << 8 |
                          static_cast<std::uint8_t>(got[pos + 3]);
        if (got.size() - pos - 4 < len || len + 4 > kPacketSize) fail("the backend got a packet cut short or too large");
        const auto* payload = reinterpret_cast<const std::uint8_t*>(got.data() + pos + 4);
        try {
            ajpt::PayloadReader r(payload, len);
            if (packets++ == 0) {
                if (r.u8("type") != ajpt::kForwardRequest) fail("the first packet is not FORWARD_REQUEST");
            } else if (len > 0) {
                std::uint16_t n = r.u16("length");
                for (std::uint16_t i = 0; i < n; ++i) {
                    if (r.u8("data") != body_byte(body + i)) fail("the backend got other body bytes than the client's");
                }
                r.expect_end("body packet");
                body += n;
            }
        } catch (const ajpt::ProtocolError&) {
            fail("the backend got a packet its codec refuses");
        }
        pos += 4 + len;
    }
    if (packets == 0) fail("no FORWARD_REQUEST reached the backend");
    if (body != body_in) fail("body_bytes_in is not what reached the backend");
    if (st.kind == ox::proxy::BodyKind::length && body > st.body_size) fail("more body bytes than Content-Length");
}

Run feed(std::string_view stream, const std::vector<std::size_t>& cuts, const Setup& st)
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
        std::perror("socketpair");
        std::abort();
    }
    int big = 1 << 20;
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    std::size_t from = 0;
    auto send_to = [&](std::size_t to) {
        if (to <= from) return;
        if (::send(fds[1], stream.data() + from, to - from, MSG_NOSIGNAL) != static_cast<ssize_t>(to - from)) {
            std::perror("send");
            std::abort();
        }
        from = to;
    };
    for (std::size_t c : cuts) send_to(c);
    send_to(stream.size());
    ::shutdown(fds[1], SHUT_WR);

    ox::proxy::Request req;
    req.method = st.head_request ? "HEAD" : st.kind == ox::proxy::BodyKind::none ? "GET" : "POST";
    req.protocol = "HTTP/1.1";
    req.path = "/ajax/x";
    req.remote_addr = "127.0.0.1";
    req.server_name = "localhost";
    req.server_port = 80;
    req.body = st.kind;
    req.content_length = st.kind == ox::proxy::BodyKind::length ? static_cast<std::int64_t>(st.body_size) : 0;
    std::uint8_t head[kPacketSize];
    std::size_t head_len = ox::ajp::encode_forward_request(req, {}, head, sizeof head);
    if (head_len == 0) fail("the forward request does not encode");

    std::string first;
    if (st.kind == ox::proxy::BodyKind::length && st.first_chunk) {
        first.resize(std::min(st.body_size, ox::ajp::max_body_chunk(kPacketSize)));
        for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<char>(body_byte(i));
    }
    ox::ajp::ExchangeParams p;
    p.head = std::string_view(reinterpret_cast<const char*>(head), head_len);
    p.timeout = ox::Millis(5000);
    p.first_chunk = first;
    p.send_ahead = st.send_ahead ? 65536 : 0;
    if (st.http2) p.flush_wait = ox::Millis(1);
    Body body(st.kind == ox::proxy::BodyKind::none ? 0 : st.body_size, first.size(),
              st.kind == ox::proxy::BodyKind::chunked);
    Sink sink(st.gone_at, st.http2);
    Run run;
    {
        ox::ajp::Connection conn(ox::net::Socket(fds[0]), kPacketSize);
        ox::proxy::Outcome out = ox::ajp::exchange(conn, req, p, body, sink);
        check_backend_side(fds[1], st, out.body_bytes_in);
        ::close(fds[1]);

        Verdict& v = run.v;
        switch (out.failure) {
        case ox::proxy::Failure::none: v.end = complete; break;
        case ox::proxy::Failure::malformed: v.end = malformed; break;
        case ox::proxy::Failure::backend_closed: v.end = closed; break;
        case ox::proxy::Failure::client_aborted: v.end = client_gone; break;
        default: fail("an outcome other than complete, malformed, closed or client gone");
        }
        if (out.head_sent != sink.got_head) fail("head_sent is not whether the sink got the head");
        if (out.head_sent && out.status != sink.status) fail("the outcome's status is not the head's");
        if (out.body_bytes_out != sink.all_body.size()) fail("body_bytes_out is not what the sink got");
        if (sink.all_body.size() > stream.size()) fail("more body bytes out than bytes in");
        if (v.end == complete && !sink.finished) fail("a complete response without finish()");
        if (v.end != complete && v.end != client_gone && sink.finished) fail("finish() for a failed response");
        bool should_abort = sink.got_head && (v.end == malformed || v.end == closed);
        if (sink.aborted != should_abort) fail("abort() not exactly when a started response failed");
        if ((v.end == client_gone) != sink.gone()) fail("client_aborted not exactly when the client went");
        run.discarded = sink.discarded;
        if (sink.discarded && (v.end != closed || req.method == "POST")) {
            fail("a head dropped other than for an idempotent request whose backend closed");
        }
        if (sink.discarded && (out.head_sent || !out.head_discarded)) fail("the outcome does not say the head was dropped");
        v.head = sink.got_head;
        v.status = sink.status;
        v.reason = sink.reason;
        v.headers = sink.headers;
        v.body = sink.all_body;
        run.reusable = out.reusable;
        run.body_in = out.body_bytes_in;
        // A client that goes at finish() leaves a backend exchange that
        // ended cleanly: that connection may be pooled again.
        bool ended_for_backend = v.end == complete || (v.end == client_gone && sink.finished);
        if (out.reusable && !ended_for_backend) fail("a failed exchange left its connection reusable");
    }  // closes fds[0]
    return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 5) return 0;
    static bool reporting = std::atexit(report_ends) == 0;
    (void)reporting;
    g_input = std::string_view(reinterpret_cast<const char*>(data), size);
    Setup st;
    std::uint8_t flags = data[0];
    st.head_request = flags & 1;
    int kind = (flags >> 1) & 3;
    st.kind = kind == 1 ? ox::proxy::BodyKind::length : kind == 2 ? ox::proxy::BodyKind::chunked : ox::proxy::BodyKind::none;
    if (st.head_request) st.kind = ox::proxy::BodyKind::none;
    st.send_ahead = flags & 8;
    st.gone_at = (flags & 16) ? data[1] : 0;
    st.first_chunk = flags & 32;
    st.http2 = flags & 64;
    unsigned pattern = static_cast<unsigned>(data[2]) << 8 | data[3];
    st.body_size = 1 + 97 * static_cast<std::size_t>(data[4]);
    std::string_view stream = g_input.substr(5);

    Verdict want = oracle(stream, st.head_request);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i + 1 < stream.size(); ++i) {
        if (pattern & (1u << (i % 16))) cuts.push_back(i + 1);
    }
    auto check = [&](const Run& r, bool whole) {
        const Verdict& v = r.v;
        ++g_ends[v.end];
        if (v.end == client_gone) {
            // The oracle knows no client: what got through is a beginning
            // of what it decoded.
            if (v.head && (!want.head || v.status != want.status || v.headers != want.headers)) {
                fail("a head passed on that the oracle did not decode");
            }
            if (want.body.compare(0, v.body.size(), v.body) != 0) fail("body bytes the oracle did not decode");
            if (r.reusable && (want.by_close || !want.reuse_flag)) fail("reusable without END_RESPONSE reuse=1");
            return;
        }
        // A head dropped before anything was released (the backend closed
        // after it): what the oracle decoded is a head cut off by the close.
        if (r.discarded) {
            if (want.end != closed || !want.head) fail("a head dropped where the oracle sees no head cut off by a close");
            return;
        }
        if (!v.same_response(want)) {
            for (const Verdict* x : {&v, static_cast<const Verdict*>(&want)}) {
                std::fprintf(stderr, "%s: end %d, head %d, status %d, reason '", x == &v ? "libox " : "oracle",
                             static_cast<int>(x->end), x->head, x->status);
                print_escaped(x->reason);
                std::fprintf(stderr, "', headers '");
                print_escaped(x->headers);
                std::fprintf(stderr, "', body '");
                print_escaped(x->body);
                std::fprintf(stderr, "'\n");
            }
            if (v.end != want.end) fail("the exchange ends otherwise than the oracle");
            fail("the exchange passed on another head or body than the oracle decoded");
        }
        if (r.reusable && (want.by_close || !want.reuse_flag)) fail("reusable without END_RESPONSE reuse=1");
        if (whole && r.reusable && want.end_at != stream.size()) fail("reusable with bytes after END_RESPONSE");
        bool ahead = st.send_ahead && st.kind == ox::proxy::BodyKind::length;
        if (whole && !ahead && want.end == complete && !want.by_close && want.reuse_flag && want.end_at == stream.size() &&
            !r.reusable) {
            fail("not reusable after a clean END_RESPONSE reuse=1");
        }
    };
    check(feed(stream, cuts, st), false);
    if (st.gone_at) return 0;
    check(feed(stream, {}, st), true);
    if (stream.size() <= 48) {
        std::vector<std::size_t> each;
        for (std::size_t i = 1; i < stream.size(); ++i) each.push_back(i);
        check(feed(stream, each, st), false);
    }
    return 0;
}
