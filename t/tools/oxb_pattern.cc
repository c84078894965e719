// oxb-pattern: generates and checks the shared test pattern (see oxb_pattern.h).
//
//   oxb-pattern gen N     write exactly the first N pattern bytes to stdout
//   oxb-pattern check N   exit 0 iff stdin is exactly the first N pattern bytes
//
// N is a byte count with an optional binary K/M/G/T suffix.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "oxb_pattern.h"

namespace {

constexpr std::size_t kBufSize = 1 << 20;

int usage() {
    std::fprintf(stderr,
                 "usage: oxb-pattern gen N\n"
                 "       oxb-pattern check N\n"
                 "N: byte count, optional binary suffix K, M, G or T\n");
    return 2;
}

// A pipe's default 64 KiB buffer costs a context switch every 64 KiB; a
// 1 MiB buffer roughly doubles pipe throughput. Best effort: not a pipe, or
// above /proc/sys/fs/pipe-max-size, just keeps the default.
void widen_pipe(int fd) {
#ifdef F_SETPIPE_SZ
    (void)::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(kBufSize));
#else
    (void)fd;
#endif
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

int gen(std::uint64_t total) {
    widen_pipe(STDOUT_FILENO);
    std::vector<char> buf(kBufSize);
    for (std::uint64_t off = 0; off < total;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kBufSize, total - off));
        oxb::pattern_fill(off, buf.data(), n);
        if (!write_all(STDOUT_FILENO, buf.data(), n)) {
            std::fprintf(stderr, "oxb-pattern: write: %s\n", std::strerror(errno));
            return 1;
        }
        off += n;
    }
    return 0;
}

// Renders up to 16 bytes with C escapes, for mismatch reports.
std::string escaped(const char* p, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(p[i]);
        if (c == '\n') {
            s += "\\n";
        } else if (c >= 0x20 && c < 0x7f && c != '\\') {
            s += static_cast<char>(c);
        } else {
            char tmp[8];
            std::snprintf(tmp, sizeof tmp, "\\x%02x", c);
            s += tmp;
        }
    }
    return s;
}

// Fills buf from stdin as far as possible; returns bytes read (0 at EOF).
std::size_t read_full(char* buf, std::size_t cap, bool& error) {
    std::size_t got = 0;
    while (got < cap) {
        ssize_t r = ::read(STDIN_FILENO, buf + got, cap - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            error = true;
            break;
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

void report_mismatch(std::uint64_t base, const char* got, const char* want, std::size_t n) {
    std::size_t i = 0;
    while (i < n && got[i] == want[i]) ++i;
    std::uint64_t off = base + i;
    // Show the 16-byte window aligned on the record containing the bad byte.
    std::size_t rec = i - static_cast<std::size_t>(off % oxb::kRecordSize);
    std::size_t len = std::min<std::size_t>(oxb::kRecordSize, n - rec);
    std::fprintf(stderr, "oxb-pattern: mismatch at offset %" PRIu64 ": got \"%s\", want \"%s\"\n", off,
                 escaped(got + rec, len).c_str(), escaped(want + rec, len).c_str());
}

int check(std::uint64_t total) {
    widen_pipe(STDIN_FILENO);
    std::vector<char> got(kBufSize), want(kBufSize);
    std::uint64_t off = 0;
    for (;;) {
        // Read one byte more than still expected, to notice trailing data.
        std::uint64_t left = total - off;
        std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(kBufSize, left + 1));
        bool error = false;
        std::size_t n = read_full(got.data(), cap, error);
        if (error) {
            std::fprintf(stderr, "oxb-pattern: read: %s\n", std::strerror(errno));
            return 1;
        }
        std::size_t cmp = static_cast<std::size_t>(std::min<std::uint64_t>(n, left));
        oxb::pattern_fill(off, want.data(), cmp);
        if (std::memcmp(got.data(), want.data(), cmp) != 0) {
            // `off` is a multiple of 1 MiB here (only the last read is short),
            // so the reported record window never starts before the buffer.
            report_mismatch(off, got.data(), want.data(), cmp);
            return 1;
        }
        off += cmp;
        if (n > cmp) {
            std::fprintf(stderr, "oxb-pattern: long: stdin has more than %" PRIu64 " bytes\n", total);
            return 1;
        }
        if (n < cap) break;  // EOF; a full read loops once more to look for trailing bytes
    }
    if (off < total) {
        std::fprintf(stderr, "oxb-pattern: short: got %" PRIu64 " of %" PRIu64 " bytes\n", off, total);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return usage();
    std::optional<std::uint64_t> n = oxb::parse_size(argv[2]);
    if (!n) {
        std::fprintf(stderr, "oxb-pattern: bad byte count '%s'\n", argv[2]);
        return 2;
    }
    std::string cmd = argv[1];
    if (cmd == "gen") return gen(*n);
    if (cmd == "check") return check(*n);
    return usage();
}
