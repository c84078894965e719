// ajp_test_server: a standalone AJP13 backend (the Tomcat side) for testing
// mod_oxbalance. It implements its own small AJP codec and shares nothing with
// libox/, so it can cross-check our AJP client. See session.cc for the
// endpoints.
//
//   ajp_test_server [--host 127.0.0.1] --port N [--port-file FILE] [--name OX1]
//                   [--packet-size 8192] [--mode ajp|close|http] [--verbose]
//
// --port 0 binds an ephemeral port; the port is written to --port-file
// atomically (temp file + rename). "listening on HOST:PORT" always goes to
// stdout. One detached thread per connection; SIGTERM/SIGINT exit with 0.
//
// --mode makes a member that is broken for every request: `close` reads
// what the proxy sends first and closes without an answer (a node that
// accepts and drops); `http` answers it with an HTTP/1.1 400 response (a
// member URL that names an HTTP port). The default, `ajp`, serves the
// endpoints of session.cc.
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
#include <sys/time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tools/oxb_pattern.h"
#include "listener.h"
#include "session.h"

namespace {

enum class Mode { ajp, close, http };

struct Options {
    std::string host = "127.0.0.1";
    long port = -1;
    std::string port_file;
    Mode mode = Mode::ajp;
    ajpt::ServerConfig config;
};

[[noreturn]] void usage(const char* error) {
    if (error) std::fprintf(stderr, "ajp_test_server: %s\n", error);
    std::fprintf(stderr,
                 "usage: ajp_test_server [--host 127.0.0.1] --port N [--port-file FILE] [--name OX1]\n"
                 "                       [--packet-size 8192] [--mode ajp|close|http] [--verbose]\n");
    std::exit(2);
}

bool parse_number(const std::string& s, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
    std::optional<std::uint64_t> n = oxb::parse_size(s);
    if (!n || *n < lo || *n > hi) return false;
    out = *n;
    return true;
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
        std::uint64_t n = 0;
        if (arg == "--host") {
            o.host = next();
        } else if (arg == "--port") {
            if (!parse_number(next(), 0, 65535, n)) usage("--port must be 0..65535");
            o.port = static_cast<long>(n);
        } else if (arg == "--port-file") {
            o.port_file = next();
        } else if (arg == "--name") {
            o.config.name = next();
        } else if (arg == "--packet-size") {
            if (!parse_number(next(), 8192, 65536, n)) usage("--packet-size must be 8192..65536");
            o.config.packet_size = n;
        } else if (arg == "--mode") {
            std::string m = next();
            if (m == "ajp") o.mode = Mode::ajp;
            else if (m == "close") o.mode = Mode::close;
            else if (m == "http") o.mode = Mode::http;
            else usage("--mode must be ajp, close or http");
        } else if (arg == "--verbose" && !has_value) {
            o.config.verbose = true;
        } else if (arg == "--help" || arg == "-h") {
            usage(nullptr);
        } else {
            usage(("unknown argument " + arg).c_str());
        }
    }
    if (o.port < 0) usage("--port is required");
    // It goes into every SEND_HEADERS, which must fit the smallest packet.
    if (o.config.name.size() > 1024) usage("--name is longer than 1024 bytes");
    return o;
}

// --mode close and http: one read of what the proxy sends (bounded, so a
// proxy that sends nothing cannot hold the thread), an answer that is no
// AJP or none, and the connection closed.
void run_broken(int fd, Mode mode) noexcept {
    timeval tv{5, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[65536];
    (void)::recv(fd, buf, sizeof buf, 0);
    if (mode == Mode::http) {
        static const char kAnswer[] =
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
            "Connection: close\r\n\r\nBad Request\n";
        (void)::send(fd, kAnswer, sizeof kAnswer - 1, MSG_NOSIGNAL);
    }
    ::close(fd);
}

void accept_loop(int lfd, const Options& o, ajpt::ServerStats& stats) {
    const ajpt::ServerConfig& cfg = o.config;
    for (;;) {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED) {
                // Out of descriptors or memory: back off instead of spinning.
                std::fprintf(stderr, "ajp_test_server: accept: %s\n", std::strerror(errno));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            continue;
        }
        // Small responses go out in one write; don't let Nagle delay them.
        int one = 1;
        (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::uint64_t id = ++stats.connections;
        try {
            if (o.mode != Mode::ajp) {
                std::thread(run_broken, fd, o.mode).detach();
                continue;
            }
            std::thread(ajpt::run_session, fd, id, std::cref(cfg), std::ref(stats)).detach();
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "ajp_test_server: cannot start thread: %s\n", e.what());
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
    int lfd = testsrv::listen_on("ajp_test_server", o.host, o.port, port);
    if (!o.port_file.empty()) testsrv::write_port_file("ajp_test_server", o.port_file, port);
    bool v6 = o.host.find(':') != std::string::npos;
    std::printf("listening on %s%s%s:%u\n", v6 ? "[" : "", o.host.c_str(), v6 ? "]" : "", port);
    std::fflush(stdout);

    static ajpt::ServerStats stats;
    static const Options options = o;
    std::thread(accept_loop, lfd, std::cref(options), std::ref(stats)).detach();

    int sig = 0;
    sigwait(&stop, &sig);
    if (options.config.verbose) std::fprintf(stderr, "ajp_test_server: signal %d, exiting\n", sig);
    std::fflush(stdout);
    std::fflush(stderr);
    // Connection threads may be blocked anywhere; _exit skips static
    // destructors that they could still be using.
    _exit(0);
}
