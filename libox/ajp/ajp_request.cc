#include "ajp/ajp_request.h"

#include <charconv>

#include "ajp/ajp_message.h"
#include "ajp/ajp_protocol.h"

namespace ox::ajp {

namespace {

void put_req_attribute(PacketWriter& w, std::string_view name, std::string_view value) noexcept
{
    w.put_u8(kAttrReqAttribute);
    w.put_string(name);
    w.put_string(value);
}

void put_tls_attributes(PacketWriter& w, const proxy::TlsInfo& tls) noexcept
{
    if (!tls.client_cert.empty()) {
        w.put_u8(kAttrSslCert);
        w.put_string(tls.client_cert);
    }
    if (!tls.cipher.empty()) {
        w.put_u8(kAttrSslCipher);
        w.put_string(tls.cipher);
    }
    if (!tls.session_id.empty()) {
        w.put_u8(kAttrSslSession);
        w.put_string(tls.session_id);
    }
    if (tls.key_size > 0 && tls.key_size < 0xFFFF) {
        w.put_u8(kAttrSslKeySize);
        w.put_u16(static_cast<std::uint16_t>(tls.key_size));
    }
    if (!tls.protocol.empty()) put_req_attribute(w, "AJP_SSL_PROTOCOL", tls.protocol);
}

}  // namespace

std::size_t encode_forward_request(const proxy::Request& req, const ForwardOptions& opt,
                                   std::uint8_t* buf, std::size_t capacity) noexcept
{
    PacketWriter w(buf, capacity);
    std::uint8_t method = method_code(req.method);

    w.put_u8(kForwardRequest);
    w.put_u8(method ? method : kMethodStored);
    w.put_string(req.protocol);
    w.put_string(req.path);
    w.put_string(req.remote_addr);
    w.put_string(req.remote_host.empty() ? req.remote_addr : req.remote_host);
    w.put_string(req.server_name);
    w.put_u16(req.server_port);
    w.put_u8(req.tls.on ? 1 : 0);

    if (req.header_count > 0xFFFF) return 0;
    w.put_u16(static_cast<std::uint16_t>(req.header_count));
    for (std::size_t i = 0; i < req.header_count; ++i) {
        const proxy::Header& h = req.headers[i];
        if (std::uint16_t code = request_header_code(h.name)) {
            w.put_u16(code);
        } else {
            w.put_string(h.name);
        }
        w.put_string(h.value);
    }

    if (req.has_query) {
        w.put_u8(kAttrQueryString);
        w.put_string(req.query);
    }
    if (!opt.route.empty()) {
        w.put_u8(kAttrJvmRoute);
        w.put_string(opt.route);
    }
    if (!opt.secret.empty()) {
        w.put_u8(kAttrSecret);
        w.put_string(opt.secret);
    }
    if (!req.remote_user.empty()) {
        w.put_u8(kAttrRemoteUser);
        w.put_string(req.remote_user);
    }
    if (!req.auth_type.empty()) {
        w.put_u8(kAttrAuthType);
        w.put_string(req.auth_type);
    }
    if (!method) {
        w.put_u8(kAttrStoredMethod);
        w.put_string(req.method);
    }
    if (req.tls.on) put_tls_attributes(w, req.tls);
    if (req.remote_port != 0) {
        char port[8];
        auto res = std::to_chars(port, port + sizeof port, req.remote_port);
        put_req_attribute(w, "AJP_REMOTE_PORT", std::string_view(port, static_cast<std::size_t>(res.ptr - port)));
    }
    if (!req.local_addr.empty()) put_req_attribute(w, "AJP_LOCAL_ADDR", req.local_addr);
    w.put_u8(kAttrAreDone);
    return w.finish();
}

std::size_t encode_cping(std::uint8_t* buf) noexcept
{
    buf[0] = kToBackend0;
    buf[1] = kToBackend1;
    buf[2] = 0;
    buf[3] = 1;
    buf[4] = kCPing;
    return 5;
}

}  // namespace ox::ajp
