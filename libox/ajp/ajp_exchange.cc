#include "ajp/ajp_exchange.h"

#include <sys/uio.h>

#include <strings.h>

#include <algorithm>
#include <cstdint>

#include "ajp/ajp_message.h"
#include "ajp/ajp_protocol.h"
#include "core/text.h"
#include "net/flush_window.h"
#include "proxy/failed_response.h"

namespace ox::ajp {

namespace {

using proxy::Failure;
using proxy::Outcome;
using proxy::SinkResult;

Failure io_failure(net::IoStatus st) noexcept
{
    return st == net::IoStatus::timeout ? Failure::read_timeout : Failure::backend_closed;
}

// Body bytes handed to the sink are passed on (without a flush) once this
// many have gathered while the backend keeps sending: the client's writes
// come in steps of about this size (and mod_http2 hands its connection
// thread one step at a time) instead of one per backend read.
constexpr std::size_t kPassBytes = 64 * 1024;

// The response's declared body length: -1 without Content-Length, -2 when
// it cannot be trusted (not 1*DIGIT as RFC 9110 8.6 has it, too large, or
// more than one, equal or not: as for http:// members, a backend that sends
// two is refused). "-0" is no length either (fuzz_ajp_response).
std::int64_t content_length_of(const proxy::ResponseHead& head) noexcept
{
    std::int64_t found = -1;
    for (std::size_t i = 0; i < head.header_count; ++i) {
        std::string_view n = head.headers[i].name;
        if (n.size() != 14 || strncasecmp(n.data(), "Content-Length", 14) != 0) continue;
        unsigned long long v = 0;
        if (!parse_decimal(head.headers[i].value, v) || v > static_cast<unsigned long long>(INT64_MAX)) return -2;
        auto len = static_cast<std::int64_t>(v);
        if (found >= 0) return -2;
        found = len;
    }
    return found;
}

const char* frame_problem(FrameStatus st) noexcept
{
    switch (st) {
    case FrameStatus::bad_magic: return "packet does not start with 'AB'";
    case FrameStatus::empty: return "packet with an empty payload";
    case FrameStatus::too_large: return "packet larger than the packet size";
    default: return "bad packet";
    }
}

// The state of one exchange; its methods are the steps of the client loop.
class Exchange {
public:
    Exchange(Connection& c, const proxy::Request& req, const ExchangeParams& p, proxy::BodySource& body,
             proxy::ResponseSink& sink) noexcept
        : c_(c), req_(req), p_(p), body_(body), sink_(sink), window_(p.flush_wait)
    {
        if (req.body == proxy::BodyKind::length) {
            remaining_ = static_cast<std::uint64_t>(req.content_length) - p.first_chunk.size();
        }
        body_done_ = req.body == proxy::BodyKind::none || (req.body == proxy::BodyKind::length && remaining_ == 0);
    }

    Outcome run() noexcept
    {
        if (!send_request()) return out_;
        for (;;) {
            std::size_t len = 0;
            FrameStatus fs = c_.frame(len);
            if (fs == FrameStatus::need_more) {
                if (!wait_for_more()) return out_;
                continue;
            }
            if (fs != FrameStatus::complete) {
                fail(Failure::malformed, frame_problem(fs));
                return out_;
            }
            const std::uint8_t* payload = c_.frame_data() + kPacketHeaderLen;
            std::size_t plen = len - kPacketHeaderLen;
            bool done = false;
            if (!dispatch(payload, plen, done)) return out_;
            c_.consume(len);
            if (done) return out_;
        }
    }

private:
    bool send_request() noexcept
    {
        iovec iov[3];
        int n = 0;
        iov[n++] = {const_cast<char*>(p_.head.data()), p_.head.size()};
        std::uint8_t* body_hdr = c_.out_buffer();
        if (req_.body == proxy::BodyKind::length && !p_.first_chunk.empty()) {
            put_body_packet_header(body_hdr, static_cast<std::uint16_t>(p_.first_chunk.size()));
            iov[n++] = {body_hdr, kBodyPacketOverhead};
            iov[n++] = {const_cast<char*>(p_.first_chunk.data()), p_.first_chunk.size()};
            out_.body_bytes_in = p_.first_chunk.size();
        }
        std::size_t written = 0;
        int err = 0;
        net::IoStatus st = c_.socket().write_all(iov, n, p_.timeout, written, err);
        out_.request_sent = written > 0;
        if (st != net::IoStatus::ok) {
            out_.sys_errno = err;
            return fail(st == net::IoStatus::timeout ? Failure::read_timeout : Failure::send_failed,
                        "writing the request");
        }
        return true;
    }

    // What the backend has sent already is collected without waiting, so a
    // response that is all there (its end included) goes out in one write,
    // and a long one in steps of kPassBytes. Before blocking on the socket,
    // the client gets everything it has not got yet with a flush: a backend
    // that pauses, say a servlet that wrote its response and goes on
    // working, must not hold back what it sent. Body views stay valid
    // through the reads by the holds the sink keeps.
    // A head alone waits for its body or END_RESPONSE: Tomcat writes them
    // right behind it, and a servlet that flushes a head alone sends an
    // empty body chunk, which releases it (on_body). Until then the
    // response can still be forgotten: a node that dies in between leaves
    // an idempotent request free to go to another member (fail()).
    // Body bytes short of a pass wait for the next ones, up to flush_wait
    // in all however the backend spaces them (net::FlushWindow):
    // a servlet writing a large body leaves the socket empty for a moment
    // between its packets, and a pass each time is a write per 8-30 KiB
    // instead of per 64 KiB (over HTTP/2 a hand-off between mod_http2's
    // threads). The wait asks the kernel for the bytes the pass still
    // lacks (worth_waking_for), so the worker wakes once for them, not
    // once per packet. A real pause still flushes, that much later.
    // A body complete by its Content-Length waits the same way for the
    // END_RESPONSE behind it (ending()).
    bool wait_for_more() noexcept
    {
        int err = 0;
        // A head alone has nothing to release: no look before the wait.
        if (unreleased_ && (held_bytes_ > 0 || released_)) {
            if (held_bytes_ >= kPassBytes && !pass()) return false;
            net::IoStatus st = c_.fill_now(err);
            if (st != net::IoStatus::timeout) return filled(st, err);
            if ((gathering() || ending()) && window_.more_within(c_.socket(), worth_waking_for())) {
                st = c_.fill_now(err);
                if (st != net::IoStatus::timeout) return filled(st, err);
            }
            if (!release(true)) return false;
        }
        // (Not filled(c_.fill(..., err), err): the arguments' order is
        // unspecified; the errno was read before the call set it.)
        net::IoStatus st = c_.fill(p_.timeout, err);
        return filled(st, err);
    }

    // Worth waiting for more: body bytes are held, and the body so far is
    // more than one packet (a small response goes out at once).
    bool gathering() const noexcept
    {
        return held_bytes_ > 0 && p_.flush_wait.count() > 0 && out_.body_bytes_out > c_.packet_size();
    }

    // Worth waiting for the end: the whole declared body is held, only
    // END_RESPONSE is missing, and the client's side pays for an end sent
    // apart (HTTP/2). Tomcat closes a response whose Content-Length is
    // reached and writes END_RESPONSE a moment after the body's last packet,
    // often in a segment of its own. Released before it, a small response
    // goes to an HTTP/2 client in two passes, head and body with a flush,
    // then its end: two hand-offs between mod_http2's threads and two
    // wake-ups of the connection (docs/performance.md, "A small response's
    // end"). Over HTTP/1.1 the body's last byte completes the response: it
    // goes out at once.
    bool ending() const noexcept
    {
        return held_bytes_ > 0 && p_.flush_wait.count() > 0 && body_complete() && sink_.end_apart_costs();
    }

    // How many bytes the backend's next ones are worth waking up for
    // (net::bytes_worth_waking_for; the buffered bytes are a packet's part).
    std::size_t worth_waking_for() const noexcept
    {
        std::uint64_t due =
            declared_length_ < 0 ? 0 : static_cast<std::uint64_t>(declared_length_) - out_.body_bytes_out;
        return net::bytes_worth_waking_for(due, c_.buffered(), held_bytes_, kPassBytes);
    }

    bool filled(net::IoStatus st, int err) noexcept
    {
        if (st == net::IoStatus::ok) return true;
        // The backend closed after the whole declared body but before
        // END_RESPONSE (killed in between): the client has exactly what the
        // head promised, so it gets a complete response and keeps its
        // connection; only this backend connection is done.
        if (st == net::IoStatus::closed && body_complete() && c_.buffered() == 0) {
            out_.reusable = false;
            held_bytes_ = 0;
            unreleased_ = false;
            if (sink_.finish() == SinkResult::client_gone) fail(Failure::client_aborted, "");
            return false;
        }
        out_.sys_errno = err;
        return fail(io_failure(st), st == net::IoStatus::timeout ? "waiting for the backend" : "reading the response");
    }

    bool release(bool flush) noexcept
    {
        held_bytes_ = 0;
        window_.close();
        unreleased_ = false;
        released_ = true;
        if (sink_.release(flush) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
        return true;
    }

    // Hands the gathered body on without a flush: the client has not
    // necessarily got it, so a flush still comes before any wait.
    bool pass() noexcept
    {
        held_bytes_ = 0;
        window_.close();
        released_ = true;
        if (sink_.release(false) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
        return true;
    }

    bool dispatch(const std::uint8_t* payload, std::size_t len, bool& done) noexcept
    {
        switch (payload[0]) {
        case kSendHeaders: return on_headers(payload, len);
        case kSendBodyChunk: return on_body(payload, len);
        case kGetBodyChunk: return on_get_body(payload, len);
        case kEndResponse: return on_end(payload, len, done);
        default: return fail(Failure::malformed, "unknown packet type from the backend");
        }
    }

    bool on_headers(const std::uint8_t* payload, std::size_t len) noexcept
    {
        if (out_.head_sent) return fail(Failure::malformed, "second SEND_HEADERS in one response");
        proxy::ResponseHead head;
        if (const char* bad = parse_send_headers(payload, len, head, c_.header_storage())) {
            return fail(Failure::malformed, bad);
        }
        declared_length_ = content_length_of(head);
        // A client must not get a length the body may not match (RFC 9112
        // 6.3: a proxy answers 502).
        if (declared_length_ == -2) return fail(Failure::malformed, "invalid Content-Length in the response");
        // RFC 9110 6.4.1: these never have a body, whatever Content-Length says.
        no_body_ = req_.method == "HEAD" || head.status == 204 || head.status == 304;
        out_.head_sent = true;
        out_.status = head.status;
        unreleased_ = true;
        if (sink_.head(head) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
        return true;
    }

    bool on_body(const std::uint8_t* payload, std::size_t len) noexcept
    {
        if (!out_.head_sent) return fail(Failure::malformed, "SEND_BODY_CHUNK before SEND_HEADERS");
        const char* data = nullptr;
        std::size_t n = 0;
        if (const char* bad = parse_body_chunk(payload, len, data, n)) return fail(Failure::malformed, bad);
        // An empty chunk is Tomcat's flush: the servlet wants the client to
        // have what it wrote so far.
        if (n == 0) return !unreleased_ || release(true);
        if (no_body_) return true;
        // Bytes beyond the declared length would reach the client as the
        // start of its next response (Tomcat does not stop a servlet that
        // writes more over AJP).
        if (declared_length_ >= 0 && out_.body_bytes_out + n > static_cast<std::uint64_t>(declared_length_)) {
            return fail(Failure::malformed, "response body longer than its Content-Length");
        }
        out_.body_bytes_out += n;
        held_bytes_ += n;
        unreleased_ = true;
        if (sink_.body(data, n, c_.hold()) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
        return true;
    }

    bool on_get_body(const std::uint8_t* payload, std::size_t len) noexcept
    {
        std::uint16_t requested = 0;
        if (const char* bad = parse_get_body_chunk(payload, len, requested)) return fail(Failure::malformed, bad);
        if (requested == 0) return fail(Failure::malformed, "GET_BODY_CHUNK asks for 0 bytes");
        if (ahead_ > 0) {
            // A packet sent ahead is already on its way to the backend.
            --ahead_;
        } else if (held_) {
            // Asked for the packet that did not fit: the backend reads now.
            held_ = false;
            if (!write_packet(c_.out_buffer() + held_sent_, held_len_ - held_sent_)) return false;
        } else if (!send_body_packet(requested)) {
            return false;
        }
        return send_ahead();
    }

    // The backend reads a Content-Length body one packet per GET_BODY_CHUNK,
    // a round trip each. Having asked once (so the connection is alive and
    // the request is being read), it gets up to `send_ahead` bytes more
    // without asking; it reads them in order as it asks for them. It knows
    // the length, so it never asks beyond the body; packets it leaves unread
    // make the connection unfit for reuse (on_end).
    // Packets sent ahead never wait for room in the socket: a backend busy
    // writing a response it cannot get rid of (we would be blocked writing)
    // must not deadlock with us. What does not fit is held until asked for.
    bool send_ahead() noexcept
    {
        if (req_.body != proxy::BodyKind::length) return true;
        std::size_t window = p_.send_ahead / c_.packet_size();
        while (!body_done_ && !held_ && ahead_ < window) {
            std::size_t total = 0;
            if (!read_body_packet(max_body_chunk(c_.packet_size()), total)) return false;
            std::size_t written = 0;
            int err = 0;
            net::IoStatus st = c_.socket().write_now(c_.out_buffer(), total, written, err);
            if (st != net::IoStatus::ok) {
                // Nobody asked for this packet: the backend may have
                // answered already and closed (a servlet that reads part of
                // the body). Stop sending and read what it said; if nothing
                // comes, the read fails.
                send_broken_ = true;
                body_done_ = true;
                return true;
            }
            if (written < total) {
                held_ = true;
                held_len_ = total;
                held_sent_ = written;
                return true;
            }
            ++ahead_;
        }
        return true;
    }

    // One body packet as asked for: read from the client, then written.
    bool send_body_packet(std::size_t requested) noexcept
    {
        std::size_t total = 0;
        return read_body_packet(requested, total) && write_packet(c_.out_buffer(), total);
    }

    bool write_packet(const std::uint8_t* pkt, std::size_t total) noexcept
    {
        std::size_t written = 0;
        int err = 0;
        net::IoStatus st = c_.socket().write_all(pkt, total, p_.timeout, written, err);
        if (st != net::IoStatus::ok) {
            out_.sys_errno = err;
            return fail(st == net::IoStatus::timeout ? Failure::read_timeout : Failure::send_failed,
                        "writing a request body packet");
        }
        return true;
    }

    // Reads up to `requested` bytes of the client's body into the packet
    // buffer as one body packet (`total` bytes); an empty packet once the
    // body has ended.
    bool read_body_packet(std::size_t requested, std::size_t& total) noexcept
    {
        std::uint8_t* pkt = c_.out_buffer();
        std::size_t n = 0;
        if (!body_done_) {
            // The client may be slow to send: let the response written so
            // far reach it before waiting on its body.
            if (unreleased_ && !release(true)) return false;
            std::size_t want = std::min<std::size_t>(requested, max_body_chunk(c_.packet_size()));
            if (req_.body == proxy::BodyKind::length) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, remaining_));
            long got = body_.read(reinterpret_cast<char*>(pkt + kBodyPacketOverhead), want);
            if (got < 0 || (got == 0 && req_.body == proxy::BodyKind::length && remaining_ > 0)) {
                return fail(Failure::client_body_error, "reading the client's request body");
            }
            n = static_cast<std::size_t>(got);
            if (n > 0) {
                out_.body_started = true;
                out_.body_bytes_in += n;
                remaining_ -= std::min<std::uint64_t>(remaining_, n);
            }
            if (n == 0 || (req_.body == proxy::BodyKind::length && remaining_ == 0)) body_done_ = true;
        }
        // An empty body packet tells the backend the body has ended.
        put_body_packet_header(pkt, static_cast<std::uint16_t>(n));
        total = n == 0 ? kPacketHeaderLen : kBodyPacketOverhead + n;
        return true;
    }

    bool on_end(const std::uint8_t* payload, std::size_t len, bool& done) noexcept
    {
        if (!out_.head_sent) return fail(Failure::malformed, "END_RESPONSE before SEND_HEADERS");
        bool reuse = false;
        if (const char* bad = parse_end_response(payload, len, reuse)) return fail(Failure::malformed, bad);
        // A short body would make the client read its next response as the
        // rest of this one.
        if (!no_body_ && declared_length_ >= 0 && out_.body_bytes_out < static_cast<std::uint64_t>(declared_length_)) {
            return fail(Failure::malformed, "response ended before its Content-Length");
        }
        done = true;
        ++c_.requests;
        held_bytes_ = 0;
        unreleased_ = false;
        // Bytes after END_RESPONSE belong to no request: such a connection
        // is out of step and must not be reused.
        // So is one that still holds body packets sent ahead and never read.
        out_.reusable = reuse && c_.buffered() == len + kPacketHeaderLen && ahead_ == 0 && !held_ && !send_broken_;
        if (sink_.finish() == SinkResult::client_gone) {
            out_.failure = Failure::client_aborted;
            out_.detail = "";
        }
        return true;
    }

    // Records the failure; what the client gets of a response under way:
    // proxy::settle_failed_response.
    bool fail(Failure f, const char* detail) noexcept
    {
        out_.failure = f;
        out_.detail = detail;
        out_.reusable = false;
        proxy::settle_failed_response(out_, sink_, req_.method, released_);
        return false;
    }

    Connection& c_;
    const proxy::Request& req_;
    const ExchangeParams& p_;
    proxy::BodySource& body_;
    proxy::ResponseSink& sink_;
    Outcome out_;
    std::uint64_t remaining_ = 0;  // Content-Length body bytes not yet sent
    bool body_done_ = false;
    std::size_t ahead_ = 0;  // body packets sent that the backend has not asked for yet
    // A packet sent ahead that did not fit into the socket, kept in the out
    // buffer (nothing else is read into it meanwhile): the rest is sent when
    // the backend asks for it.
    bool held_ = false;
    std::size_t held_len_ = 0, held_sent_ = 0;
    std::size_t held_bytes_ = 0;  // body bytes given to the sink since it last passed them on
    net::FlushWindow window_;     // how much longer held bytes may wait for more
    bool unreleased_ = false;     // the sink holds a head or body the client has not got
    bool released_ = false;       // the sink was told to pass something on
    std::int64_t declared_length_ = -1;  // the response's Content-Length, -1 when none
    // The whole body the head announced has arrived (or it announced none).
    bool body_complete() const noexcept
    {
        return out_.head_sent &&
               (no_body_ || (declared_length_ >= 0 && out_.body_bytes_out == static_cast<std::uint64_t>(declared_length_)));
    }

    bool no_body_ = false;               // HEAD, 204, 304: body bytes are dropped
    bool send_broken_ = false;           // a packet sent ahead could not be written
};

// Anything behind the CPONG would be read as the next request's response:
// such a connection is out of step. One the backend closes right after it
// would fail the request it is meant for.
bool nothing_after_cpong(Connection& conn, const char*& detail) noexcept
{
    int err = 0;
    net::IoStatus st = conn.buffered() > 0 ? net::IoStatus::ok : conn.fill_now(err);
    if (st == net::IoStatus::timeout) return true;
    detail = st == net::IoStatus::ok ? "bytes after CPONG" : "connection closed right after CPONG";
    return false;
}

}  // namespace

long read_first_chunk(const proxy::Request& req, proxy::BodySource& body, char* dst, std::size_t max) noexcept
{
    if (req.body != proxy::BodyKind::length || req.content_length <= 0) return 0;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max, static_cast<std::uint64_t>(req.content_length)));
    std::size_t have = 0;
    // Fill the packet: the first chunk is all Tomcat reads before it starts
    // the servlet, so a short one only costs another round trip.
    while (have < want) {
        long n = body.read(dst + have, want - have);
        if (n <= 0) return -1;  // a Content-Length body cannot end early
        have += static_cast<std::size_t>(n);
    }
    return static_cast<long>(have);
}

proxy::Outcome exchange(Connection& conn, const proxy::Request& req, const ExchangeParams& params,
                        proxy::BodySource& body, proxy::ResponseSink& sink) noexcept
{
    return Exchange(conn, req, params, body, sink).run();
}

bool cping(Connection& conn, Millis timeout, const char*& detail, bool* timed_out) noexcept
{
    if (timed_out) *timed_out = false;
    std::uint8_t* buf = conn.out_buffer();
    std::size_t len = encode_cping(buf);
    std::size_t written = 0;
    int err = 0;
    net::IoStatus wst = conn.socket().write_all(buf, len, timeout, written, err);
    if (wst != net::IoStatus::ok) {
        detail = "writing CPING";
        if (timed_out) *timed_out = wst == net::IoStatus::timeout;
        return false;
    }
    for (;;) {
        std::size_t plen = 0;
        FrameStatus fs = conn.frame(plen);
        if (fs == FrameStatus::complete) {
            const std::uint8_t* payload = conn.frame_data() + kPacketHeaderLen;
            detail = parse_cpong(payload, plen - kPacketHeaderLen);
            conn.consume(plen);
            if (detail) return false;
            return nothing_after_cpong(conn, detail);
        }
        if (fs != FrameStatus::need_more) {
            detail = frame_problem(fs);
            return false;
        }
        net::IoStatus st = conn.fill(timeout, err);
        if (st != net::IoStatus::ok) {
            detail = st == net::IoStatus::timeout ? "no CPONG within the timeout" : "connection closed while waiting for CPONG";
            if (timed_out) *timed_out = st == net::IoStatus::timeout;
            return false;
        }
    }
}

}  // namespace ox::ajp
