#include "mod_oxbalance_inflight.h"

#include <unistd.h>

#include "mod_oxbalance_config.h"
#include "mod_oxbalance_leader.h"
#include "mod_oxbalance_log.h"
#include "state/in_flight.h"

namespace oxb {

std::size_t process_rows() noexcept
{
    int daemons = 0;
    if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &daemons) != APR_SUCCESS || daemons < 1) daemons = 1;
    // One per scoreboard slot, and as many again for children that run on
    // after a new child took their slot (MPM_CHILD_LOST_SLOT, worker MPM).
    return 2 * static_cast<std::size_t>(daemons);
}

std::size_t claim_process_row(server_rec* s, const ox::state::Table& table) noexcept
{
    std::size_t row = ox::state::claim_row(table, getpid());
    if (row == ox::state::kNoRow) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OXBLOGNO(00071) "no free in-flight row for process %" APR_PID_T_FMT " (%" APR_SIZE_T_FMT
                                     " rows): should it be killed mid-request, its requests stay counted as "
                                     "busy until the next restart",
                     getpid(), static_cast<apr_size_t>(table.rows()));
    }
    return row;
}

void child_status(server_rec* s, pid_t pid, ap_generation_t, int, mpm_child_status state) noexcept
{
    // A child that lost its scoreboard slot still runs, and keeps its row.
    if (state != MPM_CHILD_EXITED) return;
    // The current generation's block. A child of an older generation counted
    // into the older block, whose rows no process of this one owns: the pid
    // matches none here, and the older block goes with its last child.
    const ox::state::Table& table = server_config(s)->module->table;
    if (!table.valid()) return;
    // If it ran the prober, another child takes over at its next tick.
    leader_ended(table, pid);
    std::int64_t released = ox::state::settle_exited(table, pid);
    if (released > 0) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     OXBLOGNO(00070) "process %" APR_PID_T_FMT " ended with %" APR_INT64_T_FMT
                                     " request(s) in flight; the members' busy counts no longer include them",
                     pid, static_cast<apr_int64_t>(released));
    }
}

}  // namespace oxb
