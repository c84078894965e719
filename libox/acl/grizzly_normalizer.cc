// One pass over the raw path, segment by segment, as in path_normalizer.cc.
// Grizzly decodes the whole URI, then runs its normalizeBytes state machine
// over it; per segment is equivalent for every path we accept, because
// decoding may not produce '/' ("%2F" is refused) and the inputs on which
// the state machine looks across a '/' in unusual ways (after "/./", and
// three or more dots) are refused. t/fuzz/fuzz_grizzly.cc checks this
// against a literal model of Grizzly's passes (t/fuzz/grizzly_model.h).
#include "acl/grizzly_normalizer.h"

#include "core/text.h"

namespace ox::acl {

namespace {

constexpr std::string_view kSession = ";jsessionid=";

// The byte a "%XX" at s[i] stands for, or -1 when it is malformed
// (URLDecoder.decode: two hex digits must follow, else it throws).
int escape_at(std::string_view s, std::size_t i) noexcept
{
    if (i + 2 >= s.size()) return -1;
    int hi = hex_digit(s[i + 1]);
    int lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return -1;
    return hi << 4 | lo;
}

bool lower_ascii_equal(std::string_view a, std::string_view lower) noexcept
{
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

// Request.parseSessionId(), on the raw path: where the path Grizzly keeps
// ends. Only a lower-case ";jsessionid=" with nothing after its value but
// more value bytes is accepted (Grizzly cuts up to the next ';' or the end,
// across '/': "/a;jsessionid=1/b" is "/a" there, "/a/b" in Tomcat).
PathStatus session_cut(std::string_view raw, std::size_t& keep) noexcept
{
    keep = raw.size();
    for (std::size_t i = 0; i + kSession.size() <= raw.size(); ++i) {
        if (raw[i] != ';' || !lower_ascii_equal(raw.substr(i, kSession.size()), kSession)) continue;
        if (raw.compare(i, kSession.size(), kSession) != 0) return PathStatus::session_param;  // other case
        if (raw.find_first_of(";/", i + kSession.size()) != std::string_view::npos) return PathStatus::session_param;
        keep = i;
        return PathStatus::ok;
    }
    return PathStatus::ok;
}

// Decodes one segment to dst (URLDecoder: "%XX" once, '+' is a space); sets n.
PathStatus decode_segment(std::string_view seg, char* dst, std::size_t room, std::size_t& n) noexcept
{
    n = 0;
    for (std::size_t i = 0; i < seg.size(); ++i) {
        unsigned char b = static_cast<unsigned char>(seg[i]);
        if (b == '%') {
            int v = escape_at(seg, i);
            if (v < 0) return PathStatus::bad_escape;
            b = static_cast<unsigned char>(v);
            i += 2;
            if (b == '/') return PathStatus::encoded_slash;  // stricter: Grizzly would split the segment here
        } else if (b == '+') {
            b = ' ';
        }
        if (b == '\\') return PathStatus::backslash;  // normalizeBytes: ALLOW_BACKSLASH is false
        if (b == 0) return PathStatus::nul;           // normalizeBytes: NUL fails
        if (n == room) return PathStatus::too_long;
        dst[n++] = static_cast<char>(b);
    }
    return PathStatus::ok;
}

enum class Kind { empty, dot, dotdot, name };

Kind kind_of(const char* seg, std::size_t n) noexcept
{
    if (n == 0) return Kind::empty;
    if (n == 1 && seg[0] == '.') return Kind::dot;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') return Kind::dotdot;
    return Kind::name;
}

}  // namespace

PathStatus normalize_path_grizzly(std::string_view raw, char* out, std::size_t capacity,
                                  std::size_t& out_len) noexcept
{
    out_len = 0;
    if (raw.empty()) return PathStatus::empty;  // normalizeBytes: an empty URI fails
    if (capacity < normalized_capacity(raw)) return PathStatus::too_long;
    if (raw[0] == '\\') return PathStatus::backslash;
    if (raw[0] != '/') return PathStatus::not_absolute;  // stricter: the mapper only knows "/..." aliases

    std::size_t keep = 0;
    if (PathStatus s = session_cut(raw, keep); s != PathStatus::ok) return s;
    bool cut = keep != raw.size();
    std::string_view path = raw.substr(0, keep);

    // out holds "/" or "/seg/.../seg/", as in normalize_path().
    out[0] = '/';
    std::size_t len = 1;
    Kind last = Kind::empty;
    std::size_t pos = 1;
    for (;;) {
        std::size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        bool final_segment = end == path.size();
        std::size_t n = 0;
        PathStatus s = decode_segment(path.substr(pos, end - pos), out + len, capacity - len, n);
        if (s != PathStatus::ok) return s;
        if (!valid_utf8(out + len, n)) return PathStatus::bad_utf8;  // the char conversion reports errors

        const char* seg = out + len;
        // normalizeBytes keeps at most two dots at the start of a segment
        // ("..." acts as "..", "...x" becomes "..x").
        if (n >= 3 && seg[0] == '.' && seg[1] == '.' && seg[2] == '.') return PathStatus::dot_quirk;
        // After "/./" its state stays "slash-dot": a '/' next removes the
        // '/' before it ("/a/.//b" is "/ab"), a '.' next counts as a second
        // dot ("/a/././b" is "/b").
        if (last == Kind::dot && ((n == 0 && !final_segment) || (n > 0 && seg[0] == '.'))) {
            return PathStatus::dot_quirk;
        }

        last = kind_of(seg, n);
        switch (last) {
        case Kind::empty:  // "//" collapses
        case Kind::dot:    // "/./" resolves
            break;
        case Kind::dotdot:  // "/x/../" resolves; at the root it fails
            if (len == 1) return PathStatus::above_root;
            --len;
            while (out[len - 1] != '/') --len;
            break;
        case Kind::name:
            len += n;
            if (len == capacity) return PathStatus::too_long;
            out[len++] = '/';
            break;
        }
        if (final_segment) break;
        pos = end + 1;
    }

    // A ";jsessionid=" cut from a name is what Grizzly does; after an empty
    // or dot segment, a Grizzly that decodes before cutting would see
    // another path ("/a/..;jsessionid=1" is "/" or a name "..;jsessionid=1").
    if (cut && last != Kind::name) return PathStatus::session_param;

    // Grizzly keeps the trailing '/' of "/a/", and the one it appends to
    // resolve a trailing "/." or "/.." ("/a/b/.." is "/a/"); only a final
    // name has none.
    if (last == Kind::name && len > 1) --len;
    out[len] = '\0';
    out_len = len;
    return PathStatus::ok;
}

PathStatus normalize_path_grizzly(std::string_view raw, std::string& out)
{
    out.assign(normalized_capacity(raw), '\0');
    std::size_t n = 0;
    PathStatus s = normalize_path_grizzly(raw, out.data(), out.size(), n);
    out.resize(s == PathStatus::ok ? n : 0);
    return s;
}

}  // namespace ox::acl
