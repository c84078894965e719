#include "balance/member_state.h"

namespace ox {

const char* to_string(AdminState s) noexcept
{
    switch (s) {
    case AdminState::active: return "active";
    case AdminState::draining: return "draining";
    case AdminState::disabled: return "disabled";
    case AdminState::standby: return "standby";
    }
    return "unknown";
}

const char* to_string(Health h) noexcept { return h == Health::up ? "up" : "down"; }

bool parse_admin_state(std::string_view text, AdminState& out) noexcept
{
    if (text == "active") out = AdminState::active;
    else if (text == "draining") out = AdminState::draining;
    else if (text == "disabled") out = AdminState::disabled;
    else if (text == "standby") out = AdminState::standby;
    else return false;
    return true;
}

}  // namespace ox
