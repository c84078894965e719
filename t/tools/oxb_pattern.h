// The byte pattern shared by every test that moves bulk data: a stream of
// 16-byte records where the record at offset 16*k is the lowercase hex of 16*k,
// zero-padded to 15 digits, followed by '\n'. A stream of N bytes is the first
// N bytes of that infinite sequence, so each record names its own offset and
// truncation, duplication and reordering are all visible.
//
// Header-only so that oxb-pattern and the AJP test server (which must not
// link anything from libox/) share one definition.
#ifndef OXB_TOOLS_PATTERN_H
#define OXB_TOOLS_PATTERN_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace oxb {

constexpr std::size_t kRecordSize = 16;

inline constexpr char kHexDigits[] = "0123456789abcdef";

// Writes the whole record that starts at `rec_off` (a multiple of 16).
inline void pattern_record(std::uint64_t rec_off, char out[kRecordSize]) {
    for (int i = 14; i >= 0; --i) {
        out[i] = kHexDigits[rec_off & 15];
        rec_off >>= 4;
    }
    out[15] = '\n';
}

// Writes whole records [off, off + n * 16) one by one (the slow path, used
// only near unaligned edges).
inline char* pattern_records(std::uint64_t off, char* dst, std::size_t n) {
    for (; n > 0; --n, off += kRecordSize, dst += kRecordSize) pattern_record(off, dst);
    return dst;
}

// Writes the 4 KiB block at `off` (a multiple of 4096). Inside a block only
// digits 12 and 13 change (digit 14 is always 0), so each record is the block's
// 12 high digits plus one of 256 fixed 4-byte tails: three plain stores per
// record, which is what makes gen/check run at several GB/s.
inline void pattern_block(std::uint64_t off, char* dst) {
    struct Tails {
        char t[256][4];
        Tails() {
            for (int i = 0; i < 256; ++i) {
                t[i][0] = kHexDigits[i >> 4];
                t[i][1] = kHexDigits[i & 15];
                t[i][2] = '0';
                t[i][3] = '\n';
            }
        }
    };
    static const Tails tails;
    char head[kRecordSize];
    pattern_record(off, head);
    for (int i = 0; i < 256; ++i, dst += kRecordSize) {
        std::memcpy(dst, head, 8);
        std::memcpy(dst + 8, head + 8, 4);
        std::memcpy(dst + 12, tails.t[i], 4);
    }
}

// Writes pattern bytes [off, off + len) to dst. Any alignment is allowed.
inline void pattern_fill(std::uint64_t off, char* dst, std::size_t len) {
    constexpr std::uint64_t kBlock = 4096;
    char rec[kRecordSize];
    if (std::size_t head = off % kRecordSize; head != 0 && len > 0) {
        pattern_record(off - head, rec);
        std::size_t n = std::min(kRecordSize - head, len);
        std::memcpy(dst, rec + head, n);
        dst += n;
        off += n;
        len -= n;
    }
    // Whole records up to the next block boundary.
    std::size_t lead = static_cast<std::size_t>((kBlock - off % kBlock) % kBlock);
    lead = std::min(lead, len) / kRecordSize;
    dst = pattern_records(off, dst, lead);
    off += lead * kRecordSize;
    len -= lead * kRecordSize;
    for (; len >= kBlock; off += kBlock, dst += kBlock, len -= kBlock) pattern_block(off, dst);
    std::size_t whole = len / kRecordSize;
    dst = pattern_records(off, dst, whole);
    off += whole * kRecordSize;
    len -= whole * kRecordSize;
    if (len > 0) {
        pattern_record(off, rec);
        std::memcpy(dst, rec, len);
    }
}

// Parses a byte count: decimal digits with an optional binary suffix K, M, G
// or T (either case). Returns nullopt on syntax errors and overflow.
inline std::optional<std::uint64_t> parse_size(std::string_view s) {
    if (s.empty()) return std::nullopt;
    unsigned shift = 0;
    switch (s.back()) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: break;
    }
    if (shift != 0) s.remove_suffix(1);
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    if (shift != 0 && v > (UINT64_MAX >> shift)) return std::nullopt;
    return v << shift;
}

}  // namespace oxb

#endif
