// ox::ajp::exchange and cping over a real socket pair, against a scripted
// fake backend thread: what the sink sees, what the backend receives (every
// byte, so that nothing is sent unasked beyond send_ahead), and the Outcome of each failure.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ajp/ajp_connection.h"
#include "ajp/ajp_exchange.h"
#include "unit_util.h"

using ox::ajp::Connection;
using ox::ajp::ExchangeParams;
using ox::proxy::BodyKind;
using ox::proxy::Failure;
using ox::proxy::Header;
using ox::proxy::Outcome;
using ox::proxy::Request;
using unit::BackendPeer;
using unit::Bytes;
using unit::cat;
using unit::hex;
using unit::pkt_body;
using unit::pkt_end;
using unit::pkt_get_body;
using unit::pkt_headers;
using unit::RecordingSink;
using unit::StringBody;
using unit::Wire;

namespace {

// One connection between libox (conn) and a backend script (its own thread).
// finish() closes libox's end and waits for the script, so that whatever the
// script recorded may be read.
class Rig {
public:
    // `tcp`: over TCP on 127.0.0.1 instead of AF_UNIX (SO_RCVLOWAT only
    // works there).
    explicit Rig(std::function<void(BackendPeer&)> script, std::size_t packet_size = 8192, bool tcp = false)
        : fds_(tcp ? unit::tcp_pair() : unit::socket_pair()),
          conn(ox::net::Socket(fds_.proxy), packet_size),
          backend_(fds_.backend, std::move(script))
    {
    }
    ~Rig() { finish(); }

    // The forward request is encoded here, as BalancerRuntime::forward does
    // before it takes a connection.
    Outcome run(const Request& req, ox::proxy::BodySource& body, RecordingSink& sink, ExchangeParams p = {})
    {
        head_.resize(conn.packet_size());
        std::size_t len = ox::ajp::encode_forward_request(req, {}, head_.data(), head_.size());
        ck_assert_msg(len > 0, "the test's request head does not fit");
        p.head = std::string_view(reinterpret_cast<const char*>(head_.data()), len);
        return ox::ajp::exchange(conn, req, p, body, sink);
    }
    // Waits for the script to end while libox's end stays open.
    void wait_backend() { backend_.join(); }
    void finish()
    {
        conn.socket().close();
        backend_.join();
    }

private:
    unit::FdPair fds_;  // initialised first: conn and backend_ take its ends
    Bytes head_;

public:
    Connection conn;

private:
    unit::BackendThread backend_;
};

using unit::get_request;

Request post_request(BodyKind kind, std::int64_t length)
{
    Request r = get_request();
    r.method = "POST";
    r.body = kind;
    r.content_length = length;
    return r;
}

// The script of a backend that answers every request the same way.
Bytes simple_response(std::string_view body, bool reuse = true)
{
    return cat({pkt_headers(200, "OK", {{"Content-Type", "text/plain"}}), pkt_body(body), pkt_end(reuse)});
}

}  // namespace

// ============================================================================
// Successful exchanges
// ============================================================================

// A GET: the backend gets exactly one forward request; the sink gets the
// status, reason, headers (coded and named, repeated Set-Cookie kept) and
// the body; END_RESPONSE with reuse=1 makes the connection reusable.
START_TEST(get_streams_the_response)
{
    std::vector<Bytes> got;
    Bytes rest;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());
        Bytes head = Wire()
                         .u8(4).u16(200).str("OK").u16(4)
                         .u16(0xA001).str("text/html")  // Content-Type, coded
                         .u16(0xA007).str("a=1")        // Set-Cookie, coded
                         .str("Set-Cookie").str("b=2")  // and again by name
                         .str("X-Trace").str("t1")
                         .to_proxy();
        // An empty chunk (a flush on the container side) carries nothing.
        p.send(cat({head, pkt_body("Hello, "), pkt_body(""), pkt_body("world", false), pkt_end(true)}));
        rest = p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    Request req = get_request();
    Outcome o = rig.run(req, body, sink);
    rig.finish();

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert(o.request_sent);
    ck_assert(o.head_sent);
    ck_assert(!o.body_started);
    ck_assert_uint_eq(o.body_bytes_out, 12);
    ck_assert_uint_eq(o.body_bytes_in, 0);
    ck_assert_uint_eq(rig.conn.requests, 1);

    ck_assert_int_eq(sink.status, 200);
    ck_assert_str_eq(sink.reason.c_str(), "OK");
    ck_assert(sink.headers == unit::HeaderList({{"Content-Type", "text/html"},
                                                {"Set-Cookie", "a=1"},
                                                {"Set-Cookie", "b=2"},
                                                {"X-Trace", "t1"}}));
    ck_assert_str_eq(sink.body_text.c_str(), "Hello, world");
    ck_assert_int_eq(sink.body_calls, 2);
    ck_assert_int_eq(sink.finish_calls, 1);
    ck_assert_int_eq(sink.abort_calls, 0);
    ck_assert_int_eq(body.reads, 0);

    // The backend saw the forward request, and nothing else.
    ck_assert_uint_eq(got.size(), 1);
    Bytes expected(8192);
    expected.resize(ox::ajp::encode_forward_request(req, {}, expected.data(), expected.size()));
    CK_ASSERT_BYTES_EQ(got[0], expected);
    ck_assert_msg(rest.empty(), "sent after the request: %s", unit::to_hex(rest).c_str());
}
END_TEST

// A Content-Length body: its first chunk goes right behind the forward
// request (unasked, as Tomcat expects); the rest only as GET_BODY_CHUNK asks,
// at most what was asked; no end-of-body packet unless asked, since the
// length is known; the client is not read beyond Content-Length.
START_TEST(post_first_chunk_then_get_body_chunk)
{
    std::vector<Bytes> got;
    Bytes rest;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());  // forward request
        got.push_back(p.read_packet());  // first chunk, unasked
        p.send(pkt_get_body(5));
        got.push_back(p.read_packet());
        p.send(pkt_get_body(8186));
        got.push_back(p.read_packet());
        p.send(pkt_get_body(8186));  // more than Content-Length: the end mark
        got.push_back(p.read_packet());
        p.send(simple_response("done"));
        rest = p.read_to_eof();
    });
    StringBody body("89abcdefghij" "EXTRA");  // beyond Content-Length: never read
    RecordingSink sink;
    ExchangeParams params;
    params.first_chunk = "01234567";
    Request req = post_request(BodyKind::length, 20);
    Outcome o = rig.run(req, body, sink, params);
    rig.finish();

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert(o.body_started);
    ck_assert_uint_eq(o.body_bytes_in, 20);
    CK_ASSERT_STRING_EQ(unit::describe(got), "FWD BODY(01234567) BODY(89abc) BODY(defghij) BODY()");
    CK_ASSERT_BYTES_EQ(got[1], hex(R"(12 34 00 0a 00 08 "01234567")"));
    CK_ASSERT_BYTES_EQ(got[4], hex("12 34 00 00"));
    ck_assert_msg(rest.empty(), "sent unasked: %s", unit::to_hex(rest).c_str());
    ck_assert_uint_eq(body.consumed, 12);
    ck_assert_int_eq(body.reads, 2);  // the client is not asked once the length is reached
    ck_assert_str_eq(sink.body_text.c_str(), "done");
}
END_TEST

// When the whole Content-Length body went with the forward request and the
// backend still asks, it gets the empty end-of-body packet: 12 34 00 00.
START_TEST(post_asked_after_body_complete)
{
    std::vector<Bytes> got;
    Bytes rest;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());
        got.push_back(p.read_packet());
        p.send(pkt_get_body(8186));
        got.push_back(p.read_packet());
        p.send(simple_response("ok"));
        rest = p.read_to_eof();
    });
    StringBody body("never read");
    RecordingSink sink;
    ExchangeParams params;
    params.first_chunk = "abc";
    Request req = post_request(BodyKind::length, 3);
    Outcome o = rig.run(req, body, sink, params);
    rig.finish();

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_uint_eq(got.size(), 3);
    CK_ASSERT_BYTES_EQ(got[2], hex("12 34 00 00"));
    ck_assert(rest.empty());
    ck_assert_int_eq(body.reads, 0);
    ck_assert(!o.body_started);
}
END_TEST

// The data of a body packet as the proxy sent it (12 34 len, then u16 n, data).
std::string body_data(const Bytes& pkt)
{
    if (pkt.size() < 6) return {};
    std::size_t n = (std::size_t(pkt[4]) << 8) | pkt[5];
    return std::string(reinterpret_cast<const char*>(pkt.data()) + 6, std::min(n, pkt.size() - 6));
}

// True when the proxy has sent something the backend has not read yet.
bool proxy_sent_more(BackendPeer& p, int wait_ms)
{
    pollfd pfd{p.fd(), POLLIN, 0};
    return ::poll(&pfd, 1, wait_ms) > 0;
}

// Sends `data` as a Content-Length body (its first 8 bytes as the first
// chunk) with send_ahead, and waits for the backend script to end.
Outcome run_sent_ahead(Rig& rig, const std::string& data, std::size_t send_ahead, RecordingSink& sink)
{
    StringBody body(data.substr(8));
    ExchangeParams params;
    params.first_chunk = std::string_view(data).substr(0, 8);
    params.send_ahead = send_ahead;
    Outcome o = rig.run(post_request(BodyKind::length, static_cast<std::int64_t>(data.size())), body, sink, params);
    rig.finish();
    return o;
}

// send_ahead: nothing before the backend's first GET_BODY_CHUNK (so a dead
// pooled connection can still be retried); from then on up to send_ahead
// bytes of body are on their way before the backend asks for them, and each
// GET_BODY_CHUNK for a packet already sent tops the window up.
START_TEST(send_ahead_after_first_ask)
{
    const std::size_t chunk = 8186;
    const std::string data = unit::pattern(8 + 4 * chunk + 100, 3);
    std::vector<Bytes> got;
    bool early = true, full_window = false, over_window = true;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());  // FWD
        got.push_back(p.read_packet());  // first chunk
        early = proxy_sent_more(p, 100);
        p.send(pkt_get_body(chunk));
        got.push_back(p.read_packet());  // asked
        got.push_back(p.read_packet());  // ahead 1
        got.push_back(p.read_packet());  // ahead 2
        full_window = true;
        over_window = proxy_sent_more(p, 100);
        // Asking for packets already sent: each ask sends one more, until
        // the body is done.
        p.send(pkt_get_body(chunk));
        got.push_back(p.read_packet());
        p.send(pkt_get_body(chunk));
        got.push_back(p.read_packet());
        p.send(pkt_get_body(chunk));
        p.send(pkt_get_body(chunk));
        p.send(simple_response("done"));
        p.read_to_eof();
    });
    RecordingSink sink;
    Outcome o = run_sent_ahead(rig, data, 2 * 8192, sink);

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_msg(!early, "body sent before the backend asked");
    ck_assert(full_window);
    ck_assert_msg(!over_window, "more than send_ahead sent");
    ck_assert(o.reusable);
    ck_assert_uint_eq(o.body_bytes_in, data.size());
    ck_assert_uint_eq(got.size(), 7);
    std::string sent;
    for (std::size_t i = 1; i < got.size(); ++i) sent += body_data(got[i]);
    ck_assert(sent == data);
    ck_assert_str_eq(sink.body_text.c_str(), "done");
}
END_TEST

// Packets sent ahead never wait for room in the socket (a backend that is
// writing rather than reading must not deadlock with us): with a socket
// buffer smaller than a packet, what does not fit is held and sent when the
// backend asks for it. The body arrives whole and in order.
START_TEST(send_ahead_held_when_socket_full)
{
    const std::size_t chunk = 8186;
    const std::string data = unit::pattern(8 + 6 * chunk, 9);
    std::string sent;
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        sent += body_data(p.read_packet());
        while (sent.size() < data.size()) {
            p.send(pkt_get_body(chunk));
            Bytes b = p.read_packet();
            if (b.empty()) break;
            sent += body_data(b);
        }
        p.send(simple_response("done"));
        p.read_to_eof();
    });
    int small = 4096;
    ck_assert(::setsockopt(rig.conn.socket().fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    RecordingSink sink;
    Outcome o = run_sent_ahead(rig, data, 65536, sink);
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(sent == data);
    ck_assert(o.reusable);
    ck_assert_str_eq(sink.body_text.c_str(), "done");
}
END_TEST

// A backend that answers without reading the packets sent ahead: the
// response is fine, the connection (holding unread packets) is not reused.
START_TEST(send_ahead_unread_not_reusable)
{
    const std::string data = unit::pattern(8 + 3 * 8186, 5);
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.read_packet();
        p.send(pkt_get_body(8186));
        p.read_packet();
        p.send(simple_response("early"));
        p.read_to_eof();
    });
    RecordingSink sink;
    Outcome o = run_sent_ahead(rig, data, 65536, sink);
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_str_eq(sink.body_text.c_str(), "early");
    ck_assert(!o.reusable);
}
END_TEST

// A GET has no body; a backend that asks anyway gets the end-of-body packet.
START_TEST(get_asked_for_body)
{
    std::vector<Bytes> got;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());
        p.send(pkt_get_body(8186));
        got.push_back(p.read_packet());
        p.send(simple_response("ok"));
        p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_uint_eq(got.size(), 2);
    CK_ASSERT_BYTES_EQ(got[1], hex("12 34 00 00"));
    ck_assert_int_eq(body.reads, 0);
}
END_TEST

// A chunked body (length unknown): nothing is read from the client, so
// nothing is sent, before the first GET_BODY_CHUNK; each request is answered
// with what the client has, and the end of the body with an empty packet.
START_TEST(chunked_body)
{
    std::atomic<bool> asked{false};
    bool read_unasked = false;
    std::vector<Bytes> got;
    Bytes rest;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());
        asked = true;
        for (;;) {
            p.send(pkt_get_body(8186));
            Bytes b = p.read_packet();
            got.push_back(b);
            if (b.size() <= 4) break;
        }
        p.send(simple_response("ok"));
        rest = p.read_to_eof();
    });
    StringBody body("abcdefghij", 4);
    body.on_read = [&] {
        if (!asked) read_unasked = true;
    };
    RecordingSink sink;
    Request req = post_request(BodyKind::chunked, 0);
    Outcome o = rig.run(req, body, sink);
    rig.finish();

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert(!read_unasked);
    CK_ASSERT_STRING_EQ(unit::describe(got), "FWD BODY(abcd) BODY(efgh) BODY(ij) BODY()");
    CK_ASSERT_BYTES_EQ(got.back(), hex("12 34 00 00"));
    ck_assert(rest.empty());
    ck_assert_int_eq(body.reads, 4);
    ck_assert_uint_eq(o.body_bytes_in, 10);
}
END_TEST

// GET_BODY_CHUNK asks for more than a packet can carry: the answer is capped
// at packet size - 6 bytes.
START_TEST(body_packet_capped_at_packet_size)
{
    std::string data = unit::pattern(10000);
    std::vector<Bytes> got;
    Rig rig([&](BackendPeer& p) {
        got.push_back(p.read_packet());
        p.send(pkt_get_body(0xFFFF));
        got.push_back(p.read_packet());
        p.send(simple_response("ok"));
        p.read_to_eof();
    });
    StringBody body(data);
    RecordingSink sink;
    Outcome o = rig.run(post_request(BodyKind::chunked, 0), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    std::string chunk;
    ck_assert(unit::decode_body_packet(got[1], chunk));
    ck_assert_uint_eq(chunk.size(), 8186);
    ck_assert(chunk == data.substr(0, 8186));
}
END_TEST

// END_RESPONSE without the reuse flag, in its 2-byte and 1-byte forms, or
// with bytes behind it: the response is fine, the connection is not.
START_TEST(not_reusable_endings)
{
    struct Case {
        const char* name;
        Bytes ending;
    } cases[] = {
        {"reuse=0", pkt_end(false)},
        {"1-byte END_RESPONSE", Wire().u8(5).to_proxy()},
        {"bytes after END_RESPONSE", cat({pkt_end(true), pkt_body("stray")})},
        {"a packet after END_RESPONSE", cat({pkt_end(true), pkt_end(true)})},
    };
    for (const Case& c : cases) {
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            p.send(cat({pkt_headers(200, "OK"), pkt_body("x"), c.ending}));
            p.read_to_eof();
        });
        StringBody body;
        RecordingSink sink;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        ck_assert_msg(o.ok(), "%s: %s", c.name, ox::proxy::failure_name(o.failure));
        ck_assert_msg(!o.reusable, "%s: reusable", c.name);
        ck_assert_str_eq(sink.body_text.c_str(), "x");
        ck_assert_int_eq(sink.finish_calls, 1);
    }
}
END_TEST

// A response much larger than the read buffer streams through: many body()
// calls, release() before each wait for more, and a sink that copies only at
// release() (as the contract allows) gets every byte intact.
START_TEST(large_response_streams)
{
    const std::size_t chunk = 8184;  // the most a 8192-byte packet carries
    const std::string data = unit::pattern(1024 * 1024 + 123, 7);
    std::size_t packets = 0;
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        Bytes all = pkt_headers(200, "OK");
        for (std::size_t off = 0; off < data.size(); off += chunk, ++packets) {
            Bytes b = pkt_body(std::string_view(data).substr(off, chunk));
            all.insert(all.end(), b.begin(), b.end());
        }
        Bytes end = pkt_end(true);
        all.insert(all.end(), end.begin(), end.end());
        p.send(all);
        p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    sink.lazy = true;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert_uint_eq(o.body_bytes_out, data.size());
    ck_assert_uint_eq(sink.body_text.size(), data.size());
    ck_assert_msg(sink.body_text == data, "body bytes differ");
    ck_assert_uint_eq(static_cast<std::size_t>(sink.body_calls), packets);
    // Streamed, not gathered: the sink is released every 64 KiB once the
    // backend keeps sending (plus what the read in progress brought, at
    // most 64 KiB), so it never holds more than 128 KiB.
    ck_assert_uint_le(sink.max_unreleased, 128 * 1024);
    ck_assert_int_ge(sink.release_calls, 8);
    ck_assert_int_eq(sink.finish_calls, 1);
}
END_TEST

// The ResponseSink contract (proxy/io.h): body views stay valid while their
// holds live, even when the head and the body arrive in separate reads; a
// lazy sink that keeps the holds and copies only on release() gets every
// byte.
START_TEST(body_views_valid_until_release)
{
    unit::Signal head_seen;
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(pkt_headers(200, "OK", {{"Content-Type", "text/plain"}, {"X-Trace", "abc"}}));
        head_seen.wait();  // the exchange has consumed the head; it waits for more
        p.send(cat({pkt_body("0123456789"), pkt_end(true)}));
        p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    sink.lazy = true;
    sink.on_head = [&] { head_seen.set(); };
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();

    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_str_eq(sink.body_text.c_str(), "0123456789");
    ck_assert_int_eq(sink.status, 200);
    ck_assert_str_eq(sink.reason.c_str(), "OK");
    ck_assert(sink.headers == unit::HeaderList({{"Content-Type", "text/plain"}, {"X-Trace", "abc"}}));
}
END_TEST

// What the backend has sent reaches the client before the exchange waits
// for more: a servlet that has written its response (or flushed) and goes on
// working must not hold back even the status line. The backend here sends
// the rest only once the sink was released with a flush (or after 5 s).
START_TEST(released_before_waiting)
{
    const unit::HeaderList cl10 = {{"Content-Length", "10"}};
    struct Case {
        const char* name;
        Bytes first, rest;
        const char* events;  // what the sink had seen when the backend went on
    } cases[] = {
        {"a body complete by its Content-Length", cat({pkt_headers(200, "OK", cl10), pkt_body("0123456789")}),
         pkt_end(true), "Hbf"},
        {"a body of unknown length", cat({pkt_headers(200, "OK"), pkt_body("0123456789")}), pkt_end(true), "Hbf"},
        {"the head and an empty chunk", cat({pkt_headers(200, "OK"), pkt_body("")}),
         cat({pkt_body("0123456789"), pkt_end(true)}), "Hf"},
    };
    for (const Case& c : cases) {
        unit::Signal flushed;
        bool in_time = false;
        std::string seen;
        RecordingSink sink;
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            p.send(c.first);
            in_time = flushed.wait();
            p.send(c.rest);
            p.read_to_eof();
        });
        sink.on_release = [&] {
            if (sink.flushes == 1) {
                seen = sink.events;
                flushed.set();
            }
        };
        StringBody body;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_msg(in_time, "%s: not released before the wait (events %s)", c.name, sink.events.c_str());
        ck_assert_msg(seen == c.events, "%s: events %s when flushed", c.name, seen.c_str());
        ck_assert_str_eq(sink.body_text.c_str(), "0123456789");
        ck_assert_int_eq(sink.finish_calls, 1);
    }
}
END_TEST

// flush_wait: a long body whose backend leaves the socket empty for a
// moment between packets (here 30 ms, well inside the 30 s allowed) goes
// out in passes without a flush, not in a flushed write per gap; with a
// Content-Length over TCP too, where the wait counts only the bytes the
// pass still lacks (SO_RCVLOWAT).
START_TEST(flush_wait_bridges_short_gaps)
{
    const std::string data = unit::pattern(6 * 8184, 3);
    auto packets = [&](std::size_t from, std::size_t n) {
        Bytes all;
        for (std::size_t i = from; i < from + n; ++i) {
            Bytes b = pkt_body(std::string_view(data).substr(i * 8184, 8184));
            all.insert(all.end(), b.begin(), b.end());
        }
        return all;
    };
    for (bool tcp : {false, true}) {
        const unit::HeaderList cl = {{"Content-Length", std::to_string(data.size())}};
        Rig rig(
            [&](BackendPeer& p) {
                p.read_packet();
                p.send(cat({tcp ? pkt_headers(200, "OK", cl) : pkt_headers(200, "OK"), packets(0, 3)}));
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
                p.send(packets(3, 3));
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
                p.send(pkt_end(true));
                p.read_to_eof();
            },
            8192, tcp);
        StringBody body;
        RecordingSink sink;
        ExchangeParams params;
        params.flush_wait = std::chrono::seconds(30);
        Outcome o = rig.run(get_request(), body, sink, params);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_msg(sink.body_text == data, "tcp %d: body bytes differ", tcp);
        ck_assert_int_eq(sink.flushes, 0);
        ck_assert_int_eq(sink.finish_calls, 1);
    }
}
END_TEST

// ... and the bytes it waits for are no more than the Content-Length still
// has to bring: the last few bytes of a body end the wait when they come,
// not when the window closes (8 s here).
START_TEST(flush_wait_takes_the_last_bytes_at_once)
{
    const std::string big = unit::pattern(3 * 8184, 11);
    const unit::HeaderList cl = {{"Content-Length", std::to_string(big.size() + 4)}};
    unit::Signal finished;
    bool in_time = false;
    RecordingSink sink;
    sink.on_finish = [&] { finished.set(); };
    Rig rig(
        [&](BackendPeer& p) {
            p.read_packet();
            Bytes first = pkt_headers(200, "OK", cl);
            for (std::size_t off = 0; off < big.size(); off += 8184) {
                Bytes b = pkt_body(std::string_view(big).substr(off, 8184));
                first.insert(first.end(), b.begin(), b.end());
            }
            p.send(first);
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            p.send(cat({pkt_body("tail"), pkt_end(true)}));
            in_time = finished.wait();
            p.read_to_eof();
        },
        8192, true);
    StringBody body;
    ExchangeParams params;
    params.flush_wait = std::chrono::seconds(8);  // more than finished.wait()'s 5 s
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_msg(in_time, "the body's last bytes waited for the window");
    ck_assert_msg(sink.body_text == big + "tail", "body bytes differ");
}
END_TEST

// Runs a GET with flush_wait `wait_ms`; `flushed` is set at the sink's
// first flush (the backends of these tests wait for it).
Outcome run_flushing(Rig& rig, RecordingSink& sink, unit::Signal& flushed, int wait_ms)
{
    sink.on_release = [&] {
        if (sink.flushes == 1) flushed.set();
    };
    StringBody body;
    ExchangeParams params;
    params.flush_wait = std::chrono::milliseconds(wait_ms);
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    return o;
}

// ... but a pause longer than flush_wait still flushes what came before it
// (the backend goes on only once it was flushed, or after 5 s), and a
// small response (one packet or less) is not held at all, however long
// flush_wait is.
START_TEST(flush_wait_ends_at_a_pause)
{
    const std::string big = unit::pattern(3 * 8184, 5);
    struct Case {
        const char* name;
        std::string first;  // the body before the pause
        int wait_ms;
    } cases[] = {
        {"three packets, flush_wait 20 ms", big, 20},
        {"a small body, flush_wait 30 s", "0123456789", 30000},
        {"one full packet, flush_wait 30 s", big.substr(0, 8184), 30000},
    };
    for (const Case& c : cases) {
        unit::Signal flushed;
        bool in_time = false;
        RecordingSink sink;
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            Bytes first = pkt_headers(200, "OK");
            for (std::size_t off = 0; off < c.first.size(); off += 8184) {
                Bytes b = pkt_body(std::string_view(c.first).substr(off, 8184));
                first.insert(first.end(), b.begin(), b.end());
            }
            p.send(first);
            in_time = flushed.wait();
            p.send(cat({pkt_body("tail"), pkt_end(true)}));
            p.read_to_eof();
        });
        Outcome o = run_flushing(rig, sink, flushed, c.wait_ms);
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_msg(in_time, "%s: not flushed before the backend went on", c.name);
        ck_assert_msg(sink.body_text == c.first + "tail", "%s: body bytes differ", c.name);
    }
}
END_TEST

// ... and flush_wait bounds the whole wait, not each gap: a backend that
// trickles small packets 10 ms apart for 600 ms (each gap well inside the
// 200 ms allowed) gets what it sent flushed before it ends, not held until
// a pass has gathered.
START_TEST(flush_wait_bounds_a_trickle)
{
    const std::string big = unit::pattern(2 * 8184, 7);
    const std::string drop(100, 't');
    unit::Signal flushed;
    bool in_time = false;
    RecordingSink sink;
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(cat({pkt_headers(200, "OK"), pkt_body(std::string_view(big).substr(0, 8184)),
                    pkt_body(std::string_view(big).substr(8184))}));
        for (int i = 0; i < 60; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            p.send(pkt_body(drop));
        }
        in_time = flushed.wait_for(0);
        p.send(pkt_end(true));
        p.read_to_eof();
    });
    sink.on_release = [&] {
        if (sink.flushes == 1) flushed.set();
    };
    StringBody body;
    ExchangeParams params;
    params.flush_wait = std::chrono::milliseconds(200);
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_msg(in_time, "nothing flushed while the backend trickled");
    std::string want = big;
    for (int i = 0; i < 60; ++i) want += drop;
    ck_assert_msg(sink.body_text == want, "body bytes differ");
}
END_TEST

// For a client whose protocol pays for an end sent apart (HTTP/2), a body
// complete by its Content-Length waits up to flush_wait for the
// END_RESPONSE behind it (Tomcat writes it a moment later, often in a
// segment of its own), so that the response goes out in one pass with its
// end; a backend that pauses longer before the end still gets the body
// flushed to the client after flush_wait (it goes on only once flushed, or
// after 5 s). Without a Content-Length nothing says the body is complete,
// and over HTTP/1.1 its last byte completes the response: released at once.
START_TEST(flush_wait_holds_a_complete_body_for_its_end)
{
    const unit::HeaderList cl10 = {{"Content-Length", "10"}};
    struct Case {
        const char* name;
        bool with_length;
        bool end_apart;        // the sink's end_apart_costs()
        int wait_ms;           // flush_wait
        bool pause_for_flush;  // the backend sends the end only once flushed
        const char* events;
    } cases[] = {
        {"complete, end 30 ms later, flush_wait 30 s", true, true, 30000, false, "HbE"},
        {"complete, end after the flush, flush_wait 20 ms", true, true, 20, true, "HbfE"},
        {"unknown length, flush_wait 30 s", false, true, 30000, true, "HbfE"},
        {"complete, an end apart costs nothing, flush_wait 30 s", true, false, 30000, true, "HbfE"},
    };
    for (const Case& c : cases) {
        unit::Signal flushed;
        bool in_time = true;
        RecordingSink sink;
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            p.send(cat({c.with_length ? pkt_headers(200, "OK", cl10) : pkt_headers(200, "OK"), pkt_body("0123456789")}));
            if (c.pause_for_flush) {
                in_time = flushed.wait();
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
            }
            p.send(pkt_end(true));
            p.read_to_eof();
        });
        sink.end_apart = c.end_apart;
        Outcome o = run_flushing(rig, sink, flushed, c.wait_ms);
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_msg(in_time, "%s: not flushed before the backend went on", c.name);
        ck_assert_msg(sink.events == c.events, "%s: events %s", c.name, sink.events.c_str());
        ck_assert_str_eq(sink.body_text.c_str(), "0123456789");
    }
}
END_TEST

// The same before waiting on the client's request body: a backend that
// answers before it has read the body gets its head to the client first.
START_TEST(released_before_reading_client_body)
{
    std::string seen;
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(cat({pkt_headers(200, "OK"), pkt_get_body(8186)}));
        p.read_packet();
        p.send(pkt_get_body(8186));
        p.read_packet();
        p.send(cat({pkt_body("ok"), pkt_end(true)}));
        p.read_to_eof();
    });
    StringBody body("abc");
    RecordingSink sink;
    body.on_read = [&] {
        if (seen.empty()) seen = sink.events;
    };
    Outcome o = rig.run(post_request(BodyKind::chunked, 0), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_msg(seen == "Hf", "events %s before the client body was read", seen.c_str());
}
END_TEST

// The fast path: a response whose end is already there goes out in one
// write, with or without a Content-Length: no flush.
START_TEST(whole_response_in_one_write)
{
    for (bool with_length : {true, false}) {
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            unit::HeaderList h = {{"Content-Type", "text/plain"}};
            if (with_length) h.push_back({"Content-Length", "10"});
            p.send(cat({pkt_headers(200, "OK", h), pkt_body("01234"), pkt_body("56789"), pkt_end(true)}));
            p.read_to_eof();
        });
        StringBody body;
        RecordingSink sink;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_str_eq(sink.body_text.c_str(), "0123456789");
        ck_assert_msg(sink.events == "HbbE", "events %s", sink.events.c_str());
    }
}
END_TEST

// An empty SEND_BODY_CHUNK is Tomcat's flush (the servlet called flush()):
// what came before it is released with a flush at once, even when more
// follows right behind it.
START_TEST(empty_chunk_flushes)
{
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(cat({pkt_headers(200, "OK"), pkt_body("01234"), pkt_body(""), pkt_body("56789"), pkt_end(true)}));
        p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_str_eq(sink.body_text.c_str(), "0123456789");
    ck_assert_msg(sink.events == "HbfbE", "events %s", sink.events.c_str());
}
END_TEST

// ============================================================================
// Backend failures
// ============================================================================

// The backend closes after reading the request: nothing reached the client,
// so the sink is untouched and not aborted.
START_TEST(backend_closes_before_headers)
{
    Rig rig([](BackendPeer& p) { p.read_packet(); });
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
    ck_assert(o.request_sent);
    ck_assert(!o.head_sent);
    ck_assert(!o.reusable);
    ck_assert(!o.retryable_elsewhere());
    ck_assert_str_eq(sink.events.c_str(), "");
}
END_TEST

// The backend is gone before the request is written (EPIPE): send_failed,
// nothing reached it, so another member may be tried.
START_TEST(backend_gone_before_request)
{
    Rig rig([](BackendPeer&) {});  // closes at once
    rig.wait_backend();
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    CK_ASSERT_FAILURE(o.failure, Failure::send_failed);
    ck_assert(!o.request_sent);
    ck_assert(o.retryable_elsewhere());
    ck_assert_int_ne(o.sys_errno, 0);
    ck_assert_str_eq(sink.events.c_str(), "");
}
END_TEST

// The backend closes (or resets: the node died) in the middle of the body,
// after part of it went to the client: the client must see a broken
// response (abort), never a finished one. A reset's errno reaches the
// outcome, which the error log prints ("Connection reset by peer").
START_TEST(backend_closes_mid_body)
{
    for (bool reset : {false, true}) {
        unit::Signal flushed;
        Rig rig(
            [&](BackendPeer& p) {
                p.read_packet();
                p.send(cat({pkt_headers(200, "OK"), pkt_body("partial")}));
                flushed.wait();
                if (!reset) return;
                linger l{1, 0};
                ::setsockopt(p.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
                p.close();
            },
            8192, reset);  // over TCP for the reset: a socket pair has none
        StringBody body;
        RecordingSink sink;
        sink.on_release = [&] { flushed.set(); };
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
        if (reset) ck_assert_int_eq(o.sys_errno, ECONNRESET);
        ck_assert(o.head_sent);
        ck_assert(!o.reusable);
        ck_assert_int_eq(sink.abort_calls, 1);
        ck_assert_int_eq(sink.finish_calls, 0);
        ck_assert_str_eq(sink.body_text.c_str(), "partial");
        ck_assert_int_eq(sink.events.back(), 'A');
    }
}
END_TEST

// The node dies (closes) after sending a head alone: a head alone waits for
// its body, so nothing was released, and for an idempotent request the sink
// forgets the head (another member may answer instead). A POST's response
// is aborted as before, and so is one whose head the backend flushed.
// The backend closes once the sink released something, or after 300 ms:
// time for the exchange to wait on the socket, where code that flushes a
// head alone would release it.
START_TEST(head_alone_then_closed)
{
    struct Case {
        const char* name;
        const char* method;
        Bytes sent;
        const char* events;
        bool discarded;
    } cases[] = {
        {"GET, head alone", "GET", pkt_headers(200, "OK"), "HD", true},
        // Body bytes are released when the backend pauses: too late to drop.
        {"GET, head and body", "GET", cat({pkt_headers(200, "OK"), pkt_body("partial")}), "HbfA", false},
        {"DELETE, head alone", "DELETE", pkt_headers(200, "OK"), "HD", true},
        {"POST, head alone", "POST", pkt_headers(200, "OK"), "HA", false},
        {"GET, head flushed by the backend", "GET", cat({pkt_headers(200, "OK"), pkt_body("")}), "HfA", false},
    };
    for (const Case& c : cases) {
        unit::Signal released;
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            p.send(c.sent);
            released.wait_for(300);
        });
        StringBody body;
        RecordingSink sink;
        sink.on_release = [&] { released.set(); };
        Request req = get_request();
        req.method = c.method;
        Outcome o = rig.run(req, body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
        ck_assert_msg(sink.events == c.events, "%s: events %s", c.name, sink.events.c_str());
        ck_assert_msg(o.head_discarded == c.discarded, "%s: head_discarded %d", c.name, o.head_discarded);
        ck_assert_msg(o.head_sent == !c.discarded, "%s: head_sent %d", c.name, o.head_sent);
        if (c.discarded) {
            ck_assert_int_eq(sink.status, 0);
            ck_assert(sink.headers.empty());
            ck_assert_str_eq(sink.body_text.c_str(), "");
            ck_assert_uint_eq(o.body_bytes_out, 0);
        }
    }
}
END_TEST

// A backend that never answers: read_timeout after `timeout`, before and
// after the head (then the sink is aborted).
START_TEST(read_timeout)
{
    for (bool after_head : {false, true}) {
        Rig rig([after_head](BackendPeer& p) {
            p.read_packet();
            if (after_head) p.send(cat({pkt_headers(200, "OK"), pkt_body("so far")}));
            p.read_to_eof();  // until the proxy gives up and closes
        });
        StringBody body;
        RecordingSink sink;
        ExchangeParams params;
        params.timeout = ox::Millis(50);
        Outcome o = rig.run(get_request(), body, sink, params);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::read_timeout);
        ck_assert(o.detail != nullptr && o.detail[0] != '\0');
        ck_assert(!o.reusable);
        ck_assert(o.head_sent == after_head);
        ck_assert_int_eq(sink.abort_calls, after_head ? 1 : 0);
    }
}
END_TEST

namespace {

struct Malformed {
    const char* name;
    Bytes bytes;             // what the backend sends after reading the request
    const char* detail_part; // a word Outcome::detail must contain
    bool head_sent;
    const char* body;        // what the sink got before the bad packet
};

const std::vector<Malformed>& malformed_cases()
{
    static const std::vector<Malformed> cases = {
        {"bad magic, first byte", hex("58 42 00 02 05 01"), "AB", false, ""},
        {"bad magic, second byte", hex("41 58 00 02 05 01"), "AB", false, ""},
        {"proxy magic from the backend", hex("12 34 00 02 05 01"), "AB", false, ""},
        {"unknown packet type", Wire().u8(0x42).to_proxy(), "unknown", false, ""},
        {"CPONG inside an exchange", unit::pkt_cpong(), "unknown", false, ""},
        {"body before headers", pkt_body("x"), "before SEND_HEADERS", false, ""},
        {"end before headers", pkt_end(true), "before SEND_HEADERS", false, ""},
        {"double headers", cat({pkt_headers(200, "OK"), pkt_body("x"), pkt_headers(200, "OK")}), "second", true, "x"},
        {"oversized length field", hex("41 42 20 00"), "larger", false, ""},
        {"maximal length field", hex("41 42 ff ff"), "larger", false, ""},
        {"zero-length packet", hex("41 42 00 00"), "empty", false, ""},
        {"GET_BODY_CHUNK for 0 bytes", pkt_get_body(0), "0 bytes", false, ""},
        {"GET_BODY_CHUNK of 4 bytes", Wire().u8(6).u16(5).u8(0).to_proxy(), "GET_BODY_CHUNK", false, ""},
        {"bad SEND_HEADERS", pkt_headers(99, "Odd"), "status", false, ""},
        {"header splitting", pkt_headers(200, "OK", {{"X", "a\r\nSet-Cookie: evil=1"}}), "control", false, ""},
        {"body chunk overruns", cat({pkt_headers(200, "OK"), Wire().u8(3).u16(10).raw("abc").to_proxy()}), "exceeds",
         true, ""},
        {"END_RESPONSE too long", cat({pkt_headers(200, "OK"), pkt_body("x"), Wire().u8(5).u8(1).u8(0).to_proxy()}),
         "END_RESPONSE", true, "x"},
        {"bad magic after body", cat({pkt_headers(200, "OK"), pkt_body("ok"), hex("58 42 00 01 05")}), "AB", true, "ok"},
        {"Content-Length not a number", pkt_headers(200, "OK", {{"Content-Length", "5x"}}), "Content-Length", false, ""},
        {"Content-Length with a sign", pkt_headers(200, "OK", {{"Content-Length", "+5"}}), "Content-Length", false, ""},
        // 1*DIGIT only: "-0" was taken for 0 (fuzz_ajp_response).
        {"Content-Length -0", pkt_headers(200, "OK", {{"Content-Length", "-0"}}), "Content-Length", false, ""},
        {"Content-Length -5", pkt_headers(200, "OK", {{"Content-Length", "-5"}}), "Content-Length", false, ""},
        {"empty Content-Length", pkt_headers(200, "OK", {{"Content-Length", ""}}), "Content-Length", false, ""},
        {"two Content-Lengths that disagree", pkt_headers(200, "OK", {{"Content-Length", "5"}, {"content-length", "6"}}),
         "Content-Length", false, ""},
        {"two equal Content-Lengths", pkt_headers(200, "OK", {{"Content-Length", "5"}, {"Content-Length", "5"}}),
         "Content-Length", false, ""},
    };
    return cases;
}

}  // namespace

// Loop test over malformed_cases(): the exchange stops at the bad packet with
// `malformed` and a detail naming the rule; it does not wait for more bytes
// (the timeout would show), passes on nothing behind the bad packet (a
// valid body and END_RESPONSE follow it), and aborts a response under way.
START_TEST(malformed_backend)
{
    const Malformed& c = malformed_cases()[static_cast<std::size_t>(_i)];
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(cat({c.bytes, pkt_body("LATER"), pkt_end(true)}));
        p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    ExchangeParams params;
    params.timeout = ox::Millis(2000);
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::malformed);
    ck_assert_msg(std::strstr(o.detail, c.detail_part) != nullptr, "%s: detail '%s' lacks '%s'", c.name, o.detail,
                  c.detail_part);
    ck_assert(!o.reusable);
    ck_assert_msg(o.head_sent == c.head_sent, "%s: head_sent %d", c.name, o.head_sent);
    ck_assert_int_eq(sink.abort_calls, c.head_sent ? 1 : 0);
    ck_assert_int_eq(sink.finish_calls, 0);
    ck_assert_str_eq(sink.body_text.c_str(), c.body);
    ck_assert_int_eq(sink.head_calls, c.head_sent ? 1 : 0);
}
END_TEST

// ============================================================================
// Response framing: the body against its Content-Length
// ============================================================================

namespace {

struct Framing {
    const char* name;
    std::vector<std::string> chunks;  // body packets, in order
    const char* passed;               // what the sink may have got before the abort
};

// Runs a GET answered with Content-Length: `cl` and `chunks`, then
// END_RESPONSE(reuse).
Outcome run_framing(const std::string& cl, const std::vector<std::string>& chunks, RecordingSink& sink,
                    std::string_view method = "GET", int status = 200)
{
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        Bytes all = pkt_headers(status, "X", {{"Content-Type", "text/plain"}, {"Content-Length", cl}});
        for (const std::string& c : chunks) all = cat({all, pkt_body(c)});
        p.send(cat({all, pkt_end(true)}));
        p.read_to_eof();
    });
    StringBody body;
    Request req = get_request();
    req.method = method;
    Outcome o = rig.run(req, body, sink);
    rig.finish();
    return o;
}

}  // namespace

// A body longer than its Content-Length (Tomcat does not stop a servlet
// that writes more): the bytes beyond it would reach the client as a second
// response on its keep-alive connection. The response is aborted, the
// packet that overruns it is not passed on, and the connection is not pooled.
START_TEST(body_longer_than_content_length)
{
    const Framing cases[] = {
        {"one packet", {"hello" "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED"}, ""},
        {"the excess in a later packet", {"hel", "lo", "HTTP/1.1 200 OK\r\n\r\n"}, "hello"},
        {"one byte over", {"hell", "o!"}, "hell"},
    };
    for (const Framing& c : cases) {
        RecordingSink sink;
        Outcome o = run_framing("5", c.chunks, sink);
        CK_ASSERT_FAILURE(o.failure, Failure::malformed);
        ck_assert_msg(std::strstr(o.detail, "longer than its Content-Length"), "%s: detail '%s'", c.name, o.detail);
        ck_assert_msg(!o.reusable, "%s: reusable", c.name);
        ck_assert_int_eq(sink.abort_calls, 1);
        ck_assert_int_eq(sink.finish_calls, 0);
        ck_assert_msg(sink.body_text == c.passed, "%s: passed '%s'", c.name, sink.body_text.c_str());
    }
}
END_TEST

// A backend that dies after the whole declared body but before
// END_RESPONSE: the client has exactly what the head promised, so the
// response is finished (not aborted, which would close the client's
// connection mid-keep-alive); the backend connection is not reused.
START_TEST(closed_after_complete_body_finishes)
{
    Rig rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(cat({pkt_headers(200, "OK", {{"Content-Length", "5"}}), pkt_body("hello")}));
        p.close();
    });
    RecordingSink sink;
    StringBody body;
    Outcome o = rig.run(get_request(), body, sink);
    ck_assert_msg(o.ok(), "failure %s: %s", ox::proxy::failure_name(o.failure), o.detail);
    ck_assert(!o.reusable);
    ck_assert_str_eq(sink.body_text.c_str(), "hello");
    ck_assert_int_eq(sink.finish_calls, 1);
    ck_assert_int_eq(sink.abort_calls, 0);

    // One byte short, it is a broken response, as before. (A POST: a GET's
    // response may be dropped instead when the close comes before the
    // exchange released the body, for another member to answer;
    // head_alone_then_closed.)
    Rig short_rig([&](BackendPeer& p) {
        p.read_packet();
        p.send(cat({pkt_headers(200, "OK", {{"Content-Length", "5"}}), pkt_body("hell")}));
        p.close();
    });
    RecordingSink sink2;
    Request post = get_request();
    post.method = "POST";
    o = short_rig.run(post, body, sink2);
    CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
    ck_assert_int_eq(sink2.abort_calls, 1);
    ck_assert_int_eq(sink2.discard_calls, 0);
}
END_TEST

// A servlet that reads part of a body, answers and closes (Tomcat does):
// the body packets still on their way cannot be written any more, and the
// answer the backend gave is what the client gets.
START_TEST(answer_after_broken_send_ahead)
{
    std::string data = unit::pattern(200000);
    Rig rig([&](BackendPeer& p) {
        p.read_packet();  // forward request
        p.read_packet();  // first body chunk, sent unasked
        p.send(pkt_get_body(8186));
        p.read_packet();
        p.send(simple_response("partial", false));
        p.close();
    });
    RecordingSink sink;
    ExchangeParams params;
    params.send_ahead = 262144;
    std::string first = data.substr(0, 8186);
    params.first_chunk = first;
    Request req = post_request(BodyKind::length, static_cast<std::int64_t>(data.size()));
    StringBody rest(data.substr(first.size()));
    Outcome o = rig.run(req, rest, sink, params);
    ck_assert_msg(o.ok(), "failure %s: %s", ox::proxy::failure_name(o.failure), o.detail);
    ck_assert(!o.reusable);
    ck_assert_int_eq(sink.status, 200);
    ck_assert_str_eq(sink.body_text.c_str(), "partial");
    ck_assert_int_eq(sink.abort_calls, 0);
}
END_TEST

// A body shorter than its Content-Length: the client would wait for the
// rest and read the start of its next response as this body. END_RESPONSE
// before the declared length aborts the response instead of finishing it.
START_TEST(body_shorter_than_content_length)
{
    const Framing cases[] = {
        {"no body at all", {}, ""},
        {"half the body", {"hello"}, "hello"},
        {"one byte short", {"hello", "1234"}, "hello1234"},
    };
    for (const Framing& c : cases) {
        RecordingSink sink;
        Outcome o = run_framing("10", c.chunks, sink);
        CK_ASSERT_FAILURE(o.failure, Failure::malformed);
        ck_assert_msg(std::strstr(o.detail, "Content-Length"), "%s: detail '%s'", c.name, o.detail);
        ck_assert_msg(!o.reusable, "%s: reusable", c.name);
        ck_assert_int_eq(sink.abort_calls, 1);
        ck_assert_int_eq(sink.finish_calls, 0);
        ck_assert_msg(sink.body_text == c.passed, "%s: passed '%s'", c.name, sink.body_text.c_str());
    }
}
END_TEST

// A body that matches its Content-Length, in any number of packets, is fine.
START_TEST(body_matches_content_length)
{
    for (const auto& chunks : {std::vector<std::string>{"0123456789"}, std::vector<std::string>{"012", "", "3456789"}}) {
        RecordingSink sink;
        Outcome o = run_framing("10", chunks, sink);
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert(o.reusable);
        ck_assert_str_eq(sink.body_text.c_str(), "0123456789");
        ck_assert_int_eq(sink.finish_calls, 1);
    }
}
END_TEST

// Responses that carry no body whatever their Content-Length says: HEAD (the
// length is the GET's), 204 and 304. No body is fine; body bytes a backend
// sends anyway are not passed on; the connection stays in step.
START_TEST(no_body_responses_exempt)
{
    struct Case {
        const char* name;
        const char* method;
        int status;
        std::vector<std::string> chunks;
    } cases[] = {
        {"HEAD", "HEAD", 200, {}},
        {"HEAD with a body anyway", "HEAD", 200, {"0123456789"}},
        {"HEAD with a longer body", "HEAD", 200, {std::string(2000, 'x')}},
        {"304", "GET", 304, {}},
        {"304 with a body anyway", "GET", 304, {"abc"}},
        {"204 with a body anyway", "GET", 204, {"abc"}},
    };
    for (const Case& c : cases) {
        RecordingSink sink;
        Outcome o = run_framing("1000", c.chunks, sink, c.method, c.status);
        ck_assert_msg(o.ok(), "%s: %s (%s)", c.name, ox::proxy::failure_name(o.failure), o.detail);
        ck_assert_msg(o.reusable, "%s: not reusable", c.name);
        ck_assert_int_eq(sink.status, c.status);
        ck_assert_msg(sink.body_text.empty(), "%s: body passed on", c.name);
        ck_assert_int_eq(sink.body_calls, 0);
        ck_assert_int_eq(sink.finish_calls, 1);
        ck_assert_int_eq(sink.abort_calls, 0);
    }
}
END_TEST

// ============================================================================
// Client-side failures
// ============================================================================

// The client's body cannot be read (chunked: the read fails; Content-Length:
// the body ends early): client_body_error, and the connection, left in the
// middle of a request, is not reusable.
START_TEST(client_body_errors)
{
    {
        std::vector<Bytes> got;
        Rig rig([&](BackendPeer& p) {
            got.push_back(p.read_packet());
            p.send(pkt_get_body(8186));
            got.push_back(p.read_packet());
            p.send(pkt_get_body(8186));
            Bytes rest = p.read_to_eof();
            if (!rest.empty()) got.push_back(rest);
        });
        StringBody body("abcdef");
        body.fail_at = 3;
        RecordingSink sink;
        Outcome o = rig.run(post_request(BodyKind::chunked, 0), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::client_body_error);
        ck_assert(!o.reusable);
        ck_assert(o.body_started);
        CK_ASSERT_STRING_EQ(unit::describe(got), "FWD BODY(abc)");
        ck_assert_str_eq(sink.events.c_str(), "");
    }
    {
        std::vector<Bytes> got;
        Rig rig([&](BackendPeer& p) {
            got.push_back(p.read_packet());
            got.push_back(p.read_packet());
            p.send(pkt_get_body(8186));
            got.push_back(p.read_packet());
            p.send(pkt_get_body(8186));
            Bytes rest = p.read_to_eof();
            if (!rest.empty()) got.push_back(rest);
        });
        StringBody body("56");  // Content-Length 10, first chunk 5: 3 bytes short
        RecordingSink sink;
        ExchangeParams params;
        params.first_chunk = "01234";
        Outcome o = rig.run(post_request(BodyKind::length, 10), body, sink, params);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::client_body_error);
        ck_assert(!o.reusable);
        CK_ASSERT_STRING_EQ(unit::describe(got), "FWD BODY(01234) BODY(56)");
    }
}
END_TEST

// The client goes away while the response streams (the sink says so at
// head(), body() or release()): client_aborted, not reusable, and no abort()
// (there is nobody to show a broken response to).
START_TEST(client_gone)
{
    using G = RecordingSink::GoneAt;
    for (G at : {G::head, G::body, G::release}) {
        Rig rig([](BackendPeer& p) {
            p.read_packet();
            // No END_RESPONSE: release() comes when the exchange waits.
            p.send(cat({pkt_headers(200, "OK"), pkt_body("x")}));
            p.read_to_eof();
        });
        StringBody body;
        RecordingSink sink;
        sink.gone_at = at;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::client_aborted);
        ck_assert(!o.reusable);
        ck_assert(o.head_sent);
        ck_assert_int_eq(sink.abort_calls, 0);
    }
}
END_TEST

// The client goes away at finish(): the response is complete on the backend
// side, so the connection is in step and stays reusable.
START_TEST(client_gone_at_finish)
{
    Rig rig([](BackendPeer& p) {
        p.read_packet();
        p.send(simple_response("x"));
        p.read_to_eof();
    });
    StringBody body;
    RecordingSink sink;
    sink.gone_at = RecordingSink::GoneAt::finish;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::client_aborted);
    ck_assert(o.reusable);
    ck_assert_int_eq(sink.abort_calls, 0);
}
END_TEST

// ============================================================================
// read_first_chunk
// ============================================================================

START_TEST(first_chunk)
{
    char buf[16];
    Request req = post_request(BodyKind::length, 10);
    {
        StringBody body("0123456789tail", 3);  // short reads are joined up
        ck_assert_int_eq(ox::ajp::read_first_chunk(req, body, buf, 8), 8);
        ck_assert_mem_eq(buf, "01234567", 8);
        ck_assert_int_eq(body.reads, 3);
    }
    {
        StringBody body("0123456789tail");  // never beyond Content-Length
        ck_assert_int_eq(ox::ajp::read_first_chunk(req, body, buf, sizeof buf), 10);
        ck_assert_uint_eq(body.consumed, 10);
    }
    {
        StringBody body("0123");  // a Content-Length body cannot end early
        ck_assert_int_eq(ox::ajp::read_first_chunk(req, body, buf, sizeof buf), -1);
    }
    {
        StringBody body("0123456789");
        body.fail_at = 2;
        ck_assert_int_eq(ox::ajp::read_first_chunk(req, body, buf, sizeof buf), -1);
    }
    for (BodyKind k : {BodyKind::none, BodyKind::chunked}) {
        StringBody body("0123456789");
        Request r = post_request(k, 0);
        ck_assert_int_eq(ox::ajp::read_first_chunk(r, body, buf, sizeof buf), 0);
        ck_assert_int_eq(body.reads, 0);
    }
}
END_TEST

// ============================================================================
// CPing
// ============================================================================

START_TEST(cping_ok)
{
    Bytes got;
    unit::RequestLog log;
    Rig rig([&](BackendPeer& p) {
        got = p.read_packet();
        p.send(unit::pkt_cpong());
        unit::serve_one(p, log, 0, "after ping");  // the connection still carries a request
        p.read_to_eof();
    });
    const char* detail = "unset";
    ck_assert(ox::ajp::cping(rig.conn, ox::Millis(1000), detail));
    ck_assert_ptr_null(detail);
    ck_assert_uint_eq(rig.conn.buffered(), 0);
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_BYTES_EQ(got, hex("12 34 00 01 0a"));
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_str_eq(sink.body_text.c_str(), "after ping");
}
END_TEST

START_TEST(cping_failures)
{
    struct Case {
        const char* name;
        Bytes answer;
        bool close;
        const char* detail_part;
    } cases[] = {
        {"wrong packet", pkt_end(true), false, "CPONG"},
        {"bad magic", hex("58 42 00 01 09"), false, "AB"},
        {"closed", {}, true, "closed"},
        {"no answer", {}, false, "timeout"},
    };
    for (const Case& c : cases) {
        Rig rig([&](BackendPeer& p) {
            p.read_packet();
            p.send(c.answer);
            if (c.close) return;
            p.read_to_eof();
        });
        const char* detail = nullptr;
        bool ok = ox::ajp::cping(rig.conn, ox::Millis(50), detail);
        rig.finish();
        ck_assert_msg(!ok, "%s: cping succeeded", c.name);
        ck_assert_msg(detail && std::strstr(detail, c.detail_part), "%s: detail '%s'", c.name, detail ? detail : "(null)");
    }
}
END_TEST

// A CPONG followed by anything is refused: the bytes behind it would be read
// as the next request's response. Both when they came with the CPONG (they
// are buffered) and when the socket is readable right after it (here: the
// backend closed, so the request would meet a dead connection).
START_TEST(cping_stray_bytes_refused)
{
    struct Case {
        const char* name;
        Bytes answer;
        bool shut;  // close the backend's sending side after the answer
    } cases[] = {
        {"a response after CPONG", cat({unit::pkt_cpong(), simple_response("injected")}), false},
        {"a second CPONG", cat({unit::pkt_cpong(), unit::pkt_cpong()}), false},
        {"CPONG then EOF", unit::pkt_cpong(), true},
    };
    for (const Case& c : cases) {
        unit::Signal sent;
        Rig rig([&](BackendPeer& p) {
            // All of it before the CPING is even written, so libox finds
            // it at once.
            p.send(c.answer);
            if (c.shut) ::shutdown(p.fd(), SHUT_WR);
            sent.set();
            p.read_packet();
            p.read_to_eof();
        });
        ck_assert(sent.wait());
        const char* detail = nullptr;
        bool ok = ox::ajp::cping(rig.conn, ox::Millis(1000), detail);
        rig.finish();
        ck_assert_msg(!ok, "%s: cping succeeded", c.name);
        ck_assert_msg(detail && std::strstr(detail, "after CPONG"), "%s: detail '%s'", c.name,
                      detail ? detail : "(null)");
    }
}
END_TEST

int main()
{
    Suite* s = suite_create("ajp_exchange");

    TCase* ok = tcase_create("ok");
    tcase_set_timeout(ok, 20);
    tcase_add_test(ok, get_streams_the_response);
    tcase_add_test(ok, post_first_chunk_then_get_body_chunk);
    tcase_add_test(ok, post_asked_after_body_complete);
    tcase_add_test(ok, get_asked_for_body);
    tcase_add_test(ok, chunked_body);
    tcase_add_test(ok, body_packet_capped_at_packet_size);
    tcase_add_test(ok, not_reusable_endings);
    tcase_add_test(ok, send_ahead_after_first_ask);
    tcase_add_test(ok, send_ahead_unread_not_reusable);
    tcase_add_test(ok, send_ahead_held_when_socket_full);
    tcase_add_test(ok, large_response_streams);
    tcase_add_test(ok, body_views_valid_until_release);
    tcase_add_test(ok, released_before_waiting);
    tcase_add_test(ok, flush_wait_bridges_short_gaps);
    tcase_add_test(ok, flush_wait_takes_the_last_bytes_at_once);
    tcase_add_test(ok, flush_wait_ends_at_a_pause);
    tcase_add_test(ok, flush_wait_bounds_a_trickle);
    tcase_add_test(ok, flush_wait_holds_a_complete_body_for_its_end);
    tcase_add_test(ok, released_before_reading_client_body);
    tcase_add_test(ok, whole_response_in_one_write);
    tcase_add_test(ok, empty_chunk_flushes);
    suite_add_tcase(s, ok);

    TCase* backend = tcase_create("backend_failures");
    tcase_set_timeout(backend, 20);
    tcase_add_test(backend, backend_gone_before_request);
    tcase_add_test(backend, backend_closes_before_headers);
    tcase_add_test(backend, backend_closes_mid_body);
    tcase_add_test(backend, head_alone_then_closed);
    tcase_add_test(backend, read_timeout);
    tcase_add_loop_test(backend, malformed_backend, 0, static_cast<int>(malformed_cases().size()));
    tcase_add_test(backend, body_longer_than_content_length);
    tcase_add_test(backend, body_shorter_than_content_length);
    tcase_add_test(backend, closed_after_complete_body_finishes);
    tcase_add_test(backend, answer_after_broken_send_ahead);
    tcase_add_test(backend, body_matches_content_length);
    tcase_add_test(backend, no_body_responses_exempt);
    suite_add_tcase(s, backend);

    TCase* client = tcase_create("client_failures");
    tcase_set_timeout(client, 20);
    tcase_add_test(client, client_body_errors);
    tcase_add_test(client, client_gone);
    tcase_add_test(client, client_gone_at_finish);
    tcase_add_test(client, first_chunk);
    suite_add_tcase(s, client);

    TCase* ping = tcase_create("cping");
    tcase_set_timeout(ping, 20);
    tcase_add_test(ping, cping_ok);
    tcase_add_test(ping, cping_failures);
    tcase_add_test(ping, cping_stray_bytes_refused);
    suite_add_tcase(s, ping);

    return unit::run_suite(s);
}
