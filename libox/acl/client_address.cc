#include "acl/client_address.h"

#include "core/text.h"

namespace ox::acl {

namespace {

bool is_alnum(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_port(std::string_view p) noexcept
{
    if (p.empty() || p.size() > 5) return false;
    unsigned v = 0;
    for (char c : p) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v <= 65535;
}

// RFC 7239 6.3 obfuscated identifier: "_" 1*(ALPHA / DIGIT / "." / "_" / "-")
bool is_obfuscated(std::string_view s) noexcept
{
    if (s.size() < 2 || s[0] != '_') return false;
    for (char c : s.substr(1)) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

ClientNote set_address(std::string_view text, Client& out) noexcept
{
    IpAddress a;
    if (parse_ip(text, a) != IpParse::ok) return ClientNote::malformed;
    out = Client{a, true, false};
    return ClientNote::none;
}

// "[v6]" or "[v6]:port"; `port_ok` says which ports are acceptable.
template <class PortOk>
ClientNote bracketed_v6(std::string_view s, Client& out, PortOk port_ok) noexcept
{
    std::size_t close = s.find(']');
    if (close == std::string_view::npos) return ClientNote::malformed;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || !port_ok(rest.substr(1)))) return ClientNote::malformed;
    std::string_view inner = s.substr(1, close - 1);
    if (inner.find(':') == std::string_view::npos) return ClientNote::malformed;  // "[1.2.3.4]"
    return set_address(inner, out);
}

// "Rightmost entry that is not a trusted proxy; if all are, the leftmost",
// computed left to right in one pass without storing the list.
class Chain {
public:
    void add(const Client& c, ClientNote note, const CidrSet& trusted) noexcept
    {
        if (!any_) {
            any_ = true;
            leftmost_ = c;
            leftmost_note_ = note;
        }
        if (!trusted.matches(c)) {
            have_untrusted_ = true;
            chosen_ = c;
            chosen_note_ = note;
        }
    }
    bool any() const noexcept { return any_; }
    Client client() const noexcept { return have_untrusted_ ? chosen_ : leftmost_; }
    ClientNote note() const noexcept { return have_untrusted_ ? chosen_note_ : leftmost_note_; }

private:
    bool any_ = false;
    bool have_untrusted_ = false;
    Client leftmost_, chosen_;
    ClientNote leftmost_note_ = ClientNote::none, chosen_note_ = ClientNote::none;
};

void walk_xff(std::string_view header, const CidrSet& trusted, Chain& chain) noexcept
{
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view entry = trim_ows(header.substr(0, comma));
        header.remove_prefix(comma == std::string_view::npos ? header.size() : comma + 1);
        if (entry.empty()) continue;  // list syntax allows empty elements
        Client c;
        ClientNote note = parse_xff_entry(entry, c);
        chain.add(c, note, trusted);
    }
}

// RFC 7239 4: Forwarded = 1#forwarded-element; forwarded-element =
// [ forwarded-pair ] *( ";" [ forwarded-pair ] ); forwarded-pair = token "="
// value; value = token / quoted-string. Values are unquoted into a small
// buffer; a value too long for it is no address we could use anyway.
class ForwardedParser {
public:
    explicit ForwardedParser(std::string_view s) noexcept : s_(s) {}

    // Walks every element into the chain; false on a syntax error.
    bool walk(const CidrSet& trusted, Chain& chain) noexcept
    {
        for (;;) {
            skip_ows();
            if (done()) return true;
            if (peek() == ',') {  // an empty list element
                ++i_;
                continue;
            }
            Client c;
            ClientNote note = ClientNote::unknown_identifier;  // an element without for=
            if (!element(c, note)) return false;
            chain.add(c, note, trusted);
        }
    }

private:
    bool element(Client& c, ClientNote& note) noexcept
    {
        bool have_for = false;
        for (;;) {
            skip_ows();
            if (done() || peek() == ',') break;
            if (peek() == ';') {  // an empty pair
                ++i_;
                continue;
            }
            std::string_view name;
            if (!token(name) || done() || peek() != '=') return false;
            ++i_;
            if (!value()) return false;
            if (equals_lowercase(name, "for")) {
                if (have_for) return false;  // two for= in one element: which one?
                have_for = true;
                note = too_long_ ? ClientNote::malformed : parse_forwarded_node(std::string_view(buf_, len_), c);
            }
            skip_ows();
            if (done() || peek() == ',') break;
            if (peek() != ';') return false;
            ++i_;
        }
        if (!done()) ++i_;  // the ','
        return true;
    }

    bool token(std::string_view& out) noexcept
    {
        std::size_t start = i_;
        while (!done() && is_tchar(peek())) ++i_;
        out = s_.substr(start, i_ - start);
        return !out.empty();
    }

    // A token (also allowing ':', '[' and ']', which some proxies leave
    // unquoted in "for=192.0.2.1:80") or a quoted-string, into buf_.
    bool value() noexcept
    {
        len_ = 0;
        too_long_ = false;
        if (!done() && peek() == '"') {
            ++i_;
            for (;;) {
                if (done()) return false;  // unterminated
                char ch = s_[i_++];
                if (ch == '"') return true;
                if (ch == '\\') {
                    if (done()) return false;
                    ch = s_[i_++];
                }
                put(ch);
            }
        }
        std::size_t start = i_;
        while (!done() && (is_tchar(peek()) || peek() == ':' || peek() == '[' || peek() == ']')) put(s_[i_++]);
        return i_ > start;
    }

    void put(char ch) noexcept
    {
        if (len_ < sizeof buf_) {
            buf_[len_++] = ch;
        } else {
            too_long_ = true;
        }
    }
    void skip_ows() noexcept
    {
        while (!done() && is_ows(peek())) ++i_;
    }
    bool done() const noexcept { return i_ >= s_.size(); }
    char peek() const noexcept { return s_[i_]; }

    std::string_view s_;
    std::size_t i_ = 0;
    char buf_[64];
    std::size_t len_ = 0;
    bool too_long_ = false;
};

bool same_client(const Client& a, const Client& b) noexcept
{
    if (!a.known || !b.known) return a.known == b.known;
    return a.address == b.address;
}

}  // namespace

const char* client_source_name(ClientSource s) noexcept
{
    switch (s) {
    case ClientSource::peer: return "peer";
    case ClientSource::x_forwarded_for: return "X-Forwarded-For";
    case ClientSource::forwarded: return "Forwarded";
    }
    return "unknown";
}

const char* client_note_text(ClientNote n) noexcept
{
    switch (n) {
    case ClientNote::none: return "";
    case ClientNote::unknown_identifier: return "the proxy did not name the client (unknown or obfuscated)";
    case ClientNote::malformed: return "unusable forwarding header";
    case ClientNote::headers_disagree: return "X-Forwarded-For and Forwarded name different clients";
    }
    return "";
}

ClientNote parse_xff_entry(std::string_view entry, Client& out) noexcept
{
    out = Client::unknown();
    entry = trim_ows(entry);
    if (equals_lowercase(entry, "unknown")) return ClientNote::unknown_identifier;
    if (!entry.empty() && entry[0] == '[') return bracketed_v6(entry, out, is_port);
    std::size_t colon = entry.find(':');
    if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
        // exactly one ':': IPv4 with a port
        if (!is_port(entry.substr(colon + 1))) return ClientNote::malformed;
        std::string_view host = entry.substr(0, colon);
        if (host.find('.') == std::string_view::npos) return ClientNote::malformed;
        return set_address(host, out);
    }
    return set_address(entry, out);  // IPv4, or IPv6 without brackets (no port then)
}

ClientNote parse_forwarded_node(std::string_view node, Client& out) noexcept
{
    out = Client::unknown();
    auto port_ok = [](std::string_view p) { return is_port(p) || is_obfuscated(p); };
    if (equals_lowercase(node, "unknown")) return ClientNote::unknown_identifier;
    if (!node.empty() && node[0] == '_') return is_obfuscated(node) ? ClientNote::unknown_identifier : ClientNote::malformed;
    if (!node.empty() && node[0] == '[') return bracketed_v6(node, out, port_ok);
    // RFC 7239 6: an IPv6 address is always in brackets, so ':' here only
    // separates an IPv4 address from its port.
    std::size_t colon = node.find(':');
    std::string_view host = node.substr(0, colon);
    if (colon != std::string_view::npos && !port_ok(node.substr(colon + 1))) return ClientNote::malformed;
    if (host.find(':') != std::string_view::npos || host.find('.') == std::string_view::npos) return ClientNote::malformed;
    return set_address(host, out);
}

ResolvedClient resolve_client(const Client& peer, const CidrSet& trusted, std::string_view x_forwarded_for,
                              std::string_view forwarded) noexcept
{
    ResolvedClient r;
    r.client = peer;
    if (!trusted.matches(peer)) return r;  // headers from anyone else change nothing

    Chain xff;
    walk_xff(x_forwarded_for, trusted, xff);
    Chain fwd;
    bool fwd_syntax_ok = ForwardedParser(forwarded).walk(trusted, fwd);

    bool have_xff = xff.any();
    bool have_fwd = fwd.any() || !fwd_syntax_ok;
    if (!have_xff && !have_fwd) return r;

    ResolvedClient from_fwd;
    from_fwd.source = ClientSource::forwarded;
    if (fwd_syntax_ok) {
        from_fwd.client = fwd.client();
        from_fwd.note = fwd.note();
    } else {
        from_fwd.client = Client::unknown();
        from_fwd.note = ClientNote::malformed;
    }
    ResolvedClient from_xff;
    from_xff.source = ClientSource::x_forwarded_for;
    from_xff.client = xff.client();
    from_xff.note = xff.note();

    if (!have_fwd) return from_xff;
    if (!have_xff) return from_fwd;
    if (same_client(from_xff.client, from_fwd.client)) return from_fwd;
    from_fwd.client = Client::unknown();
    from_fwd.note = ClientNote::headers_disagree;
    return from_fwd;
}

}  // namespace ox::acl
