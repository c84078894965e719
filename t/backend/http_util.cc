#include "http_util.h"

#include <cctype>
#include <cstdarg>
#include <cstdio>

#include "../tools/oxb_pattern.h"

namespace httpt {

Digest::Digest(const EVP_MD* md) : md_(md), ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, md_, nullptr) != 1) {
        EVP_MD_CTX_free(ctx_);
        throw std::runtime_error("EVP digest init failed");
    }
}

Digest::~Digest() { EVP_MD_CTX_free(ctx_); }

std::string Digest::finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    EVP_DigestInit_ex(ctx_, md_, nullptr);
    return std::string(reinterpret_cast<char*>(md), len);
}

std::string to_hex(std::string_view bytes) {
    std::string s;
    for (unsigned char c : bytes) {
        s += oxb::kHexDigits[c >> 4];
        s += oxb::kHexDigits[c & 15];
    }
    return s;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
    for (int i = 0; i < 64; ++i) {
        if (kB64[i] == c) return i;
    }
    return -1;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                          static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                          static_cast<unsigned char>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63];
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
        if (pad == 1 && text[i + 2] == '=') return std::nullopt;
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            int d = k >= 4 - pad ? 0 : b64_value(text[i + k]);
            if (d < 0) return std::nullopt;
            v = v << 6 | static_cast<std::uint32_t>(d);
        }
        // Bits that padding drops must be zero (canonical encoding).
        if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
        out += static_cast<char>(v >> 16);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(v & 0xFF);
    }
    return out;
}

void log_line(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    std::fprintf(stderr, "http_test_server: %s\n", buf);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_tchar(unsigned char c) {
    if (std::isalnum(c)) return c < 0x80;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
        case '.': case '^': case '_': case '`': case '|': case '~':
            return true;
        default:
            return false;
    }
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

bool list_has_token(std::string_view value, std::string_view token) {
    std::string want = lower(token);
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view item = value.substr(start, comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (lower(item) == want) return true;
        start = comma + 1;
    }
    return false;
}

Query::Query(std::string_view qs) {
    std::size_t start = 0;
    while (start < qs.size()) {
        std::size_t amp = qs.find('&', start);
        if (amp == std::string_view::npos) amp = qs.size();
        std::string_view item = qs.substr(start, amp - start);
        std::size_t eq = item.find('=');
        std::string key = percent_decode(item.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : percent_decode(item.substr(eq + 1));
        if (!key.empty()) params_.emplace(std::move(key), std::move(value));
        start = amp + 1;
    }
}

std::optional<std::string> Query::get(const std::string& name) const {
    auto it = params_.find(name);
    if (it == params_.end()) return std::nullopt;
    return it->second;
}

std::uint64_t Query::number(const std::string& name, std::optional<std::uint64_t> def, std::uint64_t lo,
                            std::uint64_t hi) const {
    std::optional<std::string> v = get(name);
    if (!v) {
        if (!def) throw BadParam("missing parameter " + name);
        return *def;
    }
    std::optional<std::uint64_t> n = oxb::parse_size(*v);
    if (!n || *n < lo || *n > hi) {
        throw BadParam("parameter " + name + "=" + *v + " is not a number in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
    }
    return *n;
}

}  // namespace httpt
