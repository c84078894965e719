// libFuzzer target: the HTTP/1.1 response reader (libox/http: head parser,
// chunked decoder, framing) over whatever a backend might send.
//
// Input: byte 0 = flags (bit 0: the request was HEAD, bit 1: an upgrade
// was asked for), byte 1 = the head limit (16 + 4 * value bytes, so the
// limit is reached within short inputs), byte 2 = where to split the rest,
// which is the backend's byte stream.
//
// The stream is fed three ways: whole, in two pieces split at the chosen
// point, and byte by byte. Before every call the unread bytes are copied to
// a heap block of exactly their size, so AddressSanitizer sees any read
// beyond them and the reader sees its input move as a connection's buffer
// does. For every input:
//   - no read out of bounds (ASan);
//   - `used` never exceeds what was given, body views lie within the bytes
//     taken, header views within the bytes given;
//   - the body passed on is never longer than the input;
//   - all three feeds end with the same verdict: the same end (done,
//     malformed, ended by the close, cut short), detail, status, header
//     fields, body, and bytes left behind the response.
// Any violation aborts with the input on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_report.h"
#include "http/http_reader.h"

using ox::http::ResponseReader;
using Step = ResponseReader::Step;

namespace {

struct Verdict {
    int end = 0;  // 0 cut short, 1 done, 2 malformed, 3 ended by the close
    std::string detail;
    int status = 0;
    std::string headers;
    std::string body;
    std::size_t left = 0;
    bool keep_alive = false;

    bool operator==(const Verdict& o) const
    {
        return end == o.end && detail == o.detail && status == o.status && headers == o.headers && body == o.body &&
               left == o.left && keep_alive == o.keep_alive;
    }
};

bool inside(const char* p, std::size_t n, const char* base, std::size_t len)
{
    return p >= base && p + n <= base + len;
}

Verdict feed(std::string_view stream, const std::vector<std::size_t>& cuts, bool head_request, bool upgrade,
             std::size_t max_head)
{
    ResponseReader r;
    r.start(head_request, upgrade, max_head);
    static ox::proxy::Header storage[ox::http::kMaxHeaders];
    Verdict v;
    std::string pending;
    std::size_t fed = 0, consumed = 0;
    auto run = [&](std::size_t end) -> bool {
        pending.append(stream.substr(fed, end - fed));
        fed = end;
        for (;;) {
            std::size_t n = pending.size();
            std::unique_ptr<char[]> block(new char[n]);
            std::memcpy(block.get(), pending.data(), n);
            std::size_t used = 0, out_len = 0;
            const char* out = nullptr;
            Step s = r.next(block.get(), n, used, out, out_len);
            if (used > n) fail("used more than given");
            if (s == Step::head) {
                ox::proxy::ResponseHead h;
                r.response_head(storage, h);
                v.status = h.status;
                if (h.header_count > ox::http::kMaxHeaders) fail("too many header fields passed on");
                if (!h.reason.empty() && !inside(h.reason.data(), h.reason.size(), block.get(), n)) {
                    fail("reason outside the input");
                }
                for (std::size_t i = 0; i < h.header_count; ++i) {
                    const auto& f = h.headers[i];
                    if (!inside(f.name.data(), f.name.size(), block.get(), n) ||
                        !inside(f.value.data(), f.value.size(), block.get(), n)) {
                        fail("header view outside the input");
                    }
                    v.headers.append(f.name).append(": ").append(f.value).append("\n");
                }
            } else if (s == Step::body) {
                if (!inside(out, out_len, block.get(), used)) fail("body view outside the bytes taken");
                v.body.append(out, out_len);
            }
            pending.erase(0, used);
            consumed += used;
            if (s == Step::done) {
                v.end = 1;
                v.left = stream.size() - consumed;
                v.keep_alive = r.keep_alive();
                return true;
            }
            if (s == Step::malformed) {
                v.end = 2;
                v.detail = r.detail() ? r.detail() : "(null)";
                return true;
            }
            if (s == Step::need_more) return false;
        }
    };
    for (std::size_t end : cuts) {
        if (run(end)) return v;
    }
    if (run(stream.size())) return v;
    v.end = r.at_eof() ? 3 : 0;
    v.keep_alive = r.keep_alive();
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 3) return 0;
    g_input = std::string_view(reinterpret_cast<const char*>(data), size);
    bool head_request = data[0] & 1;
    bool upgrade = data[0] & 2;
    std::size_t max_head = 16 + 4 * static_cast<std::size_t>(data[1]);
    std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);
    std::size_t split = stream.size() * data[2] / 256;

    Verdict whole = feed(stream, {}, head_request, upgrade, max_head);
    if (whole.body.size() > stream.size()) fail("body longer than the input");
    Verdict two = feed(stream, {split}, head_request, upgrade, max_head);
    if (!(two == whole)) fail("a split changed the verdict");
    std::vector<std::size_t> each;
    for (std::size_t i = 1; i < stream.size(); ++i) each.push_back(i);
    Verdict bytes = feed(stream, each, head_request, upgrade, max_head);
    if (!(bytes == whole)) fail("byte-by-byte feeding changed the verdict");
    return 0;
}
