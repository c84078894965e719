// A member's two states. Admin state is what the operator set; health is
// what probes (and passive failure detection) found. The words are chosen
// because httpd and mod_jk disagree on them: "draining" keeps its sessions
// and takes no new ones, "disabled" takes nothing and its sessions go to
// their successors. "standby" is mod_proxy's hot standby (+H): it takes new
// and failed-over sessions only while no active member is up.
#ifndef LIBOX_BALANCE_MEMBER_STATE_H
#define LIBOX_BALANCE_MEMBER_STATE_H

#include <cstdint>
#include <string_view>

namespace ox {

enum class AdminState : std::uint8_t { active = 0, draining = 1, disabled = 2, standby = 3 };
enum class Health : std::uint8_t { up = 0, down = 1 };

const char* to_string(AdminState s) noexcept;
const char* to_string(Health h) noexcept;
bool parse_admin_state(std::string_view text, AdminState& out) noexcept;

}  // namespace ox

#endif
