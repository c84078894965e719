#include "proxy/hop_by_hop.h"

#include "core/text.h"

namespace ox::proxy {

bool is_hop_by_hop(std::string_view name) noexcept
{
    static constexpr std::string_view kNames[] = {"connection", "keep-alive", "proxy-connection", "te",
                                                  "trailer",    "transfer-encoding", "upgrade"};
    for (std::string_view n : kNames) {
        if (equals_lowercase(name, n)) return true;
    }
    return false;
}

bool connection_names(std::string_view connection, std::string_view name) noexcept
{
    while (!connection.empty()) {
        std::size_t comma = connection.find(',');
        std::string_view token = trim_ows(connection.substr(0, comma));
        if (!token.empty() && equals_ignore_case(token, name)) return true;
        if (comma == std::string_view::npos) break;
        connection.remove_prefix(comma + 1);
    }
    return false;
}

bool connection_may_drop(std::string_view name) noexcept
{
    return !equals_lowercase(name, "host") && !equals_lowercase(name, "content-length");
}

}  // namespace ox::proxy
