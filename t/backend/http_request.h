// A strict HTTP/1.1 request reader (RFC 9112): whatever a correct proxy
// would never send is a BadMessage, so that tests fail loudly instead of the
// backend guessing what was meant.
#ifndef OXB_BACKEND_HTTP_REQUEST_H
#define OXB_BACKEND_HTTP_REQUEST_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_io.h"

namespace httpt {

using Headers = std::vector<std::pair<std::string, std::string>>;

enum class Framing { none, length, chunked };
const char* framing_name(Framing f);

struct Request {
    std::string line;  // the request line as received, without CRLF
    std::string method;
    std::string target;
    std::string path;
    std::optional<std::string> query;
    std::string version;  // HTTP/1.1 or HTTP/1.0
    Headers headers;      // names and values as received, in order
    Framing framing = Framing::none;
    std::uint64_t content_length = 0;
    bool keep_alive = true;

    // The first value of `name` (case-insensitive).
    std::optional<std::string> header(const std::string& name) const;
    std::size_t count(const std::string& name) const;
};

// A request the server refuses with a status of its own (400, 501, 505).
struct Refused : BadMessage {
    Refused(int s, const std::string& what) : BadMessage(what), status(s) {}
    int status;
};

// Reads and checks one request head. nullopt: the peer closed cleanly
// between requests.
std::optional<Request> read_request_head(Socket& sock);

// Reads the request body as its framing says, a piece at a time.
class BodyReader {
public:
    BodyReader(Socket& sock, const Request& req);
    // Up to n bytes of body into dst; 0 at the end of the body.
    std::size_t read(char* dst, std::size_t n);
    std::uint64_t received() const { return received_; }
    const Headers& trailers() const { return trailers_; }
    bool done() const { return done_; }

private:
    void next_chunk();

    Socket& sock_;
    Framing framing_;
    std::uint64_t left_ = 0;  // in the current chunk, or the whole body
    std::uint64_t received_ = 0;
    bool done_ = false;
    Headers trailers_;
};

}  // namespace httpt

#endif
