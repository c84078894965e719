#include "mod_oxbalance_shm.h"

#include <apr_shm.h>

#include <cstdint>
#include <vector>

#include "mod_oxbalance_config.h"
#include "mod_oxbalance_inflight.h"
#include "mod_oxbalance_log.h"
#include "state/shared_state.h"

namespace oxb {

namespace {

constexpr const char* kRetainedKey = "mod_oxbalance-shm";

// Lives in the parent for as long as httpd runs, across restarts.
struct Retained {
    apr_shm_t* shm;
};

// APR keeps its own bookkeeping at the start of an anonymous segment, so its
// base address is not aligned for the slots: round it up inside the block
// (which is made one alignment larger for that).
constexpr std::size_t kAlign = alignof(ox::state::MemberSlot);

void* aligned_base(apr_shm_t* shm) noexcept
{
    auto p = reinterpret_cast<std::uintptr_t>(apr_shm_baseaddr_get(shm));
    return reinterpret_cast<void*>((p + kAlign - 1) & ~(std::uintptr_t{kAlign} - 1));
}

// One slot per member, balancers in configuration order; records each
// balancer's first slot. A node none of whose members asks for probes
// (probing turned off by this configuration) is up in the new block: the
// prober, the only one who finds a node up again, no longer looks at it.
std::vector<ox::state::SlotKey> slot_keys(ModuleConfig& mc)
{
    std::vector<ox::state::SlotKey> keys;
    for (auto& b : mc.balancers) {
        b->first_slot = keys.size();
        for (const auto& m : b->spec.members) {
            keys.push_back({b->spec.name, m.url, m.status, m.loadfactor,
                            m.health.method != ox::health::ProbeMethod::none});
        }
    }
    return keys;
}

}  // namespace

int post_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s)
{
    // httpd reads its configuration twice at start; the first pass only
    // checks it.
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    try {
        ModuleConfig* mc = server_config(s)->module;
        if (mc->balancers.empty()) return OK;
        std::vector<ox::state::SlotKey> keys = slot_keys(*mc);
        std::size_t rows = process_rows();

        auto* retained = static_cast<Retained*>(ap_retained_data_get(kRetainedKey));
        if (!retained) {
            retained = static_cast<Retained*>(ap_retained_data_create(kRetainedKey, sizeof(Retained)));
            retained->shm = nullptr;
        }
        // A fresh block each generation: children of the old generation
        // finish their requests on the old one, which they still map, and
        // count them in their rows there.
        apr_shm_t* shm = nullptr;
        apr_status_t rv =
            apr_shm_create(&shm, ox::state::Table::bytes_for(keys.size(), rows) + kAlign, nullptr, s->process->pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         OXBLOGNO(00021) "cannot create the shared memory for %" APR_SIZE_T_FMT " members",
                         static_cast<apr_size_t>(keys.size()));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ox::state::Table previous;
        if (retained->shm) previous = ox::state::Table::attach(aligned_base(retained->shm));
        mc->table = ox::state::Table::format(aligned_base(shm), keys, &previous, rows);
        // Otherwise a full start (or a block of another version): the
        // members start from the configuration and OXStateFile.
        mc->state_carried = previous.valid();
        if (!mc->table.valid()) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00021) "shared memory is not aligned for member slots");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (retained->shm) apr_shm_destroy(retained->shm);
        retained->shm = shm;
        return OK;
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00021) "cannot set up shared state: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00021) "cannot set up shared state");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace oxb
