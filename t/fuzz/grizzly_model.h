// A deliberately literal reference model of how OX App Suite's HTTP server
// (Grizzly, with OX's OSGiMainHandler as its only handler at "/") turns a
// request URI's bytes into the path OX's OSGiCleanMapper looks up. Written
// apart from libox/acl/grizzly_normalizer.cc and the other way round: the
// normaliser refuses what it is unsure about and works per segment; this
// model follows Grizzly's passes over the whole string, quirks included, so
// that the fuzz target can show the normaliser never accepts a path that
// Grizzly resolves to anything else.
//
// What it transcribes (Grizzly 2.3/2.4 and 4.x; described in our words):
//   Request.parseSessionId() on the raw URI: the first ";jsessionid=" at an
//     index above 0 is cut out up to the next ';' or to the end.
//   URLDecoder.decode(): '+' is a space; '%' needs two more bytes that are
//     hex digits, else it throws; "%2F" throws unless slashes are allowed.
//   HttpRequestURIDecoder.normalizeBytes(): empty fails; a final "/." or
//     "/.." (more than two bytes in all) gets a '/' appended; then a state
//     machine (char, slash, slash-dot, slash-dot-dot) copies bytes down:
//     NUL or '\' fails; '/' after '/' is dropped; '/' in slash-dot steps the
//     output back one byte and stays in slash-dot; '/' in slash-dot-dot goes
//     back to the slash before the previous one (none: fails); '.' in
//     slash-dot-dot is dropped.
//   The UTF-8 conversion (a decoder that reports errors), then
//     checkNormalize(): '\', NUL, "//", "/./" or a final "/." or "/.." fail.
//   OSGiCleanMapper.map(): an alias matches the whole path or the path cut
//     at one of its '/'.
//
// Flow::root is OX's layout (the single root handler: the session id is cut
// before decoding, slashes allowed). Flow::chain is a Grizzly with several
// handlers: HttpHandlerChain decodes first (slashes refused) and the mapper
// sees the decoded path with the session id still in it.
//
// Used only by the fuzz target; not part of libox.
#ifndef OXB_T_FUZZ_GRIZZLY_MODEL_H
#define OXB_T_FUZZ_GRIZZLY_MODEL_H

#include <string>
#include <string_view>

namespace grizzly_model {

enum class Flow { root, chain };

struct Result {
    bool ok = false;
    std::string path;
    std::string why;
};

namespace detail {

inline int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return 10 + (c - 'a');
    if (c >= 'A' && c <= 'F') return 10 + (c - 'A');
    return -1;
}

inline void cut_session_id(std::string& u)
{
    const std::string key = ";jsessionid=";
    std::size_t at = u.find(key);
    if (at == std::string::npos || at == 0) return;
    std::size_t next = u.find(';', at + key.size());
    u.erase(at, (next == std::string::npos ? u.size() : next) - at);
}

inline bool url_decode(const std::string& in, bool allow_slash, std::string& out, std::string& why)
{
    out.clear();
    for (std::size_t j = 0; j < in.size(); ++j) {
        char b = in[j];
        if (b == '+') {
            out += ' ';
        } else if (b != '%') {
            out += b;
        } else {
            if (j + 2 >= in.size()) return why = "unexpected termination", false;
            int h = hex(in[j + 1]), l = hex(in[j + 2]);
            if (h < 0 || l < 0) return why = "illegal hex characters", false;
            j += 2;
            char c = static_cast<char>(h * 16 + l);
            if (!allow_slash && c == '/') return why = "encoded slash", false;
            out += c;
        }
    }
    return true;
}

enum State { kChar, kSlash, kSlashDot, kSlashDotDot };

inline bool normalize_bytes(std::string& b, std::string& why)
{
    if (b.empty()) return why = "empty", false;
    if (b == "*") return true;
    std::size_t end = b.size();
    if (end > 2 && b[end - 1] == '.' && (b[end - 2] == '/' || (b[end - 2] == '.' && b[end - 3] == '/'))) {
        b += '/';
        ++end;
    }
    State state = kChar;
    long dst = 0;
    long last_slash = -1, parent_slash = -1;
    for (std::size_t pos = 0; pos < end; ++pos) {
        char c = b[pos];
        // "/.//" at the start steps the output in front of the buffer: the
        // next write throws (ArrayIndexOutOfBoundsException, a 500).
        if (dst < 0 && !(c == '/' && (state == kSlashDot || state == kSlash)) && !(c == '.' && state == kSlashDotDot)) {
            return why = "index out of bounds", false;
        }
        if (c == 0) return why = "NUL", false;
        if (c == '\\') return why = "backslash", false;
        if (c == '/') {
            if (state == kChar) {
                state = kSlash;
                b[dst] = c;
                parent_slash = last_slash;
                last_slash = dst;
                ++dst;
            } else if (state == kSlash) {
                // collapsed
            } else if (state == kSlashDot) {
                --dst;
            } else {
                if (parent_slash == -1) return why = "above the root", false;
                last_slash = parent_slash;
                dst = parent_slash;
                parent_slash = -1;
                for (long i = last_slash - 1; i >= 0; --i) {
                    if (b[i] == '/') {
                        parent_slash = i;
                        break;
                    }
                }
                state = kSlash;
                b[dst++] = c;
            }
        } else if (c == '.') {
            if (state == kChar) {
                b[dst++] = c;
            } else if (state == kSlash) {
                state = kSlashDot;
                b[dst++] = c;
            } else if (state == kSlashDot) {
                state = kSlashDotDot;
                b[dst++] = c;
            }
            // slash-dot-dot: dropped
        } else {
            state = kChar;
            b[dst++] = c;
        }
    }
    b.resize(dst < 0 ? 0 : static_cast<std::size_t>(dst));
    return true;
}

// A decoder that reports malformed input, written out by code point.
inline bool utf8_ok(const std::string& s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        unsigned cp;
        std::size_t len;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = cp << 6 | (d & 0x3F);
        }
        unsigned min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

inline bool check_normalized(const std::string& c)
{
    if (c.find('\\') != std::string::npos || c.find('\0') != std::string::npos) return false;
    if (c.find("//") != std::string::npos) return false;
    std::size_t n = c.size();
    if (n >= 2 && c[n - 1] == '.' && (c[n - 2] == '/' || (n >= 3 && c[n - 2] == '.' && c[n - 3] == '/'))) return false;
    return c.find("/./") == std::string::npos;
}

}  // namespace detail

inline Result resolve(std::string_view raw, Flow flow = Flow::root)
{
    Result r;
    std::string u(raw);
    if (flow == Flow::root) detail::cut_session_id(u);
    std::string d;
    if (!detail::url_decode(u, flow == Flow::root, d, r.why)) return r;
    if (!detail::normalize_bytes(d, r.why)) return r;
    if (!detail::utf8_ok(d)) return r.why = "malformed UTF-8", r;
    if (!detail::check_normalized(d)) return r.why = "not normalised after decoding", r;
    r.ok = true;
    r.path = d;
    return r;
}

// Whether OSGiCleanMapper would hand `path` to the alias `prefix` (or one of
// its 404 fallbacks would reach it).
inline bool maps_under(const std::string& path, const std::string& prefix)
{
    if (path.compare(0, prefix.size(), prefix) != 0) return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace grizzly_model

#endif
