// ox::http::exchange, probe and encode_request_head over a real socket
// pair, against a scripted fake backend thread: the bytes the backend
// receives, what the sink sees, and the Outcome of each failure (the same
// contract as ajp::exchange, see test_ajp_exchange.cc).
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "http/http_connection.h"
#include "http/http_exchange.h"
#include "http/http_request.h"
#include "unit_util.h"

using ox::http::Connection;
using ox::http::ExchangeParams;
using ox::proxy::BodyKind;
using ox::proxy::Failure;
using ox::proxy::Header;
using ox::proxy::Outcome;
using ox::proxy::Request;
using unit::BackendPeer;
using unit::RecordingSink;
using unit::StringBody;

namespace {

// The backend side of one HTTP connection: reads whole requests (head and
// body as its framing says) and sends raw bytes. Its own small parser, so a
// mistake in libox is not mirrored here.
class HttpPeer {
public:
    explicit HttpPeer(BackendPeer& p) : p_(p) {}

    // Only a request head, up to its blank line.
    bool read_head(std::string& head)
    {
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) return false;
        }
        head = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        return true;
    }

    // One request, raw as received; false when the proxy closed first.
    bool read_request(std::string& raw, std::string* body = nullptr)
    {
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) return false;
        }
        std::string head = buf_.substr(0, end + 4);
        std::size_t taken = head.size();
        std::string lower = head;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string data;
        std::size_t cl = lower.find("\r\ncontent-length: ");
        if (cl != std::string::npos) {
            std::size_t n = std::strtoul(head.c_str() + cl + 18, nullptr, 10);
            while (buf_.size() < taken + n) {
                if (!fill()) return false;
            }
            data = buf_.substr(taken, n);
            taken += n;
        } else if (lower.find("\r\ntransfer-encoding: chunked\r\n") != std::string::npos) {
            for (;;) {
                std::size_t eol;
                while ((eol = buf_.find("\r\n", taken)) == std::string::npos) {
                    if (!fill()) return false;
                }
                std::size_t n = std::strtoul(buf_.c_str() + taken, nullptr, 16);
                taken = eol + 2;
                while (buf_.size() < taken + n + 2) {
                    if (!fill()) return false;
                }
                if (n == 0) {
                    taken += 2;  // no trailers from the proxy
                    break;
                }
                data += buf_.substr(taken, n);
                taken += n + 2;
            }
        }
        raw = buf_.substr(0, taken);
        buf_.erase(0, taken);
        if (body) *body = data;
        return true;
    }
    bool send(std::string_view s) { return p_.send(unit::bytes_of(s)); }
    // What is left in the socket (and unread here) until the proxy closes.
    std::string rest()
    {
        std::string r = buf_ + unit::string_of(p_.read_to_eof());
        buf_.clear();
        return r;
    }
    void close() { p_.close(); }
    // Closes with a reset (RST), as a node's kernel does when it dies
    // mid-response.
    void reset()
    {
        linger l{1, 0};
        ::setsockopt(p_.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        p_.close();
    }

private:
    bool fill()
    {
        char tmp[65536];
        ssize_t n = ::recv(p_.fd(), tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    BackendPeer& p_;
    std::string buf_;
};

// One connection between libox (conn) and a backend script in its own
// thread. finish() closes libox's end and waits for the script.
class Rig {
public:
    // `tcp`: over TCP on 127.0.0.1 instead of AF_UNIX (SO_RCVLOWAT only
    // works there).
    explicit Rig(std::function<void(HttpPeer&)> script, bool tcp = false)
        : fds_(tcp ? unit::tcp_pair() : unit::socket_pair()),
          conn(ox::net::Socket(fds_.proxy)),
          backend_(fds_.backend, [script = std::move(script)](BackendPeer& p) {
              HttpPeer h(p);
              script(h);
          })
    {
    }
    ~Rig() { finish(); }

    // The head is encoded here, as the balancer does before it takes a
    // connection.
    Outcome run(const Request& req, ox::proxy::BodySource& body, RecordingSink& sink, ExchangeParams p = {})
    {
        head_.resize(16384);
        std::size_t len = ox::http::encode_request_head(req, head_.data(), head_.size());
        ck_assert_msg(len > 0, "the test's request head does not fit");
        head_.resize(len);
        p.head = head_;
        return ox::http::exchange(conn, req, p, body, sink);
    }
    const std::string& head() const { return head_; }
    void wait_backend() { backend_.join(); }
    void finish()
    {
        conn.socket().close();
        backend_.join();
    }

private:
    unit::FdPair fds_;
    std::string head_;

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

std::string response(std::string_view fields, std::string_view body)
{
    return "HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n" + std::string(body);
}

std::string cl_response(std::string_view body)
{
    return response("Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n", body);
}

// A backend that answers one request with `answer` and then waits for the
// proxy to close.
std::function<void(HttpPeer&)> answers(std::string answer, std::string* got = nullptr)
{
    return [answer = std::move(answer), got](HttpPeer& p) {
        std::string raw;
        if (!p.read_request(raw)) return;
        if (got) *got = raw;
        p.send(answer);
        p.rest();
    };
}

}  // namespace

// ============================================================================
// Requests
// ============================================================================

// The head: request line with the query, the client's fields in order,
// framing and hop-by-hop fields dropped, no Connection field of ours.
START_TEST(request_head_bytes)
{
    const Header h[] = {{"Host", "ox.example.com"},     {"Accept", "*/*"},         {"Connection", "close"},
                        {"Content-Length", "99"},       {"Transfer-Encoding", "x"}, {"Keep-Alive", "300"},
                        {"Expect", "100-continue"},     {"Upgrade", "h2c"},        {"TE", "trailers"},
                        {"X-Forwarded-For", "192.0.2.1"}, {"Cookie", "a=1; b=2"}};
    Request r = get_request();
    r.method = "PUT";
    r.path = "/appsuite/api/files%20x";
    r.query = "action=new&x=%0A";
    r.has_query = true;
    r.headers = h;
    r.header_count = sizeof h / sizeof h[0];
    r.body = BodyKind::length;
    r.content_length = 1234;
    char buf[1024];
    std::size_t n = ox::http::encode_request_head(r, buf, sizeof buf);
    CK_ASSERT_STRING_EQ(std::string(buf, n),
                        "PUT /appsuite/api/files%20x?action=new&x=%0A HTTP/1.1\r\n"
                        "Host: ox.example.com\r\nAccept: */*\r\nX-Forwarded-For: 192.0.2.1\r\nCookie: a=1; b=2\r\n"
                        "Content-Length: 1234\r\n\r\n");

    r.body = BodyKind::chunked;
    r.has_query = false;
    n = ox::http::encode_request_head(r, buf, sizeof buf);
    CK_ASSERT_STRING_EQ(std::string(buf, n),
                        "PUT /appsuite/api/files%20x HTTP/1.1\r\n"
                        "Host: ox.example.com\r\nAccept: */*\r\nX-Forwarded-For: 192.0.2.1\r\nCookie: a=1; b=2\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n");

    // An empty query still gets its '?': the backend sees what the client sent.
    r.body = BodyKind::none;
    r.has_query = true;
    r.query = "";
    r.header_count = 0;
    n = ox::http::encode_request_head(r, buf, sizeof buf);
    CK_ASSERT_STRING_EQ(std::string(buf, n), "PUT /appsuite/api/files%20x? HTTP/1.1\r\nHost: ox.example.com\r\n\r\n");
}
END_TEST

// Without a Host field, the server name (and a port other than the
// scheme's default) is sent.
START_TEST(request_host_added)
{
    const Header h[] = {{"Accept", "*/*"}};
    Request r = get_request();
    r.headers = h;
    r.header_count = 1;
    char buf[256];
    struct {
        std::uint16_t port;
        bool tls;
        const char* host;
    } cases[] = {{80, false, "ox.example.com"}, {8080, false, "ox.example.com:8080"}, {443, true, "ox.example.com"},
                 {80, true, "ox.example.com:80"}, {0, false, "ox.example.com"}};
    for (const auto& c : cases) {
        r.server_port = c.port;
        r.tls.on = c.tls;
        std::size_t n = ox::http::encode_request_head(r, buf, sizeof buf);
        CK_ASSERT_STRING_EQ(std::string(buf, n),
                            std::string("GET /appsuite/ HTTP/1.1\r\nHost: ") + c.host + "\r\nAccept: */*\r\n\r\n");
    }
}
END_TEST

// Fields that would end a line early are refused, not sent; a head that
// does not fit is refused with its own error; the exact fit is taken.
START_TEST(request_head_refused)
{
    using ox::http::EncodeError;
    struct Case {
        const char* name;
        Header h;
        const char* method;
        const char* path;
    } cases[] = {
        {"CR in a value", {"X", "a\rb"}, "GET", "/"},
        {"LF in a value", {"X", "a\nInjected: 1"}, "GET", "/"},
        {"NUL in a value", {"X", std::string_view("a\0b", 3)}, "GET", "/"},
        {"CR in a name", {"X\r", "a"}, "GET", "/"},
        {"colon in a name", {"X:Y", "a"}, "GET", "/"},
        {"space in a name", {"X Y", "a"}, "GET", "/"},
        {"empty name", {"", "a"}, "GET", "/"},
        {"space in the path", {"X", "a"}, "GET", "/a b"},
        {"CRLF in the path", {"X", "a"}, "GET", "/a\r\nX: y"},
        {"empty path", {"X", "a"}, "GET", ""},
        {"space in the method", {"X", "a"}, "GE T", "/"},
    };
    char buf[256];
    for (const Case& c : cases) {
        Request r = get_request();
        r.headers = &c.h;
        r.header_count = 1;
        r.method = c.method;
        r.path = c.path;
        EncodeError err = EncodeError::none;
        const char* detail = nullptr;
        ck_assert_msg(ox::http::encode_request_head(r, buf, sizeof buf, &err, &detail) == 0, "%s: encoded", c.name);
        ck_assert_msg(err == EncodeError::invalid_field, "%s: error %d", c.name, static_cast<int>(err));
        ck_assert(detail && *detail);
    }
    Request q = get_request();
    q.query = "a\nb";
    q.has_query = true;
    EncodeError err = EncodeError::none;
    ck_assert_uint_eq(ox::http::encode_request_head(q, buf, sizeof buf, &err), 0);
    ck_assert(err == EncodeError::invalid_field);

    Request r = get_request();
    std::size_t need = ox::http::encode_request_head(r, buf, sizeof buf);
    ck_assert_uint_gt(need, 0);
    ck_assert_uint_eq(ox::http::encode_request_head(r, buf, need, &err), need);
    ck_assert(err == EncodeError::none);
    ck_assert_uint_eq(ox::http::encode_request_head(r, buf, need - 1, &err), 0);
    ck_assert(err == EncodeError::too_large);
}
END_TEST

// A Content-Length body: the first chunk goes out with the head, the rest as
// the client sends it; the backend gets exactly the body.
START_TEST(request_length_body_exact)
{
    std::string got;
    Rig rig(answers(cl_response("done"), &got));
    StringBody body("89abcdefghij", 5);
    RecordingSink sink;
    ExchangeParams params;
    params.first_chunk = "01234567";
    Outcome o = rig.run(post_request(BodyKind::length, 20), body, sink, params);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert(o.body_started);
    ck_assert_uint_eq(o.body_bytes_in, 20);
    CK_ASSERT_STRING_EQ(got, rig.head() + "0123456789abcdefghij");
    ck_assert_uint_eq(body.consumed, 12);
    ck_assert_str_eq(sink.body_text.c_str(), "done");
}
END_TEST

// A chunked body: each piece the client sends is one chunk, then the last
// chunk; a first chunk is a chunk of its own.
START_TEST(request_chunked_body_exact)
{
    for (bool with_first : {false, true}) {
        std::string got;
        Rig rig(answers(cl_response("ok"), &got));
        StringBody body("hello world!", 5);
        RecordingSink sink;
        ExchangeParams params;
        if (with_first) params.first_chunk = "abc";
        Outcome o = rig.run(post_request(BodyKind::chunked, 0), body, sink, params);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert(o.reusable);
        ck_assert_uint_eq(o.body_bytes_in, with_first ? 15 : 12);
        std::string first = with_first ? "3\r\nabc\r\n" : "";
        CK_ASSERT_STRING_EQ(got, rig.head() + first + "5\r\nhello\r\n5\r\n worl\r\n2\r\nd!\r\n0\r\n\r\n");
    }
}
END_TEST

// A large chunked body, in pieces larger than the send buffer.
START_TEST(request_chunked_body_large)
{
    std::string data = unit::pattern(300000);
    std::string got;
    Rig rig([&](HttpPeer& p) {
        std::string raw;
        p.read_request(raw, &got);
        p.send(cl_response("ok"));
        p.rest();
    });
    StringBody body(data);
    RecordingSink sink;
    Outcome o = rig.run(post_request(BodyKind::chunked, 0), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(got == data);
}
END_TEST

// The client's body does not match what the head announced, or cannot be
// read: client_body_error, and the connection (a half request) is not reused.
START_TEST(client_body_errors)
{
    struct Case {
        const char* name;
        BodyKind kind;
        std::int64_t length;
        std::string data;
        std::size_t fail_at;
    } cases[] = {
        {"shorter than Content-Length", BodyKind::length, 10, "12345", static_cast<std::size_t>(-1)},
        {"longer than Content-Length", BodyKind::length, 5, "123456", static_cast<std::size_t>(-1)},
        {"read fails, Content-Length", BodyKind::length, 10, "1234567890", 3},
        {"read fails, chunked", BodyKind::chunked, 0, "1234567890", 3},
    };
    for (const Case& c : cases) {
        Rig rig([](HttpPeer& p) { p.rest(); });
        StringBody body(c.data, 2);
        body.fail_at = c.fail_at;
        RecordingSink sink;
        Outcome o = rig.run(post_request(c.kind, c.length), body, sink);
        rig.finish();
        ck_assert_msg(o.failure == Failure::client_body_error, "%s: %s", c.name, ox::proxy::failure_name(o.failure));
        ck_assert_msg(!o.reusable, "%s", c.name);
        ck_assert_msg(o.request_sent && !o.head_sent, "%s", c.name);
        ck_assert_str_eq(sink.events.c_str(), "");
    }
}
END_TEST

// The backend answers before it has read the body and closes (a 413, say):
// the body cannot be written any more, and its answer is what the client
// gets; the connection is done.
START_TEST(answer_before_body_read)
{
    std::string data = unit::pattern(4 * 1024 * 1024);
    Rig rig([](HttpPeer& p) {
        std::string head;
        p.read_head(head);  // not the body: a server that refuses it
        p.send("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!");
        p.close();
    });
    StringBody body(data);
    RecordingSink sink;
    Outcome o = rig.run(post_request(BodyKind::length, static_cast<std::int64_t>(data.size())), body, sink);
    rig.finish();
    ck_assert_msg(o.ok(), "failure %s: %s", ox::proxy::failure_name(o.failure), o.detail);
    ck_assert(!o.reusable);
    ck_assert_int_eq(sink.status, 413);
    ck_assert_str_eq(sink.body_text.c_str(), "big!");
}
END_TEST

// ============================================================================
// Responses
// ============================================================================

// A GET: the backend gets exactly the head; the sink gets status, reason,
// headers (repeated ones kept) and the body, in one go.
START_TEST(get_content_length)
{
    std::string got, rest;
    Rig rig([&](HttpPeer& p) {
        p.read_request(got);
        p.send("HTTP/1.1 200 Fine\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
               "Content-Length: 12\r\n\r\nHello, world");
        rest = p.rest();
    });
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable && o.request_sent && o.head_sent && !o.body_started);
    ck_assert_int_eq(o.status, 200);
    ck_assert_uint_eq(o.body_bytes_out, 12);
    ck_assert_uint_eq(o.body_bytes_in, 0);
    ck_assert_uint_eq(rig.conn.requests, 1);
    ck_assert_int_eq(sink.status, 200);
    ck_assert_str_eq(sink.reason.c_str(), "Fine");
    ck_assert(sink.headers == unit::HeaderList({{"Content-Type", "text/html"},
                                                {"Set-Cookie", "a=1"},
                                                {"Set-Cookie", "b=2"},
                                                {"Content-Length", "12"}}));
    ck_assert_str_eq(sink.body_text.c_str(), "Hello, world");
    ck_assert_msg(sink.events == "HbE", "events %s", sink.events.c_str());
    CK_ASSERT_STRING_EQ(got, "GET /appsuite/ HTTP/1.1\r\nHost: ox.example.com\r\nAccept: */*\r\n\r\n");
    ck_assert_msg(rest.empty(), "sent after the request: %s", rest.c_str());
    ck_assert_int_eq(body.reads, 0);
}
END_TEST

// Chunked, with extensions and trailers, split across writes: decoded; no
// Transfer-Encoding for the client; reusable.
START_TEST(chunked_response)
{
    Rig rig([](HttpPeer& p) {
        std::string raw;
        p.read_request(raw);
        p.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5;name=val\r\nhel");
        p.send("lo\r\n7 ; a=\"b\"\r\n, world\r\n0\r\nX-Checksum: abc\r\n\r\n");
        p.rest();
    });
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert_str_eq(sink.body_text.c_str(), "hello, world");
    ck_assert_uint_eq(o.body_bytes_out, 12);
    ck_assert(sink.headers == unit::HeaderList({{"X-A", "1"}}));
    ck_assert_int_eq(sink.finish_calls, 1);
}
END_TEST

// Neither Content-Length nor chunked: the body runs until the backend
// closes; a complete response, but the connection is gone.
START_TEST(until_close_response)
{
    Rig rig([](HttpPeer& p) {
        std::string raw;
        p.read_request(raw);
        p.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ");
        p.send("part two");
        p.close();
    });
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    ck_assert_msg(o.ok(), "failure %s: %s", ox::proxy::failure_name(o.failure), o.detail);
    ck_assert(!o.reusable);
    ck_assert_str_eq(sink.body_text.c_str(), "part one, part two");
    ck_assert_int_eq(sink.finish_calls, 1);
    ck_assert_int_eq(sink.abort_calls, 0);
}
END_TEST

// HEAD, 204 and 304 have no body whatever their head says; body bytes sent
// anyway are not passed on and leave the connection out of step.
START_TEST(no_body_responses)
{
    struct Case {
        const char* name;
        const char* method;
        std::string answer;
        bool reusable;
    } cases[] = {
        {"HEAD", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true},
        {"HEAD, chunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true},
        {"HEAD with a body anyway", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false},
        {"204", "GET", "HTTP/1.1 204 No Content\r\n\r\n", true},
        {"304", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", true},
        {"304 with a body anyway", "GET", "HTTP/1.1 304 Not Modified\r\n\r\nabc", false},
    };
    for (const Case& c : cases) {
        Rig rig(answers(c.answer));
        StringBody body;
        RecordingSink sink;
        Request req = get_request();
        req.method = c.method;
        Outcome o = rig.run(req, body, sink);
        rig.finish();
        ck_assert_msg(o.ok(), "%s: %s", c.name, ox::proxy::failure_name(o.failure));
        ck_assert_msg(o.reusable == c.reusable, "%s: reusable %d", c.name, o.reusable);
        ck_assert_msg(sink.body_text.empty(), "%s: body passed", c.name);
        ck_assert_msg(sink.events == "HE", "%s: events %s", c.name, sink.events.c_str());
    }
}
END_TEST

// 100 Continue (and other 1xx) before the answer: skipped, the client sees
// only the final response.
START_TEST(interim_responses_skipped)
{
    Rig rig(answers("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" +
                    cl_response("ok")));
    StringBody body;
    RecordingSink sink;
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert_int_eq(sink.status, 200);
    ck_assert_int_eq(sink.head_calls, 1);
    ck_assert_str_eq(sink.body_text.c_str(), "ok");
}
END_TEST

// A body longer than its Content-Length: the client gets exactly the
// declared body and a finished response; the rest poisons the connection.
START_TEST(body_longer_than_content_length)
{
    for (const char* extra : {"EXTRA", "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED"}) {
        Rig rig(answers(response("Content-Length: 5\r\n", std::string("hello") + extra)));
        StringBody body;
        RecordingSink sink;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert(!o.reusable);
        ck_assert_str_eq(sink.body_text.c_str(), "hello");
        ck_assert_int_eq(sink.finish_calls, 1);
        ck_assert_int_eq(sink.abort_calls, 0);
    }
}
END_TEST

// The backend closes before the declared end: the client must see a broken
// response (abort), never a finished one. Unless nothing of it was passed
// on yet and the request is idempotent: then it is forgotten (discard), and
// the balancer may send the request to another member.
START_TEST(body_shorter_then_close)
{
    const std::string answers[] = {
        response("Content-Length: 10\r\n", "hello"),
        response("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n"),
        response("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n"),
    };
    // A GET whose node closes right behind its bytes: discarded when the
    // close is seen before "hello" was passed on, aborted when after (a
    // race of the two on loopback: either is right, a finished response
    // never is). Deterministic: a GET closed after the release, and a POST.
    enum Expect { discarded, aborted, either };
    struct Case {
        const char* method;
        bool close_after_release;  // the peer waits until the sink passed "hello" on
        Expect expect;
    } cases[] = {{"GET", false, either}, {"GET", true, aborted}, {"POST", false, aborted}};
    for (const std::string& answer : answers) {
        for (const Case& c : cases) {
            unit::Signal released;
            Rig rig([&](HttpPeer& p) {
                std::string raw;
                p.read_request(raw);
                p.send(answer);
                if (c.close_after_release) released.wait_for(2000);
                p.close();
            });
            StringBody body;
            RecordingSink sink;
            sink.on_release = [&] { released.set(); };
            Request req = get_request();
            req.method = c.method;
            Outcome o = rig.run(req, body, sink);
            rig.finish();
            CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
            ck_assert(!o.reusable);
            ck_assert_int_eq(sink.finish_calls, 0);
            if (c.expect != either) {
                ck_assert_msg(o.head_discarded == (c.expect == discarded), "%s after release %d: head_discarded %d",
                              c.method, c.close_after_release, o.head_discarded);
            }
            ck_assert(o.head_sent == !o.head_discarded);
            if (o.head_discarded) {
                ck_assert_int_eq(sink.discard_calls, 1);
                ck_assert_int_eq(sink.abort_calls, 0);
                ck_assert_int_eq(sink.release_calls, 0);
                ck_assert_uint_eq(o.body_bytes_out, 0);
            } else {
                ck_assert_int_eq(sink.abort_calls, 1);
                ck_assert_str_eq(sink.body_text.c_str(), "hello");
                ck_assert_int_eq(sink.events.back(), 'A');
            }
        }
    }
}
END_TEST

// A body delimited by the close that a reset ends (its node died in it)
// has no known end: never finished as complete. The client's response is
// aborted, or, for a GET nothing of which was passed on yet, dropped so
// that another member is tried. (until_close_response: a close ends it.)
START_TEST(until_close_body_ended_by_a_reset)
{
    // Reset right after the head (within the head's hold), and after a
    // part of the body.
    for (const char* answer : {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npartial-bo"}) {
        Rig rig([&](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            p.send(answer);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            p.reset();
        }, true);  // over TCP: a socket pair has no reset
        StringBody body;
        RecordingSink sink;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
        ck_assert_msg(std::string(o.detail).find("reset") != std::string::npos, "detail: %s", o.detail);
        ck_assert_int_eq(o.sys_errno, ECONNRESET);
        ck_assert(!o.reusable);
        ck_assert_int_eq(sink.finish_calls, 0);
        ck_assert_int_eq(sink.discard_calls + sink.abort_calls, 1);
    }
}
END_TEST

// A head that comes alone is held a moment (kHeadHold, 100 ms) for its
// body: a node that closes within it leaves an idempotent request free to
// go elsewhere; a head that stays alone longer is written by itself (a
// stream's early head), and its body follows when it comes.
START_TEST(head_alone_held_a_moment)
{
    // Closed 20 ms after the head: forgotten.
    Rig closing([](HttpPeer& p) {
        std::string raw;
        p.read_request(raw);
        p.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        p.close();
    });
    StringBody body;
    RecordingSink sink;
    Outcome o = closing.run(get_request(), body, sink);
    closing.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::backend_closed);
    ck_assert(o.head_discarded);
    ck_assert_str_eq(sink.events.c_str(), "HD");

    // Its body only once the head went out: the head is written alone
    // (released before the body came), then the body, then the end.
    unit::Signal head_out;
    Rig streaming([&](HttpPeer& p) {
        std::string raw;
        p.read_request(raw);
        p.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        head_out.wait_for(2000);
        p.send("5\r\nhello\r\n0\r\n\r\n");
    });
    RecordingSink sink2;
    sink2.on_release = [&] { head_out.set(); };
    o = streaming.run(get_request(), body, sink2);
    streaming.finish();
    ck_assert_msg(o.ok(), "failure %s", ox::proxy::failure_name(o.failure));
    ck_assert_str_eq(sink2.body_text.c_str(), "hello");
    ck_assert_int_eq(sink2.events[0], 'H');
    ck_assert_int_eq(sink2.events[1], 'f');  // the head alone, flushed
    ck_assert_int_eq(sink2.events.back(), 'E');
}
END_TEST

namespace {

struct Malformed {
    const char* name;
    std::string answer;
    const char* detail_part;  // a word Outcome::detail must contain
    bool head_sent;
    const char* body;  // what the client got before the bad bytes
};

std::string many_headers(int n)
{
    std::string s;
    for (int i = 0; i < n; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
    return s;
}

const std::vector<Malformed>& malformed_cases()
{
    static const std::vector<Malformed> cases = {
        {"two Content-Lengths", response("Content-Length: 5\r\nContent-Length: 6\r\n", "hello"), "more than one", false, ""},
        {"two equal Content-Lengths", response("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), "more than one",
         false, ""},
        {"CL and TE", response("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
         "both Transfer-Encoding and Content-Length", false, ""},
        {"obs-fold", response("X-A: 1\r\n continued\r\nContent-Length: 0\r\n", ""), "obs-fold", false, ""},
        {"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "bare LF", false, ""},
        {"huge head", response("X-Big: " + std::string(70000, 'a') + "\r\n", ""), "too large", false, ""},
        {"too many headers", response(many_headers(101), ""), "more than 100", false, ""},
        {"not HTTP", "garbage\r\n\r\n", "status line", false, ""},
        {"bad chunk size", response("Transfer-Encoding: chunked\r\n", "3\r\nabc\r\nzz\r\n"), "hex", true, "abc"},
        {"overflowing chunk size", response("Transfer-Encoding: chunked\r\n", "fffffffffffffffff\r\n"), "too large",
         true, ""},
        {"no CRLF after chunk data", response("Transfer-Encoding: chunked\r\n", "3\r\nabcX\r\n0\r\n\r\n"),
         "not followed by CRLF", true, "abc"},
        {"101 not asked for", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "101", false, ""},
    };
    return cases;
}

}  // namespace

// The exchange stops at the rule broken, with `malformed` and a detail
// naming it, without waiting for more (the timeout would show); a response
// under way is aborted; the connection is never reused.
START_TEST(malformed_backend)
{
    const Malformed& c = malformed_cases()[static_cast<std::size_t>(_i)];
    Rig rig(answers(c.answer));
    StringBody body;
    RecordingSink sink;
    ExchangeParams params;
    params.timeout = ox::Millis(3000);
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    ck_assert_msg(o.failure == Failure::malformed, "%s: %s (%s)", c.name, ox::proxy::failure_name(o.failure), o.detail);
    ck_assert_msg(std::strstr(o.detail, c.detail_part), "%s: detail '%s'", c.name, o.detail);
    ck_assert_msg(!o.reusable, "%s: reusable", c.name);
    ck_assert_msg(o.head_sent == c.head_sent, "%s: head_sent %d", c.name, o.head_sent);
    ck_assert_int_eq(sink.abort_calls, c.head_sent ? 1 : 0);
    ck_assert_int_eq(sink.finish_calls, 0);
    ck_assert_msg(sink.body_text == c.body, "%s: passed '%s'", c.name, sink.body_text.c_str());
}
END_TEST

// A head larger than the buffer, when the limit allows it: the buffer grows.
START_TEST(large_head_allowed)
{
    std::string big(100000, 'b');
    Rig rig(answers(response("X-Big: " + big + "\r\nContent-Length: 2\r\n", "ok")));
    StringBody body;
    RecordingSink sink;
    ExchangeParams params;
    params.max_head = 256 * 1024;
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(o.reusable);
    ck_assert(sink.headers.size() == 2 && sink.headers[0].second == big);
    ck_assert_str_eq(sink.body_text.c_str(), "ok");
}
END_TEST

// A backend that never answers: read_timeout, before and after the head.
START_TEST(read_timeout)
{
    for (bool after_head : {false, true}) {
        Rig rig([after_head](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            if (after_head) p.send(response("Content-Length: 100\r\n", "so far"));
            p.rest();
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
        if (after_head) ck_assert_str_eq(sink.body_text.c_str(), "so far");
    }
}
END_TEST

// A pooled connection the backend has closed: before the request is
// written (send_failed) or after it was read (backend_closed). Either way
// nothing reached the client and no body was taken, so the balancer may
// retry on a fresh connection (balancer_runtime.cc: stale_connection).
START_TEST(stale_connection_retryable)
{
    for (bool read_first : {false, true}) {
        Rig rig([read_first](HttpPeer& p) {
            std::string raw;
            if (read_first) p.read_request(raw);
        });
        if (!read_first) rig.wait_backend();
        StringBody body;
        RecordingSink sink;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        ck_assert_msg(o.failure == (read_first ? Failure::backend_closed : Failure::send_failed), "%s",
                      ox::proxy::failure_name(o.failure));
        ck_assert(!o.head_sent);
        ck_assert(!o.body_started);
        ck_assert(!o.reusable);
        ck_assert(o.request_sent == read_first);
        ck_assert_str_eq(sink.events.c_str(), "");
    }
}
END_TEST

// Connection: close or HTTP/1.0: the response is fine, the connection not.
START_TEST(not_reusable_endings)
{
    const std::string cases[] = {
        response("Connection: close\r\nContent-Length: 2\r\n", "ok"),
        response("Connection: Keep-Alive, close\r\nContent-Length: 2\r\n", "ok"),
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    };
    for (const std::string& answer : cases) {
        Rig rig(answers(answer));
        StringBody body;
        RecordingSink sink;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_msg(!o.reusable, "reusable: %s", answer.c_str());
        ck_assert_str_eq(sink.body_text.c_str(), "ok");
    }
}
END_TEST

// Keep-alive: two requests on one connection, the second after the first
// was complete; the backend sees two well-formed requests.
START_TEST(keep_alive_two_requests)
{
    std::vector<std::string> got;
    Rig rig([&](HttpPeer& p) {
        std::string raw, body;
        p.read_request(raw, &body);
        got.push_back(raw);
        p.send(response("Transfer-Encoding: chunked\r\n", "3\r\none\r\n0\r\n\r\n"));
        p.read_request(raw, &body);
        got.push_back(raw);
        p.send(cl_response("two"));
        p.rest();
    });
    RecordingSink s1, s2;
    StringBody b1, b2("data");
    Outcome o1 = rig.run(get_request(), b1, s1);
    ck_assert(o1.ok() && o1.reusable);
    Outcome o2 = rig.run(post_request(BodyKind::length, 4), b2, s2);
    rig.finish();
    CK_ASSERT_FAILURE(o2.failure, Failure::none);
    ck_assert(o2.reusable);
    ck_assert_uint_eq(rig.conn.requests, 2);
    ck_assert_str_eq(s1.body_text.c_str(), "one");
    ck_assert_str_eq(s2.body_text.c_str(), "two");
    ck_assert_uint_eq(got.size(), 2);
    ck_assert(got[1].rfind("POST /appsuite/ HTTP/1.1\r\n", 0) == 0);
    ck_assert(got[1].size() > 4 && got[1].compare(got[1].size() - 4, 4, "data") == 0);
}
END_TEST

// What the backend has sent reaches the client before the exchange waits
// for more; body views stay valid while their holds live (a lazy sink
// keeps them and copies only at release) across reads; a large body
// streams through the buffer, passed on at least every 128 KiB.
START_TEST(streaming_and_views)
{
    std::string data = unit::pattern(1000000);
    unit::Signal flushed;
    bool in_time = false;
    std::string seen;
    Rig rig([&](HttpPeer& p) {
        std::string raw;
        p.read_request(raw);
        p.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" + data.substr(0, 10));
        in_time = flushed.wait();
        for (std::size_t off = 10; off < data.size(); off += 70000) p.send(data.substr(off, 70000));
        p.rest();
    });
    StringBody body;
    RecordingSink sink;
    sink.lazy = true;
    sink.on_release = [&] {
        if (sink.flushes == 1 && seen.empty()) {
            seen = sink.events;
            flushed.set();
        }
    };
    Outcome o = rig.run(get_request(), body, sink);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert(in_time);
    ck_assert_msg(seen == "Hbf", "events %s when flushed", seen.c_str());
    ck_assert(sink.body_text == data);
    ck_assert_uint_le(sink.max_unreleased, 128 * 1024);
    ck_assert_uint_eq(o.body_bytes_out, data.size());
    ck_assert(o.reusable);
}
END_TEST

// flush_wait (as for AJP): a long body whose backend pauses 30 ms between
// its pieces goes out without a flush when 30 s are allowed; a small one
// (8 KiB or less so far) is flushed before the backend goes on however
// long flush_wait is, and so is a long one at a pause longer than it.
START_TEST(flush_wait_gathers_long_bodies)
{
    std::string data = unit::pattern(48 * 1024, 9);
    {
        Rig rig([&](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            p.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" +
                   data.substr(0, 16384));
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            p.send(data.substr(16384, 16384));
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            p.send(data.substr(32768));
            p.rest();
        });
        StringBody body;
        RecordingSink sink;
        ExchangeParams params;
        params.flush_wait = std::chrono::seconds(30);
        Outcome o = rig.run(get_request(), body, sink, params);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert(sink.body_text == data);
        ck_assert_int_eq(sink.flushes, 0);
    }
    struct Case {
        const char* name;
        std::size_t first;
        int wait_ms;
    } cases[] = {
        {"a small body, flush_wait 30 s", 10, 30000},
        {"8 KiB, flush_wait 30 s", 8192, 30000},
        {"16 KiB, flush_wait 20 ms", 16384, 20},
    };
    for (const Case& c : cases) {
        unit::Signal flushed;
        bool in_time = false;
        Rig rig([&](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            p.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" +
                   data.substr(0, c.first));
            in_time = flushed.wait();
            p.send(data.substr(c.first));
            p.rest();
        });
        StringBody body;
        RecordingSink sink;
        sink.on_release = [&] {
            if (sink.flushes == 1) flushed.set();
        };
        ExchangeParams params;
        params.flush_wait = std::chrono::milliseconds(c.wait_ms);
        Outcome o = rig.run(get_request(), body, sink, params);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::none);
        ck_assert_msg(in_time, "%s: not flushed before the backend went on", c.name);
        ck_assert_msg(sink.body_text == data, "%s: body bytes differ", c.name);
    }
}
END_TEST

// The bytes flush_wait waits for are no more than the Content-Length still
// has to bring (as for AJP): the body's last bytes end the wait when they
// come, not when the window closes (8 s here).
START_TEST(flush_wait_takes_the_last_bytes_at_once)
{
    const std::string data = unit::pattern(24 * 1024 + 4, 12);
    unit::Signal finished;
    bool in_time = false;
    RecordingSink sink;
    sink.on_finish = [&] { finished.set(); };
    Rig rig(
        [&](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            p.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" +
                   data.substr(0, 24 * 1024));
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            p.send(data.substr(24 * 1024));
            in_time = finished.wait();
            p.rest();
        },
        true);
    StringBody body;
    ExchangeParams params;
    params.flush_wait = std::chrono::seconds(8);  // more than finished.wait()'s 5 s
    Outcome o = rig.run(get_request(), body, sink, params);
    rig.finish();
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_msg(in_time, "the body's last bytes waited for the window");
    ck_assert_msg(sink.body_text == data, "body bytes differ");
}
END_TEST

// flush_wait bounds the whole wait, not each gap (as for AJP): a body
// trickled in 100-byte pieces 10 ms apart for 600 ms is flushed before the
// trickle ends with 200 ms allowed.
START_TEST(flush_wait_bounds_a_trickle)
{
    const std::string big = unit::pattern(16 * 1024, 4);
    const std::string drop(100, 't');
    const std::size_t total = big.size() + 60 * drop.size();
    unit::Signal flushed;
    bool in_time = false;
    RecordingSink sink;
    Rig rig([&](HttpPeer& p) {
        std::string raw;
        p.read_request(raw);
        p.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n" + big);
        for (int i = 0; i < 59; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            p.send(drop);
        }
        in_time = flushed.wait_for(0);
        p.send(drop);
        p.rest();
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

// The client goes away: client_aborted, nothing aborted (nobody listens),
// the connection (a response half read) not reused. At finish() the
// response was read whole, so the connection stays in step (as with AJP).
START_TEST(client_gone)
{
    using G = RecordingSink::GoneAt;
    for (G at : {G::head, G::body, G::release, G::finish}) {
        Rig rig([at](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            if (at == G::finish) {
                p.send(cl_response("x"));
            } else {
                p.send(response("Content-Length: 2\r\n", "x"));  // the rest never comes
            }
            p.rest();
        });
        StringBody body;
        RecordingSink sink;
        sink.gone_at = at;
        Outcome o = rig.run(get_request(), body, sink);
        rig.finish();
        CK_ASSERT_FAILURE(o.failure, Failure::client_aborted);
        ck_assert(o.reusable == (at == G::finish));
        ck_assert(o.head_sent);
        ck_assert_int_eq(sink.abort_calls, 0);
    }
}
END_TEST

// An upgrade asked for: the exchange stops after head(), leaving the
// connection (and what is buffered) to the caller.
START_TEST(upgrade_stops_after_head)
{
    Rig rig(answers("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi"));
    StringBody body;
    RecordingSink sink;
    ExchangeParams params;
    params.allow_upgrade = true;
    Outcome o = rig.run(get_request(), body, sink, params);
    CK_ASSERT_FAILURE(o.failure, Failure::none);
    ck_assert_int_eq(o.status, 101);
    ck_assert(!o.reusable);
    ck_assert_str_eq(sink.events.c_str(), "H");
    ck_assert_uint_eq(rig.conn.buffered(), 4);
    rig.finish();
}
END_TEST

// ============================================================================
// probe
// ============================================================================

START_TEST(probe_status)
{
    const char* head = "GET /health HTTP/1.1\r\nHost: node1\r\n\r\n";
    struct Case {
        const char* name;
        std::string answer;
        bool ok;
        int status;
    } cases[] = {
        {"200", cl_response("{\"status\":\"UP\"}"), true, 200},
        {"503 chunked", "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nDOWN\r\n0\r\n\r\n",
         true, 503},
        {"500 until close", "HTTP/1.1 500 Internal Server Error\r\n\r\nboom", true, 500},
        {"100 then 200", "HTTP/1.1 100 Continue\r\n\r\n" + cl_response("ok"), true, 200},
        {"garbage", "SSH-2.0-OpenSSH_9.0\r\n", false, 0},
        {"closed", "", false, 0},
    };
    for (const Case& c : cases) {
        std::string got;
        Rig rig([&](HttpPeer& p) {
            std::string raw;
            p.read_request(raw);
            got = raw;
            p.send(c.answer);
            p.close();
        });
        int status = -1;
        const char* detail = "";
        bool ok = ox::http::probe(rig.conn, head, ox::Millis(2000), status, detail);
        rig.finish();
        ck_assert_msg(ok == c.ok, "%s: ok %d (%s)", c.name, ok, detail);
        ck_assert_msg(status == c.status, "%s: status %d", c.name, status);
        if (!ok) ck_assert_msg(detail && *detail, "%s: no detail", c.name);
        CK_ASSERT_STRING_EQ(got, head);
    }
    // No answer within the timeout.
    Rig silent([](HttpPeer& p) { p.rest(); });
    int status = -1;
    const char* detail = "";
    ck_assert(!ox::http::probe(silent.conn, head, ox::Millis(50), status, detail));
    ck_assert_str_eq(detail, "no response within the timeout");
}
END_TEST

int main()
{
    Suite* s = suite_create("http_exchange");

    TCase* req = tcase_create("request");
    tcase_set_timeout(req, 20);
    tcase_add_test(req, request_head_bytes);
    tcase_add_test(req, request_host_added);
    tcase_add_test(req, request_head_refused);
    tcase_add_test(req, request_length_body_exact);
    tcase_add_test(req, request_chunked_body_exact);
    tcase_add_test(req, request_chunked_body_large);
    tcase_add_test(req, client_body_errors);
    tcase_add_test(req, answer_before_body_read);
    suite_add_tcase(s, req);

    TCase* ok = tcase_create("response");
    tcase_set_timeout(ok, 20);
    tcase_add_test(ok, get_content_length);
    tcase_add_test(ok, chunked_response);
    tcase_add_test(ok, until_close_response);
    tcase_add_test(ok, no_body_responses);
    tcase_add_test(ok, interim_responses_skipped);
    tcase_add_test(ok, not_reusable_endings);
    tcase_add_test(ok, keep_alive_two_requests);
    tcase_add_test(ok, streaming_and_views);
    tcase_add_test(ok, flush_wait_gathers_long_bodies);
    tcase_add_test(ok, flush_wait_bounds_a_trickle);
    tcase_add_test(ok, flush_wait_takes_the_last_bytes_at_once);
    tcase_add_test(ok, large_head_allowed);
    tcase_add_test(ok, upgrade_stops_after_head);
    suite_add_tcase(s, ok);

    TCase* bad = tcase_create("backend_failures");
    tcase_set_timeout(bad, 20);
    tcase_add_test(bad, body_longer_than_content_length);
    tcase_add_test(bad, body_shorter_then_close);
    tcase_add_test(bad, until_close_body_ended_by_a_reset);
    tcase_add_test(bad, head_alone_held_a_moment);
    tcase_add_loop_test(bad, malformed_backend, 0, static_cast<int>(malformed_cases().size()));
    tcase_add_test(bad, read_timeout);
    tcase_add_test(bad, stale_connection_retryable);
    tcase_add_test(bad, client_gone);
    suite_add_tcase(s, bad);

    TCase* pr = tcase_create("probe");
    tcase_set_timeout(pr, 20);
    tcase_add_test(pr, probe_status);
    suite_add_tcase(s, pr);

    return unit::run_suite(s);
}
