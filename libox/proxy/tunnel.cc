#include "proxy/tunnel.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace ox::proxy {

namespace {

constexpr std::size_t kChunk = 16 * 1024;

// What one pass over one direction did.
enum class Step { moved, idle, client_closed, backend_closed, error };

// Drains what the client has now into the backend.
Step client_to_backend(TunnelClient& client, net::Socket& backend, Millis write_timeout, char* buf,
                       TunnelStats& stats) noexcept
{
    Step step = Step::idle;
    for (;;) {
        long n = client.read_now(buf, kChunk);
        if (n < 0) return Step::client_closed;
        if (n == 0) return step;
        std::size_t written = 0;
        int err = 0;
        net::IoStatus st = backend.write_all(buf, static_cast<std::size_t>(n), write_timeout, written, err);
        if (st != net::IoStatus::ok) return st == net::IoStatus::closed ? Step::backend_closed : Step::error;
        stats.to_backend += static_cast<std::uint64_t>(n);
        step = Step::moved;
    }
}

// Drains what the backend has now to the client.
Step backend_to_client(TunnelClient& client, net::Socket& backend, char* buf, TunnelStats& stats) noexcept
{
    Step step = Step::idle;
    for (;;) {
        std::size_t got = 0;
        int err = 0;
        net::IoStatus st = backend.read_now(buf, kChunk, got, err);
        if (st == net::IoStatus::timeout) return step;
        if (st == net::IoStatus::closed) return Step::backend_closed;
        if (st != net::IoStatus::ok) return Step::error;
        if (!client.write(buf, got)) return Step::client_closed;
        stats.to_client += got;
        step = Step::moved;
    }
}

}  // namespace

const char* to_string(TunnelEnd e) noexcept
{
    switch (e) {
    case TunnelEnd::client_closed: return "client closed";
    case TunnelEnd::backend_closed: return "backend closed";
    case TunnelEnd::idle_timeout: return "idle timeout";
    case TunnelEnd::total_timeout: return "total timeout";
    case TunnelEnd::stopped: return "stopped";
    case TunnelEnd::error: return "error";
    }
    return "unknown";
}

TunnelEnd run_tunnel(TunnelClient& client, net::Socket& backend, std::string_view backend_early,
                     const TunnelParams& params, const std::function<bool()>& stop, TunnelStats& stats) noexcept
{
    if (!backend_early.empty()) {
        if (!client.write(backend_early.data(), backend_early.size())) return TunnelEnd::client_closed;
        stats.to_client += backend_early.size();
    }
    char buf[kChunk];
    TimePoint start = Clock::now();
    TimePoint last_move = start;
    TimePoint last_check = start;
    // The client may have sent its first frames right behind the request:
    // they sit in its buffers already, where poll does not see them.
    Step first = client_to_backend(client, backend, params.write_timeout, buf, stats);
    if (first == Step::client_closed) return TunnelEnd::client_closed;
    if (first == Step::backend_closed) return TunnelEnd::backend_closed;
    if (first == Step::error) return TunnelEnd::error;
    for (;;) {
        TimePoint now = Clock::now();
        if (params.total.count() > 0 && now - start >= params.total) return TunnelEnd::total_timeout;
        if (params.idle.count() > 0 && now - last_move >= params.idle) return TunnelEnd::idle_timeout;
        if (stop && now - last_check >= params.check_every) {
            last_check = now;
            if (stop()) return TunnelEnd::stopped;
        }
        // Wake for the next of: data, the idle or total limit, a stop check.
        Millis wait = params.check_every;
        if (params.idle.count() > 0) wait = std::min(wait, params.idle - std::chrono::duration_cast<Millis>(now - last_move));
        if (params.total.count() > 0) wait = std::min(wait, params.total - std::chrono::duration_cast<Millis>(now - start));
        pollfd fds[2] = {{client.poll_fd(), POLLIN, 0}, {backend.fd(), POLLIN, 0}};
        int rc = ::poll(fds, 2, static_cast<int>(std::max<long long>(1, wait.count())));
        if (rc < 0 && errno != EINTR) return TunnelEnd::error;
        if (rc <= 0) continue;
        // Each direction is drained when its side is readable (readable
        // also means closed or failed, which the read then reports).
        if (fds[0].revents) {
            Step s = client_to_backend(client, backend, params.write_timeout, buf, stats);
            if (s == Step::client_closed) return TunnelEnd::client_closed;
            if (s == Step::backend_closed) return TunnelEnd::backend_closed;
            if (s == Step::error) return TunnelEnd::error;
            if (s == Step::moved) last_move = Clock::now();
        }
        if (fds[1].revents) {
            Step s = backend_to_client(client, backend, buf, stats);
            if (s == Step::client_closed) return TunnelEnd::client_closed;
            if (s == Step::backend_closed) return TunnelEnd::backend_closed;
            if (s == Step::error) return TunnelEnd::error;
            if (s == Step::moved) last_move = Clock::now();
        }
    }
}

}  // namespace ox::proxy
