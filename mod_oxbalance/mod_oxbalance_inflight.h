// Which process holds which requests in flight (libox state/in_flight.h):
// each child claims a row of the shared table in child_init; the parent,
// told by the MPM that a child has exited, gives back what that child's row
// still counted, so a child killed mid-request leaves no member looking busy.
#ifndef MOD_OXBALANCE_INFLIGHT_H
#define MOD_OXBALANCE_INFLIGHT_H

#include <cstddef>

#include "mod_oxbalance_httpd.h"
#include "state/shared_state.h"

namespace oxb {

// The process rows a block needs (post_config, in the parent).
std::size_t process_rows() noexcept;

// In a child, from child_init: this process's row, or ox::state::kNoRow
// (logged: its requests are then counted in the totals only).
std::size_t claim_process_row(server_rec* s, const ox::state::Table& table) noexcept;

// The child_status hook, in the parent.
void child_status(server_rec* s, pid_t pid, ap_generation_t gen, int slot, mpm_child_status state) noexcept;

}  // namespace oxb

#endif
