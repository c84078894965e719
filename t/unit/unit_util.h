// Shared helpers for the libox unit tests: byte vectors, AJP packet builders
// and a small decoder of what the proxy sends, string-backed fakes of the
// request body and the response sink, socket helpers and a scripted fake AJP
// backend (one connection, or a listening server).
//
// The AJP encoding here is written independently of libox on purpose: a
// mistake in libox's codec must not be mirrored by the code that checks it.
#ifndef OX_T_UNIT_UNIT_UTIL_H
#define OX_T_UNIT_UNIT_UTIL_H

#include <check.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "balance/balancer_runtime.h"
#include "proxy/io.h"
#include "proxy/outcome.h"

namespace unit {

using Bytes = std::vector<std::uint8_t>;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// ---- byte vectors -----------------------------------------------------------

// "12 34 00 0a" -> bytes; text in double quotes stands for its bytes, so
// hex(R"(00 02 "ok" 00)") is 00 02 6f 6b 00. Whitespace is ignored; anything
// else aborts the test program (a typo in a test, not a libox failure).
Bytes hex(std::string_view text);
Bytes bytes_of(std::string_view s);
std::string string_of(const Bytes& b);
std::string to_hex(const std::uint8_t* p, std::size_t n);
inline std::string to_hex(const Bytes& b) { return to_hex(b.data(), b.size()); }
Bytes cat(std::initializer_list<Bytes> parts);
// "" when equal, else where they differ, with both sides in hex around it.
std::string diff_bytes(const Bytes& actual, const Bytes& expected);
std::string diff_bytes(const std::uint8_t* actual, std::size_t actual_len, const Bytes& expected);
// Deterministic filler: byte i of a pattern seeded by `seed`.
std::string pattern(std::size_t n, unsigned seed = 1);

// Builds AJP payloads field by field, then frames them.
class Wire {
public:
    Wire& u8(unsigned v);
    Wire& u16(unsigned v);
    Wire& str(std::string_view s);  // u16 length, bytes, NUL
    Wire& null_str();               // 0xFFFF
    Wire& raw(std::string_view s);
    Wire& raw(const Bytes& b);

    const Bytes& payload() const { return p_; }
    Bytes to_proxy() const;      // framed as a container sends it: 'A' 'B' len
    Bytes to_backend() const;    // framed as the proxy sends it: 0x12 0x34 len

private:
    Bytes p_;
};

// ---- packets a container sends (framed, 'A' 'B') ---------------------------
Bytes pkt_headers(int status, std::string_view reason, const HeaderList& headers = {});
Bytes pkt_body(std::string_view data, bool trailing_nul = true);
Bytes pkt_end(bool reuse);
Bytes pkt_get_body(unsigned n);
Bytes pkt_cpong();

// ---- packets the proxy sends (framed, 0x12 0x34) ---------------------------
struct ForwardRequest {
    unsigned method = 0;
    std::string protocol, uri, remote_addr, remote_host, server_name;
    unsigned server_port = 0;
    bool ssl = false;
    HeaderList headers;  // coded names decoded to lower case
    std::vector<std::pair<unsigned, std::string>> attributes;  // 0x0A: "name=value"
    std::string error;   // why decoding failed
};
bool decode_forward(const Bytes& packet, ForwardRequest& out);
std::string header_value(const HeaderList& h, std::string_view name);  // case-insensitive, "" if absent
// A request body packet: sets `data`; "" for the end-of-body packet 12 34 00 00.
bool decode_body_packet(const Bytes& packet, std::string& data);
// Renders proxy packets as "FWD", "BODY(abc)", "BODY()" for readable asserts.
std::string describe(const std::vector<Bytes>& proxy_packets);

// ---- Check helpers ------------------------------------------------------------
#define CK_ASSERT_BYTES_EQ(actual, expected)                                   \
    do {                                                                       \
        std::string ck_diff_ = unit::diff_bytes((actual), (expected));         \
        ck_assert_msg(ck_diff_.empty(), "%s", ck_diff_.c_str());               \
    } while (0)

// ck_assert_str_eq on std::string expressions (ck_assert_str_eq itself
// keeps only the c_str() of a temporary, which is gone by the comparison).
#define CK_ASSERT_STRING_EQ(actual, expected)                                  \
    do {                                                                       \
        const std::string ck_actual_ = (actual);                               \
        const std::string ck_expected_ = (expected);                           \
        ck_assert_str_eq(ck_actual_.c_str(), ck_expected_.c_str());            \
    } while (0)

#define CK_ASSERT_FAILURE(actual, expected)                                    \
    ck_assert_str_eq(ox::proxy::failure_name(actual), ox::proxy::failure_name(expected))

// Runs every test of the suite, CK_NORMAL output; the process exit code.
int run_suite(Suite* s);

// ---- fakes of the client side ------------------------------------------------

// The client's request body from a string. Reads hand out at most
// `max_per_read` bytes; `fail_at` makes the read that reaches that offset
// fail (-1), as a client that went away.
class StringBody final : public ox::proxy::BodySource {
public:
    explicit StringBody(std::string data = {}, std::size_t max_per_read = static_cast<std::size_t>(-1));
    long read(char* dst, std::size_t max) noexcept override;

    std::size_t fail_at = static_cast<std::size_t>(-1);
    std::function<void()> on_read;  // called before every read
    std::size_t consumed = 0;
    int reads = 0;

private:
    std::string data_;
    std::size_t max_per_read_;
};

// Records what an exchange hands to the client. In `lazy` mode it keeps the
// body views it is given with their holds and copies them only at
// release()/finish(), as the ResponseSink contract allows: a test that the
// holds keep the views valid (under ASan, a view into a reused or freed
// block is caught).
class RecordingSink final : public ox::proxy::ResponseSink {
public:
    enum class GoneAt { never, head, body, release, finish };

    ox::proxy::SinkResult head(const ox::proxy::ResponseHead& head) noexcept override;
    ox::proxy::SinkResult body(const char* data, std::size_t len, ox::net::BlockHold hold) noexcept override;
    ox::proxy::SinkResult release(bool flush) noexcept override;
    bool end_apart_costs() const noexcept override { return end_apart; }
    ox::proxy::SinkResult finish() noexcept override;
    void abort() noexcept override;
    // Forgets the head and body (as the contract asks) and records 'D'.
    void discard() noexcept override;

    bool lazy = false;
    bool end_apart = false;  // what end_apart_costs() says (true: as over HTTP/2)
    GoneAt gone_at = GoneAt::never;
    std::function<void()> on_head;     // called after head() recorded
    std::function<void()> on_release;  // called after release() recorded
    std::function<void()> on_finish;   // called after finish() recorded

    int status = 0;
    std::string reason;
    HeaderList headers;
    std::string body_text;
    // The most body bytes held at once between release() calls.
    std::size_t max_unreleased = 0;
    int head_calls = 0, body_calls = 0, release_calls = 0, flushes = 0, finish_calls = 0, abort_calls = 0,
        discard_calls = 0;
    // One letter per call: H head, b body, r release, f release+flush,
    // E finish, A abort, D discard.
    std::string events;

private:
    void copy_pending();
    ox::proxy::SinkResult result(GoneAt where) const noexcept;

    std::vector<std::string_view> lazy_body_;
    std::vector<ox::net::BlockHold> lazy_holds_;
    std::size_t unreleased_ = 0;
};

class RecordingObserver final : public ox::AttemptObserver {
public:
    struct Attempt {
        std::string member;  // url
        ox::proxy::Failure failure;
        bool request_sent;
        bool retrying;
        bool known_failing;
    };
    void attempt_started(const ox::MemberSpec& member, ox::Reason reason, const ox::SessionRef& session) noexcept override;
    void attempt_failed(const ox::MemberSpec& member, const ox::proxy::Outcome& o, bool retrying,
                        bool known_failing) noexcept override;
    void member_failed(const ox::MemberSpec& member) noexcept override;

    std::vector<Attempt> attempts;
    std::vector<std::string> failed_members;
    std::vector<std::pair<std::string, ox::Reason>> started;  // url, why
};

// ---- sockets ------------------------------------------------------------------

void set_nonblocking(int fd);
// A connected AF_UNIX stream pair: `proxy` is non-blocking as libox expects,
// `backend` blocking with 5 s timeouts so that a broken test cannot hang.
struct FdPair {
    int proxy = -1;
    int backend = -1;
};
FdPair socket_pair();
// The same over TCP on 127.0.0.1, as a backend connection is: the kernel's
// TCP paths (segments, SO_RCVLOWAT in poll) differ from AF_UNIX's.
FdPair tcp_pair();
// A TCP port on 127.0.0.1 that is bound but never listens: connecting to it
// is refused, and nobody else can take it while this object lives.
class ReservedPort {
public:
    ReservedPort();
    ~ReservedPort();
    ReservedPort(const ReservedPort&) = delete;
    ReservedPort& operator=(const ReservedPort&) = delete;
    std::uint16_t port() const { return port_; }
    std::string url() const;

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};
// The fd of this process's TCP socket whose local port is `port`, or -1.
int find_local_socket(std::uint16_t port);
// Waits (poll) until fd is readable; false after `ms`.
bool wait_readable(int fd, int ms);

// A one-shot event between threads (waits are bounded by 5 s).
class Signal {
public:
    void set();
    bool wait();
    // Waits at most `ms`; whether it was set.
    bool wait_for(int ms);

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool set_ = false;
};

// ---- the fake AJP backend -------------------------------------------------------

// The backend end of one connection: blocking reads and writes of packets.
class BackendPeer {
public:
    explicit BackendPeer(int fd);
    ~BackendPeer();
    BackendPeer(const BackendPeer&) = delete;
    BackendPeer& operator=(const BackendPeer&) = delete;

    // One packet from the proxy (0x12 0x34 len payload, returned whole).
    // Empty when the proxy closed the connection (or sent garbage: `error`).
    Bytes read_packet();
    bool send(const Bytes& b);
    // Every byte the proxy sends until it closes its end.
    Bytes read_to_eof();
    void close();
    int fd() const { return fd_; }
    std::string error;

private:
    bool read_exact(std::uint8_t* dst, std::size_t n);
    int fd_;
};

// Runs `script` against the backend end of one connection in a thread.
class BackendThread {
public:
    BackendThread(int fd, std::function<void(BackendPeer&)> script);
    ~BackendThread();
    void join();

private:
    std::thread t_;
};

// What a fake server saw of one request.
struct ServedRequest {
    int conn_no = 0;
    int pings_before = 0;  // CPINGs answered on the connection just before this request
    ForwardRequest fwd;
    std::vector<std::string> body_packets;  // data of each body packet, in order
};

class RequestLog {
public:
    void add(ServedRequest r);
    std::vector<ServedRequest> all() const;
    std::size_t size() const;

private:
    mutable std::mutex mu_;
    std::vector<ServedRequest> reqs_;
};

// Reads one request as Tomcat does (CPINGs before it answered with CPONG;
// forward request; a Content-Length body's
// first chunk unasked, the rest by GET_BODY_CHUNK), logs it and answers 200
// with `answer` as the body and END_RESPONSE(reuse). False when the proxy
// closed instead of sending a request.
bool serve_one(BackendPeer& p, RequestLog& log, int conn_no, std::string_view answer, bool reuse = true);
// Reads the forward request and, for a Content-Length body, the first body
// packet, logs them, and returns without answering.
bool read_request_only(BackendPeer& p, RequestLog& log, int conn_no);
// An HTTP backend's side: reads into `buf` until it holds the end of a
// request head ("\r\n\r\n"); false when the proxy closed first.
bool recv_http_head(BackendPeer& p, std::string& buf);
// serve_one until the proxy closes the connection.
void serve_all(BackendPeer& p, RequestLog& log, int conn_no, std::string_view answer);

// A listening AJP backend on 127.0.0.1:<ephemeral>. Each accepted
// connection runs `handler(peer, conn_no)` in its own thread.
class FakeAjpServer {
public:
    using Handler = std::function<void(BackendPeer&, int conn_no)>;
    explicit FakeAjpServer(Handler h);
    ~FakeAjpServer();
    FakeAjpServer(const FakeAjpServer&) = delete;
    FakeAjpServer& operator=(const FakeAjpServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const;  // "ajp://127.0.0.1:<port>"
    int accepted() const { return accepted_.load(); }
    // The proxy-side port of each accepted connection, in accept order.
    std::vector<std::uint16_t> client_ports() const;
    // Stops accepting and waits for every connection handler to return.
    void stop();

private:
    void accept_loop();

    Handler handler_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<int> accepted_{0};
    mutable std::mutex mu_;
    std::vector<std::uint16_t> client_ports_;
    std::vector<std::thread> conns_;
    std::thread acceptor_;
    bool stopped_ = false;
};

// A plain GET with a Host and an Accept header; its views point to static
// storage.
ox::proxy::Request get_request();

}  // namespace unit

#endif
