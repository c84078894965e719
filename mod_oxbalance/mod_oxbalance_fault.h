#pragma once
// Fault injection for tests: in a build configured with
// --enable-fault-injection (the sanitizer build), OXB_INJECT_FAULT in httpd's
// environment names points where the module fails as if memory ran out or
// libox threw: "child_init" (OXB00020), "request" (OXB00015). Elsewhere this
// is a constant false and costs nothing.
#include <cstdlib>
#include <cstring>

namespace oxb {

#ifdef OXB_FAULT_INJECTION
inline bool injected_fault(const char* point) noexcept
{
    const char* list = std::getenv("OXB_INJECT_FAULT");
    if (!list) return false;
    const std::size_t n = std::strlen(point);
    for (const char* p = list; (p = std::strstr(p, point)) != nullptr; p += n) {
        bool starts = p == list || p[-1] == ',';
        bool ends = p[n] == '\0' || p[n] == ',';
        if (starts && ends) return true;
    }
    return false;
}
#else
constexpr bool injected_fault(const char*) noexcept { return false; }
#endif

}  // namespace oxb
