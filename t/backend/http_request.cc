#include "http_request.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "http_util.h"

namespace httpt {
namespace {

constexpr std::size_t kMaxLine = 64 * 1024;
constexpr std::size_t kMaxHead = 1024 * 1024;
constexpr std::size_t kMaxFields = 2000;

std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s.substr(0, 200)) {
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

// Strips the CRLF; a bare LF (or a CR anywhere else) is refused.
std::string_view strip_crlf(const std::string& line) {
    if (line.size() < 2 || line[line.size() - 2] != '\r') {
        throw BadMessage("line not ended by CRLF: \"" + printable(line) + "\"");
    }
    std::string_view v(line.data(), line.size() - 2);
    if (v.find('\r') != std::string_view::npos) throw BadMessage("CR inside a line: \"" + printable(line) + "\"");
    return v;
}

// field-name ":" OWS field-value OWS, with nothing a proxy must not send.
std::pair<std::string, std::string> parse_field(std::string_view v) {
    if (v.front() == ' ' || v.front() == '\t') throw BadMessage("obs-fold line: \"" + printable(v) + "\"");
    std::size_t colon = v.find(':');
    if (colon == std::string_view::npos) throw BadMessage("header line without colon: \"" + printable(v) + "\"");
    std::string_view name = v.substr(0, colon);
    if (!is_token(name)) throw BadMessage("bad header name: \"" + printable(name) + "\"");
    std::string_view value = v.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    for (unsigned char c : value) {
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            throw BadMessage("control character in the value of " + std::string(name) + ": \"" + printable(value) +
                             "\"");
        }
    }
    return {std::string(name), std::string(value)};
}

// Reads header (or trailer) lines up to the empty line.
void read_fields(Socket& sock, Headers& out, std::size_t& head_size) {
    std::string line;
    for (;;) {
        if (!sock.read_line(line, kMaxLine)) throw BadMessage("connection closed inside the header section");
        head_size += line.size();
        if (head_size > kMaxHead) throw BadMessage("header section longer than " + std::to_string(kMaxHead));
        std::string_view v = strip_crlf(line);
        if (v.empty()) return;
        if (out.size() >= kMaxFields) throw BadMessage("more than " + std::to_string(kMaxFields) + " header fields");
        out.push_back(parse_field(v));
    }
}

void parse_request_line(Request& r) {
    std::string_view v = r.line;
    std::size_t sp1 = v.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : v.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || v.find(' ', sp2 + 1) != std::string_view::npos) {
        throw BadMessage("request line is not METHOD SP TARGET SP VERSION: \"" + printable(v) + "\"");
    }
    r.method = std::string(v.substr(0, sp1));
    r.target = std::string(v.substr(sp1 + 1, sp2 - sp1 - 1));
    r.version = std::string(v.substr(sp2 + 1));
    if (!is_token(r.method)) throw BadMessage("bad method: \"" + printable(r.method) + "\"");
    // A proxy talks to its origin server in origin-form (or * for OPTIONS).
    bool asterisk = r.target == "*" && r.method == "OPTIONS";
    if (!asterisk && (r.target.empty() || r.target[0] != '/')) {
        throw BadMessage("request target not in origin-form: \"" + printable(r.target) + "\"");
    }
    for (unsigned char c : r.target) {
        if (c <= 0x20 || c >= 0x7F || c == '#') throw BadMessage("bad byte in request target: \"" + printable(r.target) + "\"");
    }
    if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0") {
        if (r.version.size() == 8 && r.version.compare(0, 5, "HTTP/") == 0) {
            throw Refused(505, "unsupported version " + r.version);
        }
        throw BadMessage("bad HTTP version: \"" + printable(r.version) + "\"");
    }
    std::size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    if (q != std::string::npos) r.query = r.target.substr(q + 1);
}

// Content-Length, Transfer-Encoding, Host and Connection, strictly.
void check_semantics(Request& r) {
    bool v11 = r.version == "HTTP/1.1";
    if (v11 && r.count("Host") != 1) {
        throw BadMessage("HTTP/1.1 request with " + std::to_string(r.count("Host")) + " Host headers");
    }
    std::size_t ncl = r.count("Content-Length");
    std::size_t nte = r.count("Transfer-Encoding");
    if (ncl > 1) throw BadMessage("more than one Content-Length");
    if (nte > 1) throw BadMessage("more than one Transfer-Encoding");
    if (ncl && nte) throw BadMessage("both Content-Length and Transfer-Encoding");
    if (ncl) {
        std::string cl = *r.header("Content-Length");
        if (cl.empty() || cl.size() > 18 || !std::all_of(cl.begin(), cl.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            throw BadMessage("bad Content-Length: \"" + printable(cl) + "\"");
        }
        r.framing = Framing::length;
        r.content_length = std::stoull(cl);
    }
    if (nte) {
        std::string te = *r.header("Transfer-Encoding");
        if (!v11) throw BadMessage("Transfer-Encoding in an HTTP/1.0 request");
        if (lower(te) != "chunked") throw Refused(501, "Transfer-Encoding other than chunked: \"" + printable(te) + "\"");
        r.framing = Framing::chunked;
    }
    r.keep_alive = v11;
    for (const auto& [name, value] : r.headers) {
        if (lower(name) != "connection") continue;
        if (list_has_token(value, "close")) r.keep_alive = false;
        if (!v11 && list_has_token(value, "keep-alive")) r.keep_alive = true;
    }
}

}  // namespace

const char* framing_name(Framing f) {
    switch (f) {
        case Framing::none: return "none";
        case Framing::length: return "length";
        case Framing::chunked: return "chunked";
    }
    return "?";
}

std::optional<std::string> Request::header(const std::string& name) const {
    std::string want = lower(name);
    for (const auto& [n, v] : headers) {
        if (lower(n) == want) return v;
    }
    return std::nullopt;
}

std::size_t Request::count(const std::string& name) const {
    std::string want = lower(name);
    return static_cast<std::size_t>(
        std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return lower(h.first) == want; }));
}

std::optional<Request> read_request_head(Socket& sock) {
    Request r;
    std::string line;
    if (!sock.read_line(line, kMaxLine)) return std::nullopt;
    // No leniency for a stray CRLF before the request: a proxy that sends one
    // has miscounted a body.
    r.line = std::string(strip_crlf(line));
    if (r.line.empty()) throw BadMessage("empty line where a request line was expected");
    parse_request_line(r);
    std::size_t head_size = line.size();
    read_fields(sock, r.headers, head_size);
    check_semantics(r);
    return r;
}

BodyReader::BodyReader(Socket& sock, const Request& req) : sock_(sock), framing_(req.framing) {
    if (framing_ == Framing::length) left_ = req.content_length;
    done_ = framing_ == Framing::none || (framing_ == Framing::length && left_ == 0);
}

std::size_t BodyReader::read(char* dst, std::size_t n) {
    if (done_) return 0;
    if (framing_ == Framing::chunked && left_ == 0) {
        next_chunk();
        if (done_) return 0;
    }
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
    std::size_t got = sock_.read_some(dst, want);
    if (got == 0) {
        throw BadMessage("connection closed inside the request body after " + std::to_string(received_) + " bytes");
    }
    left_ -= got;
    received_ += got;
    if (left_ == 0) {
        if (framing_ == Framing::length) {
            done_ = true;
        } else {
            char crlf[2];
            sock_.read_exact(crlf, 2);
            if (crlf[0] != '\r' || crlf[1] != '\n') throw BadMessage("chunk data not followed by CRLF");
        }
    }
    return got;
}

// chunk-size [ chunk-ext ] CRLF, then for the last chunk the trailer section.
void BodyReader::next_chunk() {
    std::string line;
    if (!sock_.read_line(line, kMaxLine)) throw BadMessage("connection closed before a chunk size");
    std::string_view v = strip_crlf(line);
    std::size_t i = 0;
    std::uint64_t size = 0;
    for (; i < v.size() && std::isxdigit(static_cast<unsigned char>(v[i])); ++i) {
        if (i >= 16) throw BadMessage("chunk size too long: \"" + printable(v) + "\"");
        char c = static_cast<char>(std::tolower(static_cast<unsigned char>(v[i])));
        size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (i == 0) throw BadMessage("bad chunk size: \"" + printable(v) + "\"");
    // Extensions: ;name[=token]... without whitespace, as a proxy would send them.
    std::string_view ext = v.substr(i);
    while (!ext.empty()) {
        if (ext[0] != ';') throw BadMessage("bad chunk size line: \"" + printable(v) + "\"");
        ext.remove_prefix(1);
        std::size_t end = ext.find(';');
        std::string_view item = ext.substr(0, end);
        std::size_t eq = item.find('=');
        if (!is_token(item.substr(0, eq)) || (eq != std::string_view::npos && !is_token(item.substr(eq + 1)))) {
            throw BadMessage("bad chunk extension: \"" + printable(v) + "\"");
        }
        ext.remove_prefix(end == std::string_view::npos ? ext.size() : end);
    }
    if (size > 0) {
        left_ = size;
        return;
    }
    std::size_t trailer_size = 0;
    read_fields(sock_, trailers_, trailer_size);
    done_ = true;
}

}  // namespace httpt
