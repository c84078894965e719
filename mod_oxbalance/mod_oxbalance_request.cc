#include "mod_oxbalance_request.h"

#include <charconv>
#include <cstring>

#include "acl/client_address.h"
#include "core/text.h"
#include "mod_oxbalance_acl.h"
#include "proxy/forwarded.h"
#include "proxy/hop_by_hop.h"
#include "proxy/request_target.h"

namespace oxb {

namespace {

std::string_view sv(const char* s) noexcept { return s ? std::string_view(s) : std::string_view(); }

// Header names compared by length first: the header loop runs for every
// header of every request, and most names differ in length from the few
// it looks for.
bool named(std::string_view key, std::string_view lower_name) noexcept { return ox::equals_lowercase(key, lower_name); }

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

// The request as the client sent it: internal redirects and subrequests
// share its headers.
const request_rec* initial_request(const request_rec* r) noexcept
{
    while (r->prev || r->main) r = r->prev ? r->prev : r->main;
    return r;
}

// Filters that httpd inserted for this resource (SetInputFilter DEFLATE, ...)
// sit in front of the protocol's: they may change the body and its length.
bool body_filtered(const request_rec* r) noexcept { return r->input_filters != r->proto_input_filters; }

// How the body goes to the backend. `length_header` tells whether the
// client's Content-Length still describes it.
int body_kind(request_rec* r, ox::proxy::Request& out, bool& length_header)
{
    length_header = false;
    // A subrequest (mod_include, ...) has no body of its own. Nor has the
    // internal redirect to an error document (ErrorDocument: ap_die made a
    // POST a GET and the redirect carries the error status): the client's
    // body was read, if at all, by the request that failed. Any other
    // internal redirect (per-directory mod_rewrite, ...) is the client's
    // request under another path, whose body nobody has read yet: it is
    // forwarded as for the request that came first.
    if (r->main || (r->prev && ap_is_HTTP_ERROR(r->status))) return OK;
    const char* te = apr_table_get(r->headers_in, "Transfer-Encoding");
    const char* cl = apr_table_get(r->headers_in, "Content-Length");
    if (te) {
        // httpd's HTTP_IN filter decodes chunked bodies; nothing else is
        // defined for requests.
        if (strcasecmp(te, "chunked") != 0) return HTTP_NOT_IMPLEMENTED;
        out.body = ox::proxy::BodyKind::chunked;
        return OK;
    }
    if (!cl) return OK;
    char* end = nullptr;
    apr_off_t len = 0;
    if (apr_strtoff(&len, cl, &end, 10) != APR_SUCCESS || end == cl || *end || len < 0) return HTTP_BAD_REQUEST;
    if (len == 0) return OK;
    if (body_filtered(r)) {
        // What reaches us may be longer or shorter than what the client
        // declared: forwarded as a body of unknown length.
        out.body = ox::proxy::BodyKind::chunked;
        return OK;
    }
    out.content_length = len;
    out.body = ox::proxy::BodyKind::length;
    length_header = true;
    return OK;
}

// Whether the client's Connection header named this entry (its value, as
// read: a header set by a module afterwards has another value pointer).
bool hop_by_client(const RequestState* first, const char* value) noexcept
{
    if (!first) return false;
    for (std::size_t i = 0; i < first->hop_count; ++i) {
        if (first->hop_values[i] == value) return true;
    }
    return false;
}

// Whether header `key` goes to the backend.
bool forwarded_header(std::string_view key, bool length_header) noexcept
{
    // Expect is answered by httpd itself; Transfer-Encoding does not exist
    // in AJP, which frames the body itself; Content-Length only while it is
    // the body's.
    if (ox::proxy::is_hop_by_hop(key) || named(key, "expect")) return false;
    return length_header || !named(key, "content-length");
}

// Whether the TCP peer is an OXTrustedProxy.
bool peer_trusted(const conn_rec* c, const ServerConfig& sc) noexcept
{
    ox::acl::IpAddress peer;
    return !sc.trusted.empty() && ox::acl::parse_ip(c->client_ip ? c->client_ip : "", peer) == ox::acl::IpParse::ok &&
           sc.trusted.contains(peer);
}

bool forwarded_by_us(std::string_view key) noexcept
{
    return named(key, "x-forwarded-for") || named(key, "x-forwarded-proto") || named(key, "x-forwarded-host");
}

// X-Forwarded-For, -Proto and -Host as we set them (proxy/forwarded.h);
// the client's address, as the ACL resolved it, for the backend's
// remote address; the HTTPS indicator.
ox::proxy::ForwardedHeaders client_identity(request_rec* r, const ServerConfig& sc, bool trusted,
                                            std::string_view host, ox::proxy::Request& out)
{
    ox::proxy::ForwardedInput in;
    in.peer = sv(r->connection->client_ip);
    in.peer_trusted = trusted;
    in.tls = out.tls.on;
    in.x_forwarded_for = sv(apr_table_getm(r->pool, r->headers_in, "X-Forwarded-For"));
    in.x_forwarded_proto = sv(apr_table_getm(r->pool, r->headers_in, "X-Forwarded-Proto"));
    in.x_forwarded_host = sv(apr_table_getm(r->pool, r->headers_in, "X-Forwarded-Host"));
    in.host = host;
    ox::proxy::ForwardedHeaders h = ox::proxy::forwarded_headers(in);
    if (trusted) {
        // Behind a trusted proxy (TLS offload), the backend hears what the
        // ACL decided on: the client's address and scheme.
        const ox::acl::Client& client = client_of(r, sc);
        if (client.known) out.remote_addr = out.remote_host = client_text(r, client);
        out.tls.on = h.https;
    }
    return h;
}

}  // namespace

RequestState* read_target(request_rec* r) noexcept
{
    ServerConfig* sc = server_config(r->server);
    if (!sc->has_rules()) return nullptr;
    RequestState* st = request_state(r, true);
    if (st->target_read) return st;
    std::string_view raw = sv(r->unparsed_uri);
    std::size_t cap = ox::proxy::target_buffer_size(raw, sc->passes);
    char* buf = static_cast<char*>(apr_palloc(r->pool, cap));
    ox::proxy::parse_target(sv(r->method), raw, sc->passes, buf, cap, st->target);
    st->target_read = true;
    return st;
}

void note_hop_by_hop(request_rec* r, RequestState& st) noexcept
{
    const apr_array_header_t* arr = apr_table_elts(r->headers_in);
    const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    auto lists = [&](const char* key) {
        for (int i = 0; i < arr->nelts; ++i) {
            if (elts[i].key && elts[i].val && named(elts[i].key, "connection") &&
                ox::proxy::connection_names(elts[i].val, key)) {
                return true;
            }
        }
        return false;
    };
    if (!apr_table_get(r->headers_in, "Connection")) return;
    for (int i = 0; i < arr->nelts; ++i) {
        const char* key = elts[i].key;
        if (!key || !elts[i].val || ox::proxy::is_hop_by_hop(key) || !ox::proxy::connection_may_drop(key)) continue;
        if (!lists(key)) continue;
        if (!st.hop_values) st.hop_values = static_cast<const char**>(apr_palloc(r->pool, sizeof(char*) * arr->nelts));
        st.hop_values[st.hop_count++] = elts[i].val;
    }
}

int build_request(request_rec* r, const RequestState& st, BrigadeBodySource& body, ox::proxy::Request& out)
{
    const ox::proxy::RequestTarget& t = st.target;
    bool length_header = false;
    if (int rc = body_kind(r, out, length_header); rc != OK) return rc;
    // A filter that changes the body may change its headers when it first
    // reads (mod_deflate drops Content-Encoding: gzip and Content-Length):
    // let it, before the headers are taken.
    if (out.body == ox::proxy::BodyKind::chunked && body_filtered(r)) {
        if (int rc = body.prime(); rc != OK) return rc;
    }
    conn_rec* c = r->connection;
    out.method = r->method;
    out.protocol = sv(r->protocol);
    out.path = t.forward_path;
    out.client_path = t.path;
    out.has_query = t.has_query;
    out.query = t.query;
    out.remote_addr = sv(r->useragent_ip);
    out.remote_host = out.remote_addr;
    out.remote_port = r->useragent_addr ? r->useragent_addr->port : 0;
    out.local_addr = sv(c->local_ip);
    out.server_name = sv(ap_get_server_name(r));
    // The port the client connected to, as mod_proxy_ajp sends it: OX builds
    // redirect URLs from it (a Host header's port is in the Host header).
    out.server_port = c->local_addr ? c->local_addr->port : static_cast<std::uint16_t>(ap_get_server_port(r));
    out.remote_user = sv(r->user);
    out.auth_type = sv(r->ap_auth_type);
    fill_tls(r, out.tls);

    const RequestState* first = request_state(const_cast<request_rec*>(initial_request(r)), false);
    const apr_array_header_t* arr = apr_table_elts(r->headers_in);
    const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    auto* headers = static_cast<ox::proxy::Header*>(apr_palloc(r->pool, sizeof(ox::proxy::Header) * (arr->nelts + 4)));
    std::size_t n = 0;
    bool host_sent = false;
    const ServerConfig& sc = *server_config(r->server);
    bool trusted = peer_trusted(c, sc);
    ox::proxy::ForwardedHeaders fwd;
    // RFC 9112 3.2.2: an absolute-form target's authority is the host.
    std::string_view host =
        t.form == ox::proxy::TargetForm::absolute ? t.authority : sv(apr_table_get(r->headers_in, "Host"));
    if (sc.add_forwarded) fwd = client_identity(r, sc, trusted, host, out);
    for (int i = 0; i < arr->nelts; ++i) {
        const char* key = elts[i].key;
        const char* val = elts[i].val;
        if (!key || !val) continue;
        std::string_view name(key);
        if (!forwarded_header(name, length_header) || hop_by_client(first, val)) continue;
        // A client's own claims are replaced by ours; RFC 7239 Forwarded
        // passes only through a trusted proxy.
        if (sc.add_forwarded && (forwarded_by_us(name) || (named(name, "forwarded") && !fwd.keep_forwarded))) continue;
        // RFC 9112 3.2.2: an absolute-form target's authority is the host.
        if (t.form == ox::proxy::TargetForm::absolute && named(name, "host")) {
            if (!host_sent) headers[n++] = {key, t.authority};
            host_sent = true;
            continue;
        }
        headers[n++] = {key, val};
    }
    if (t.form == ox::proxy::TargetForm::absolute && !host_sent) headers[n++] = {"Host", t.authority};
    if (sc.add_forwarded) {
        const char* peer = c->client_ip ? c->client_ip : "";
        const char* xff = fwd.kept_for.empty()
                              ? peer
                              : apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, fwd.kept_for.data(), fwd.kept_for.size()),
                                            ", ", peer, nullptr);
        headers[n++] = {"X-Forwarded-For", xff};
        headers[n++] = {"X-Forwarded-Proto", fwd.proto};
        if (!fwd.host.empty()) headers[n++] = {"X-Forwarded-Host", fwd.host};
    }
    out.headers = headers;
    out.header_count = n;
    return OK;
}

}  // namespace oxb
