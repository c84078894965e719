#include "mod_oxbalance_request.h"

#include <charconv>
#include <cstring>

namespace oxb {

namespace {

std::string_view sv(const char* s) noexcept { return s ? std::string_view(s) : std::string_view(); }

// Hop-by-hop headers (RFC 9110 7.6.1) end at this hop; Expect is answered by
// httpd itself; Transfer-Encoding does not exist in AJP, which frames the
// body itself.
bool hop_by_hop(const char* name) noexcept
{
    static const char* const kNames[] = {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                                         "Transfer-Encoding", "Upgrade", "Expect"};
    for (const char* n : kNames) {
        if (strcasecmp(name, n) == 0) return true;
    }
    return false;
}

// The path as the backend must see it: the client's bytes, with the OXPass
// prefix replaced by the backend prefix.
std::string_view backend_path(request_rec* r, const PassRule& rule)
{
    std::string_view path = raw_path(r);
    if (!rule.has_backend_prefix) return path;
    if (!rule.matches(path)) {
        // The client spelled the prefix differently (%-encoded, or with
        // dot segments): map httpd's decoded, normalised path, re-encoded.
        path = ap_os_escape_path(r->pool, r->uri, 1);
        if (!rule.matches(path)) return raw_path(r);
    }
    std::string_view rest = path.substr(rule.prefix.size());
    const std::string& to = rule.backend_prefix;
    // "/appsuite/api/x" with prefix "/appsuite/api" -> "/ajax" + "/x"; a
    // backend prefix ending in '/' does not double the slash.
    if (!to.empty() && to.back() == '/' && !rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    char* out = static_cast<char*>(apr_palloc(r->pool, to.size() + rest.size() + 1));
    std::memcpy(out, to.data(), to.size());
    std::memcpy(out + to.size(), rest.data(), rest.size());
    out[to.size() + rest.size()] = '\0';
    return std::string_view(out, to.size() + rest.size());
}

void fill_tls(request_rec* r, ox::proxy::TlsInfo& tls)
{
    conn_rec* c = r->connection;
    if (!ap_ssl_conn_is_ssl(c)) return;
    tls.on = true;
    auto var = [&](const char* name) { return sv(ap_ssl_var_lookup(r->pool, r->server, c, r, name)); };
    tls.cipher = var("SSL_CIPHER");
    tls.session_id = var("SSL_SESSION_ID");
    tls.client_cert = var("SSL_CLIENT_CERT");
    tls.protocol = var("SSL_PROTOCOL");
    std::string_view bits = var("SSL_CIPHER_USEKEYSIZE");
    int key_size = 0;
    auto res = std::from_chars(bits.data(), bits.data() + bits.size(), key_size);
    if (res.ec == std::errc() && key_size > 0) tls.key_size = key_size;
}

int body_kind(request_rec* r, ox::proxy::Request& out)
{
    const char* te = apr_table_get(r->headers_in, "Transfer-Encoding");
    const char* cl = apr_table_get(r->headers_in, "Content-Length");
    if (te) {
        // httpd's HTTP_IN filter decodes chunked bodies; nothing else is
        // defined for requests.
        if (strcasecmp(te, "chunked") != 0) return HTTP_NOT_IMPLEMENTED;
        out.body = ox::proxy::BodyKind::chunked;
        return OK;
    }
    if (cl) {
        char* end = nullptr;
        apr_off_t len = 0;
        if (apr_strtoff(&len, cl, &end, 10) != APR_SUCCESS || end == cl || *end || len < 0) return HTTP_BAD_REQUEST;
        out.content_length = len;
        out.body = len > 0 ? ox::proxy::BodyKind::length : ox::proxy::BodyKind::none;
    }
    return OK;
}

}  // namespace

// The client's request-target path, still %-encoded: httpd decodes
// r->uri and r->parsed_uri.path in place, r->unparsed_uri keeps the bytes.
std::string_view raw_path(const request_rec* r) noexcept
{
    std::string_view t = r->unparsed_uri ? r->unparsed_uri : "";
    if (t.empty() || t.front() != '/') {
        // absolute-form "http://host/path?q": the path starts after the authority
        auto scheme = t.find("://");
        auto slash = scheme == std::string_view::npos ? std::string_view::npos : t.find('/', scheme + 3);
        if (slash == std::string_view::npos) return r->uri;
        t.remove_prefix(slash);
    }
    return t.substr(0, t.find_first_of("?#"));
}

int build_request(request_rec* r, const PassRule& rule, ox::proxy::Request& out)
{
    if (int rc = body_kind(r, out); rc != OK) return rc;
    conn_rec* c = r->connection;
    out.method = r->method;
    out.protocol = sv(r->protocol);
    out.path = backend_path(r, rule);
    out.has_query = r->args != nullptr;
    out.query = sv(r->args);
    out.remote_addr = sv(r->useragent_ip);
    out.remote_host = out.remote_addr;
    out.remote_port = r->useragent_addr ? r->useragent_addr->port : 0;
    out.local_addr = sv(c->local_ip);
    out.server_name = sv(ap_get_server_name(r));
    out.server_port = static_cast<std::uint16_t>(ap_get_server_port(r));
    out.remote_user = sv(r->user);
    out.auth_type = sv(r->ap_auth_type);
    fill_tls(r, out.tls);

    const apr_array_header_t* arr = apr_table_elts(r->headers_in);
    const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    auto* headers = static_cast<ox::proxy::Header*>(apr_palloc(r->pool, sizeof(ox::proxy::Header) * (arr->nelts + 1)));
    std::size_t n = 0;
    for (int i = 0; i < arr->nelts; ++i) {
        if (!elts[i].key || !elts[i].val || hop_by_hop(elts[i].key)) continue;
        headers[n++] = {elts[i].key, elts[i].val};
    }
    out.headers = headers;
    out.header_count = n;
    return OK;
}

}  // namespace oxb
