// libox/proxy/tunnel: bytes relayed both ways as they come, the backend's
// early bytes first, and each way a tunnel ends (either side closing, idle,
// total, stopped by the caller).
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "net/socket.h"
#include "proxy/tunnel.h"
#include "unit_util.h"

using ox::Millis;
using ox::proxy::TunnelEnd;

namespace {

// The client side over one end of a socket pair, as the glue's is over
// httpd's connection filters.
class FdClient final : public ox::proxy::TunnelClient {
public:
    explicit FdClient(int fd) : fd_(fd) {}
    int poll_fd() const noexcept override { return fd_; }
    long read_now(char* dst, std::size_t max) noexcept override
    {
        ssize_t n = ::recv(fd_, dst, max, MSG_DONTWAIT);
        if (n > 0) return n;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        return -1;
    }
    bool write(const char* data, std::size_t len) noexcept override
    {
        while (len > 0) {
            ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
            if (n <= 0) return false;
            data += n;
            len -= static_cast<std::size_t>(n);
        }
        return true;
    }

private:
    int fd_;
};

// Reads exactly n bytes from a blocking fd (5 s timeouts from socket_pair).
std::string read_exactly(int fd, std::size_t n)
{
    std::string out;
    char buf[4096];
    while (out.size() < n) {
        ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) break;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
}

void send_all(int fd, const std::string& s)
{
    std::size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        ck_assert(n > 0);
        off += static_cast<std::size_t>(n);
    }
}

// Two socket pairs: the user (far end of the client side) and the backend
// server (far end of the backend side); the tunnel runs between the near ends.
struct Rig {
    unit::FdPair client = unit::socket_pair();
    unit::FdPair backend = unit::socket_pair();
    FdClient near_client{client.proxy};
    ox::net::Socket near_backend{backend.proxy};
    int user() const { return client.backend; }
    int server() const { return backend.backend; }
    ~Rig()
    {
        ::close(client.proxy);
        ::close(client.backend);
        ::close(backend.backend);
    }
};

START_TEST(relays_both_ways_early_bytes_first)
{
    Rig rig;
    ox::proxy::TunnelParams p;
    p.idle = Millis(5000);
    ox::proxy::TunnelStats stats;
    TunnelEnd end = TunnelEnd::error;
    std::thread t([&] { end = ox::proxy::run_tunnel(rig.near_client, rig.near_backend, "EARLY", p, {}, stats); });
    ck_assert(read_exactly(rig.user(), 5) == "EARLY");
    // A message larger than one relay chunk, each way, in several writes.
    std::string up = unit::pattern(100000, 3), down = unit::pattern(70000, 4);
    std::thread u([&] { send_all(rig.user(), up); });
    ck_assert(read_exactly(rig.server(), up.size()) == up);
    u.join();
    std::thread d([&] { send_all(rig.server(), down); });
    ck_assert(read_exactly(rig.user(), down.size()) == down);
    d.join();
    ::shutdown(rig.server(), SHUT_RDWR);
    t.join();
    ck_assert_int_eq(static_cast<int>(end), static_cast<int>(TunnelEnd::backend_closed));
    ck_assert_uint_eq(stats.to_backend, up.size());
    ck_assert_uint_eq(stats.to_client, down.size() + 5);
}
END_TEST

START_TEST(client_close_ends_it)
{
    Rig rig;
    ox::proxy::TunnelParams p;
    ox::proxy::TunnelStats stats;
    TunnelEnd end = TunnelEnd::error;
    std::thread t([&] { end = ox::proxy::run_tunnel(rig.near_client, rig.near_backend, "", p, {}, stats); });
    send_all(rig.user(), "bye");
    ck_assert(read_exactly(rig.server(), 3) == "bye");
    ::shutdown(rig.user(), SHUT_RDWR);
    t.join();
    ck_assert_int_eq(static_cast<int>(end), static_cast<int>(TunnelEnd::client_closed));
}
END_TEST

START_TEST(idle_limit)
{
    Rig rig;
    ox::proxy::TunnelParams p;
    p.idle = Millis(300);
    ox::proxy::TunnelStats stats;
    auto start = ox::Clock::now();
    // Traffic keeps it alive: each byte before the limit restarts it.
    std::thread keep([&] {
        for (int i = 0; i < 4; ++i) {
            std::this_thread::sleep_for(Millis(150));
            send_all(rig.user(), "k");
        }
    });
    TunnelEnd end = ox::proxy::run_tunnel(rig.near_client, rig.near_backend, "", p, {}, stats);
    keep.join();
    ck_assert_int_eq(static_cast<int>(end), static_cast<int>(TunnelEnd::idle_timeout));
    ck_assert_uint_eq(stats.to_backend, 4);
    ck_assert(ox::Clock::now() - start >= Millis(600 + 300));
}
END_TEST

START_TEST(total_limit_and_stop)
{
    {
        Rig rig;
        ox::proxy::TunnelParams p;
        p.idle = Millis(0);
        p.total = Millis(200);
        ox::proxy::TunnelStats stats;
        ck_assert_int_eq(static_cast<int>(ox::proxy::run_tunnel(rig.near_client, rig.near_backend, "", p, {}, stats)),
                         static_cast<int>(TunnelEnd::total_timeout));
    }
    {
        Rig rig;
        ox::proxy::TunnelParams p;
        p.check_every = Millis(50);
        std::atomic<int> asked{0};
        ox::proxy::TunnelStats stats;
        auto stop = [&] { return ++asked >= 3; };
        ck_assert_int_eq(static_cast<int>(ox::proxy::run_tunnel(rig.near_client, rig.near_backend, "", p, stop, stats)),
                         static_cast<int>(TunnelEnd::stopped));
        ck_assert_int_eq(asked.load(), 3);
    }
}
END_TEST

}  // namespace

int main()
{
    Suite* s = suite_create("tunnel");
    TCase* t = tcase_create("tunnel");
    tcase_set_timeout(t, 20);
    tcase_add_test(t, relays_both_ways_early_bytes_first);
    tcase_add_test(t, client_close_ends_it);
    tcase_add_test(t, idle_limit);
    tcase_add_test(t, total_limit_and_stop);
    suite_add_tcase(s, t);
    return unit::run_suite(s);
}
