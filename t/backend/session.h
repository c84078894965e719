// One backend connection: reads AJP13 requests one after another (keep-alive)
// and answers them from the test endpoints.
#ifndef OXB_BACKEND_SESSION_H
#define OXB_BACKEND_SESSION_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ajpt {

struct ServerConfig {
    std::string name = "OX1";
    std::size_t packet_size = 8192;
    bool verbose = false;
};

struct ServerStats {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> cpings{0};
};

// Serves the connection until the peer closes it, an endpoint ends it or a
// protocol violation is seen; closes `fd`. Never throws.
void run_session(int fd, std::uint64_t conn_id, const ServerConfig& cfg, ServerStats& stats) noexcept;

}  // namespace ajpt

#endif
