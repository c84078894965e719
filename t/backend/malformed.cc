#include "malformed.h"

#include <cstring>

#include "ajp_codec.h"

namespace ajpt {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kCodedContentType = 0xA001;
constexpr std::uint16_t kCodedContentLength = 0xA003;

// SEND_HEADERS 200 "OK" with Content-Type text/plain, built by hand so the
// broken variants below can differ from it in exactly one place.
void good_headers(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(200);
    p.str("OK");
    p.u16(1);
    p.u16(kCodedContentType);
    p.str("text/plain");
    p.finish();
}

void body_chunk(Bytes& out, const std::string& data) {
    PacketBuilder p(out);
    p.u8(kSendBodyChunk);
    p.u16(static_cast<std::uint16_t>(data.size()));
    p.bytes(data.data(), data.size());
    p.u8(0);
    p.finish();
}

void end_response(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kEndResponse);
    p.u8(1);
    p.finish();
}

// A valid SEND_HEADERS payload behind the wrong magic 'X' 'Y'.
void bad_magic(Bytes& out) {
    good_headers(out);
    out[0] = 'X';
    out[1] = 'Y';
}

void unknown_type(Bytes& out) {
    PacketBuilder p(out);
    p.u8(0x42);
    p.u16(0);
    p.finish();
}

void headers_count(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(200);
    p.str("OK");
    p.u16(3);  // announces 3, carries 1
    p.u16(kCodedContentType);
    p.str("text/plain");
    p.finish();
}

void string_overrun(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(200);
    p.u16(0x1000);  // status message length far beyond the payload
    p.bytes("OK", 3);
    p.u16(0);
    p.finish();
}

void chunk_overrun(Bytes& out) {
    good_headers(out);
    PacketBuilder p(out);
    p.u8(kSendBodyChunk);
    p.u16(100);  // announces 100 data bytes, carries 10
    p.bytes("0123456789", 10);
    p.u8(0);
    p.finish();
}

void body_before_headers(Bytes& out) {
    body_chunk(out, "body before headers\n");
    end_response(out);
}

void bad_status(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(1000);
    p.str("Bad");
    p.u16(0);
    p.finish();
}

// Complete response, so a lenient client visibly passes the injected header.
void crlf_header(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(200);
    p.str("OK");
    p.u16(2);
    p.u16(kCodedContentType);
    p.str("text/plain");
    p.str("X-Evil");
    p.str("a\r\nX-Injected: 1");
    p.finish();
    body_chunk(out, "crlf\n");
    end_response(out);
}

// Complete response with a second SEND_HEADERS before the body.
void double_headers(Bytes& out) {
    good_headers(out);
    good_headers(out);
    body_chunk(out, "double\n");
    end_response(out);
}

// Complete responses whose Content-Length cannot be trusted: not a number,
// two that disagree (the coded and the spelled-out name), and two equal ones.
void content_length_response(Bytes& out, const char* first, const char* second) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(200);
    p.str("OK");
    p.u16(second ? 3 : 2);
    p.u16(kCodedContentType);
    p.str("text/plain");
    p.u16(kCodedContentLength);
    p.str(first);
    if (second) {
        p.str("Content-Length");
        p.str(second);
    }
    p.finish();
    body_chunk(out, "clen\n");
    end_response(out);
}

void bad_content_length(Bytes& out) { content_length_response(out, "5x", nullptr); }

void two_content_lengths(Bytes& out) { content_length_response(out, "5", "6"); }
void two_equal_content_lengths(Bytes& out) { content_length_response(out, "5", "5"); }

void zero_length(Bytes& out) { PacketBuilder(out).finish(); }

void end_before_headers(Bytes& out) { end_response(out); }

void unterminated(Bytes& out) {
    PacketBuilder p(out);
    p.u8(kSendHeaders);
    p.u16(200);
    p.u16(2);
    p.bytes("OKx", 3);  // 'x' where the NUL terminator belongs
    p.u16(0);
    p.finish();
}

struct Kind {
    const char* name;
    void (*build)(Bytes&);
};

const Kind kKinds[] = {
    {"magic", bad_magic},
    {"type", unknown_type},
    {"headers-count", headers_count},
    {"string-overrun", string_overrun},
    {"chunk-overrun", chunk_overrun},
    {"body-before-headers", body_before_headers},
    {"bad-status", bad_status},
    {"crlf-header", crlf_header},
    {"double-headers", double_headers},
    {"zero-length", zero_length},
    {"end-before-headers", end_before_headers},
    {"unterminated", unterminated},
    {"bad-content-length", bad_content_length},
    {"two-content-lengths", two_content_lengths},
    {"two-equal-content-lengths", two_equal_content_lengths},
};

}  // namespace

std::optional<Bytes> garbage_bytes(const std::string& kind) {
    for (const Kind& k : kKinds) {
        if (kind == k.name) {
            Bytes out;
            k.build(out);
            return out;
        }
    }
    return std::nullopt;
}

const char* garbage_kinds() {
    return "magic type headers-count string-overrun chunk-overrun body-before-headers bad-status "
           "crlf-header double-headers zero-length end-before-headers unterminated bad-content-length "
           "two-content-lengths two-equal-content-lengths";
}

Bytes truncated_bytes() {
    // The first 10 bytes of a plausible SEND_HEADERS payload.
    const std::uint8_t head[] = {'A', 'B', 0, 100, kSendHeaders, 0, 200, 0, 2, 'O', 'K', 0, 0, 1};
    return Bytes(head, head + sizeof head);
}

Bytes oversized_bytes(std::size_t len) {
    Bytes out;
    PacketBuilder p(out);
    if (len >= 4) {
        std::size_t data = len - 4;
        p.u8(kSendBodyChunk);
        p.u16(static_cast<std::uint16_t>(data));
        out.resize(out.size() + data, 'z');
        p.u8(0);
    } else {
        out.resize(out.size() + len, 'z');
    }
    p.finish();
    return out;
}

}  // namespace ajpt
