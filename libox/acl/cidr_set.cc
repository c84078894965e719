#include "acl/cidr_set.h"

#include <algorithm>
#include <string>

#include "core/text.h"

namespace ox::acl {

namespace {

// "0".."max", decimal, no sign, no leading zero.
bool parse_prefix_len(std::string_view s, unsigned max, unsigned& out) noexcept
{
    unsigned long long v = 0;
    if (s.size() > 3 || (s.size() > 1 && s[0] == '0') || !parse_decimal(s, v) || v > max) return false;
    out = static_cast<unsigned>(v);
    return true;
}

// The byte mask of byte `i` for a block of `bits` bits.
std::uint8_t mask_byte(unsigned bits, unsigned i) noexcept
{
    if (bits >= (i + 1) * 8) return 0xff;
    if (bits <= i * 8) return 0;
    return static_cast<std::uint8_t>(0xff << (8 - (bits - i * 8)));
}

std::string quoted(std::string_view w) { return "'" + std::string(w) + "'"; }

}  // namespace

bool Cidr::contains(const IpAddress& a) const noexcept
{
    for (unsigned i = 0; i < 16; ++i) {
        std::uint8_t m = mask_byte(bits, i);
        if (m == 0) return true;
        if ((a.bytes[i] & m) != network.bytes[i]) return false;
    }
    return true;
}

std::string parse_cidr(std::string_view word, Cidr& out)
{
    std::size_t slash = word.find('/');
    std::string_view addr_text = word.substr(0, slash);
    IpAddress addr;
    IpParse p = parse_ip(addr_text, addr);
    if (p != IpParse::ok) return quoted(word) + ": " + ip_parse_text(p);
    bool v4_text = addr_text.find(':') == std::string_view::npos;
    unsigned max = v4_text ? 32 : 128;
    unsigned len = max;
    if (slash != std::string_view::npos) {
        if (!parse_prefix_len(word.substr(slash + 1), max, len)) {
            return quoted(word) + ": the prefix length after '/' must be a number 0-" + std::to_string(max);
        }
    }
    unsigned bits = v4_text ? 96 + len : len;
    Cidr c;
    c.bits = static_cast<std::uint8_t>(bits);
    for (unsigned i = 0; i < 16; ++i) c.network.bytes[i] = addr.bytes[i] & mask_byte(bits, i);
    if (c.network != addr) {
        // 10.1.2.3/8 is almost always a typo for 10.1.2.3/32 or 10.0.0.0/8:
        // say which block it would be instead of guessing.
        return quoted(word) + ": host bits are set; the block is " + to_string(c.network) + "/" +
               std::to_string(len);
    }
    out = c;
    return {};
}

namespace {

// For words that are not addresses: what the writer probably meant. Allow
// lists in mod_access_compat took host names and partial addresses
// ("192.168"); ours take neither.
std::string hint_for(std::string_view word)
{
    std::size_t parts = 0;
    bool numeric = !word.empty() && word.find('/') == std::string_view::npos;
    std::string_view rest = word;
    while (numeric) {
        std::size_t dot = rest.find('.');
        std::string_view part = rest.substr(0, dot);
        unsigned long v = 0;
        numeric = !part.empty() && part.size() <= 3 && part.find_first_not_of("0123456789") == std::string_view::npos;
        if (numeric) v = std::stoul(std::string(part));
        numeric = numeric && v <= 255;
        ++parts;
        if (dot == std::string_view::npos || dot + 1 == rest.size()) break;
        rest.remove_prefix(dot + 1);
    }
    if (numeric && parts >= 1 && parts <= 3) {
        std::string block(word);
        while (!block.empty() && block.back() == '.') block.pop_back();
        for (std::size_t i = parts; i < 4; ++i) block += ".0";
        return "; a partial address is not a block here: write " + block + "/" + std::to_string(8 * parts);
    }
    bool letters = word.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
    if (letters && word.find(':') == std::string_view::npos) {
        return "; host names are not resolved: list addresses or CIDR blocks (10.20.30.0/24), or 'local' for this host";
    }
    return {};
}

}  // namespace

std::string CidrSet::add(std::string_view word)
{
    if (equals_lowercase(word, "local")) {
        local_ = true;
        return {};
    }
    Cidr c;
    std::string err = parse_cidr(word, c);
    if (!err.empty()) return err + hint_for(word);
    add(c);
    return {};
}

void CidrSet::add(const Cidr& c)
{
    if (std::find(blocks_.begin(), blocks_.end(), c) == blocks_.end()) blocks_.push_back(c);
}

bool CidrSet::contains(const IpAddress& a) const noexcept
{
    if (local_ && a.is_loopback()) return true;
    for (const Cidr& c : blocks_) {
        if (c.contains(a)) return true;
    }
    return false;
}

bool CidrSet::matches(const Client& c) const noexcept
{
    if (!c.known) return false;
    if (local_ && c.same_host) return true;
    return contains(c.address);
}

std::string CidrSet::to_string() const
{
    std::string s;
    for (const Cidr& c : blocks_) {
        if (!s.empty()) s += ' ';
        s += acl::to_string(c.network);
        unsigned len = c.network.is_v4() && c.bits >= 96 ? c.bits - 96u : c.bits;
        bool single = c.network.is_v4() && c.bits >= 96 ? len == 32 : len == 128;
        if (!single) s += "/" + std::to_string(len);
    }
    if (local_) s += s.empty() ? "local" : " local";
    return s;
}

}  // namespace ox::acl
