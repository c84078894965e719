// The AJP13 codec, byte for byte: the packet writer and payload reader, the
// forward request for known requests, and every packet a container sends,
// including truncated, oversized and otherwise malformed ones.
#include <cstring>
#include <string>
#include <vector>

#include "ajp/ajp_exchange.h"
#include "ajp/ajp_message.h"
#include "ajp/ajp_protocol.h"
#include "ajp/ajp_request.h"
#include "ajp/ajp_response.h"
#include "unit_util.h"

using namespace ox::ajp;
using ox::proxy::Header;
using ox::proxy::Request;
using ox::proxy::ResponseHead;
using unit::Bytes;
using unit::cat;
using unit::hex;
using unit::Wire;

namespace {

// Encodes into a buffer with guard bytes behind `capacity`, checks that the
// encoder never wrote past it, and returns the packet (empty when it did
// not fit).
Bytes encode(const Request& req, const ForwardOptions& opt = {}, std::size_t capacity = kDefaultPacketSize)
{
    Bytes buf(capacity + 16, 0xEE);
    std::size_t n = encode_forward_request(req, opt, buf.data(), capacity);
    for (std::size_t i = capacity; i < buf.size(); ++i) {
        ck_assert_msg(buf[i] == 0xEE, "encode_forward_request wrote past its capacity at %zu", i);
    }
    ck_assert_uint_le(n, capacity);
    buf.resize(n);
    return buf;
}

// A request with only what every request has.
Request minimal_request(std::string_view method)
{
    Request r;
    r.method = method;
    r.protocol = "HTTP/1.1";
    r.path = "/";
    r.remote_addr = "192.0.2.1";
    r.server_name = "ox";
    r.server_port = 80;
    return r;
}

// The attribute codes of a decoded forward request, in order.
std::vector<unsigned> attribute_codes(const unit::ForwardRequest& f)
{
    std::vector<unsigned> v;
    for (const auto& a : f.attributes) v.push_back(a.first);
    return v;
}

}  // namespace

// ============================================================================
// PacketWriter
// ============================================================================

// Each put_* appends its big-endian encoding; finish() writes the 0x1234
// header with the payload length.
START_TEST(writer_encodes_fields)
{
    std::uint8_t buf[64];
    PacketWriter w(buf, sizeof buf);
    w.put_u8(0x02);
    w.put_u16(0xA00B);
    w.put_string("ab");
    w.put_string("");
    w.put_null_string();
    w.put_bytes("xyz", 3);
    ck_assert(w.ok());
    std::size_t n = w.finish();
    CK_ASSERT_BYTES_EQ(Bytes(buf, buf + n), hex(R"(12 34 00 10  02  a0 0b  00 02 "ab" 00  00 00 00  ff ff  "xyz")"));
}
END_TEST

// A field that does not fit fails the writer for good: later fields that
// would fit are not written either, finish() returns 0, and no byte beyond
// the capacity is touched.
START_TEST(writer_overflow_is_sticky)
{
    std::uint8_t buf[32];
    std::memset(buf, 0xEE, sizeof buf);
    PacketWriter w(buf, 10);  // header 4 + 6 bytes of payload
    w.put_u16(0x0102);        // payload 2
    w.put_string("abcd");     // needs 7: does not fit
    ck_assert(!w.ok());
    w.put_u8(0x55);           // would fit, but the writer has failed
    ck_assert(!w.ok());
    ck_assert_uint_eq(w.finish(), 0);
    CK_ASSERT_BYTES_EQ(Bytes(buf + 4, buf + 32), cat({hex("01 02"), Bytes(26, 0xEE)}));
}
END_TEST

// Exactly full is fine; one byte more is not.
START_TEST(writer_exact_capacity)
{
    std::uint8_t buf[9];
    PacketWriter w(buf, sizeof buf);
    w.put_string("ab");  // 5 bytes: payload fills the buffer
    ck_assert(w.ok());
    ck_assert_uint_eq(w.finish(), 9);
    PacketWriter w2(buf, sizeof buf);
    w2.put_string("abc");
    ck_assert(!w2.ok());
    ck_assert_uint_eq(w2.finish(), 0);
}
END_TEST

// 0xFFFF is the null string's length: a string that long cannot be encoded,
// whatever the capacity; and a payload beyond 0xFFFF cannot be framed.
START_TEST(writer_length_limits)
{
    std::vector<std::uint8_t> big(70000);
    PacketWriter w(big.data(), big.size());
    w.put_string(std::string(0xFFFF, 'x'));
    ck_assert(!w.ok());

    PacketWriter w2(big.data(), big.size());
    std::string s(0xFFFE, 'x');
    w2.put_string(s);  // fits the buffer, but the payload is 0x10001 bytes
    ck_assert(w2.ok());
    ck_assert_uint_eq(w2.finish(), 0);

    std::uint8_t tiny[3];
    PacketWriter w3(tiny, sizeof tiny);  // not even room for the header
    ck_assert(!w3.ok());
    w3.put_u8(1);
    ck_assert_uint_eq(w3.finish(), 0);
}
END_TEST

// The body packet header; an empty body packet is the end-of-body mark and
// consists of the 4-byte header only: 12 34 00 00.
START_TEST(body_packet_header)
{
    std::uint8_t out[6];
    put_body_packet_header(out, 5);
    CK_ASSERT_BYTES_EQ(Bytes(out, out + 6), hex("12 34 00 07 00 05"));
    put_body_packet_header(out, 8186);
    CK_ASSERT_BYTES_EQ(Bytes(out, out + 6), hex("12 34 1f fc 1f fa"));
    put_body_packet_header(out, 0);
    CK_ASSERT_BYTES_EQ(Bytes(out, out + kPacketHeaderLen), hex("12 34 00 00"));
    ck_assert_uint_eq(kBodyPacketOverhead, 6);
    ck_assert_uint_eq(max_body_chunk(8192), 8186);
}
END_TEST

// ============================================================================
// PayloadReader
// ============================================================================

START_TEST(reader_reads_fields)
{
    Bytes p = hex(R"(07 12 34 00 02 "hi" 00 ff ff 00 00 00 "rest")");
    PayloadReader r(p.data(), p.size());
    std::uint8_t b = 0;
    std::uint16_t w = 0, peek = 0;
    std::string_view s;
    bool is_null = true;
    ck_assert(r.u8(b));
    ck_assert_uint_eq(b, 0x07);
    ck_assert(r.peek_u16(peek));
    ck_assert_uint_eq(peek, 0x1234);
    ck_assert(r.u16(w));  // peek did not consume
    ck_assert_uint_eq(w, 0x1234);
    ck_assert(r.string(s, &is_null));
    ck_assert(s == "hi");
    ck_assert(!is_null);
    ck_assert(r.string(s, &is_null));  // ff ff: the null string
    ck_assert(is_null);
    ck_assert_uint_eq(s.size(), 0);
    ck_assert(r.string(s, &is_null));  // 00 00 00: the empty string, not null
    ck_assert(!is_null);
    ck_assert_uint_eq(s.size(), 0);
    ck_assert_uint_eq(r.remaining(), 4);
    const std::uint8_t* raw = nullptr;
    ck_assert(r.bytes(4, raw));
    ck_assert_mem_eq(raw, "rest", 4);
    ck_assert_uint_eq(r.remaining(), 0);
    ck_assert(r.ok());
}
END_TEST

// Reading past the end fails and stays failed, even for reads that would
// fit afterwards.
START_TEST(reader_over_read_is_sticky)
{
    Bytes p = hex("01 02 03");
    PayloadReader r(p.data(), p.size());
    std::uint16_t w = 0;
    std::uint8_t b = 0;
    ck_assert(r.u16(w));
    ck_assert(!r.u16(w));  // one byte left
    ck_assert(!r.ok());
    ck_assert(!r.u8(b));   // would fit, but sticky
    std::uint16_t peek = 0;
    ck_assert(!r.peek_u16(peek));
    const std::uint8_t* raw = nullptr;
    ck_assert(!r.bytes(0, raw));
}
END_TEST

// A string's length must stay inside the payload and be followed by a NUL.
// The bytes behind the payload would make each string valid: they must not
// be looked at.
START_TEST(reader_string_bounds)
{
    struct Case {
        const char* name;
        Bytes buffer;    // payload followed by bytes the reader must not see
        std::size_t len; // payload length
    } cases[] = {
        {"length overruns the payload", hex(R"(00 05 "abc" "de" 00)"), 5},
        {"NUL terminator behind the payload", hex(R"(00 03 "abc" 00)"), 5},
        {"terminator is not a NUL", hex(R"(00 03 "abcX" 00)"), 6},
        {"length field cut short", hex("00 00 00"), 1},
    };
    for (const Case& c : cases) {
        PayloadReader r(c.buffer.data(), c.len);
        std::string_view s;
        ck_assert_msg(!r.string(s), "%s: accepted", c.name);
        ck_assert_msg(!r.ok(), "%s: reader not failed", c.name);
        std::uint8_t b = 0;
        ck_assert_msg(!r.u8(b), "%s: read after failure", c.name);
    }
}
END_TEST

// ============================================================================
// Protocol tables
// ============================================================================

// Every AJP method code, WebDAV ones included (Tomcat's Constants).
static const char* const kMethodByCode[] = {
    nullptr, "OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL",
    "COPY", "MOVE", "LOCK", "UNLOCK", "ACL", "REPORT", "VERSION-CONTROL", "CHECKIN", "CHECKOUT", "UNCHECKOUT",
    "SEARCH", "MKWORKSPACE", "UPDATE", "LABEL", "MERGE", "BASELINE-CONTROL", "MKACTIVITY",
};

// Loop test over codes 1..27: the method is sent as its code, with no
// stored-method attribute.
START_TEST(method_codes)
{
    const int code = _i;
    const char* name = kMethodByCode[code];
    ck_assert_uint_eq(method_code(name), static_cast<unsigned>(code));
    const std::string back(method_name(static_cast<std::uint8_t>(code)));
    ck_assert_str_eq(back.c_str(), name);
    unit::ForwardRequest f;
    ck_assert_msg(unit::decode_forward(encode(minimal_request(name)), f), "%s", f.error.c_str());
    ck_assert_uint_eq(f.method, static_cast<unsigned>(code));
    for (const auto& a : f.attributes) ck_assert_msg(a.first != kAttrStoredMethod, "%s sent as stored method", name);
}
END_TEST

// A method without a code goes as 0xFF with the name in attribute 0x0D;
// methods are case-sensitive, so "get" is such a method too.
START_TEST(stored_methods)
{
    for (const char* m : {"PATCH", "FOO", "get", "BIND"}) {
        ck_assert_uint_eq(method_code(m), 0);
        Bytes pkt = encode(minimal_request(m));
        unit::ForwardRequest f;
        ck_assert_msg(unit::decode_forward(pkt, f), "%s", f.error.c_str());
        ck_assert_uint_eq(f.method, 0xFF);
        ck_assert_uint_eq(f.attributes.size(), 1);
        ck_assert_uint_eq(f.attributes[0].first, 0x0D);
        ck_assert_str_eq(f.attributes[0].second.c_str(), m);
    }
    ck_assert_uint_eq(method_name(0).size(), 0);
    ck_assert_uint_eq(method_name(28).size(), 0);
    ck_assert_uint_eq(method_name(0xFF).size(), 0);
}
END_TEST

START_TEST(request_header_codes)
{
    static const char* const names[] = {"accept", "accept-charset", "accept-encoding", "accept-language",
                                        "authorization", "connection", "content-type", "content-length",
                                        "cookie", "cookie2", "host", "pragma", "referer", "user-agent"};
    for (unsigned i = 0; i < 14; ++i) ck_assert_uint_eq(request_header_code(names[i]), 0xA001 + i);
    ck_assert_uint_eq(request_header_code("HOST"), 0xA00B);
    ck_assert_uint_eq(request_header_code("Content-Length"), 0xA008);
    ck_assert_uint_eq(request_header_code("User-AGENT"), 0xA00E);
    for (const char* other : {"", "hos", "hostx", "x-host", "cookie3", "Transfer-Encoding", "accept-languages",
                              "content-lengt", "user-agenT2", "connectio"}) {
        ck_assert_msg(request_header_code(other) == 0, "'%s' got a code", other);
    }
}
END_TEST

START_TEST(response_header_names)
{
    static const char* const names[] = {"Content-Type", "Content-Language", "Content-Length", "Date",
                                        "Last-Modified", "Location", "Set-Cookie", "Set-Cookie2",
                                        "Servlet-Engine", "Status", "WWW-Authenticate"};
    for (unsigned i = 0; i < 11; ++i) {
        const std::string name(response_header_name(static_cast<std::uint16_t>(0xA001 + i)));
        ck_assert_str_eq(name.c_str(), names[i]);
    }
    for (unsigned code : {0x0000u, 0xA000u, 0xA00Cu, 0xA0FFu, 0xFFFFu}) {
        ck_assert_msg(response_header_name(static_cast<std::uint16_t>(code)).empty(), "0x%04x has a name", code);
    }
}
END_TEST

// ============================================================================
// encode_forward_request
// ============================================================================

// A known request, byte for byte: method code, request line, coded and
// named headers, then query, route, secret, user, auth type, remote port,
// local address and the 0xFF terminator.
START_TEST(forward_request_known_bytes)
{
    static const Header headers[] = {
        {"Host", "ox.example.com"},
        {"Content-Length", "5"},
        {"Cookie", "JSESSIONID=abc.ox1"},
        {"X-Forwarded-For", "192.0.2.10"},
        {"USER-AGENT", "curl"},
    };
    Request r;
    r.method = "POST";
    r.protocol = "HTTP/1.1";
    r.path = "/appsuite/api/login";
    r.query = "action=login";
    r.has_query = true;
    r.remote_addr = "192.0.2.10";  // remote_host empty: the address is sent
    r.remote_port = 51234;
    r.local_addr = "198.51.100.1";
    r.server_name = "ox.example.com";
    r.server_port = 80;
    r.remote_user = "alice";
    r.auth_type = "Basic";
    r.headers = headers;
    r.header_count = 5;
    r.body = ox::proxy::BodyKind::length;
    r.content_length = 5;
    ForwardOptions opt{"ox1", "s3cret"};

    Bytes expected = hex(R"(
        12 34 01 1b
        02 04
        00 08 "HTTP/1.1" 00
        00 13 "/appsuite/api/login" 00
        00 0a "192.0.2.10" 00
        00 0a "192.0.2.10" 00
        00 0e "ox.example.com" 00
        00 50
        00
        00 05
        a0 0b 00 0e "ox.example.com" 00
        a0 08 00 01 "5" 00
        a0 09 00 12 "JSESSIONID=abc.ox1" 00
        00 0f "X-Forwarded-For" 00 00 0a "192.0.2.10" 00
        a0 0e 00 04 "curl" 00
        05 00 0c "action=login" 00
        06 00 03 "ox1" 00
        0c 00 06 "s3cret" 00
        03 00 05 "alice" 00
        04 00 05 "Basic" 00
        0a 00 0f "AJP_REMOTE_PORT" 00 00 05 "51234" 00
        0a 00 0e "AJP_LOCAL_ADDR" 00 00 0c "198.51.100.1" 00
        ff)");
    CK_ASSERT_BYTES_EQ(encode(r, opt), expected);
}
END_TEST

// A TLS request: is_ssl 1, remote_host when set, and the TLS attributes:
// cert 0x07, cipher 0x08, session 0x09, key size 0x0B (u16) and the
// AJP_SSL_PROTOCOL req_attribute.
START_TEST(forward_request_tls_bytes)
{
    Request r;
    r.method = "GET";
    r.protocol = "HTTP/1.1";
    r.path = "/";
    r.remote_addr = "192.0.2.7";
    r.remote_host = "client.example";
    r.server_name = "ox.example.com";
    r.server_port = 443;
    r.tls.on = true;
    r.tls.client_cert = "CERT-PEM";
    r.tls.cipher = "ECDHE-RSA-AES256-GCM-SHA384";
    r.tls.session_id = "0a1b2c3d";
    r.tls.key_size = 256;
    r.tls.protocol = "TLSv1.3";

    Bytes expected = hex(R"(
        12 34 00 9d
        02 02
        00 08 "HTTP/1.1" 00
        00 01 "/" 00
        00 09 "192.0.2.7" 00
        00 0e "client.example" 00
        00 0e "ox.example.com" 00
        01 bb
        01
        00 00
        07 00 08 "CERT-PEM" 00
        08 00 1b "ECDHE-RSA-AES256-GCM-SHA384" 00
        09 00 08 "0a1b2c3d" 00
        0b 01 00
        0a 00 10 "AJP_SSL_PROTOCOL" 00 00 07 "TLSv1.3" 00
        ff)");
    CK_ASSERT_BYTES_EQ(encode(r), expected);
}
END_TEST

// TLS attributes go only with is_ssl, and each only when known: an unknown
// (-1), zero or unrepresentable key size is left out.
START_TEST(forward_request_tls_partial)
{
    Request r = minimal_request("GET");
    r.tls.cipher = "AES";  // TLS off: ignored
    unit::ForwardRequest f;
    ck_assert(unit::decode_forward(encode(r), f));
    ck_assert(!f.ssl);
    ck_assert_uint_eq(f.attributes.size(), 0);

    r.tls.on = true;
    for (int ks : {-1, 0, 0xFFFF}) {
        r.tls.key_size = ks;
        ck_assert(unit::decode_forward(encode(r), f));
        ck_assert(f.ssl);
        ck_assert_uint_eq(f.attributes.size(), 1);
        ck_assert_uint_eq(f.attributes[0].first, 0x08);
    }
    r.tls.key_size = 128;
    ck_assert(unit::decode_forward(encode(r), f));
    ck_assert_uint_eq(f.attributes.size(), 2);
    ck_assert_uint_eq(f.attributes[1].first, 0x0B);
    ck_assert_str_eq(f.attributes[1].second.c_str(), "128");
}
END_TEST

// An empty query string is still sent when the URL had a '?'; without one
// there is no query attribute. No options, no route/secret attributes.
START_TEST(forward_request_query_presence)
{
    Request r = minimal_request("GET");
    r.has_query = true;
    r.query = "";
    unit::ForwardRequest f;
    ck_assert(unit::decode_forward(encode(r), f));
    ck_assert(attribute_codes(f) == std::vector<unsigned>{0x05});
    ck_assert_str_eq(f.attributes[0].second.c_str(), "");
    r.has_query = false;
    ck_assert(unit::decode_forward(encode(r), f));
    ck_assert_uint_eq(f.attributes.size(), 0);
}
END_TEST

// A request that does not fit into the packet size gives 0, never a
// truncated packet; one that fits exactly is encoded.
START_TEST(forward_request_too_large)
{
    std::string big(9000, 'v');
    Header h[] = {{"X-Big", big}};
    Request r = minimal_request("GET");
    r.headers = h;
    r.header_count = 1;
    ck_assert_uint_eq(encode(r).size(), 0);

    std::string fits(7000, 'v');
    h[0].value = fits;
    std::size_t n = encode(r).size();
    ck_assert_uint_gt(n, 7000);
    ck_assert_uint_eq(encode(r, {}, n).size(), n);
    ck_assert_uint_eq(encode(r, {}, n - 1).size(), 0);
}
END_TEST

START_TEST(cping_bytes)
{
    std::uint8_t buf[8];
    ck_assert_uint_eq(encode_cping(buf), 5);
    CK_ASSERT_BYTES_EQ(Bytes(buf, buf + 5), hex("12 34 00 01 0a"));
}
END_TEST

// ============================================================================
// check_frame
// ============================================================================

START_TEST(frame_complete_and_every_prefix)
{
    Bytes pkt = hex("41 42 00 03 05 01 00");  // END_RESPONSE with one spare byte
    std::size_t plen = 0;
    ck_assert(check_frame(pkt.data(), pkt.size(), 8192, plen) == FrameStatus::complete);
    ck_assert_uint_eq(plen, 7);
    for (std::size_t n = 0; n < pkt.size(); ++n) {
        ck_assert_msg(check_frame(pkt.data(), n, 8192, plen) == FrameStatus::need_more, "prefix of %zu bytes", n);
    }
    // A second packet behind the first does not change the first's length.
    Bytes two = cat({pkt, unit::pkt_end(true)});
    ck_assert(check_frame(two.data(), two.size(), 8192, plen) == FrameStatus::complete);
    ck_assert_uint_eq(plen, 7);
}
END_TEST

// Bad magic is seen as soon as the bad byte is there.
START_TEST(frame_bad_magic)
{
    std::size_t plen = 0;
    Bytes first = hex("58 42 00 01 05");
    Bytes second = hex("41 58 00 01 05");
    Bytes proxy_magic = hex("12 34 00 01 05");
    ck_assert(check_frame(first.data(), 1, 8192, plen) == FrameStatus::bad_magic);
    ck_assert(check_frame(first.data(), first.size(), 8192, plen) == FrameStatus::bad_magic);
    ck_assert(check_frame(second.data(), 1, 8192, plen) == FrameStatus::need_more);
    ck_assert(check_frame(second.data(), 2, 8192, plen) == FrameStatus::bad_magic);
    ck_assert(check_frame(second.data(), second.size(), 8192, plen) == FrameStatus::bad_magic);
    ck_assert(check_frame(proxy_magic.data(), proxy_magic.size(), 8192, plen) == FrameStatus::bad_magic);
}
END_TEST

START_TEST(frame_empty_payload)
{
    std::size_t plen = 0;
    Bytes pkt = hex("41 42 00 00 05");
    ck_assert(check_frame(pkt.data(), 4, 8192, plen) == FrameStatus::empty);
    ck_assert(check_frame(pkt.data(), pkt.size(), 8192, plen) == FrameStatus::empty);
}
END_TEST

// The packet size bounds the whole packet, header included: 8192 is fine,
// 8193 is too large, and that is known from the header alone.
START_TEST(frame_too_large)
{
    std::size_t plen = 0;
    Bytes at_limit = hex("41 42 1f fc");  // 8188 + 4 = 8192
    Bytes over = hex("41 42 1f fd");      // 8189 + 4 = 8193
    Bytes max_field = hex("41 42 ff ff");  // 65539: beyond any packet size
    Bytes max_packet = hex("41 42 ff fc"); // 65536: Tomcat's largest packetSize
    ck_assert(check_frame(at_limit.data(), 4, 8192, plen) == FrameStatus::need_more);
    ck_assert(check_frame(over.data(), 4, 8192, plen) == FrameStatus::too_large);
    ck_assert(check_frame(max_field.data(), 4, 8192, plen) == FrameStatus::too_large);
    ck_assert(check_frame(max_field.data(), 4, kMaxPacketSize, plen) == FrameStatus::too_large);
    ck_assert(check_frame(max_packet.data(), 4, kMaxPacketSize, plen) == FrameStatus::need_more);
    ck_assert(check_frame(max_packet.data(), 4, kMaxPacketSize - 1, plen) == FrameStatus::too_large);

    Bytes full = cat({at_limit, Bytes(8188, 0x03)});
    ck_assert(check_frame(full.data(), full.size(), 8192, plen) == FrameStatus::complete);
    ck_assert_uint_eq(plen, 8192);
}
END_TEST

// ============================================================================
// parse_send_headers
// ============================================================================

namespace {

struct Parsed {
    const char* error = nullptr;
    ResponseHead head;
    std::vector<Header> storage;
};

// Parses a payload that sits in a larger buffer whose tail (`beyond`) the
// parser must not read.
void parse_headers(const Bytes& payload, Parsed& out, const Bytes& beyond = hex("00 00 00 00 00 00 00 00"))
{
    static Bytes buf;  // outlives the views in `out` for the test's duration
    buf = cat({payload, beyond});
    out.error = parse_send_headers(buf.data(), payload.size(), out.head, out.storage);
}

std::string header_at(const ResponseHead& h, std::size_t i)
{
    return std::string(h.headers[i].name) + ": " + std::string(h.headers[i].value);
}

}  // namespace

START_TEST(headers_coded_and_named)
{
    Wire w;
    w.u8(4).u16(200).str("OK").u16(14);
    for (unsigned code = 0xA001; code <= 0xA00B; ++code) w.u16(code).str("v" + std::to_string(code - 0xA000));
    w.str("X-Custom").str("yes");
    w.u16(0xA007).str("b=2");      // a second coded Set-Cookie
    w.str("set-cookie").str("c=3");  // and one by name
    Parsed p;
    parse_headers(w.payload(), p);
    ck_assert_msg(p.error == nullptr, "%s", p.error);
    ck_assert_int_eq(p.head.status, 200);
    ck_assert(p.head.reason == "OK");
    ck_assert_uint_eq(p.head.header_count, 14);
    static const char* const expected[] = {
        "Content-Type: v1", "Content-Language: v2", "Content-Length: v3", "Date: v4", "Last-Modified: v5",
        "Location: v6", "Set-Cookie: v7", "Set-Cookie2: v8", "Servlet-Engine: v9", "Status: v10",
        "WWW-Authenticate: v11", "X-Custom: yes", "Set-Cookie: b=2", "set-cookie: c=3",
    };
    for (std::size_t i = 0; i < 14; ++i) {
        const std::string h = header_at(p.head, i);
        ck_assert_str_eq(h.c_str(), expected[i]);
    }
}
END_TEST

// Statuses 200..599 are final responses; the reason may be empty or null
// and carry tabs and obs-text; a null header value is an empty one.
START_TEST(headers_accepted_variants)
{
    struct Case {
        Bytes payload;
        int status;
        const char* reason;
    } cases[] = {
        {Wire().u8(4).u16(200).str("OK").u16(0).payload(), 200, "OK"},
        {Wire().u8(4).u16(599).str("").u16(0).payload(), 599, ""},
        {Wire().u8(4).u16(404).null_str().u16(0).payload(), 404, ""},
        {Wire().u8(4).u16(500).str("Bad\tthing \xe9").u16(0).payload(), 500, "Bad\tthing \xe9"},
    };
    for (const Case& c : cases) {
        Parsed p;
        parse_headers(c.payload, p);
        ck_assert_msg(p.error == nullptr, "%s", p.error);
        ck_assert_int_eq(p.head.status, c.status);
        const std::string reason(p.head.reason);
        ck_assert_str_eq(reason.c_str(), c.reason);
        ck_assert_uint_eq(p.head.header_count, 0);
    }
    Parsed p;
    parse_headers(Wire().u8(4).u16(204).str("No Content").u16(1).str("X-Empty").null_str().payload(), p);
    ck_assert_msg(p.error == nullptr, "%s", p.error);
    const std::string h = header_at(p.head, 0);
    ck_assert_str_eq(h.c_str(), "X-Empty: ");
    // The shortest header: a coded name and a null value, 4 bytes. The
    // header count check took 5 as the least and refused these
    // (fuzz_ajp_response).
    Parsed q;
    parse_headers(Wire().u8(4).u16(200).str("OK").u16(2).u16(0xA001).null_str().u16(0xA00A).null_str().payload(), q);
    ck_assert_msg(q.error == nullptr, "%s", q.error);
    ck_assert_uint_eq(q.head.header_count, 2);
    const std::string h0 = header_at(q.head, 0), h1 = header_at(q.head, 1);
    ck_assert_str_eq(h0.c_str(), "Content-Type: ");
    ck_assert_str_eq(h1.c_str(), "Status: ");
}
END_TEST

// The header storage is reused: a second parse holds only its own headers.
START_TEST(headers_storage_reused)
{
    std::vector<Header> storage;
    ResponseHead head;
    Bytes a = Wire().u8(4).u16(200).str("OK").u16(2).str("A").str("1").str("B").str("2").payload();
    Bytes b = Wire().u8(4).u16(200).str("OK").u16(1).str("C").str("3").payload();
    ck_assert_ptr_null(parse_send_headers(a.data(), a.size(), head, storage));
    ck_assert_uint_eq(head.header_count, 2);
    ck_assert_ptr_null(parse_send_headers(b.data(), b.size(), head, storage));
    ck_assert_uint_eq(head.header_count, 1);
    ck_assert_uint_eq(storage.size(), 1);
    ck_assert(head.headers[0].name == "C");
}
END_TEST

namespace {

struct BadHeaders {
    const char* name;
    Bytes payload;
    const char* error_part;  // a word the error must contain
};

const std::vector<BadHeaders>& bad_headers()
{
    static const std::vector<BadHeaders> cases = {
        {"empty payload", {}, "not a SEND_HEADERS"},
        {"wrong prefix code", Wire().u8(3).u16(200).str("OK").u16(0).payload(), "not a SEND_HEADERS"},
        {"truncated before the status", Wire().u8(4).u8(0).payload(), "status"},
        {"status 199", Wire().u8(4).u16(199).str("X").u16(0).payload(), "status"},
        {"status 100", Wire().u8(4).u16(100).str("Continue").u16(0).payload(), "status"},
        {"status 600", Wire().u8(4).u16(600).str("X").u16(0).payload(), "status"},
        {"status 1000", Wire().u8(4).u16(1000).str("X").u16(0).payload(), "status"},
        {"status 0", Wire().u8(4).u16(0).str("X").u16(0).payload(), "status"},
        {"reason overruns", Wire().u8(4).u16(200).u16(10).raw("OK").u8(0).payload(), "status message"},
        {"reason without NUL", Wire().u8(4).u16(200).u16(2).raw("OKX").u16(0).payload(), "status message"},
        {"reason with CR", Wire().u8(4).u16(200).str("O\rK").u16(0).payload(), "status message"},
        {"reason with LF", Wire().u8(4).u16(200).str("O\nK").u16(0).payload(), "status message"},
        {"reason with NUL", Wire().u8(4).u16(200).u16(3).raw(std::string("O\0K", 3)).u8(0).u16(0).payload(),
         "status message"},
        {"reason with DEL", Wire().u8(4).u16(200).str("O\x7fK").u16(0).payload(), "status message"},
        {"truncated before the count", Wire().u8(4).u16(200).str("OK").u8(0).payload(), "count"},
        {"count larger than the payload", Wire().u8(4).u16(200).str("OK").u16(0xFFFF).payload(), "count"},
        {"count 2, one header", Wire().u8(4).u16(200).str("OK").u16(2).str("X-Long-Name").str("value").payload(),
         "truncated"},
        {"name overruns", Wire().u8(4).u16(200).str("OK").u16(1).u16(40).raw("X-Name").u8(0).payload(), "name"},
        {"name without NUL", Wire().u8(4).u16(200).str("OK").u16(1).u16(1).raw("XY").str("v").payload(), "name"},
        {"value overruns", Wire().u8(4).u16(200).str("OK").u16(1).str("X").u16(9).raw("abc").payload(), "value"},
        {"value without NUL", Wire().u8(4).u16(200).str("OK").u16(1).str("X").u16(1).raw("ab").payload(), "value"},
        {"unknown coded header 0xA00C", Wire().u8(4).u16(200).str("OK").u16(1).u16(0xA00C).str("v").payload(),
         "coded"},
        {"unknown coded header 0xA000", Wire().u8(4).u16(200).str("OK").u16(1).u16(0xA000).str("v").payload(),
         "coded"},
        {"name with a space", Wire().u8(4).u16(200).str("OK").u16(1).str("Bad Name").str("v").payload(), "token"},
        {"name with a colon", Wire().u8(4).u16(200).str("OK").u16(1).str("X:Y").str("v").payload(), "token"},
        {"empty name", Wire().u8(4).u16(200).str("OK").u16(1).str("").str("value").payload(), "token"},
        {"null name", Wire().u8(4).u16(200).str("OK").u16(1).null_str().str("value").payload(), "name"},
        {"name with obs-text", Wire().u8(4).u16(200).str("OK").u16(1).str("X-\xe9").str("v").payload(), "token"},
        {"value with CR LF", Wire().u8(4).u16(200).str("OK").u16(1).str("X").str("a\r\nSet-Cookie: x=1").payload(),
         "value"},
        {"value with LF", Wire().u8(4).u16(200).str("OK").u16(1).str("X").str("a\nb").payload(), "value"},
        {"value with NUL", Wire().u8(4).u16(200).str("OK").u16(1).str("X").u16(3).raw(std::string("a\0b", 3)).u8(0)
                               .payload(), "value"},
        {"value with a control", Wire().u8(4).u16(200).str("OK").u16(1).str("X").str("a\x01").payload(), "value"},
        {"trailing bytes", Wire().u8(4).u16(200).str("OK").u16(1).str("X").str("v").u8(0).payload(), "after"},
        {"count 0, trailing bytes", Wire().u8(4).u16(200).str("OK").u16(0).u16(0).payload(), "after"},
    };
    return cases;
}

}  // namespace

// Loop test over bad_headers(): each packet is refused with a message that
// names the problem.
START_TEST(headers_rejected)
{
    const BadHeaders& c = bad_headers()[static_cast<std::size_t>(_i)];
    Parsed p;
    // Behind the payload: bytes that would complete a truncated packet.
    parse_headers(c.payload, p, Wire().str("X").str("v").u16(0).str("tail").payload());
    ck_assert_msg(p.error != nullptr, "%s: accepted", c.name);
    ck_assert_msg(std::strstr(p.error, c.error_part) != nullptr, "%s: error '%s' does not mention '%s'", c.name,
                  p.error, c.error_part);
}
END_TEST

// ============================================================================
// SEND_BODY_CHUNK, END_RESPONSE, GET_BODY_CHUNK, CPONG
// ============================================================================

// Tomcat ends a chunk with a NUL, other containers do not: both are fine,
// and the data view points into the payload.
START_TEST(body_chunk_accepted)
{
    struct Case {
        Bytes payload;
        const char* data;
    } cases[] = {
        {hex(R"(03 00 05 "hello" 00)"), "hello"},
        {hex(R"(03 00 05 "hello")"), "hello"},
        {hex("03 00 00"), ""},
        {hex("03 00 00 00"), ""},
    };
    for (const Case& c : cases) {
        const char* data = nullptr;
        std::size_t n = 99;
        const char* err = parse_body_chunk(c.payload.data(), c.payload.size(), data, n);
        ck_assert_msg(err == nullptr, "%s", err);
        ck_assert_uint_eq(n, std::strlen(c.data));
        ck_assert_ptr_eq(data, reinterpret_cast<const char*>(c.payload.data()) + 3);
        ck_assert_mem_eq(data, c.data, n);
    }
}
END_TEST

START_TEST(body_chunk_rejected)
{
    struct Case {
        const char* name;
        Bytes payload;
    } cases[] = {
        {"empty", {}},
        {"wrong prefix code", hex(R"(04 00 01 "x")")},
        {"truncated before the length", hex("03 00")},
        {"length overruns", hex(R"(03 00 0a "hello")")},
        {"two bytes after the data", hex(R"(03 00 01 "x" 00 00)")},
    };
    for (const Case& c : cases) {
        // The buffer continues with bytes that would satisfy the length.
        Bytes buf = cat({c.payload, Bytes(16, 0)});
        const char* data = nullptr;
        std::size_t n = 0;
        ck_assert_msg(parse_body_chunk(buf.data(), c.payload.size(), data, n) != nullptr, "%s: accepted", c.name);
    }
}
END_TEST

// The byte after the data may only be the NUL Tomcat writes:
// 03 00 01 'x' 'Y' is not the chunk "x".
START_TEST(body_chunk_trailing_byte_must_be_nul)
{
    Bytes payload = hex(R"(03 00 01 "x" "Y")");
    const char* data = nullptr;
    std::size_t n = 0;
    ck_assert_msg(parse_body_chunk(payload.data(), payload.size(), data, n) != nullptr,
                  "a SEND_BODY_CHUNK ending in 'Y' instead of NUL was accepted");
}
END_TEST

START_TEST(end_response)
{
    struct Case {
        Bytes payload;
        bool ok;
        bool reuse;
    } cases[] = {
        {hex("05 01"), true, true},
        {hex("05 00"), true, false},
        {hex("05"), true, false},  // no flag: no promise to keep the connection
        {hex("05 02"), true, false},
        {hex("05 01 00"), false, false},
        {hex("04 01"), false, false},
        {{}, false, false},
    };
    for (const Case& c : cases) {
        bool reuse = !c.reuse;
        const char* err = parse_end_response(c.payload.data(), c.payload.size(), reuse);
        ck_assert_msg((err == nullptr) == c.ok, "%s: %s", unit::to_hex(c.payload).c_str(), err ? err : "accepted");
        if (c.ok) ck_assert_msg(reuse == c.reuse, "%s: reuse %d", unit::to_hex(c.payload).c_str(), reuse);
    }
}
END_TEST

START_TEST(get_body_chunk)
{
    std::uint16_t n = 0;
    Bytes ok = hex("06 1f fa");
    ck_assert_ptr_null(parse_get_body_chunk(ok.data(), ok.size(), n));
    ck_assert_uint_eq(n, 8186);
    Bytes zero = hex("06 00 00");
    ck_assert_ptr_null(parse_get_body_chunk(zero.data(), zero.size(), n));
    ck_assert_uint_eq(n, 0);
    for (const char* bad : {"", "06", "06 00", "06 00 01 00", "05 00 01"}) {
        Bytes b = hex(bad);
        ck_assert_msg(parse_get_body_chunk(b.data(), b.size(), n) != nullptr, "'%s' accepted", bad);
    }
}
END_TEST

START_TEST(cpong)
{
    Bytes ok = hex("09");
    ck_assert_ptr_null(parse_cpong(ok.data(), ok.size()));
    for (const char* bad : {"", "09 00", "0a", "05"}) {
        Bytes b = hex(bad);
        ck_assert_msg(parse_cpong(b.data(), b.size()) != nullptr, "'%s' accepted", bad);
    }
}
END_TEST

int main()
{
    Suite* s = suite_create("ajp_codec");

    TCase* msg = tcase_create("message");
    tcase_add_test(msg, writer_encodes_fields);
    tcase_add_test(msg, writer_overflow_is_sticky);
    tcase_add_test(msg, writer_exact_capacity);
    tcase_add_test(msg, writer_length_limits);
    tcase_add_test(msg, body_packet_header);
    tcase_add_test(msg, reader_reads_fields);
    tcase_add_test(msg, reader_over_read_is_sticky);
    tcase_add_test(msg, reader_string_bounds);
    suite_add_tcase(s, msg);

    TCase* proto = tcase_create("tables");
    tcase_add_loop_test(proto, method_codes, 1, 28);
    tcase_add_test(proto, stored_methods);
    tcase_add_test(proto, request_header_codes);
    tcase_add_test(proto, response_header_names);
    suite_add_tcase(s, proto);

    TCase* fwd = tcase_create("forward_request");
    tcase_add_test(fwd, forward_request_known_bytes);
    tcase_add_test(fwd, forward_request_tls_bytes);
    tcase_add_test(fwd, forward_request_tls_partial);
    tcase_add_test(fwd, forward_request_query_presence);
    tcase_add_test(fwd, forward_request_too_large);
    tcase_add_test(fwd, cping_bytes);
    suite_add_tcase(s, fwd);

    TCase* frame = tcase_create("frame");
    tcase_add_test(frame, frame_complete_and_every_prefix);
    tcase_add_test(frame, frame_bad_magic);
    tcase_add_test(frame, frame_empty_payload);
    tcase_add_test(frame, frame_too_large);
    suite_add_tcase(s, frame);

    TCase* resp = tcase_create("response");
    tcase_add_test(resp, headers_coded_and_named);
    tcase_add_test(resp, headers_accepted_variants);
    tcase_add_test(resp, headers_storage_reused);
    tcase_add_loop_test(resp, headers_rejected, 0, static_cast<int>(bad_headers().size()));
    tcase_add_test(resp, body_chunk_accepted);
    tcase_add_test(resp, body_chunk_rejected);
    tcase_add_test(resp, body_chunk_trailing_byte_must_be_nul);
    tcase_add_test(resp, end_response);
    tcase_add_test(resp, get_body_chunk);
    tcase_add_test(resp, cpong);
    suite_add_tcase(s, resp);

    return unit::run_suite(s);
}
