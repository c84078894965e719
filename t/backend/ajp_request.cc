#include "ajp_request.h"

#include <cstdio>
#include <strings.h>

namespace ajpt {
namespace {

// Method codes 1..27, indexed by code.
const char* const kMethods[] = {
    nullptr,     "OPTIONS",  "GET",         "HEAD",       "POST",        "PUT",
    "DELETE",    "TRACE",    "PROPFIND",    "PROPPATCH",  "MKCOL",       "COPY",
    "MOVE",      "LOCK",     "UNLOCK",      "ACL",        "REPORT",      "VERSION-CONTROL",
    "CHECKIN",   "CHECKOUT", "UNCHECKOUT",  "SEARCH",     "MKWORKSPACE", "UPDATE",
    "LABEL",     "MERGE",    "BASELINE-CONTROL", "MKACTIVITY",
};
constexpr unsigned kMaxMethod = sizeof kMethods / sizeof kMethods[0] - 1;
constexpr std::uint8_t kStoredMethod = 0xFF;

// Request header codes 0xA001..0xA00E, indexed by the low byte.
const char* const kRequestHeaders[] = {
    nullptr,        "accept", "accept-charset", "accept-encoding", "accept-language",
    "authorization", "connection", "content-type", "content-length", "cookie",
    "cookie2",       "host",       "pragma",       "referer",        "user-agent",
};
constexpr unsigned kMaxRequestHeader = sizeof kRequestHeaders / sizeof kRequestHeaders[0] - 1;

// Attribute codes 0x01..0x0D, indexed by code.
const char* const kAttributes[] = {
    nullptr,       "context",    "servlet_path", "remote_user", "auth_type",
    "query_string", "jvm_route", "ssl_cert",     "ssl_cipher",  "ssl_session",
    "req_attribute", "ssl_key_size", "secret",   "stored_method",
};
constexpr std::uint8_t kAttrQueryString = 0x05;
constexpr std::uint8_t kAttrReqAttribute = 0x0A;
constexpr std::uint8_t kAttrSslKeySize = 0x0B;
constexpr std::uint8_t kAttrStoredMethod = 0x0D;
constexpr std::uint8_t kAttrEnd = 0xFF;
constexpr std::uint8_t kMaxAttr = kAttrStoredMethod;

std::string hex_code(unsigned v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%X", v);
    return buf;
}

std::string header_name(PayloadReader& r) {
    std::uint16_t code = r.u16("header name");
    if (code < 0xA000) {
        // Not a code but the length of a string name (never 0xFFFF here).
        return *r.str_with_len(code, "header name");
    }
    unsigned low = code & 0xFF;
    if ((code & 0xFF00) != 0xA000 || low == 0 || low > kMaxRequestHeader) {
        throw ProtocolError("unknown request header code " + hex_code(code));
    }
    return kRequestHeaders[low];
}

std::uint64_t parse_content_length(const Str& v) {
    if (!v || v->empty() || v->size() > 19) throw ProtocolError("bad content-length value");
    std::uint64_t n = 0;
    for (char c : *v) {
        if (c < '0' || c > '9') throw ProtocolError("bad content-length value '" + *v + "'");
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

void read_headers(PayloadReader& r, ForwardRequest& req) {
    std::uint16_t count = r.u16("num_headers");
    for (unsigned i = 0; i < count; ++i) {
        std::string name = header_name(r);
        Str value = r.str("header value");
        if (strcasecmp(name.c_str(), "content-length") == 0) {
            if (req.content_length) throw ProtocolError("duplicate content-length header");
            req.content_length = parse_content_length(value);
        }
        req.headers.emplace_back(std::move(name), std::move(value));
    }
}

void read_attributes(PayloadReader& r, ForwardRequest& req) {
    for (;;) {
        std::uint8_t code = r.u8("attribute code");
        if (code == kAttrEnd) return;
        if (code == 0 || code > kMaxAttr) throw ProtocolError("unknown attribute code " + hex_code(code));
        if (code == kAttrSslKeySize) {
            req.attributes.emplace_back(kAttributes[code], std::to_string(r.u16("ssl_key_size")));
        } else if (code == kAttrReqAttribute) {
            std::string name = r.nonnull_str("req_attribute name");
            req.attributes.emplace_back(std::move(name), r.str("req_attribute value"));
        } else {
            Str value = r.str(kAttributes[code]);
            if (code == kAttrQueryString) req.query = value;
            if (code == kAttrStoredMethod) {
                if (!value || value->empty()) throw ProtocolError("empty stored_method");
                req.method = *value;
            }
            req.attributes.emplace_back(kAttributes[code], std::move(value));
        }
    }
}

}  // namespace

ForwardRequest parse_forward_request(const std::vector<std::uint8_t>& payload) {
    PayloadReader r(payload.data(), payload.size());
    if (r.u8("packet type") != kForwardRequest) throw ProtocolError("not a forward request");
    ForwardRequest req;
    req.method_code = r.u8("method");
    if (req.method_code >= 1 && req.method_code <= kMaxMethod) {
        req.method = kMethods[req.method_code];
    } else if (req.method_code != kStoredMethod) {
        throw ProtocolError("unknown method code " + hex_code(req.method_code));
    }
    req.protocol = r.str("protocol");
    req.uri = r.nonnull_str("req_uri");
    req.remote_addr = r.str("remote_addr");
    req.remote_host = r.str("remote_host");
    req.server_name = r.str("server_name");
    req.server_port = r.u16("server_port");
    std::uint8_t ssl = r.u8("is_ssl");
    if (ssl > 1) throw ProtocolError("is_ssl is " + std::to_string(ssl) + ", not 0 or 1");
    req.is_ssl = ssl == 1;
    read_headers(r, req);
    read_attributes(r, req);
    r.expect_end("forward request");
    if (req.method_code == kStoredMethod && req.method.empty()) {
        throw ProtocolError("method 0xFF without stored_method attribute");
    }
    return req;
}

}  // namespace ajpt
