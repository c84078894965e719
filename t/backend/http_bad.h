// The fault menu of the HTTP test backend: responses that a strict HTTP/1.1
// client must refuse (502 or an aborted response) and never pass on.
#ifndef OXB_BACKEND_HTTP_BAD_H
#define OXB_BACKEND_HTTP_BAD_H

#include <optional>
#include <string>

namespace httpt {

struct BadResponse {
    std::string bytes;
    bool close = false;  // the server closes after sending (else waits for the client to)
    // Sent `late_ms` after `bytes`; then the connection serves the next
    // request as usual (unless `close`), so that a client which reuses it
    // reads `late` as the next request's response.
    std::string late = {};
    int late_ms = 0;
};

// The response for /bad?kind=K; nullopt for an unknown kind.
std::optional<BadResponse> bad_response(const std::string& kind);
// The known kinds, space-separated.
std::string bad_kinds();

}  // namespace httpt

#endif
