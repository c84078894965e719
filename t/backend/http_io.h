// Socket I/O for the HTTP test backend: buffered line and byte reads, full
// writes, and the ways a connection can end. Independent of libox/ and of the
// AJP test server's codec.
#ifndef OXB_BACKEND_HTTP_IO_H
#define OXB_BACKEND_HTTP_IO_H

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace httpt {

// The peer sent bytes that are not a valid HTTP/1.1 request (or WebSocket
// frame): answered with 400 where possible, logged, connection closed.
struct BadMessage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The peer went away (EOF, reset, broken pipe, read timeout).
struct PeerGone : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Socket {
public:
    explicit Socket(int fd);
    ~Socket();
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    // Reads up to and including the next LF into `line`. Returns false on EOF
    // before the first byte; BadMessage if the line exceeds `max` bytes or the
    // connection ends inside it.
    bool read_line(std::string& line, std::size_t max);
    // Exactly n bytes; BadMessage if the connection ends first.
    void read_exact(void* dst, std::size_t n);
    // Up to n bytes (at least 1); 0 on EOF.
    std::size_t read_some(void* dst, std::size_t n);
    // True if a byte is buffered or arrives within `ms` (also on EOF).
    bool readable_within(int ms);

    void send(const void* p, std::size_t n);
    void send(const std::string& s) { send(s.data(), s.size()); }

    // Reads and discards until the peer closes, at most `max_ms`.
    void drain_until_eof(int max_ms);
    // FIN, then drain (bounded), then close: the peer reads what was sent
    // even if it still sends data we never read (no RST on close).
    void lingering_close();
    // Waits until the peer acknowledged all sent data, then closes with RST.
    void reset_close();
    void close();
    int fd() const { return fd_; }

private:
    bool fill();  // false on EOF

    int fd_;
    std::vector<char> buf_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

}  // namespace httpt

#endif
