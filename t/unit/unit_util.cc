#include "unit_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace unit {

// ---- byte vectors -----------------------------------------------------------

namespace {

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void put16(Bytes& b, unsigned v)
{
    b.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
    b.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

Bytes frame(std::uint8_t m0, std::uint8_t m1, const Bytes& payload)
{
    Bytes b{m0, m1};
    put16(b, static_cast<unsigned>(payload.size()));
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

}  // namespace

Bytes hex(std::string_view text)
{
    Bytes out;
    int hi = -1;
    bool quoted = false;
    for (char c : text) {
        if (quoted) {
            if (c == '"') {
                quoted = false;
            } else {
                out.push_back(static_cast<std::uint8_t>(c));
            }
            continue;
        }
        if (c == '"' && hi < 0) {
            quoted = true;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\t') continue;
        int d = hex_digit(c);
        if (d < 0) {
            std::fprintf(stderr, "unit::hex: bad character '%c' in \"%.*s\"\n", c, static_cast<int>(text.size()),
                         text.data());
            std::abort();
        }
        if (hi < 0) {
            hi = d;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + d));
            hi = -1;
        }
    }
    if (hi >= 0 || quoted) {
        std::fprintf(stderr, "unit::hex: odd number of digits or open quote in \"%.*s\"\n", static_cast<int>(text.size()),
                     text.data());
        std::abort();
    }
    return out;
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string string_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

std::string to_hex(const std::uint8_t* p, std::size_t n)
{
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(n * 3);
    for (std::size_t i = 0; i < n; ++i) {
        if (i) s += ' ';
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

Bytes cat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::string diff_bytes(const std::uint8_t* a, std::size_t alen, const Bytes& e)
{
    std::size_t i = 0;
    while (i < alen && i < e.size() && a[i] == e[i]) ++i;
    if (i == alen && i == e.size()) return {};
    std::size_t from = i >= 8 ? i - 8 : 0;
    auto window = [&](const std::uint8_t* p, std::size_t n) {
        std::size_t to = std::min(n, i + 16);
        return from < to ? to_hex(p + from, to - from) : std::string("(nothing)");
    };
    char head[160];
    std::snprintf(head, sizeof head, "byte vectors differ at offset %zu (actual %zu bytes, expected %zu bytes); from offset %zu:",
                  i, alen, e.size(), from);
    return std::string(head) + "\n  actual:   " + window(a, alen) + "\n  expected: " + window(e.data(), e.size());
}

std::string diff_bytes(const Bytes& actual, const Bytes& expected)
{
    return diff_bytes(actual.data(), actual.size(), expected);
}

std::string pattern(std::size_t n, unsigned seed)
{
    std::string s(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1103515245u + 12345u;
        s[i] = static_cast<char>(x >> 24);
    }
    return s;
}

Wire& Wire::u8(unsigned v)
{
    p_.push_back(static_cast<std::uint8_t>(v & 0xFF));
    return *this;
}

Wire& Wire::u16(unsigned v)
{
    put16(p_, v);
    return *this;
}

Wire& Wire::str(std::string_view s)
{
    put16(p_, static_cast<unsigned>(s.size()));
    p_.insert(p_.end(), s.begin(), s.end());
    p_.push_back(0);
    return *this;
}

Wire& Wire::null_str() { return u16(0xFFFF); }

Wire& Wire::raw(std::string_view s)
{
    p_.insert(p_.end(), s.begin(), s.end());
    return *this;
}

Wire& Wire::raw(const Bytes& b)
{
    p_.insert(p_.end(), b.begin(), b.end());
    return *this;
}

Bytes Wire::to_proxy() const { return frame('A', 'B', p_); }
Bytes Wire::to_backend() const { return frame(0x12, 0x34, p_); }

// ---- container packets --------------------------------------------------------

Bytes pkt_headers(int status, std::string_view reason, const HeaderList& headers)
{
    Wire w;
    w.u8(4).u16(static_cast<unsigned>(status)).str(reason).u16(static_cast<unsigned>(headers.size()));
    for (const auto& h : headers) w.str(h.first).str(h.second);
    return w.to_proxy();
}

Bytes pkt_body(std::string_view data, bool trailing_nul)
{
    Wire w;
    w.u8(3).u16(static_cast<unsigned>(data.size())).raw(data);
    if (trailing_nul) w.u8(0);
    return w.to_proxy();
}

Bytes pkt_end(bool reuse) { return Wire().u8(5).u8(reuse ? 1 : 0).to_proxy(); }
Bytes pkt_get_body(unsigned n) { return Wire().u8(6).u16(n).to_proxy(); }
Bytes pkt_cpong() { return Wire().u8(9).to_proxy(); }

// ---- proxy packets ----------------------------------------------------------------

namespace {

// Tomcat's request header codes 0xA001.. (independent of libox's table).
const char* const kCodedRequestHeaders[] = {
    "accept", "accept-charset", "accept-encoding", "accept-language", "authorization", "connection", "content-type",
    "content-length", "cookie", "cookie2", "host", "pragma", "referer", "user-agent",
};

class Cursor {
public:
    Cursor(const Bytes& b, std::size_t pos) : b_(b), pos_(pos) {}
    bool u8(unsigned& v)
    {
        if (pos_ + 1 > b_.size()) return false;
        v = b_[pos_++];
        return true;
    }
    bool u16(unsigned& v)
    {
        if (pos_ + 2 > b_.size()) return false;
        v = (static_cast<unsigned>(b_[pos_]) << 8) | b_[pos_ + 1];
        pos_ += 2;
        return true;
    }
    bool peek16(unsigned& v) const
    {
        if (pos_ + 2 > b_.size()) return false;
        v = (static_cast<unsigned>(b_[pos_]) << 8) | b_[pos_ + 1];
        return true;
    }
    bool str(std::string& s)
    {
        unsigned n = 0;
        if (!u16(n)) return false;
        if (n == 0xFFFF) {
            s.clear();
            return true;
        }
        if (pos_ + n + 1 > b_.size() || b_[pos_ + n] != 0) return false;
        s.assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
        pos_ += n + 1;
        return true;
    }
    bool at_end() const { return pos_ == b_.size(); }

private:
    const Bytes& b_;
    std::size_t pos_;
};

}  // namespace

bool decode_forward(const Bytes& pkt, ForwardRequest& out)
{
    out = ForwardRequest{};
    auto bad = [&](const char* why) {
        out.error = why;
        return false;
    };
    if (pkt.size() < 5 || pkt[0] != 0x12 || pkt[1] != 0x34) return bad("no 0x12 0x34 packet");
    if (((static_cast<std::size_t>(pkt[2]) << 8) | pkt[3]) != pkt.size() - 4) return bad("length field mismatch");
    Cursor c(pkt, 4);
    unsigned type = 0, ssl = 0, count = 0;
    if (!c.u8(type) || type != 2) return bad("not a FORWARD_REQUEST");
    if (!c.u8(out.method) || !c.str(out.protocol) || !c.str(out.uri) || !c.str(out.remote_addr) ||
        !c.str(out.remote_host) || !c.str(out.server_name) || !c.u16(out.server_port) || !c.u8(ssl) ||
        !c.u16(count)) {
        return bad("truncated request line");
    }
    out.ssl = ssl != 0;
    for (unsigned i = 0; i < count; ++i) {
        unsigned code = 0;
        std::string name, value;
        if (!c.peek16(code)) return bad("truncated header");
        if ((code & 0xFF00) == 0xA000) {
            c.u16(code);
            if (code < 0xA001 || code > 0xA00E) return bad("unknown coded header");
            name = kCodedRequestHeaders[code - 0xA001];
        } else if (!c.str(name)) {
            return bad("truncated header name");
        }
        if (!c.str(value)) return bad("truncated header value");
        out.headers.emplace_back(name, value);
    }
    for (;;) {
        unsigned code = 0;
        if (!c.u8(code)) return bad("no 0xFF after the attributes");
        if (code == 0xFF) break;
        std::string v;
        if (code == 0x0B) {
            unsigned n = 0;
            if (!c.u16(n)) return bad("truncated key size");
            v = std::to_string(n);
        } else if (code == 0x0A) {
            std::string name;
            if (!c.str(name) || !c.str(v)) return bad("truncated req_attribute");
            v = name + "=" + v;
        } else if (!c.str(v)) {
            return bad("truncated attribute");
        }
        out.attributes.emplace_back(code, v);
    }
    if (!c.at_end()) return bad("bytes after 0xFF");
    return true;
}

std::string header_value(const HeaderList& h, std::string_view name)
{
    for (const auto& kv : h) {
        if (kv.first.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < name.size() && same; ++i) {
            same = std::tolower(static_cast<unsigned char>(kv.first[i])) == std::tolower(static_cast<unsigned char>(name[i]));
        }
        if (same) return kv.second;
    }
    return {};
}

bool decode_body_packet(const Bytes& pkt, std::string& data)
{
    data.clear();
    if (pkt.size() < 4 || pkt[0] != 0x12 || pkt[1] != 0x34) return false;
    std::size_t len = (static_cast<std::size_t>(pkt[2]) << 8) | pkt[3];
    if (len != pkt.size() - 4) return false;
    if (len == 0) return true;  // the end-of-body packet
    if (len < 2) return false;
    std::size_t n = (static_cast<std::size_t>(pkt[4]) << 8) | pkt[5];
    if (n + 2 != len) return false;
    data.assign(reinterpret_cast<const char*>(pkt.data() + 6), n);
    return true;
}

std::string describe(const std::vector<Bytes>& pkts)
{
    std::string s;
    for (const Bytes& p : pkts) {
        if (!s.empty()) s += ' ';
        std::string data;
        if (p.size() > 4 && p[0] == 0x12 && p[1] == 0x34 && p[4] == 2) {
            s += "FWD";
        } else if (decode_body_packet(p, data)) {
            s += "BODY(" + data + ")";
        } else {
            s += "?[" + to_hex(p) + "]";
        }
    }
    return s;
}

// ---- Check -----------------------------------------------------------------------

int run_suite(Suite* s)
{
    // The fake backends write to sockets the proxy may have closed.
    std::signal(SIGPIPE, SIG_IGN);
    SRunner* sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

// ---- fakes -------------------------------------------------------------------------

StringBody::StringBody(std::string data, std::size_t max_per_read) : data_(std::move(data)), max_per_read_(max_per_read)
{
}

long StringBody::read(char* dst, std::size_t max) noexcept
{
    if (on_read) on_read();
    ++reads;
    if (consumed >= fail_at) return -1;
    std::size_t n = std::min({max, max_per_read_, data_.size() - consumed});
    if (fail_at != static_cast<std::size_t>(-1)) n = std::min(n, fail_at - consumed);
    std::memcpy(dst, data_.data() + consumed, n);
    consumed += n;
    return static_cast<long>(n);
}

ox::proxy::SinkResult RecordingSink::result(GoneAt where) const noexcept
{
    return gone_at == where ? ox::proxy::SinkResult::client_gone : ox::proxy::SinkResult::ok;
}

void RecordingSink::copy_pending()
{
    for (std::string_view v : lazy_body_) body_text.append(v);
    lazy_body_.clear();
    lazy_holds_.clear();
    unreleased_ = 0;
}

ox::proxy::SinkResult RecordingSink::head(const ox::proxy::ResponseHead& h) noexcept
{
    ++head_calls;
    events += 'H';
    // Head views are valid only during this call (proxy/io.h), lazy or not.
    status = h.status;
    reason.assign(h.reason);
    for (std::size_t i = 0; i < h.header_count; ++i) {
        headers.emplace_back(std::string(h.headers[i].name), std::string(h.headers[i].value));
    }
    if (on_head) on_head();
    return result(GoneAt::head);
}

ox::proxy::SinkResult RecordingSink::body(const char* data, std::size_t len, ox::net::BlockHold hold) noexcept
{
    ++body_calls;
    events += 'b';
    unreleased_ += len;
    max_unreleased = std::max(max_unreleased, unreleased_);
    if (lazy) {
        lazy_body_.emplace_back(data, len);
        lazy_holds_.push_back(std::move(hold));
    } else {
        body_text.append(data, len);
    }
    return result(GoneAt::body);
}

ox::proxy::SinkResult RecordingSink::release(bool flush) noexcept
{
    ++release_calls;
    if (flush) ++flushes;
    events += flush ? 'f' : 'r';
    copy_pending();
    if (on_release) on_release();
    return result(GoneAt::release);
}

ox::proxy::SinkResult RecordingSink::finish() noexcept
{
    ++finish_calls;
    events += 'E';
    copy_pending();
    if (on_finish) on_finish();
    return result(GoneAt::finish);
}

void RecordingSink::abort() noexcept
{
    ++abort_calls;
    events += 'A';
    copy_pending();
}

void RecordingSink::discard() noexcept
{
    ++discard_calls;
    events += 'D';
    status = 0;
    reason.clear();
    headers.clear();
    body_text.clear();
    lazy_body_.clear();
    lazy_holds_.clear();
    unreleased_ = 0;
}

void RecordingObserver::attempt_started(const ox::MemberSpec& member, ox::Reason reason,
                                        const ox::SessionRef&) noexcept
{
    started.emplace_back(member.url, reason);
}

void RecordingObserver::attempt_failed(const ox::MemberSpec& m, const ox::proxy::Outcome& o, bool retrying,
                                       bool known_failing) noexcept
{
    attempts.push_back({m.url, o.failure, o.request_sent, retrying, known_failing});
}

void RecordingObserver::member_failed(const ox::MemberSpec& m) noexcept { failed_members.push_back(m.url); }

// ---- sockets ---------------------------------------------------------------------------

namespace {

void die(const char* what)
{
    std::fprintf(stderr, "unit: %s: %s\n", what, std::strerror(errno));
    std::abort();
}

void set_timeouts(int fd, int seconds)
{
    timeval tv{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::uint16_t bind_loopback(int fd)
{
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
    return ntohs(a.sin_port);
}

}  // namespace

void set_nonblocking(int fd)
{
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) die("fcntl");
}

FdPair socket_pair()
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) die("socketpair");
    // fds[0] is libox's end: blocking, as Socket::connect leaves it.
    set_timeouts(fds[1], 5);
    return {fds[0], fds[1]};
}

FdPair tcp_pair()
{
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(bind_loopback(lfd));
    if (::listen(lfd, 1) != 0) die("listen");
    int proxy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (proxy < 0 || ::connect(proxy, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
    int backend = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (backend < 0) die("accept");
    ::close(lfd);
    int one = 1;
    ::setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_timeouts(backend, 5);
    return {proxy, backend};
}

ReservedPort::ReservedPort()
{
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) die("socket");
    port_ = bind_loopback(fd_);
}

ReservedPort::~ReservedPort()
{
    if (fd_ >= 0) ::close(fd_);
}

std::string ReservedPort::url() const { return "ajp://127.0.0.1:" + std::to_string(port_); }

int find_local_socket(std::uint16_t port)
{
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return -1;
    int found = -1;
    int self = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        int fd = std::atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == self) continue;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) continue;
        if (ss.ss_family != AF_INET) continue;
        if (ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port) != port) continue;
        // The listening/accepted side shares no local port with a client
        // socket, but a listener could: only connected sockets qualify.
        sockaddr_storage peer{};
        len = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
        found = fd;
        break;
    }
    ::closedir(d);
    return found;
}

bool wait_readable(int fd, int ms)
{
    pollfd p{fd, POLLIN, 0};
    for (;;) {
        int rc = ::poll(&p, 1, ms);
        if (rc > 0) return true;
        if (rc == 0) return false;
        if (errno != EINTR) return false;
    }
}

void Signal::set()
{
    std::lock_guard<std::mutex> lock(mu_);
    set_ = true;
    cv_.notify_all();
}

bool Signal::wait()
{
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [this] { return set_; });
}

bool Signal::wait_for(int ms)
{
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return set_; });
}

// ---- fake backend ---------------------------------------------------------------------

BackendPeer::BackendPeer(int fd) : fd_(fd) { set_timeouts(fd_, 5); }

BackendPeer::~BackendPeer() { close(); }

void BackendPeer::close()
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

bool BackendPeer::read_exact(std::uint8_t* dst, std::size_t n)
{
    std::size_t have = 0;
    while (have < n) {
        ssize_t r = ::recv(fd_, dst + have, n - have, 0);
        if (r > 0) {
            have += static_cast<std::size_t>(r);
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) error = std::string("recv: ") + std::strerror(errno);
        return false;
    }
    return true;
}

Bytes BackendPeer::read_packet()
{
    std::uint8_t h[4];
    if (fd_ < 0 || !read_exact(h, 4)) return {};
    if (h[0] != 0x12 || h[1] != 0x34) {
        error = "bad magic from the proxy: " + to_hex(h, 4);
        return {};
    }
    std::size_t len = (static_cast<std::size_t>(h[2]) << 8) | h[3];
    Bytes pkt(h, h + 4);
    pkt.resize(4 + len);
    if (len > 0 && !read_exact(pkt.data() + 4, len)) {
        error = "proxy closed in the middle of a packet";
        return {};
    }
    return pkt;
}

bool BackendPeer::send(const Bytes& b)
{
    std::size_t done = 0;
    while (done < b.size()) {
        ssize_t n = ::send(fd_, b.data() + done, b.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

Bytes BackendPeer::read_to_eof()
{
    Bytes all;
    std::uint8_t buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
            all.insert(all.end(), buf, buf + n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != ECONNRESET) error = std::string("recv: ") + std::strerror(errno);
        return all;
    }
}

BackendThread::BackendThread(int fd, std::function<void(BackendPeer&)> script)
    : t_([fd, script = std::move(script)] {
          BackendPeer peer(fd);
          script(peer);
      })
{
}

BackendThread::~BackendThread() { join(); }

void BackendThread::join()
{
    if (t_.joinable()) t_.join();
}

void RequestLog::add(ServedRequest r)
{
    std::lock_guard<std::mutex> lock(mu_);
    reqs_.push_back(std::move(r));
}

std::vector<ServedRequest> RequestLog::all() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return reqs_;
}

std::size_t RequestLog::size() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return reqs_.size();
}

namespace {

// Reads the forward request and the body as Tomcat would. `whole_body`
// false: only the first (unasked) body packet.
bool read_request(BackendPeer& p, ServedRequest& r, bool whole_body)
{
    Bytes fwd = p.read_packet();
    // A CPING between requests is answered, as Tomcat does.
    while (fwd == hex("12 34 00 01 0a")) {
        ++r.pings_before;
        if (!p.send(pkt_cpong())) return false;
        fwd = p.read_packet();
    }
    if (fwd.empty()) return false;
    if (!decode_forward(fwd, r.fwd)) {
        p.error = "bad forward request: " + r.fwd.error;
        return false;
    }
    std::string cl = header_value(r.fwd.headers, "content-length");
    std::size_t length = cl.empty() ? 0 : std::strtoul(cl.c_str(), nullptr, 10);
    std::size_t got = 0;
    bool first = true;
    while (got < length) {
        if (!first) {
            if (!whole_body) break;
            p.send(pkt_get_body(8186));
        }
        first = false;
        std::string data;
        Bytes b = p.read_packet();
        if (b.empty() || !decode_body_packet(b, data)) {
            p.error = "expected a body packet";
            return false;
        }
        r.body_packets.push_back(data);
        if (data.empty()) break;
        got += data.size();
    }
    return true;
}

}  // namespace

bool serve_one(BackendPeer& p, RequestLog& log, int conn_no, std::string_view answer, bool reuse)
{
    ServedRequest r;
    r.conn_no = conn_no;
    if (!read_request(p, r, true)) return false;
    log.add(r);
    p.send(cat({pkt_headers(200, "OK", {{"Content-Type", "text/plain"}}), pkt_body(answer), pkt_end(reuse)}));
    return true;
}

bool recv_http_head(BackendPeer& p, std::string& buf)
{
    char tmp[16384];
    while (buf.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(p.fd(), tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    return true;
}

bool read_request_only(BackendPeer& p, RequestLog& log, int conn_no)
{
    ServedRequest r;
    r.conn_no = conn_no;
    if (!read_request(p, r, false)) return false;
    log.add(r);
    return true;
}

void serve_all(BackendPeer& p, RequestLog& log, int conn_no, std::string_view answer)
{
    while (serve_one(p, log, conn_no, answer)) {
    }
}

FakeAjpServer::FakeAjpServer(Handler h) : handler_(std::move(h))
{
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) die("socket");
    port_ = bind_loopback(listen_fd_);
    if (::listen(listen_fd_, 16) != 0) die("listen");
    if (::pipe2(wake_, O_CLOEXEC) != 0) die("pipe");
    acceptor_ = std::thread([this] { accept_loop(); });
}

FakeAjpServer::~FakeAjpServer()
{
    stop();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

std::string FakeAjpServer::url() const { return "ajp://127.0.0.1:" + std::to_string(port_); }

std::vector<std::uint16_t> FakeAjpServer::client_ports() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return client_ports_;
}

void FakeAjpServer::accept_loop()
{
    for (;;) {
        pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        int rc = ::poll(p, 2, -1);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return;
        if (p[1].revents & POLLIN) {
            // Stopping: connections still in the backlog were made all the
            // same; count them (a test may assert that none was made).
            set_nonblocking(listen_fd_);
            sockaddr_in peer{};
            socklen_t len = sizeof peer;
            int fd;
            while ((fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC)) >= 0) {
                accepted_.fetch_add(1);
                std::lock_guard<std::mutex> lock(mu_);
                client_ports_.push_back(ntohs(peer.sin_port));
                ::close(fd);
                len = sizeof peer;
            }
            return;
        }
        if (!(p[0].revents & POLLIN)) continue;
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int no = accepted_.fetch_add(1);
        std::lock_guard<std::mutex> lock(mu_);
        client_ports_.push_back(ntohs(peer.sin_port));
        conns_.emplace_back([this, fd, no] {
            BackendPeer peer_conn(fd);
            handler_(peer_conn, no);
        });
    }
}

void FakeAjpServer::stop()
{
    if (stopped_) return;
    stopped_ = true;
    char c = 'x';
    if (::write(wake_[1], &c, 1) != 1) die("write");
    acceptor_.join();
    for (auto& t : conns_) t.join();
}

namespace {
const ox::proxy::Header kGetHeaders[] = {{"Host", "ox.example.com"}, {"Accept", "*/*"}};
}  // namespace

ox::proxy::Request get_request()
{
    ox::proxy::Request r;
    r.method = "GET";
    r.protocol = "HTTP/1.1";
    r.path = "/appsuite/";
    r.remote_addr = "192.0.2.1";
    r.server_name = "ox.example.com";
    r.server_port = 80;
    r.headers = kGetHeaders;
    r.header_count = 2;
    return r;
}

}  // namespace unit
