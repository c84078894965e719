// How the fuzz targets report a violated property: the input on stderr,
// printable ASCII as is and every other byte as \xNN, then abort.
#ifndef OXB_FUZZ_REPORT_H
#define OXB_FUZZ_REPORT_H

#include <cstdio>
#include <cstdlib>
#include <string_view>

inline void print_escaped(std::string_view bytes)
{
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f) {
            std::fputc(c, stderr);
        } else {
            std::fprintf(stderr, "\\x%02x", c);
        }
    }
}

// The input being run, for targets whose report is the whole input: set
// at the top of LLVMFuzzerTestOneInput.
inline std::string_view g_input;

[[noreturn]] inline void fail(const char* what)
{
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input: '", what);
    print_escaped(g_input);
    std::fprintf(stderr, "'\n");
    std::abort();
}

#endif
