#include "ajp/ajp_response.h"

#include <new>

#include "ajp/ajp_message.h"
#include "ajp/ajp_protocol.h"
#include "core/text.h"

namespace ox::ajp {

FrameStatus check_frame(const std::uint8_t* data, std::size_t len, std::size_t max_packet,
                        std::size_t& packet_len) noexcept
{
    if (len >= 1 && data[0] != kFromBackend0) return FrameStatus::bad_magic;
    if (len >= 2 && data[1] != kFromBackend1) return FrameStatus::bad_magic;
    if (len < kPacketHeaderLen) return FrameStatus::need_more;
    std::size_t payload = (static_cast<std::size_t>(data[2]) << 8) | data[3];
    if (payload == 0) return FrameStatus::empty;
    if (payload + kPacketHeaderLen > max_packet) return FrameStatus::too_large;
    packet_len = payload + kPacketHeaderLen;
    return len >= packet_len ? FrameStatus::complete : FrameStatus::need_more;
}

const char* parse_send_headers(const std::uint8_t* payload, std::size_t len, proxy::ResponseHead& head,
                               std::vector<proxy::Header>& storage) noexcept
{
    PayloadReader r(payload, len);
    std::uint8_t type = 0;
    std::uint16_t status = 0, count = 0;
    std::string_view reason;
    if (!r.u8(type) || type != kSendHeaders) return "not a SEND_HEADERS packet";
    if (!r.u16(status)) return "SEND_HEADERS truncated before the status";
    // A final response: 1xx cannot be relayed over AJP, >599 is not HTTP.
    if (status < 200 || status > 599) return "SEND_HEADERS status outside 200-599";
    if (!r.string(reason)) return "SEND_HEADERS status message overruns the packet or lacks its NUL";
    if (!is_field_text(reason)) return "SEND_HEADERS status message contains control characters";
    if (!r.u16(count)) return "SEND_HEADERS truncated before the header count";
    // Each header takes at least 2 + 2 bytes (a coded name and a null
    // value); a count beyond that is a lie that must not make us reserve
    // memory for it. (With 2 + 3, headers with null values were refused:
    // fuzz_ajp_response.)
    if (static_cast<std::size_t>(count) * 4 > r.remaining()) return "SEND_HEADERS header count exceeds the packet";

    storage.clear();
    try {
        storage.reserve(count);
    } catch (const std::bad_alloc&) {
        return "out of memory for response headers";
    }
    for (std::uint16_t i = 0; i < count; ++i) {
        proxy::Header h;
        std::uint16_t code = 0;
        if (!r.peek_u16(code)) return "SEND_HEADERS truncated in a header name";
        if ((code & 0xFF00) == 0xA000) {
            r.u16(code);
            h.name = response_header_name(code);
            if (h.name.empty()) return "SEND_HEADERS has an unknown coded header name";
        } else {
            if (!r.string(h.name)) return "SEND_HEADERS header name overruns the packet or lacks its NUL";
            if (!is_token(h.name)) return "SEND_HEADERS header name is not a token";
        }
        if (!r.string(h.value)) return "SEND_HEADERS header value overruns the packet or lacks its NUL";
        if (!is_field_text(h.value)) return "SEND_HEADERS header value contains control characters";
        storage.push_back(h);
    }
    if (r.remaining() != 0) return "SEND_HEADERS has bytes after the last header";
    head.status = status;
    head.reason = reason;
    head.headers = storage.data();
    head.header_count = storage.size();
    return nullptr;
}

const char* parse_body_chunk(const std::uint8_t* payload, std::size_t len, const char*& data,
                             std::size_t& data_len) noexcept
{
    PayloadReader r(payload, len);
    std::uint8_t type = 0;
    std::uint16_t n = 0;
    const std::uint8_t* bytes = nullptr;
    if (!r.u8(type) || type != kSendBodyChunk) return "not a SEND_BODY_CHUNK packet";
    if (!r.u16(n)) return "SEND_BODY_CHUNK truncated before its length";
    if (!r.bytes(n, bytes)) return "SEND_BODY_CHUNK length exceeds the packet";
    // Tomcat ends the chunk with a NUL; other servers omit it. Nothing else
    // may follow.
    if (r.remaining() > 1 || (r.remaining() == 1 && payload[len - 1] != 0)) {
        return "SEND_BODY_CHUNK has bytes after its data";
    }
    data = reinterpret_cast<const char*>(bytes);
    data_len = n;
    return nullptr;
}

const char* parse_end_response(const std::uint8_t* payload, std::size_t len, bool& reuse) noexcept
{
    if (len < 1 || payload[0] != kEndResponse) return "not an END_RESPONSE packet";
    if (len > 2) return "END_RESPONSE longer than 2 bytes";
    // Without the flag the backend has not promised to keep the connection.
    reuse = (len == 2 && payload[1] == 1);
    return nullptr;
}

const char* parse_get_body_chunk(const std::uint8_t* payload, std::size_t len, std::uint16_t& requested) noexcept
{
    if (len < 1 || payload[0] != kGetBodyChunk) return "not a GET_BODY_CHUNK packet";
    if (len != 3) return "GET_BODY_CHUNK is not 3 bytes long";
    requested = static_cast<std::uint16_t>((payload[1] << 8) | payload[2]);
    return nullptr;
}

const char* parse_cpong(const std::uint8_t* payload, std::size_t len) noexcept
{
    if (len != 1 || payload[0] != kCPongReply) return "expected CPONG_REPLY";
    return nullptr;
}

}  // namespace ox::ajp
