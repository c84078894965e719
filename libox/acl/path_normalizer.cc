// One pass over the raw path, segment by segment, into the caller's buffer.
// Tomcat does the same work in four passes over the whole URI
// (parsePathParameters, UDecoder.convert, normalize, convertURI); doing it
// per segment is equivalent because no step can create or remove a "/" that
// another step depends on: parameters end at the raw "/", decoding may not
// produce "/" (%2F is refused), and the dot rules only look at whole
// segments. t/fuzz/fuzz_path.cc checks this equivalence against a literal
// model of Tomcat's four passes (t/fuzz/tomcat_model.h).
#include "acl/path_normalizer.h"

#include "core/text.h"

namespace ox::acl {

namespace {

// The byte a "%XX" at s[i] stands for, or -1 when it is malformed (Tomcat's
// UDecoder: two hex digits of either case must follow, else 400).
int escape_at(std::string_view s, std::size_t i) noexcept
{
    if (i + 2 >= s.size()) return -1;  // fewer than two characters after the '%'
    int hi = hex_digit(s[i + 1]);
    int lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return -1;
    return hi << 4 | lo;
}

// Bytes that are refused wherever they appear, raw or decoded.
PathStatus forbidden_byte(unsigned char b, bool decoded) noexcept
{
    if (b == '/' && decoded) return PathStatus::encoded_slash;  // UDecoder: %2F is a 400 by default
    if (b == '\\') return PathStatus::backslash;                // normalize(): "\" is a 400 unless allowBackslash
    if (b == 0) return PathStatus::nul;                          // normalize(): NUL is a 400
    return PathStatus::ok;
}

// A ";parameter" tail that Tomcat drops undecoded. We drop it too, but
// refuse the bytes that would be ambiguous anywhere else (stricter than
// Tomcat: nothing legitimate puts them into a path parameter).
PathStatus check_parameters(std::string_view params) noexcept
{
    for (std::size_t i = 0; i < params.size(); ++i) {
        unsigned char b = static_cast<unsigned char>(params[i]);
        if (b == '%') {
            int v = escape_at(params, i);
            if (v < 0) return PathStatus::bad_escape;
            b = static_cast<unsigned char>(v);
            i += 2;
            PathStatus s = forbidden_byte(b, true);
            if (s != PathStatus::ok) return s;
            continue;
        }
        PathStatus s = forbidden_byte(b, false);
        if (s != PathStatus::ok) return s;
    }
    return PathStatus::ok;
}

// Decodes one segment (without its parameters) to dst; sets n.
PathStatus decode_segment(std::string_view seg, char* dst, std::size_t room, std::size_t& n) noexcept
{
    n = 0;
    for (std::size_t i = 0; i < seg.size(); ++i) {
        unsigned char b = static_cast<unsigned char>(seg[i]);
        bool decoded = false;
        if (b == '%') {
            // decoded exactly once: "%25" is a literal '%', never a new escape
            int v = escape_at(seg, i);
            if (v < 0) return PathStatus::bad_escape;
            b = static_cast<unsigned char>(v);
            decoded = true;
            i += 2;
        }
        PathStatus s = forbidden_byte(b, decoded);
        if (s != PathStatus::ok) return s;
        if (n == room) return PathStatus::too_long;
        dst[n++] = static_cast<char>(b);
    }
    return PathStatus::ok;
}

}  // namespace

// RFC 3629 UTF-8, as Java's decoder accepts it (what Tomcat's convertURI
// uses, reporting errors): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequences.
bool valid_utf8(const char* p, std::size_t n) noexcept
{
    auto at = [p](std::size_t i) { return static_cast<unsigned char>(p[i]); };
    auto cont = [&](std::size_t i) { return (at(i) & 0xC0) == 0x80; };
    std::size_t i = 0;
    while (i < n) {
        unsigned char b = at(i);
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0) lo = 0xA0;  // overlong
            if (b == 0xED) hi = 0x9F;  // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0) lo = 0x90;  // overlong
            if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return false;  // 80..C1 (continuation or overlong lead), F5..FF
        }
        if (i + len > n) return false;
        if (at(i + 1) < lo || at(i + 1) > hi) return false;
        for (std::size_t k = 2; k < len; ++k) {
            if (!cont(i + k)) return false;
        }
        i += len;
    }
    return true;
}

namespace {

enum class Kind { empty, dot, dotdot, name };

Kind kind_of(const char* seg, std::size_t n) noexcept
{
    if (n == 0) return Kind::empty;
    if (n == 1 && seg[0] == '.') return Kind::dot;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') return Kind::dotdot;
    return Kind::name;
}

// Puts the decoded segment that sits at out + len (n bytes) into the path
// out[0, len), which ends with '/'.
PathStatus place_segment(Kind kind, std::size_t n, char* out, std::size_t capacity, std::size_t& len) noexcept
{
    switch (kind) {
    case Kind::empty:  // normalize(): "//" merges into "/"
    case Kind::dot:    // normalize(): "/./" becomes "/"
        return PathStatus::ok;
    case Kind::dotdot:  // normalize(): "/seg/../" becomes "/"; at the root it is a 400
        if (len == 1) return PathStatus::above_root;
        --len;  // drop the trailing '/', then the segment before it
        while (out[len - 1] != '/') --len;
        return PathStatus::ok;
    case Kind::name:
        len += n;
        if (len == capacity) return PathStatus::too_long;
        out[len++] = '/';
        return PathStatus::ok;
    }
    return PathStatus::ok;
}

}  // namespace

const char* path_status_text(PathStatus s) noexcept
{
    switch (s) {
    case PathStatus::ok: return "";
    case PathStatus::empty: return "empty path";
    case PathStatus::not_absolute: return "path does not start with '/'";
    case PathStatus::bad_escape: return "malformed %-escape";
    case PathStatus::encoded_slash: return "encoded slash (%2F)";
    case PathStatus::nul: return "NUL byte";
    case PathStatus::backslash: return "backslash";
    case PathStatus::above_root: return "'..' above the root";
    case PathStatus::bad_utf8: return "malformed UTF-8";
    case PathStatus::too_long: return "path buffer too small";
    case PathStatus::session_param: return "';jsessionid=' not at the end of the path (Grizzly cuts it out raw)";
    case PathStatus::dot_quirk: return "a dot sequence Grizzly resolves unlike RFC 3986";
    }
    return "bad path";
}

PathStatus normalize_path(std::string_view raw, char* out, std::size_t capacity, std::size_t& out_len) noexcept
{
    out_len = 0;
    if (raw.empty()) return PathStatus::empty;                // normalize(): an empty URI is a 400
    if (capacity < normalized_capacity(raw)) return PathStatus::too_long;
    if (raw[0] == '\\') return PathStatus::backslash;
    if (raw[0] != '/') return PathStatus::not_absolute;      // normalize(): must start with '/'

    // out holds "/" or "/seg/.../seg/": always a trailing '/', so that the
    // next segment is appended and ".." can cut back to the previous '/'.
    out[0] = '/';
    std::size_t len = 1;
    Kind last = Kind::empty;
    std::size_t pos = 1;
    for (;;) {
        std::size_t end = raw.find('/', pos);
        if (end == std::string_view::npos) end = raw.size();
        std::string_view seg = raw.substr(pos, end - pos);

        // parsePathParameters(): ";..." up to the next '/' goes, undecoded
        std::size_t semi = seg.find(';');
        if (semi != std::string_view::npos) {
            PathStatus s = check_parameters(seg.substr(semi + 1));
            if (s != PathStatus::ok) return s;
            seg = seg.substr(0, semi);
        }

        // UDecoder.convert(): %XX decoded once, into the output buffer
        std::size_t n = 0;
        PathStatus s = decode_segment(seg, out + len, capacity - len, n);
        if (s != PathStatus::ok) return s;
        if (!valid_utf8(out + len, n)) return PathStatus::bad_utf8;  // convertURI(): malformed input is a 400

        last = kind_of(out + len, n);
        s = place_segment(last, n, out, capacity, len);
        if (s != PathStatus::ok) return s;
        if (end == raw.size()) break;
        pos = end + 1;
    }

    // The trailing '/' stays only when the client wrote one ("/a/", "/a//",
    // "/a/;x"), or when the result is "/". normalize() drops the '/' it had to
    // append to resolve a final "/." or "/..", so "/a/b/.." is "/a".
    if (last != Kind::empty && len > 1) --len;
    out[len] = '\0';
    out_len = len;
    return PathStatus::ok;
}

PathStatus normalize_path(std::string_view raw, std::string& out)
{
    out.assign(normalized_capacity(raw), '\0');
    std::size_t n = 0;
    PathStatus s = normalize_path(raw, out.data(), out.size(), n);
    out.resize(s == PathStatus::ok ? n : 0);
    return s;
}

}  // namespace ox::acl
