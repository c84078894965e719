// A 64-bit hash of bytes that is plain integer arithmetic: the same value on
// every platform, in every build and on every front end (FNV-1a, then
// SplitMix64's finaliser so that every input bit reaches every output bit).
// Not for anything an attacker must not steer.
#ifndef LIBOX_CORE_HASH_H
#define LIBOX_CORE_HASH_H

#include <cstdint>
#include <string_view>

namespace ox {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

constexpr std::uint64_t fnv1a(std::string_view s, std::uint64_t h = kFnvOffset) noexcept
{
    for (char ch : s) {
        h ^= static_cast<unsigned char>(ch);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// SplitMix64's finaliser.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

constexpr std::uint64_t hash64(std::string_view s) noexcept { return mix64(fnv1a(s)); }

}  // namespace ox

#endif
