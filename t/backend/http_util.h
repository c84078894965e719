// Small helpers for the HTTP test backend: digests (OpenSSL EVP), base64,
// query parameters and header-token checks.
#ifndef OXB_BACKEND_HTTP_UTIL_H
#define OXB_BACKEND_HTTP_UTIL_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace httpt {

// A request parameter is missing or out of range: answered with 400, the
// connection stays usable.
struct BadParam : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Digest {
public:
    explicit Digest(const EVP_MD* md);
    ~Digest();
    Digest(const Digest&) = delete;
    Digest& operator=(const Digest&) = delete;

    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
    // The digest so far as raw bytes; the context starts over.
    std::string finish();

private:
    const EVP_MD* md_;
    EVP_MD_CTX* ctx_;
};

std::string to_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Strict: canonical padding, no whitespace; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

// One line on stderr, "http_test_server: ..." (one write, so lines from
// concurrent connections do not interleave).
void log_line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

std::string lower(std::string_view s);
// RFC 9110 tchar.
bool is_tchar(unsigned char c);
bool is_token(std::string_view s);
// True if the comma-separated list `value` has `token` (case-insensitive).
bool list_has_token(std::string_view value, std::string_view token);

// The query string's parameters; the first occurrence of a name wins.
class Query {
public:
    Query() = default;
    explicit Query(std::string_view qs);

    std::optional<std::string> get(const std::string& name) const;
    // A number (K/M/G/T suffixes allowed) in [lo, hi]; `def` when absent,
    // BadParam when absent without default or malformed.
    std::uint64_t number(const std::string& name, std::optional<std::uint64_t> def, std::uint64_t lo,
                         std::uint64_t hi) const;

private:
    std::map<std::string, std::string> params_;
};

}  // namespace httpt

#endif
