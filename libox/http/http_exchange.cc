#include "http/http_exchange.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "http/http_reader.h"
#include "net/flush_window.h"
#include "proxy/failed_response.h"

namespace ox::http {

namespace {

using proxy::Failure;
using proxy::Outcome;
using proxy::SinkResult;
using Step = ResponseReader::Step;

// Body bytes gathered while the backend keeps sending are passed on in
// steps of this size (as in ajp::exchange).
constexpr std::size_t kPassBytes = 64 * 1024;
// A body that has not yet been larger than this goes out at once when the
// backend has nothing more (flush_wait is for long bodies: ajp::exchange
// waits only after more than one packet).
constexpr std::size_t kGatherAfter = 8 * 1024;
// How long a response head that came alone waits for its first body bytes
// (or its end) before it is written by itself. HTTP has no flush signal
// (AJP's empty body chunk) that tells a servlet's deliberate head-only
// flush from a node that dies after its head: held, a head the node
// follows with a close can still be dropped and an idempotent request go
// to another member; a stream that sends its head early (server-sent
// events, long polls) reaches its client this much later.
constexpr Millis kHeadHold{100};
// A chunk's size line: up to 16 hex digits and CRLF.
constexpr std::size_t kSizeLineRoom = 18;
// A health check reads at most this much of a body before it hangs up.
constexpr std::size_t kProbeBodyLimit = 64 * 1024;

// Writes "<hex>\r\n" so that it ends at `end`; returns where it starts.
char* put_size_line(char* end, std::size_t n) noexcept
{
    static const char digits[] = "0123456789abcdef";
    char* p = end;
    *--p = '\n';
    *--p = '\r';
    do {
        *--p = digits[n & 0xF];
        n >>= 4;
    } while (n > 0);
    return p;
}

bool is_head_request(std::string_view method) noexcept { return method == "HEAD"; }

// Grows the buffer for a head larger than it, then reads.
net::IoStatus fill_for(Connection& c, std::size_t max_head, Millis timeout, int& err) noexcept
{
    if (c.buffered() == c.capacity() && !c.grow(max_head + 1)) {
        err = ENOMEM;
        return net::IoStatus::error;
    }
    return c.fill(timeout, err);
}

// The state of one exchange; its methods are its steps.
class Exchange {
public:
    Exchange(Connection& c, const proxy::Request& req, const ExchangeParams& p, proxy::BodySource& body,
             proxy::ResponseSink& sink) noexcept
        : c_(c), r_(c.reader()), req_(req), p_(p), body_(body), sink_(sink), window_(p.flush_wait)
    {
    }

    Outcome run() noexcept
    {
        r_.start(is_head_request(req_.method), p_.allow_upgrade, p_.max_head);
        bool sent = send_head() && send_body();
        if (!sent && !send_broken_) return out_;
        read_response();
        return out_;
    }

private:
    // --- the request ---------------------------------------------------

    // The head and the first chunk in one write.
    bool send_head() noexcept
    {
        iovec iov[4];
        int n = 0;
        iov[n++] = {const_cast<char*>(p_.head.data()), p_.head.size()};
        char size_line[kSizeLineRoom];
        std::size_t first = p_.first_chunk.size();
        if (req_.body == proxy::BodyKind::length) {
            first = static_cast<std::size_t>(std::min<std::uint64_t>(first, static_cast<std::uint64_t>(req_.content_length)));
            remaining_ = static_cast<std::uint64_t>(req_.content_length) - first;
        } else if (req_.body != proxy::BodyKind::chunked) {
            first = 0;
        }
        if (first > 0 && req_.body == proxy::BodyKind::chunked) {
            char* start = put_size_line(size_line + sizeof size_line, first);
            iov[n++] = {start, static_cast<std::size_t>(size_line + sizeof size_line - start)};
        }
        if (first > 0) iov[n++] = {const_cast<char*>(p_.first_chunk.data()), first};
        if (first > 0 && req_.body == proxy::BodyKind::chunked) iov[n++] = {const_cast<char*>("\r\n"), 2};
        std::size_t written = 0;
        int err = 0;
        net::IoStatus st = c_.socket().write_all(iov, n, p_.timeout, written, err);
        out_.request_sent = written > 0;
        if (st == net::IoStatus::ok) {
            out_.body_bytes_in = first;
            return true;
        }
        // With the head out, the backend may have answered already (and
        // closed before reading the body): that answer is read.
        if (written >= p_.head.size() && st != net::IoStatus::timeout) return broken(err);
        out_.sys_errno = err;
        return fail(st == net::IoStatus::timeout ? Failure::read_timeout : Failure::send_failed, "writing the request");
    }

    bool send_body() noexcept
    {
        switch (req_.body) {
        case proxy::BodyKind::length: return send_length_body();
        case proxy::BodyKind::chunked: return send_chunked_body();
        default: return true;
        }
    }

    // Exactly Content-Length bytes: a client body that ends early or goes on
    // would leave the backend reading a different request than was sent.
    bool send_length_body() noexcept
    {
        char* buf = c_.out_buffer();
        while (remaining_ > 0) {
            std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(c_.out_size(), remaining_));
            long got = read_client(buf, want);
            if (got < 0) return false;
            if (got == 0) return fail(Failure::client_body_error, "client body shorter than its Content-Length");
            remaining_ -= static_cast<std::uint64_t>(got);
            if (!write(buf, static_cast<std::size_t>(got))) return false;
        }
        char extra;
        long got = read_client(&extra, 1);
        if (got < 0) return false;
        if (got > 0) return fail(Failure::client_body_error, "client body longer than its Content-Length");
        return true;
    }

    // Each piece the client sends becomes one chunk, written as soon as it
    // is read, so a streaming upload stays a stream.
    bool send_chunked_body() noexcept
    {
        char* buf = c_.out_buffer();
        char* data = buf + kSizeLineRoom;
        std::size_t max = c_.out_size() - kSizeLineRoom - 2;
        for (;;) {
            long got = read_client(data, max);
            if (got < 0) return false;
            if (got == 0) return write("0\r\n\r\n", 5);
            auto n = static_cast<std::size_t>(got);
            char* start = put_size_line(data, n);
            data[n] = '\r';
            data[n + 1] = '\n';
            if (!write(start, static_cast<std::size_t>(data + n + 2 - start))) return false;
        }
    }

    long read_client(char* dst, std::size_t max) noexcept
    {
        long got = body_.read(dst, max);
        if (got < 0) {
            fail(Failure::client_body_error, "reading the client's request body");
            return -1;
        }
        if (got > 0) {
            out_.body_started = true;
            out_.body_bytes_in += static_cast<std::uint64_t>(got);
        }
        return got;
    }

    bool write(const char* data, std::size_t len) noexcept
    {
        std::size_t written = 0;
        int err = 0;
        net::IoStatus st = c_.socket().write_all(data, len, p_.timeout, written, err);
        if (st == net::IoStatus::ok) return true;
        if (st == net::IoStatus::timeout) {
            out_.sys_errno = err;
            return fail(Failure::read_timeout, "writing the request body");
        }
        return broken(err);
    }

    // The backend stopped reading the request (closed or reset): what it
    // answered before is read; the connection is done either way.
    bool broken(int err) noexcept
    {
        send_broken_ = true;
        write_errno_ = err;
        return false;
    }

    // --- the response --------------------------------------------------

    void read_response() noexcept
    {
        for (;;) {
            std::size_t used = 0, out_len = 0;
            const char* out = nullptr;
            Step s = r_.next(c_.data(), c_.buffered(), used, out, out_len);
            switch (s) {
            case Step::need_more:
                c_.consume(used);
                if (!wait_for_more()) return;
                break;
            case Step::head:
                if (!on_head()) return;
                c_.consume(used);
                if (r_.upgraded()) return;  // the caller takes the connection over
                break;
            case Step::body:
                c_.consume(used);
                if (!on_body(out, out_len)) return;
                break;
            case Step::done:
                c_.consume(used);
                on_done();
                return;
            default:
                fail(Failure::malformed, r_.detail());
                return;
            }
        }
    }

    bool on_head() noexcept
    {
        proxy::ResponseHead head;
        r_.response_head(c_.header_storage(), head);
        out_.head_sent = true;
        out_.status = head.status;
        unreleased_ = true;
        if (sink_.head(head) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
        return true;
    }

    bool on_body(const char* data, std::size_t len) noexcept
    {
        if (len == 0) return true;
        out_.body_bytes_out += len;
        held_bytes_ += len;
        unreleased_ = true;
        if (sink_.body(data, len, c_.hold()) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
        return true;
    }

    void on_done() noexcept
    {
        ++c_.requests;
        held_bytes_ = 0;
        unreleased_ = false;
        // Bytes behind the response belong to no request (a body longer than
        // its Content-Length, a response nobody asked for): the connection is
        // out of step. So is one whose request was not sent whole.
        out_.reusable = r_.keep_alive() && c_.buffered() == 0 && !send_broken_;
        if (sink_.finish() == SinkResult::client_gone) {
            out_.failure = Failure::client_aborted;
            out_.detail = "";
        }
    }

    // As in ajp::exchange: what the backend has sent is collected without
    // waiting and passed on in steps of kPassBytes, a large body waits up
    // to flush_wait in all for its next bytes, and the client gets
    // everything it has not got yet (with a flush) before the exchange
    // blocks on the backend.
    bool wait_for_more() noexcept
    {
        int err = 0;
        if (unreleased_ && held_bytes_ == 0 && !released_ && !head_held_) {
            // A head alone (kHeadHold).
            head_held_ = true;
            net::IoStatus st = c_.fill(std::min(kHeadHold, p_.timeout), err);
            if (st != net::IoStatus::timeout) return filled(st, err);
        }
        if (unreleased_) {
            if (held_bytes_ >= kPassBytes && !pass()) return false;
            if (c_.buffered() < c_.capacity()) {
                net::IoStatus st = c_.fill_now(err);
                if (st != net::IoStatus::timeout) return filled(st, err);
                if (gathering() && window_.more_within(c_.socket(), worth_waking_for())) {
                    st = c_.fill_now(err);
                    if (st != net::IoStatus::timeout) return filled(st, err);
                }
            }
            if (!release(true)) return false;
        }
        // (Not filled(fill_for(..., err), err): the arguments' order is
        // unspecified, and err could be read before the call sets it.)
        net::IoStatus st = fill_for(c_, p_.max_head, p_.timeout, err);
        return filled(st, err);
    }

    // As in ajp::exchange: body bytes are held and the body so far is
    // larger than a small response (kGatherAfter).
    bool gathering() const noexcept
    {
        return held_bytes_ > 0 && p_.flush_wait.count() > 0 && out_.body_bytes_out > kGatherAfter;
    }

    // As in ajp::exchange (net::bytes_worth_waking_for).
    std::size_t worth_waking_for() const noexcept
    {
        return net::bytes_worth_waking_for(r_.length_left(), c_.buffered(), held_bytes_, kPassBytes);
    }

    bool filled(net::IoStatus st, int err) noexcept
    {
        if (st == net::IoStatus::ok) {
            received_ = true;
            return true;
        }
        // A body delimited by the close has ended: by a close, not a reset
        // (a node that died mid-body; its end is unknown).
        const bool reset = st == net::IoStatus::closed && err == ECONNRESET;
        if (st == net::IoStatus::closed && !reset && r_.at_eof()) {
            held_bytes_ = 0;
            unreleased_ = false;
            ++c_.requests;
            out_.reusable = false;
            if (sink_.finish() == SinkResult::client_gone) fail(Failure::client_aborted, "");
            return false;
        }
        if (send_broken_ && !received_) {
            // Nothing came back for a request the backend stopped reading.
            out_.sys_errno = write_errno_;
            return fail(Failure::send_failed, "writing the request body");
        }
        out_.sys_errno = err;
        if (st == net::IoStatus::timeout) return fail(Failure::read_timeout, "waiting for the backend");
        if (!received_) return fail(Failure::backend_closed, "connection closed before the response");
        if (!r_.head_done()) return fail(Failure::backend_closed, "connection closed inside the response head");
        if (reset) return fail(Failure::backend_closed, "connection reset inside the response body");
        return fail(Failure::backend_closed, "connection closed before the end of the response body");
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

    // Hands the gathered body on without a flush; a flush still comes
    // before any wait.
    bool pass() noexcept
    {
        held_bytes_ = 0;
        window_.close();
        released_ = true;
        if (sink_.release(false) == SinkResult::client_gone) return fail(Failure::client_aborted, "");
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
    ResponseReader& r_;
    const proxy::Request& req_;
    const ExchangeParams& p_;
    proxy::BodySource& body_;
    proxy::ResponseSink& sink_;
    Outcome out_;
    std::uint64_t remaining_ = 0;  // Content-Length body bytes not yet sent
    bool send_broken_ = false;     // writing the request failed after its head
    int write_errno_ = 0;
    bool received_ = false;    // a response byte has arrived
    std::size_t held_bytes_ = 0;  // body bytes given to the sink since it last passed them on
    net::FlushWindow window_;     // how much longer held bytes may wait for more
    bool unreleased_ = false;     // the sink holds a head or body the client has not got
    bool released_ = false;       // the sink was told to pass something on
    bool head_held_ = false;      // a head alone has waited (kHeadHold)
};

}  // namespace

proxy::Outcome exchange(Connection& conn, const proxy::Request& req, const ExchangeParams& params,
                        proxy::BodySource& body, proxy::ResponseSink& sink) noexcept
{
    return Exchange(conn, req, params, body, sink).run();
}

bool probe(Connection& conn, std::string_view head, Millis timeout, int& status, const char*& detail) noexcept
{
    status = 0;
    std::size_t written = 0;
    int err = 0;
    if (conn.socket().write_all(head.data(), head.size(), timeout, written, err) != net::IoStatus::ok) {
        detail = "writing the probe request";
        return false;
    }
    ResponseReader& r = conn.reader();
    r.start(head.substr(0, 5) == "HEAD ", false, kDefaultMaxHead);
    std::size_t drained = 0;
    for (;;) {
        std::size_t used = 0, out_len = 0;
        const char* out = nullptr;
        Step s = r.next(conn.data(), conn.buffered(), used, out, out_len);
        conn.consume(used);
        if (s == Step::head) {
            status = r.status();
            continue;
        }
        if (s == Step::done) return true;
        // Once the status is known, the body is only drained so that the
        // close is clean; nothing in it changes the answer.
        if (s == Step::body) {
            drained += out_len;
            if (drained > kProbeBodyLimit) return true;
            continue;
        }
        if (s == Step::malformed) {
            detail = r.detail();
            return status != 0;
        }
        net::IoStatus st = fill_for(conn, kDefaultMaxHead, timeout, err);
        if (st == net::IoStatus::ok) continue;
        if (status != 0) return true;
        detail = st == net::IoStatus::timeout ? "no response within the timeout"
                                              : "connection closed before the response";
        return false;
    }
}

}  // namespace ox::http
