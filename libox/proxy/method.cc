#include "proxy/method.h"

namespace ox::proxy {

bool is_idempotent(std::string_view m) noexcept
{
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE" ||
           m == "PROPFIND" || m == "REPORT" || m == "SEARCH";
}

}  // namespace ox::proxy
