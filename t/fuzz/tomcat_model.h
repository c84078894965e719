// A deliberately simple reference model of how Apache Tomcat 10.1 turns a
// request URI's bytes into the path its mapper looks up. It is written
// separately from libox/acl/path_normalizer.cc and the other way round: the
// normaliser works segment by segment in one pass into a fixed buffer; this
// model follows Tomcat's own order, one whole-string step after the other,
// on std::string, trading speed for being easy to check line by line
// against the Tomcat sources.
//
// What it transcribes (Tomcat 10.1.x, 10.1.60; described in our words):
//   org.apache.catalina.connector.CoyoteAdapter.postParseRequest():
//     parsePathParameters(), then UDecoder.convert(), then normalize(), then
//     convertURI() (a charset decoder that reports malformed input: 400).
//   org.apache.tomcat.util.buf.UDecoder.convert(): "%" needs two hex
//     digits; %2F is handled by encodedSolidusHandling (reject, decode or
//     passthrough), %5C by encodedReverseSolidusHandling (decode by default);
//     in passthrough mode "%25" also stays encoded.
//   CoyoteAdapter.normalize(): empty or not starting with "/" (or "\"):
//     reject; "\" is rejected (or, with allowBackslash, becomes "/"); NUL is
//     rejected; "//" collapse; a final "/." or "/.." gets a "/" appended;
//     every "/./" becomes "/"; every "/../" removes itself and the segment
//     before it, and is rejected at the start; the appended "/" is removed
//     again at the end unless the result is "/".
//
// Used only by the fuzz target; not part of libox.
#ifndef OXB_T_FUZZ_TOMCAT_MODEL_H
#define OXB_T_FUZZ_TOMCAT_MODEL_H

#include <cstdint>
#include <string>
#include <string_view>

namespace tomcat_model {

enum class Solidus { reject, decode, passthrough };  // encodedSolidusHandling

struct Settings {
    Solidus encoded_slash = Solidus::reject;  // Tomcat's default
    bool allow_backslash = false;             // Tomcat's default
};

struct Result {
    bool ok = false;
    std::string path;  // the decoded, normalised bytes (UTF-8)
    std::string why;   // for a rejection
};

namespace detail {

inline int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return 10 + (c - 'a');
    if (c >= 'A' && c <= 'F') return 10 + (c - 'A');
    return -1;
}

// Step 1: strip path parameters. Look for ';' from the second byte on; cut
// from it up to (not including) the next ';' or '/', or to the end; look
// again from the same place.
inline void strip_path_parameters(std::string& u)
{
    std::size_t semi = u.find(';', 1);
    while (semi != std::string::npos) {
        std::size_t end = u.find_first_of(";/", semi + 1);
        if (end == std::string::npos) {
            u.erase(semi);
        } else {
            u.erase(semi, end - semi);
        }
        semi = u.find(';', semi);
    }
}

// Step 2: %XX decoding, once.
inline bool url_decode(const std::string& in, std::string& out, const Settings& s, std::string& why)
{
    bool keep_percent = s.encoded_slash == Solidus::passthrough;
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) {
            why = "truncated %-escape";
            return false;
        }
        int hi = hex_digit(in[i + 1]);
        int lo = hex_digit(in[i + 2]);
        if (hi < 0 || lo < 0) {
            why = "%-escape without two hex digits";
            return false;
        }
        char decoded = static_cast<char>(hi * 16 + lo);
        std::string original = in.substr(i, 3);
        i += 2;
        if (decoded == '/') {
            if (s.encoded_slash == Solidus::reject) {
                why = "encoded slash";
                return false;
            }
            out += s.encoded_slash == Solidus::decode ? std::string("/") : original;
        } else if (decoded == '%' && keep_percent) {
            out += original;
        } else {
            out += decoded;  // %5C decodes to '\' (the default); step 3 decides
        }
    }
    return true;
}

// Step 3: normalisation, one rule after the other on the whole string.
inline bool normalize(std::string& p, const Settings& s, std::string& why)
{
    if (p.empty()) {
        why = "empty";
        return false;
    }
    if (p[0] != '/' && p[0] != '\\') {
        why = "does not start with /";
        return false;
    }
    for (char& c : p) {
        if (c == '\\') {
            if (!s.allow_backslash) {
                why = "backslash";
                return false;
            }
            c = '/';
        } else if (c == '\0') {
            why = "NUL";
            return false;
        }
    }
    for (std::size_t i = p.find("//"); i != std::string::npos; i = p.find("//")) p.erase(i, 1);

    bool appended = false;
    std::size_t n = p.size();
    if ((n >= 2 && p.compare(n - 2, 2, "/.") == 0) || (n >= 3 && p.compare(n - 3, 3, "/..") == 0)) {
        p += '/';
        appended = true;
    }
    for (std::size_t i = p.find("/./"); i != std::string::npos; i = p.find("/./")) p.erase(i, 2);
    for (std::size_t i = p.find("/../"); i != std::string::npos; i = p.find("/../")) {
        if (i == 0) {
            why = "above the root";
            return false;
        }
        std::size_t prev = p.rfind('/', i - 1);
        p.erase(prev, i + 3 - prev);
    }
    if (appended && p.size() > 1 && p.back() == '/') p.pop_back();
    return true;
}

// Step 4: the bytes must decode as UTF-8 (Java's decoder, reporting
// errors). Written as a code-point decoder with range checks.
inline bool is_utf8(const std::string& p)
{
    std::size_t i = 0;
    while (i < p.size()) {
        unsigned char b = static_cast<unsigned char>(p[i]);
        int extra;
        std::uint32_t cp;
        std::uint32_t min;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            extra = 1;
            cp = b & 0x1F;
            min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            extra = 2;
            cp = b & 0x0F;
            min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            extra = 3;
            cp = b & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (i + static_cast<std::size_t>(extra) >= p.size()) return false;  // truncated
        for (int k = 1; k <= extra; ++k) {
            unsigned char c = static_cast<unsigned char>(p[i + static_cast<std::size_t>(k)]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min) return false;                      // overlong
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // surrogate
        if (cp > 0x10FFFF) return false;
        i += static_cast<std::size_t>(extra) + 1;
    }
    return true;
}

}  // namespace detail

inline Result resolve(std::string_view raw, const Settings& s = Settings())
{
    Result r;
    std::string u(raw);
    detail::strip_path_parameters(u);
    std::string decoded;
    if (!detail::url_decode(u, decoded, s, r.why)) return r;
    if (!detail::normalize(decoded, s, r.why)) return r;
    if (!detail::is_utf8(decoded)) {
        r.why = "malformed UTF-8";
        return r;
    }
    r.ok = true;
    r.path = decoded;
    return r;
}

// Does Tomcat's mapper send `path` to a servlet mapped at prefix + "/*"?
// (Mapper.internalMapWildcardWrapper: the path equals the prefix or
// continues with '/'; case-sensitive.)
inline bool maps_under(const std::string& path, const std::string& prefix)
{
    if (path.compare(0, prefix.size(), prefix) != 0) return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace tomcat_model

#endif
