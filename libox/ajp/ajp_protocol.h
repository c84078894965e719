// AJP13 wire constants and the name<->code tables, as Tomcat's AJP
// reference documents them.
#ifndef LIBOX_AJP_PROTOCOL_H
#define LIBOX_AJP_PROTOCOL_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ox::ajp {

constexpr std::size_t kPacketHeaderLen = 4;  // magic (2) + payload length (2)
constexpr std::size_t kDefaultPacketSize = 8192;
constexpr std::size_t kMaxPacketSize = 65536;  // Tomcat's packetSize upper bound
// A body packet to the backend: header, then a 2-byte data length.
constexpr std::size_t kBodyPacketOverhead = kPacketHeaderLen + 2;

// Magic bytes: proxy -> container 0x12 0x34; container -> proxy "AB".
constexpr std::uint8_t kToBackend0 = 0x12, kToBackend1 = 0x34;
constexpr std::uint8_t kFromBackend0 = 'A', kFromBackend1 = 'B';

constexpr std::uint16_t kNullString = 0xFFFF;

enum PrefixCode : std::uint8_t {
    kForwardRequest = 2,
    kSendBodyChunk = 3,
    kSendHeaders = 4,
    kEndResponse = 5,
    kGetBodyChunk = 6,
    kShutdown = 7,
    kCPongReply = 9,
    kCPing = 10,
};

enum AttributeCode : std::uint8_t {
    kAttrContext = 0x01,
    kAttrServletPath = 0x02,
    kAttrRemoteUser = 0x03,
    kAttrAuthType = 0x04,
    kAttrQueryString = 0x05,
    kAttrJvmRoute = 0x06,
    kAttrSslCert = 0x07,
    kAttrSslCipher = 0x08,
    kAttrSslSession = 0x09,
    kAttrReqAttribute = 0x0A,
    kAttrSslKeySize = 0x0B,
    kAttrSecret = 0x0C,
    kAttrStoredMethod = 0x0D,
    kAttrAreDone = 0xFF,
};

constexpr std::uint8_t kMethodStored = 0xFF;  // the name follows as an attribute

// The method's AJP code, or 0 when the method has none (then it is sent as
// a stored method). Methods are case-sensitive, as in HTTP.
std::uint8_t method_code(std::string_view method) noexcept;
// The method name for a code, empty if unknown (used by tests and tools).
std::string_view method_name(std::uint8_t code) noexcept;

// The 0xA0xx code of a request header name (compared case-insensitively), or
// 0 when the header is sent by name.
std::uint16_t request_header_code(std::string_view name) noexcept;

// The name of a coded response header (0xA001..0xA00B), empty if unknown.
std::string_view response_header_name(std::uint16_t code) noexcept;

}  // namespace ox::ajp

#endif
