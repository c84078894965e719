#include "http_websocket.h"

#include <algorithm>

#include <openssl/evp.h>

#include "http_util.h"

namespace httpt {
namespace {

constexpr char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::uint64_t kMaxMessage = 64ull << 20;

enum Opcode : int { kCont = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

// A violation by the client: the server closes with `code` (RFC 6455 7.4.1).
struct WsError : std::runtime_error {
    WsError(int c, const std::string& what) : std::runtime_error(what), code(c) {}
    int code;
};

struct Frame {
    bool fin = false;
    int opcode = 0;
    std::string payload;
};

Frame read_frame(Socket& sock) {
    unsigned char h[2];
    if (sock.read_some(h, 1) == 0) throw PeerGone("connection closed between frames");
    sock.read_exact(h + 1, 1);
    Frame f;
    f.fin = (h[0] & 0x80) != 0;
    f.opcode = h[0] & 0x0F;
    if (h[0] & 0x70) throw WsError(1002, "RSV bits set without an extension");
    if (!(h[1] & 0x80)) throw WsError(1002, "unmasked client frame");
    std::uint64_t len = h[1] & 0x7F;
    if (len == 126) {
        unsigned char b[2];
        sock.read_exact(b, 2);
        len = std::uint64_t{b[0]} << 8 | b[1];
        if (len < 126) throw WsError(1002, "16-bit length " + std::to_string(len) + " is not minimal");
    } else if (len == 127) {
        unsigned char b[8];
        sock.read_exact(b, 8);
        len = 0;
        for (unsigned char c : b) len = len << 8 | c;
        if (len >> 63) throw WsError(1002, "64-bit length with the top bit set");
        if (len <= 0xFFFF) throw WsError(1002, "64-bit length " + std::to_string(len) + " is not minimal");
    }
    bool control = f.opcode >= 8;
    if (f.opcode != kCont && f.opcode != kText && f.opcode != kBinary && !(control && f.opcode <= kPong)) {
        throw WsError(1002, "unknown opcode " + std::to_string(f.opcode));
    }
    if (control && (!f.fin || len > 125)) throw WsError(1002, "fragmented or long control frame");
    if (len > kMaxMessage) throw WsError(1009, "frame of " + std::to_string(len) + " bytes");
    unsigned char key[4];
    sock.read_exact(key, 4);
    f.payload.resize(static_cast<std::size_t>(len));
    if (len > 0) sock.read_exact(f.payload.data(), f.payload.size());
    for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] = static_cast<char>(f.payload[i] ^ key[i & 3]);
    return f;
}

// Unmasked, as a server must send.
std::string frame_bytes(bool fin, int opcode, std::string_view payload) {
    std::string out;
    out += static_cast<char>((fin ? 0x80 : 0) | opcode);
    std::uint64_t len = payload.size();
    if (len < 126) {
        out += static_cast<char>(len);
    } else if (len <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>(len >> 8);
        out += static_cast<char>(len & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((len >> s) & 0xFF);
    }
    out.append(payload);
    return out;
}

void send_message(Socket& sock, int opcode, std::string_view msg, std::size_t fragment) {
    if (fragment == 0 || msg.size() <= fragment) {
        sock.send(frame_bytes(true, opcode, msg));
        return;
    }
    for (std::size_t off = 0; off < msg.size(); off += fragment) {
        bool last = off + fragment >= msg.size();
        sock.send(frame_bytes(last, off == 0 ? opcode : kCont, msg.substr(off, fragment)));
    }
}

std::string close_payload(int code, std::string_view reason) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xFF);
    p.append(reason);
    return p;
}

// RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return false;
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = cp << 6 | (d & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

bool valid_close_code(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

class Echo {
public:
    Echo(Socket& sock, std::uint64_t id, const WsOptions& o, std::atomic<std::uint64_t>& messages)
        : sock_(sock), id_(id), opts_(o), messages_(messages) {}

    void run();

private:
    // Returns false once the close handshake is over.
    bool handle(Frame& f);
    void start_close(int code, const std::string& reason);

    Socket& sock_;
    std::uint64_t id_;
    const WsOptions& opts_;
    std::atomic<std::uint64_t>& messages_;
    int msg_opcode_ = 0;  // of the message being reassembled, 0: none
    std::string msg_;
    std::uint64_t echoed_ = 0;
    bool close_sent_ = false;
};

void Echo::run() {
    if (!opts_.hello.empty()) send_message(sock_, kText, opts_.hello, 0);
    try {
        for (;;) {
            // After our close frame the client has 5 s to answer with its own.
            if (close_sent_ && !sock_.readable_within(5000)) {
                log_line("conn %llu: websocket: no close frame within 5 s of ours", static_cast<unsigned long long>(id_));
                return;
            }
            Frame f = read_frame(sock_);
            if (!handle(f)) return;
        }
    } catch (const WsError& e) {
        log_line("conn %llu: websocket protocol error: %s", static_cast<unsigned long long>(id_), e.what());
        if (!close_sent_) start_close(e.code, "");
    }
}

bool Echo::handle(Frame& f) {
    switch (f.opcode) {
        case kPing:
            if (!close_sent_) sock_.send(frame_bytes(true, kPong, f.payload));
            return true;
        case kPong:
            return true;
        case kClose: {
            int code = 0;
            if (f.payload.size() == 1) throw WsError(1002, "close frame with a 1-byte payload");
            if (f.payload.size() >= 2) {
                code = static_cast<unsigned char>(f.payload[0]) << 8 | static_cast<unsigned char>(f.payload[1]);
                if (!valid_close_code(code)) throw WsError(1002, "close code " + std::to_string(code));
                if (!valid_utf8(std::string_view(f.payload).substr(2))) throw WsError(1007, "close reason not UTF-8");
            }
            // Echo the code back (RFC 6455 5.5.1), then the server closes TCP.
            if (!close_sent_) sock_.send(frame_bytes(true, kClose, code ? close_payload(code, "") : ""));
            return false;
        }
        case kCont:
            if (msg_opcode_ == 0) throw WsError(1002, "continuation frame without a message");
            break;
        default:  // text, binary
            if (msg_opcode_ != 0) throw WsError(1002, "new message inside a fragmented one");
            msg_opcode_ = f.opcode;
            msg_.clear();
            break;
    }
    if (msg_.size() + f.payload.size() > kMaxMessage) throw WsError(1009, "message too big");
    msg_ += f.payload;
    if (!f.fin) return true;
    int op = msg_opcode_;
    msg_opcode_ = 0;
    if (op == kText && !valid_utf8(msg_)) throw WsError(1007, "text message is not UTF-8");
    // Data that arrives after our close frame is read and dropped.
    if (close_sent_) return true;
    send_message(sock_, op, msg_, opts_.fragment);
    ++messages_;
    if (opts_.close_after != 0 && ++echoed_ >= opts_.close_after) start_close(1000, "bye");
    return true;
}

void Echo::start_close(int code, const std::string& reason) {
    try {
        sock_.send(frame_bytes(true, kClose, close_payload(code, reason)));
    } catch (const PeerGone&) {
    }
    close_sent_ = true;
}

}  // namespace

std::string websocket_accept(const Request& req) {
    if (req.method != "GET") throw BadMessage("websocket handshake with method " + req.method);
    if (req.version != "HTTP/1.1") throw BadMessage("websocket handshake over " + req.version);
    if (req.framing != Framing::none) throw BadMessage("websocket handshake with a request body");
    std::optional<std::string> upgrade = req.header("Upgrade");
    if (!upgrade || !list_has_token(*upgrade, "websocket")) throw BadMessage("no Upgrade: websocket");
    bool conn_upgrade = false;
    for (const auto& [name, value] : req.headers) {
        if (lower(name) == "connection" && list_has_token(value, "upgrade")) conn_upgrade = true;
    }
    if (!conn_upgrade) throw BadMessage("no Connection: upgrade");
    if (req.count("Sec-WebSocket-Key") != 1) throw BadMessage("not exactly one Sec-WebSocket-Key");
    std::string key = *req.header("Sec-WebSocket-Key");
    std::optional<std::string> raw = base64_decode(key);
    if (!raw || raw->size() != 16) throw BadMessage("Sec-WebSocket-Key is not 16 bytes in base64: " + key);
    if (req.header("Sec-WebSocket-Version") != std::string("13")) throw BadMessage("Sec-WebSocket-Version is not 13");
    Digest sha1(EVP_sha1());
    std::string in = key + kGuid;
    sha1.update(in.data(), in.size());
    return base64_encode(sha1.finish());
}

void run_websocket(Socket& sock, std::uint64_t conn_id, const WsOptions& opts, std::atomic<std::uint64_t>& messages) {
    Echo(sock, conn_id, opts, messages).run();
}

}  // namespace httpt
