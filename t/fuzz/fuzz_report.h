// How the fuzz targets report a violated property: the input on stderr,
// printable ASCII as is and every other byte as \xNN.
#ifndef OXB_FUZZ_REPORT_H
#define OXB_FUZZ_REPORT_H

#include <cstdio>
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

#endif
