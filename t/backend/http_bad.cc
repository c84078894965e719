// Each response differs from a plain "200, Content-Length: 5, hello" in one
// place, so a client that accepts it has exactly one bug.
#include "http_bad.h"

#include <map>

namespace httpt {
namespace {

const std::string kStatus = "HTTP/1.1 200 OK\r\n";
const std::string kType = "Content-Type: text/plain\r\n";
const std::string kCl5 = "Content-Length: 5\r\n";
const std::string kChunked = "Transfer-Encoding: chunked\r\n";

std::string plain(const std::string& extra_headers) { return kStatus + kType + extra_headers + kCl5 + "\r\nhello"; }
std::string chunked(const std::string& chunks) { return kStatus + kType + kChunked + "\r\n" + chunks; }

std::string huge_head() {
    std::string h;
    // 50 headers of 4 KiB: 200 KiB in all, each line below common per-line limits.
    for (int i = 1; i <= 50; ++i) h += "X-Huge-" + std::to_string(i) + ": " + std::string(4096, 'h') + "\r\n";
    return plain(h);
}

std::string many_headers() {
    std::string h;
    for (int i = 1; i <= 1000; ++i) h += "X-Many-" + std::to_string(i) + ": v\r\n";
    return plain(h);
}

const std::map<std::string, BadResponse>& menu() {
    static const std::map<std::string, BadResponse> m = {
        {"status-line", {"HTTP/1.1 2OO OK\r\n" + kType + kCl5 + "\r\nhello", false}},
        // HTTP/0.9: a body and the end of the connection, nothing else.
        {"http09", {"hello from HTTP/0.9\n", true}},
        {"obs-fold", {plain("X-Folded: a\r\n b\r\n"), false}},
        {"bare-lf", {plain("X-Bare: a\n"), false}},
        {"bare-cr", {plain("X-Bare: a\rX-Injected: 1\r\n"), false}},
        {"space-before-colon", {kStatus + kType + "Content-Length : 5\r\n\r\nhello", false}},
        {"no-colon", {plain("X-No-Colon\r\n"), false}},
        {"nul-in-header", {plain(std::string("X-Nul: a\0b\r\n", 12)), false}},
        {"huge-head", {huge_head(), false}},
        {"many-headers", {many_headers(), false}},
        {"two-cl", {kStatus + kType + kCl5 + "Content-Length: 6\r\n\r\nhello!", false}},
        {"cl-sign", {kStatus + kType + "Content-Length: +5\r\n\r\nhello", false}},
        {"cl-te", {kStatus + kType + kCl5 + kChunked + "\r\n5\r\nhello\r\n0\r\n\r\n", false}},
        {"te-gzip", {kStatus + kType + "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false}},
        // strtoul() reads "5x" as 5 and "0x5" as 5: only a strict parser refuses.
        {"bad-chunk", {chunked("5x\r\nhello\r\n0\r\n\r\n"), false}},
        {"chunk-0x", {chunked("0x5\r\nhello\r\n0\r\n\r\n"), false}},
        {"overflow-chunk", {chunked("ffffffffffffffffff\r\nhello\r\n0\r\n\r\n"), false}},
        {"chunk-no-crlf", {chunked("5\r\nhelloXX0\r\n\r\n"), false}},
        // Smuggling: five bytes declared, a whole second response behind them.
        {"longer", {kStatus + kType + kCl5 +
                        "\r\nhelloHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nINJECTED\n",
                    false}},
        // The same, but the extra bytes come 200 ms after a complete
        // response, when the client may have taken the connection as idle.
        {"longer-late", {kStatus + kType + kCl5 + "\r\nhello", false,
                         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nINJECTED\n", 200}},
        // The first body bytes, and 200 ms later (when the head and they
        // have been passed on) a bad chunk, or more bytes and the close
        // before the Content-Length: the response can only be cut off.
        {"bad-chunk-late", {chunked("5\r\nhello\r\n"), false, "5x\r\nworld\r\n0\r\n\r\n", 200}},
        {"shorter-late", {kStatus + kType + "Content-Length: 100\r\n\r\n0123456789", true, "0123456789", 200}},
        {"two-cl-equal", {kStatus + kType + kCl5 + kCl5 + "\r\nhello", false}},
        {"shorter", {kStatus + kType + "Content-Length: 100\r\n\r\n0123456789", true}},
    };
    return m;
}

}  // namespace

std::optional<BadResponse> bad_response(const std::string& kind) {
    auto it = menu().find(kind);
    if (it == menu().end()) return std::nullopt;
    return it->second;
}

std::string bad_kinds() {
    std::string s;
    for (const auto& [k, v] : menu()) s += (s.empty() ? "" : " ") + k;
    return s;
}

}  // namespace httpt
