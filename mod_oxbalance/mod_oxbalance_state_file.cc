#include "mod_oxbalance_state_file.h"

#include <util_mutex.h>

#include <string>

#include "mod_oxbalance_config.h"
#include "mod_oxbalance_log.h"
#include "state/state_file.h"

namespace oxb {

namespace {

// The `Mutex` directive's name for the writers' lock.
constexpr const char* kMutexType = "oxbalance-statefile";

// The last write failure this process logged: the same cause is logged
// once, not on every change. Touched only while holding the global mutex
// (which locks this process's threads out too).
std::string& last_failure()
{
    static std::string text;
    return text;
}

// Every member's run-time values and what the configuration said.
ox::state::SavedState snapshot(const ModuleConfig& mc)
{
    ox::state::SavedState out;
    for (const auto& b : mc.balancers) {
        for (std::size_t i = 0; i < b->spec.members.size(); ++i) {
            const ox::state::MemberSlot& slot = mc.table.slot(b->first_slot + i);
            ox::state::SavedMember m;
            m.balancer = b->spec.name;
            m.url = b->spec.members[i].url;
            m.admin = static_cast<ox::AdminState>(slot.admin.load());
            m.loadfactor = static_cast<unsigned>(slot.loadfactor.load());
            m.config_admin = static_cast<ox::AdminState>(slot.config_admin.load());
            m.config_loadfactor = static_cast<unsigned>(slot.config_loadfactor.load());
            out.members.push_back(std::move(m));
        }
    }
    return out;
}

// At a full start: each member takes the file's values unless its
// configuration changed since (state_file.h, start_values).
void restore(server_rec* s, ModuleConfig& mc)
{
    ox::state::SavedState saved;
    std::string err;
    switch (ox::state::read_state_file(mc.state_file, saved, err)) {
    case ox::state::ReadResult::missing: return;  // a first start
    case ox::state::ReadResult::error:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     OXBLOGNO(00081) "OXStateFile ignored: %s; every member starts as the configuration says",
                     err.c_str());
        return;
    case ox::state::ReadResult::ok: break;
    }
    std::size_t changed = 0, total = 0;
    for (const auto& b : mc.balancers) {
        for (std::size_t i = 0; i < b->spec.members.size(); ++i) {
            const ox::MemberSpec& m = b->spec.members[i];
            ox::state::StartValues v = ox::state::start_values(saved, b->spec.name, m.url, m.status,
                                                               static_cast<unsigned>(m.loadfactor));
            ox::state::MemberSlot& slot = mc.table.slot(b->first_slot + i);
            slot.admin.store(static_cast<std::uint8_t>(v.admin));
            slot.loadfactor.store(static_cast<std::int32_t>(v.loadfactor));
            ++total;
            if (v.admin != m.status || static_cast<int>(v.loadfactor) != m.loadfactor) ++changed;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 OXBLOGNO(00087) "read OXStateFile %s: %" APR_SIZE_T_FMT " of %" APR_SIZE_T_FMT
                 " members start with an admin state or load factor set at run time",
                 mc.state_file.c_str(), static_cast<apr_size_t>(changed), static_cast<apr_size_t>(total));
}

// Holds the writers' mutex for a scope.
class WriterLock {
public:
    explicit WriterLock(apr_global_mutex_t* m) noexcept : m_(m), rv_(apr_global_mutex_lock(m)) {}
    ~WriterLock()
    {
        if (rv_ == APR_SUCCESS) apr_global_mutex_unlock(m_);
    }
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
    apr_status_t status() const noexcept { return rv_; }

private:
    apr_global_mutex_t* m_;
    apr_status_t rv_;
};

void report_failure(server_rec* s, const std::string& what)
{
    if (last_failure() == what) return;
    last_failure() = what;
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 OXBLOGNO(00082) "cannot write OXStateFile: %s; the change is in force, but a full restart "
                 "will not keep it (logged once per cause)",
                 what.c_str());
}

}  // namespace

const char* cmd_state_file(cmd_parms* cmd, void*, const char* path)
{
    try {
        if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
        ModuleConfig* mc = server_config(cmd->server)->module;
        if (!mc->state_file.empty()) {
            return apr_psprintf(cmd->pool, "OXStateFile is already set at %s:%d", mc->state_file_place.file,
                                mc->state_file_place.line);
        }
        const char* full = ap_server_root_relative(cmd->pool, path);
        if (!full || !*path) return apr_psprintf(cmd->pool, "OXStateFile %s: not a valid path", path);
        mc->state_file = full;
        if (cmd->directive) mc->state_file_place = {cmd->directive->filename, cmd->directive->line_num};
        return nullptr;
    } catch (...) {
        return "OXStateFile: internal error";
    }
}

int state_file_pre_config(apr_pool_t* pconf)
{
    return ap_mutex_register(pconf, kMutexType, nullptr, APR_LOCK_DEFAULT, 0) == APR_SUCCESS ? OK : !OK;
}

int state_file_post_config(apr_pool_t* pconf, server_rec* s)
{
    ModuleConfig* mc = server_config(s)->module;
    // The checking pass at start has no shared block; nothing to restore.
    if (mc->state_file.empty() || !mc->table.valid()) return OK;
    try {
        if (!mc->state_carried) restore(s, *mc);
        apr_status_t rv = ap_global_mutex_create(&mc->state_mutex, nullptr, kMutexType, nullptr, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         OXBLOGNO(00086) "cannot create the lock for OXStateFile's writers");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        return OK;
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00015) "internal error reading OXStateFile: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00015) "internal error reading OXStateFile");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

void state_file_child_init(apr_pool_t* pchild, server_rec* s)
{
    ModuleConfig* mc = server_config(s)->module;
    if (!mc->state_mutex) return;
    apr_status_t rv =
        apr_global_mutex_child_init(&mc->state_mutex, apr_global_mutex_lockfile(mc->state_mutex), pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     OXBLOGNO(00086) "cannot attach the lock for OXStateFile's writers; this process will not "
                     "write it");
        mc->state_mutex = nullptr;
    }
}

void save_admin_states(server_rec* s, const ModuleConfig& mc) noexcept
{
    if (mc.state_file.empty() || !mc.table.valid() || !mc.state_mutex) return;
    try {
        // One writer at a time across children, and the snapshot taken
        // under the lock: the last writer's file has every change made
        // before it, whichever child made it.
        WriterLock lock(mc.state_mutex);
        if (lock.status() != APR_SUCCESS) {
            char buf[120];
            apr_strerror(lock.status(), buf, sizeof buf);
            ap_log_error(APLOG_MARK, APLOG_ERR, lock.status(), s,
                         OXBLOGNO(00082) "cannot write OXStateFile %s: cannot take its lock (%s)",
                         mc.state_file.c_str(), buf);
            return;
        }
        std::string err = ox::state::write_state_file(mc.state_file, snapshot(mc));
        if (err.empty()) {
            last_failure().clear();
        } else {
            report_failure(s, err);
        }
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OXBLOGNO(00015) "internal error writing OXStateFile: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OXBLOGNO(00015) "internal error writing OXStateFile");
    }
}

}  // namespace oxb
