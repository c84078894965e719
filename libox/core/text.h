// Small text helpers for HTTP-ish header parsing, shared by the parsers in
// libox (ASCII only: header names and tokens are ASCII).
#ifndef LIBOX_CORE_TEXT_H
#define LIBOX_CORE_TEXT_H

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ox {

// Appends code point `cp` as UTF-8; one that is no character (a surrogate,
// beyond U+10FFFF) becomes U+FFFD.
inline void append_utf8(std::string& out, std::uint32_t cp)
{
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// RFC 9110 OWS: space or horizontal tab.
inline bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// `s` without leading and trailing OWS.
inline std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// True when `s` equals `lower` (already lower case) ignoring ASCII case.
inline bool equals_lowercase(std::string_view s, std::string_view lower) noexcept
{
    if (s.size() != lower.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

// True when `a` equals `b` ignoring ASCII case.
inline bool equals_ignore_case(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// RFC 9110 5.6.2 tchar: the characters of a token (a header name, a
// method, a transfer coding).
inline bool is_tchar(char ch) noexcept
{
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

// What balancer names and routes may hold (<OXBalancer>, route=): letters,
// digits, '-', '_' and '.'. Nothing that ends a cookie value or a path
// parameter, and nothing a padding collation could match to another name.
inline bool is_name_text(std::string_view s) noexcept
{
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

// A non-empty token.
inline bool is_token(std::string_view s) noexcept
{
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

// Field values and reason phrases: visible characters, spaces, tabs and
// obs-text, never CR, LF, NUL or another control (those split messages).
inline bool is_field_text(std::string_view s) noexcept
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
    }
    return true;
}

// The value of a hex digit (either case), or -1.
inline int hex_digit(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// %XX-decodes `in` into `out` (with `plus_is_space`, '+' is a space, as in
// form fields). False on a malformed escape.
inline bool percent_decode(std::string_view in, std::string& out, bool plus_is_space = false)
{
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%') {
            if (in.size() - i < 3) return false;
            int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return true;
}

// A whole decimal number: digits only (no sign, no space), nothing after
// them, no overflow.
inline bool parse_decimal(std::string_view s, unsigned long long& out) noexcept
{
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    auto res = std::from_chars(s.data(), s.data() + s.size(), out);
    return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

}  // namespace ox

#endif
