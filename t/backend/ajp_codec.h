// A small, independent AJP13 codec for the test backend: packet framing on a
// socket, a bounds-checked payload reader and a packet builder. It shares no
// code with libox/ on purpose, so that it can cross-check our AJP client.
#ifndef OXB_BACKEND_AJP_CODEC_H
#define OXB_BACKEND_AJP_CODEC_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ajpt {

// The peer broke the AJP13 framing or message syntax: the connection is closed
// after one line on stderr.
struct ProtocolError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The peer went away (EOF, reset, broken pipe): the connection ends quietly.
struct PeerGone : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Packet types and codes used by the server.
enum : std::uint8_t {
    kForwardRequest = 0x02,
    kSendBodyChunk = 0x03,
    kSendHeaders = 0x04,
    kEndResponse = 0x05,
    kGetBodyChunk = 0x06,
    kCPong = 0x09,
    kCPing = 0x0A,
};

constexpr std::uint16_t kNullString = 0xFFFF;
constexpr std::size_t kHeaderSize = 4;  // magic + u16 length

// An AJP string that may be null (length 0xFFFF on the wire).
using Str = std::optional<std::string>;

// Bounds-checked cursor over one packet payload. Every read names what it
// reads, so violations produce a useful one-line message.
class PayloadReader {
public:
    PayloadReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::uint8_t u8(const char* what);
    std::uint16_t u16(const char* what);
    Str str(const char* what);
    // The rest of a string whose u16 length the caller has already read.
    Str str_with_len(std::uint16_t len, const char* what);
    // A string that must not be null.
    std::string nonnull_str(const char* what);
    std::size_t remaining() const { return size_ - pos_; }
    std::size_t pos() const { return pos_; }
    void expect_end(const char* what) const;

private:
    void need(std::size_t n, const char* what) const;

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// Appends server-to-proxy ('A' 'B') packets to a byte vector, so several
// packets can be batched into one write.
class PacketBuilder {
public:
    explicit PacketBuilder(std::vector<std::uint8_t>& out);

    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v);
    void str(const std::string& s);  // caller guarantees s.size() < 0xFFFF
    void null_str() { u16(kNullString); }
    void bytes(const void* p, std::size_t n);
    std::size_t payload_size() const { return out_.size() - start_ - kHeaderSize; }
    // Writes the payload length into the packet header.
    void finish();

private:
    std::vector<std::uint8_t>& out_;
    std::size_t start_;
};

// A connected socket: buffered reads of proxy-to-server packets, full writes.
class Conn {
public:
    Conn(int fd, std::size_t packet_size);
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Reads one 0x12 0x34 packet into `payload`. Returns false on EOF before
    // the first byte of a packet (the peer closed between packets).
    bool read_packet(std::vector<std::uint8_t>& payload);
    void send(const void* p, std::size_t n);
    void send(const std::vector<std::uint8_t>& v) { send(v.data(), v.size()); }
    // Reads and discards until the peer closes or resets.
    void drain_until_eof();
    // Waits (bounded) until the peer acknowledged all sent data, then closes
    // with SO_LINGER 0 so the kernel sends RST instead of FIN.
    void reset_close();
    void close();
    std::size_t packet_size() const { return packet_size_; }

private:
    // Copies exactly n bytes from the socket; false if EOF came before any byte.
    bool read_exact(std::uint8_t* dst, std::size_t n, bool eof_ok);

    int fd_;
    std::size_t packet_size_;
    std::vector<std::uint8_t> rbuf_;
    std::size_t rpos_ = 0;
    std::size_t rend_ = 0;
};

}  // namespace ajpt

#endif
