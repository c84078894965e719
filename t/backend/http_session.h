// One connection of the HTTP test backend: requests read one after another
// (keep-alive, no pipelining needed) and answered from the test endpoints.
#ifndef OXB_BACKEND_HTTP_SESSION_H
#define OXB_BACKEND_HTTP_SESSION_H

#include <atomic>
#include <cstdint>
#include <string>

namespace httpt {

struct ServerConfig {
    std::string name = "HX1";
    bool verbose = false;
};

struct ServerStats {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> bad_requests{0};
    std::atomic<std::uint64_t> websockets{0};
    std::atomic<std::uint64_t> ws_messages{0};
    // What /health answers; /health-set changes it.
    std::atomic<int> health_status{200};
};

// Serves the connection until the peer closes it, an endpoint ends it or the
// peer breaks the protocol; closes `fd`. Never throws.
void run_session(int fd, std::uint64_t conn_id, const ServerConfig& cfg, ServerStats& stats) noexcept;

}  // namespace httpt

#endif
