// http_test_server: a standalone HTTP/1.1 origin server for testing
// mod_oxbalance's http:// members and WebSocket tunnelling. Its request
// reader, WebSocket code and fault menu share nothing with libox/, so it can
// cross-check our HTTP client. See http_session.cc for the endpoints.
//
//   http_test_server [--host 127.0.0.1] --port N [--port-file FILE] [--name HX1]
//                    [--mode http|close|garbage] [--verbose]
//
// --port 0 binds an ephemeral port; the port is written to --port-file
// atomically (temp file + rename). "listening on HOST:PORT" always goes to
// stdout. One detached thread per connection; SIGTERM/SIGINT exit with 0.
//
// --mode makes a member that is broken for every request: `close` reads what
// the proxy sends first and closes without an answer; `garbage` answers it
// with bytes that are no HTTP at all. The default, `http`, serves the
// endpoints.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../tools/oxb_pattern.h"
#include "http_session.h"
#include "listener.h"

namespace {

enum class Mode { http, close, garbage, headclose };

struct Options {
    std::string host = "127.0.0.1";
    long port = -1;
    std::string port_file;
    Mode mode = Mode::http;
    httpt::ServerConfig config;
};

[[noreturn]] void usage(const char* error) {
    if (error) std::fprintf(stderr, "http_test_server: %s\n", error);
    std::fprintf(stderr,
                 "usage: http_test_server [--host 127.0.0.1] --port N [--port-file FILE] [--name HX1]\n"
                 "                        [--mode http|close|garbage] [--verbose]\n");
    std::exit(2);
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_value = false;
        if (std::size_t eq = arg.find('='); arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            has_value = true;
        }
        auto next = [&]() -> std::string {
            if (has_value) return value;
            if (i + 1 >= argc) usage((arg + " needs a value").c_str());
            return argv[++i];
        };
        if (arg == "--host") {
            o.host = next();
        } else if (arg == "--port") {
            std::optional<std::uint64_t> n = oxb::parse_size(next());
            if (!n || *n > 65535) usage("--port must be 0..65535");
            o.port = static_cast<long>(*n);
        } else if (arg == "--port-file") {
            o.port_file = next();
        } else if (arg == "--name") {
            o.config.name = next();
        } else if (arg == "--mode") {
            std::string m = next();
            if (m == "http") o.mode = Mode::http;
            else if (m == "close") o.mode = Mode::close;
            else if (m == "garbage") o.mode = Mode::garbage;
            else if (m == "headclose") o.mode = Mode::headclose;
            else usage("--mode must be http, close, garbage or headclose");
        } else if (arg == "--verbose" && !has_value) {
            o.config.verbose = true;
        } else if (arg == "--help" || arg == "-h") {
            usage(nullptr);
        } else {
            usage(("unknown argument " + arg).c_str());
        }
    }
    if (o.port < 0) usage("--port is required");
    // The name goes into header values (X-Backend, the session cookie).
    for (unsigned char c : o.config.name) {
        if (c <= 0x20 || c >= 0x7F || c == ';' || c == ',') usage("--name must be printable, without ; , or space");
    }
    return o;
}

// --mode close, garbage and headclose: one read of what the proxy sends
// (bounded, so a proxy that sends nothing cannot hold the thread), no
// answer, one that is no HTTP, or a response head without its body (a node
// that dies right after its head), and the connection closed (after a FIN
// and a short drain, so what was sent is not lost to a reset).
void run_broken(int fd, Mode mode) noexcept {
    timeval tv{5, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[65536];
    (void)::recv(fd, buf, sizeof buf, 0);
    if (mode == Mode::garbage || mode == Mode::headclose) {
        static const char kGarbage[] = "\x16\x03\x01\x00\x05garbage, not HTTP\r\n\r\n";
        static const char kHead[] =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: JSESSIONID=lost.HHC1; Path=/\r\n"
            "X-Backend: HHC1\r\nContent-Length: 100\r\n\r\n";
        if (mode == Mode::garbage) {
            (void)::send(fd, kGarbage, sizeof kGarbage - 1, MSG_NOSIGNAL);
        } else {
            (void)::send(fd, kHead, sizeof kHead - 1, MSG_NOSIGNAL);
        }
        ::shutdown(fd, SHUT_WR);
        timeval shortwait{1, 0};
        (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &shortwait, sizeof shortwait);
        while (::recv(fd, buf, sizeof buf, 0) > 0) {
        }
    }
    ::close(fd);
}

void accept_loop(int lfd, const Options& o, httpt::ServerStats& stats) {
    const httpt::ServerConfig& cfg = o.config;
    for (;;) {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED) {
                // Out of descriptors or memory: back off instead of spinning.
                std::fprintf(stderr, "http_test_server: accept: %s\n", std::strerror(errno));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            continue;
        }
        // Small responses go out in one write; don't let Nagle delay them.
        int one = 1;
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::uint64_t id = ++stats.connections;
        try {
            if (o.mode != Mode::http) {
                std::thread(run_broken, fd, o.mode).detach();
                continue;
            }
            std::thread(httpt::run_session, fd, id, std::cref(cfg), std::ref(stats)).detach();
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "http_test_server: cannot start thread: %s\n", e.what());
            ::close(fd);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);

    // Signals are taken synchronously by main (sigwait); every thread created
    // afterwards inherits the blocked mask.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    unsigned port = 0;
    int lfd = testsrv::listen_on("http_test_server", o.host, o.port, port);
    if (!o.port_file.empty()) testsrv::write_port_file("http_test_server", o.port_file, port);
    bool v6 = o.host.find(':') != std::string::npos;
    std::printf("listening on %s%s%s:%u\n", v6 ? "[" : "", o.host.c_str(), v6 ? "]" : "", port);
    std::fflush(stdout);

    static httpt::ServerStats stats;
    static const Options options = o;
    std::thread(accept_loop, lfd, std::cref(options), std::ref(stats)).detach();

    int sig = 0;
    sigwait(&stop, &sig);
    if (options.config.verbose) std::fprintf(stderr, "http_test_server: signal %d, exiting\n", sig);
    std::fflush(stdout);
    std::fflush(stderr);
    // Connection threads may be blocked anywhere; _exit skips static
    // destructors that they could still be using.
    _exit(0);
}
