#include "status/escape.h"

namespace ox::status {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void put_hex4(std::string& out, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    out += "\\u";
    out += digits[(v >> 12) & 15];
    out += digits[(v >> 8) & 15];
    out += digits[(v >> 4) & 15];
    out += digits[v & 15];
}

// Calls ascii(out, ch) for each ASCII byte, passes well-formed multi-byte
// sequences through and turns every other byte into U+FFFD.
template <class Ascii>
void escape_utf8(std::string& out, std::string_view text, Ascii ascii)
{
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ascii(out, static_cast<char>(c));
            ++i;
            continue;
        }
        std::size_t n = utf8_sequence_length(text.substr(i));
        if (n == 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        out.append(text.data() + i, n);
        i += n;
    }
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view s) noexcept
{
    if (s.empty()) return 0;
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    unsigned c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
        if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
        if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;  // continuation byte, C0/C1 (overlong), F5..FF
}

void append_html(std::string& out, std::string_view text)
{
    escape_utf8(out, text, [](std::string& o, char c) {
        switch (c) {
        case '&': o += "&amp;"; return;
        case '<': o += "&lt;"; return;
        case '>': o += "&gt;"; return;
        case '"': o += "&quot;"; return;
        case '\'': o += "&#39;"; return;
        case '\t': case '\n': case '\r': o += c; return;
        default: break;
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) o += kReplacement;
        else o += c;
    });
}

void append_json_string(std::string& out, std::string_view text)
{
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') put_hex4(out, c);
                else out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        std::size_t n = utf8_sequence_length(text.substr(i));
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        // U+2028 and U+2029 (E2 80 A8/A9) are valid JSON but end a line in
        // older JavaScript.
        if (n == 3 && c == 0xE2 && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
            (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8) {
            put_hex4(out, 0x2028u + (static_cast<unsigned char>(text[i + 2]) & 1u));
        } else {
            out.append(text.data() + i, n);
        }
        i += n;
    }
    out += '"';
}

void append_prometheus_label_value(std::string& out, std::string_view text)
{
    escape_utf8(out, text, [](std::string& o, char c) {
        switch (c) {
        case '\\': o += "\\\\"; return;
        case '"': o += "\\\""; return;
        case '\n': o += "\\n"; return;
        default: o += c;
        }
    });
}

void append_prometheus_help(std::string& out, std::string_view text)
{
    escape_utf8(out, text, [](std::string& o, char c) {
        switch (c) {
        case '\\': o += "\\\\"; return;
        case '\n': o += "\\n"; return;
        default: o += c;
        }
    });
}

std::string_view format_iso8601_utc(std::int64_t ms, char (&buf)[kIsoTimeChars + 1]) noexcept
{
    // 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z
    constexpr std::int64_t kMin = -62167219200000;
    constexpr std::int64_t kMax = 253402300799999;
    if (ms < kMin) ms = kMin;
    if (ms > kMax) ms = kMax;
    std::int64_t days = ms / 86400000;
    std::int64_t rest = ms % 86400000;
    if (rest < 0) {
        rest += 86400000;
        --days;
    }
    // Howard Hinnant's civil_from_days.
    std::int64_t z = days + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;

    auto put = [&](std::size_t pos, std::int64_t v, int width) {
        for (int k = width - 1; k >= 0; --k) {
            buf[pos + static_cast<std::size_t>(k)] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
    };
    put(0, y, 4);
    buf[4] = '-';
    put(5, m, 2);
    buf[7] = '-';
    put(8, d, 2);
    buf[10] = 'T';
    put(11, rest / 3600000, 2);
    buf[13] = ':';
    put(14, rest / 60000 % 60, 2);
    buf[16] = ':';
    put(17, rest / 1000 % 60, 2);
    buf[19] = '.';
    put(20, rest % 1000, 3);
    buf[23] = 'Z';
    buf[24] = '\0';
    return std::string_view(buf, kIsoTimeChars);
}

}  // namespace ox::status
