#include "mod_oxbalance_configdb.h"

#include <apr_shm.h>
#include <ap_mpm.h>
#include <http_main.h>
#include <scoreboard.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "configdb/mysql_conn.h"
#include "configdb/mysql_store.h"
#include "configdb/poller.h"
#include "core/clock.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_pool.h"
#include "mod_oxbalance_leader.h"
#include "mod_oxbalance_state_file.h"

namespace oxb {

namespace {

using ox::configdb::MemberKey;
using ox::configdb::SharedBlock;

constexpr const char* kRetainedKey = "mod_oxbalance-configdb-shm";
// How long a status page request waits for its change to be written.
constexpr ox::Millis kWriteWait{2000};
// The module's connections: a dead database costs a poll or a write at most
// about this long per host (the poller's thread only; requests never wait
// on it).
constexpr ox::configdb::Timeouts kTimeouts{2, 3, 3};
// How often the poller's thread looks for queued writes between polls.
constexpr ox::Millis kQueueCheck{50};

struct Retained {
    apr_shm_t* shm;
};

void* aligned(void* p) noexcept
{
    auto a = reinterpret_cast<std::uintptr_t>(p);
    constexpr std::uintptr_t k = alignof(SharedBlock);
    return reinterpret_cast<void*>((a + k - 1) & ~(k - 1));
}

std::string host_db(const ox::configdb::Endpoint& e) { return e.where() + "/" + e.database; }

// Whether this process still belongs to the generation httpd runs. After a
// graceful restart the old generation's children finish their requests,
// and their poller runs on until the watchdog stops it (it looks every
// tenth of a second, then waits for a database call under way, up to the
// read timeout). What that poller reads then, with the old settings, must
// not reach the block the new generation's poller keeps (it outlives the
// restart): a late failed read would start an outage there, and log it,
// after the new settings had been read well.
bool generation_current() noexcept
{
    int mine = 0;
    if (!ap_scoreboard_image || ap_mpm_query(AP_MPMQ_GENERATION, &mine) != APR_SUCCESS) return true;
    return ap_scoreboard_image->global->running_generation == mine;
}

// A Store that remembers the last failure's text: the Poller reports an
// outage once, the status page shows the latest error.
class TappedStore final : public ox::configdb::Store {
public:
    explicit TappedStore(ox::configdb::Store& inner) : inner_(inner) {}
    bool load(std::vector<ox::configdb::MemberStateRow>& out, std::string& err) override
    {
        bool ok = inner_.load(out, err);
        if (!ok) last_error = err;
        return ok;
    }
    bool apply(const ox::configdb::Change& c, std::string& err) override { return inner_.apply(c, err); }
    bool history(const ox::configdb::HistoryQuery& q, std::vector<ox::configdb::HistoryRow>& out,
                 std::string& err) override
    {
        return inner_.history(q, out, err);
    }
    bool ensure_schema(std::string& err) override { return inner_.ensure_schema(err); }
    bool announce(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err) override
    {
        // The new generation announces its own members under the same
        // name: an old one's late announcement would undo that for an hour.
        if (!generation_current()) {
            err = "a graceful restart ended this poller's generation";
            return false;
        }
        return inner_.announce(frontend, members, err);
    }
    bool served(std::vector<ox::configdb::ServedMember>& out, std::string& err) override
    {
        return inner_.served(out, err);
    }

    std::string last_error;

private:
    ox::configdb::Store& inner_;
};

// The poller's thread in the singleton process, and the Publisher that
// writes what it reads into the member slots.
class PollerThread final : public ox::configdb::Publisher {
public:
    PollerThread(server_rec* s, ModuleConfig& mc) : s_(s), mc_(mc), cfg_(*mc.configdb), block_(*mc.configdb->block) {}
    ~PollerThread() override { stop(); }

    void start() { thread_ = std::thread([this] { run(); }); }

    void stop() noexcept
    {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    // ---- Publisher ----

    void publish(const std::vector<ox::configdb::MemberStateRow>& rows, ox::TimePoint) noexcept override
    {
        if (!generation_current()) return;
        try {
            publish_rows(rows);
        } catch (const std::exception& e) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s_, OXBLOGNO(00015) "configdb: internal error publishing: %s",
                         e.what());
        }
        std::int64_t since = block_.outage_since_ms.exchange(0);
        if (since != 0) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s_,
                         OXBLOGNO(00102) "configdb: read again after %" APR_INT64_T_FMT " s of outage; its states are in force",
                         static_cast<apr_int64_t>((ox::wall_now_ms() - since) / 1000));
        }
    }

    void outage(const std::string& msg) noexcept override
    {
        // Once per outage, also across a graceful restart (the block keeps
        // when it began).
        if (!generation_current()) return;
        std::int64_t expected = 0;
        if (!block_.outage_since_ms.compare_exchange_strong(expected, ox::wall_now_ms())) return;
        std::int64_t last = block_.last_success_ms.load();
        char age[96];
        if (last != 0) {
            apr_snprintf(age, sizeof age, "read %" APR_INT64_T_FMT " s ago", static_cast<apr_int64_t>((ox::wall_now_ms() - last) / 1000));
        } else {
            apr_snprintf(age, sizeof age, "not read since httpd started: OXStateFile's or the configuration's");
        }
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s_,
                     OXBLOGNO(00101) "configdb: cannot read the member states: %s; the last known state (%s) stays "
                     "in force, retrying with backoff (logged once per outage)",
                     msg.c_str(), age);
    }

    void recovered() noexcept override {}  // publish() said it

    void unknown_member(const std::string& balancer, const std::string& route) noexcept override
    {
        if (!generation_current()) return;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s_,
                     OXBLOGNO(00103) "configdb: the table has a row for balancer '%s' route '%s', which this "
                     "configuration does not have; ignored (logged once)",
                     balancer.c_str(), route.c_str());
    }

    void announce_failed(const std::string& msg) noexcept override
    {
        if (!generation_current()) return;
        ox::configdb::set_text(block_.announce_error, msg);
        block_.announce_failing_since_ms.store(ox::wall_now_ms());
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s_,
                     OXBLOGNO(00122) "configdb: cannot announce this front end's members (%s); the member states "
                     "are unaffected, but oxbalancectl cannot check routes against this front end: create the "
                     "table (conf/configdb-schema.sql) and GRANT as docs/configdb.md says; retried every minute, "
                     "logged once until it succeeds",
                     msg.c_str());
    }

    void unknown_rows(const std::vector<MemberKey>& keys) noexcept override
    {
        if (!generation_current()) return;
        try {
            ox::configdb::set_text(block_.unknown_list, ox::configdb::member_lines(keys));
        } catch (const std::exception&) {
            ox::configdb::set_text(block_.unknown_list, "");
        }
        block_.unknown_rows.store(static_cast<std::uint32_t>(keys.size()));
    }

    void announced(std::size_t members) noexcept override
    {
        if (!generation_current()) return;
        block_.announced_members.store(static_cast<std::uint32_t>(members));
        block_.last_announce_ms.store(ox::wall_now_ms());
        block_.announce_failing_since_ms.store(0);
    }

private:
    bool stopping()
    {
        std::lock_guard<std::mutex> lock(mu_);
        return stop_;
    }

    // Waits until `deadline`, writing queued changes as they come; false
    // once stopped.
    bool wait_until(ox::TimePoint deadline, ox::configdb::Store& store)
    {
        for (;;) {
            if (!ox::configdb::ready_entries(block_).empty()) drain(store);
            std::unique_lock<std::mutex> lock(mu_);
            if (stop_) return false;
            auto now = ox::Clock::now();
            if (now >= deadline) return true;
            cv_.wait_for(lock, std::min<ox::Clock::duration>(kQueueCheck, deadline - now), [this] { return stop_; });
            if (stop_) return false;
        }
    }

    // A read the write host served because the read host failed is no
    // outage, but the operator must hear of it: once when it starts (and
    // on the status page as the last error), once when it ends.
    void note_read_host(const ox::configdb::MysqlStore& mysql) noexcept
    {
        if (mysql.last_read_fell_back()) {
            if (read_host_down_) return;
            read_host_down_ = true;
            const std::string& why = mysql.read_host_error();
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s_,
                         OXBLOGNO(00110) "configdb: the read host fails (%s); reading from the write host meanwhile",
                         why.c_str());
            ox::configdb::set_text(block_.last_error, "read host: " + why);
            block_.last_error_ms.store(ox::wall_now_ms());
        } else if (read_host_down_) {
            read_host_down_ = false;
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s_, OXBLOGNO(00111) "configdb: the read host answers again");
        }
    }

    void run() noexcept
    {
        try {
            ox::configdb::MysqlStore mysql(cfg_.settings, kTimeouts);
            TappedStore store(mysql);
            ox::SteadyTimeSource clock;
            ox::configdb::PollerOptions o;
            o.poll = std::chrono::seconds(cfg_.settings.poll_seconds);
            o.create = cfg_.settings.create;
            o.known = known_members();
            o.frontend = cfg_.announced_as;
            ox::configdb::Poller poller(store, *this, clock, o);
            while (!stopping() && generation_current()) {
                drain(store);
                repoll_ = false;
                ox::Millis delay = poller.poll_once();
                if (!generation_current()) break;
                block_.last_attempt_ms.store(ox::wall_now_ms());
                block_.polls.fetch_add(1);
                if (poller.in_outage()) {
                    block_.poll_failures.fetch_add(1);
                    ox::configdb::set_text(block_.last_error, store.last_error);
                    block_.last_error_ms.store(ox::wall_now_ms());
                } else {
                    note_read_host(mysql);
                }
                if (repoll_) delay = std::min(delay, ox::Millis(200));
                reclaim();
                if (!wait_until(ox::Clock::now() + delay, store)) break;
            }
        } catch (const std::exception& e) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s_, OXBLOGNO(00108) "configdb: the poller stopped: %s", e.what());
        } catch (...) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s_, OXBLOGNO(00108) "configdb: the poller stopped");
        }
    }

    // Frees what dead processes left in the queue. A change whose writer
    // ended during the write (the poller of a generation that a graceful
    // restart ended, a crash) counts as a failed write: its member is
    // pending no more, and the configdb's state wins at the next read.
    void reclaim() noexcept
    {
        std::vector<ox::configdb::AbandonedWrite> abandoned;
        ox::configdb::reclaim(block_, ox::wall_now_ms(), 60000, &abandoned);
        for (const auto& a : abandoned) {
            block_.write_failures.fetch_add(1);
            char text[160];
            apr_snprintf(text, sizeof text, "the process writing it (pid %d) ended during the write",
                         static_cast<int>(a.writer));
            ox::configdb::set_text(block_.last_write_error, text);
            block_.last_write_error_ms.store(ox::wall_now_ms());
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s_,
                         OXBLOGNO(00130) "configdb: the process writing the status page's change of balancer %s "
                         "route %s (pid %d) ended during the write; whether it reached the configdb is unknown, "
                         "and the configdb's state is in force from the next read",
                         a.member.balancer.c_str(), a.member.route.c_str(), static_cast<int>(a.writer));
        }
    }

    std::vector<MemberKey> known_members() const
    {
        std::vector<MemberKey> out;
        for (const auto& b : mc_.balancers) {
            for (const ox::MemberSpec& m : b->spec.members) {
                if (!m.route.empty()) out.push_back({b->spec.name, m.route});
            }
        }
        return out;
    }

    // Writes the status page's queued changes, oldest first.
    void drain(ox::configdb::Store& store) noexcept
    {
        try {
            for (int i : ox::configdb::ready_entries(block_)) {
                ox::configdb::Change c;
                if (!ox::configdb::begin_write(block_, i, c)) continue;
                std::string err;
                bool ok = store.apply(c, err);
                if (ok) {
                    block_.writes.fetch_add(1);
                    last_write_failure_.clear();
                    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s_,
                                 OXBLOGNO(00106) "configdb: wrote the status page's change of %s %s for %s",
                                 c.balancer.c_str(), c.route.c_str(), c.client.c_str());
                } else {
                    block_.write_failures.fetch_add(1);
                    ox::configdb::set_text(block_.last_write_error, err);
                    block_.last_write_error_ms.store(ox::wall_now_ms());
                    if (err != last_write_failure_) {
                        last_write_failure_ = err;
                        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s_,
                                     OXBLOGNO(00105) "configdb: cannot write the status page's change of balancer "
                                     "%s route %s (by %s): %s; it is in force on this front end only, and the "
                                     "configdb's state wins at its next read (logged once per cause)",
                                     c.balancer.c_str(), c.route.c_str(), c.client.c_str(), err.c_str());
                    }
                }
                ox::configdb::end_write(block_, i, ok, err, ox::wall_now_ms());
            }
        } catch (...) {
            // Out of memory: the entries stay queued for the next round.
        }
    }

    void publish_rows(const std::vector<ox::configdb::MemberStateRow>& rows)
    {
        block_.last_success_ms.store(ox::wall_now_ms());
        std::set<MemberKey> pending;
        bool unsure = false;
        ox::configdb::pending_members(block_, pending, unsure);
        if (unsure) {
            // A change is being queued right now: its member is unknown
            // yet, so this snapshot changes nothing; read again soon.
            repoll_ = true;
            return;
        }
        std::map<MemberKey, const ox::configdb::MemberStateRow*> by_key;
        for (const auto& r : rows) by_key[{r.balancer, r.route}] = &r;
        bool changed = false;
        for (const auto& b : mc_.balancers) {
            for (std::size_t i = 0; i < b->spec.members.size(); ++i) {
                const ox::MemberSpec& m = b->spec.members[i];
                if (m.route.empty()) continue;
                MemberKey key{b->spec.name, m.route};
                // A change the page queued and the configdb may not have
                // yet: the page's value stays until a read that has it.
                if (pending.count(key)) {
                    repoll_ = true;
                    continue;
                }
                auto it = by_key.find(key);
                const ox::configdb::MemberStateRow* row = it == by_key.end() ? nullptr : it->second;
                ox::state::MemberSlot& slot = mc_.table.slot(b->first_slot + i);
                std::uint8_t admin = row && row->admin ? static_cast<std::uint8_t>(*row->admin) : slot.config_admin.load();
                std::int32_t lf = row && row->loadfactor ? static_cast<std::int32_t>(row->loadfactor)
                                                         : slot.config_loadfactor.load();
                std::uint8_t old_admin = slot.admin.exchange(admin);
                std::int32_t old_lf = slot.loadfactor.exchange(lf);
                if (old_admin == admin && old_lf == lf) continue;
                changed = true;
                std::string what;
                if (old_admin != admin) {
                    what = std::string("admin state ") + ox::to_string(static_cast<ox::AdminState>(old_admin)) +
                           " -> " + ox::to_string(static_cast<ox::AdminState>(admin));
                }
                if (old_lf != lf) {
                    what += (what.empty() ? "" : ", ") + std::string("load factor ") + std::to_string(old_lf) +
                            " -> " + std::to_string(lf);
                }
                std::string who = row ? "set by " + row->changed_by_client + " on " + row->changed_by_frontend +
                                            " with " + row->changed_by_tool
                                      : std::string("no row: as configured");
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s_,
                             OXBLOGNO(00104) "configdb: balancer %s member %s (%s): %s (%s)", b->spec.name.c_str(),
                             m.route.c_str(), m.url.c_str(), what.c_str(), who.c_str());
            }
        }
        // OXStateFile: the local cache for a start while the configdb is down.
        if (changed) save_admin_states(s_, mc_);
    }

    server_rec* s_;
    ModuleConfig& mc_;
    ConfigdbConfig& cfg_;
    SharedBlock& block_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool repoll_ = false;             // the poller's thread only
    bool read_host_down_ = false;     // the poller's thread only: OXB00110 said, OXB00111 not yet
    std::string last_write_failure_;  // the poller's thread only
};

// The poller as the leader's task (mod_oxbalance_leader.h): lives as long
// as the configuration (pconf), its thread as long as this process is the
// leader.
struct PollerTask : LeaderTask {
    PollerTask(server_rec* server, ModuleConfig& config) : LeaderTask(config.table), s(server), mc(config) {}

    server_rec* s;
    ModuleConfig& mc;
    std::unique_ptr<PollerThread> poller;

protected:
    bool running() const noexcept override { return poller != nullptr; }
    void start() override
    {
        poller = std::make_unique<PollerThread>(s, mc);
        poller->start();
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     OXBLOGNO(00109) "this process (%" APR_PID_T_FMT ") polls the configdb", getpid());
    }
    void failed(const std::exception& e) noexcept override
    {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OXBLOGNO(00108) "configdb: cannot run the poller: %s", e.what());
        poller.reset();
    }
    // Waits for a write in progress to end (at most the write host's
    // timeouts): a change the status page queued is written or failed,
    // never cut off.
    void stop() noexcept override
    {
        if (poller) poller->stop();
        poller.reset();
    }
    void lost(std::uint32_t taker) noexcept override
    {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     OXBLOGNO(00121) "this process (%" APR_PID_T_FMT ") no longer polls the configdb: process %u "
                     "took over",
                     getpid(), taker);
    }
};

// The block, kept in the parent across restarts (a new one only when this
// module's layout differs from the kept one's).
SharedBlock* shared_block(server_rec* s)
{
    auto* retained = static_cast<Retained*>(ap_retained_data_get(kRetainedKey));
    if (!retained) {
        retained = static_cast<Retained*>(ap_retained_data_create(kRetainedKey, sizeof(Retained)));
        retained->shm = nullptr;
    }
    if (retained->shm) {
        if (SharedBlock* b = ox::configdb::attach_block(aligned(apr_shm_baseaddr_get(retained->shm)))) return b;
        apr_shm_destroy(retained->shm);
        retained->shm = nullptr;
    }
    apr_shm_t* shm = nullptr;
    apr_status_t rv = apr_shm_create(&shm, sizeof(SharedBlock) + alignof(SharedBlock), nullptr, s->process->pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, OXBLOGNO(00021) "cannot create the shared memory for OXConfigDB");
        return nullptr;
    }
    retained->shm = shm;
    return ox::configdb::format_block(aligned(apr_shm_baseaddr_get(shm)));
}

void warn_routeless(server_rec* s, const ModuleConfig& mc)
{
    std::string list;
    std::size_t n = 0;
    for (const auto& b : mc.balancers) {
        for (const ox::MemberSpec& m : b->spec.members) {
            if (!m.route.empty()) continue;
            if (++n <= 5) list += (list.empty() ? "" : ", ") + b->spec.name + " " + m.url;
        }
    }
    if (n == 0) return;
    if (n > 5) list += ", ...";
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 OXBLOGNO(00107) "OXConfigDB: %" APR_SIZE_T_FMT " members have no route=, and the configdb keys "
                 "members by balancer and route: they keep their configured states (%s)",
                 static_cast<apr_size_t>(n), list.c_str());
}

int setup(apr_pool_t* pconf, server_rec* s)
{
    ModuleConfig* mc = server_config(s)->module;
    ConfigdbConfig* cfg = mc->configdb;
    if (!cfg || !mc->table.valid()) return OK;
    if (!ox::configdb::library_init()) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00108) "OXConfigDB: the MySQL client library cannot start");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    cfg->block = shared_block(s);
    if (!cfg->block) return HTTP_INTERNAL_SERVER_ERROR;
    char host[256] = "";
    if (apr_gethostname(host, sizeof host, pconf) != APR_SUCCESS) host[0] = '\0';
    cfg->frontend = host;
    // Two httpd on one host are two front ends: their ServerRoots differ.
    cfg->announced_as = cfg->frontend + ":" + ap_server_root;
    if (cfg->announced_as.size() > ox::configdb::kMaxFrontendChars) {
        cfg->announced_as.resize(ox::configdb::kMaxFrontendChars);
    }
    warn_routeless(s, *mc);

    // A task of the leader, as the prober: one process runs both.
    auto* task = pool_new<PollerTask>(pconf, s, *mc);
    apr_status_t rv = task->enlist(pconf, *mc);
    if (rv == APR_ENOTIMPL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     OXBLOGNO(00108) "OXConfigDB needs mod_watchdog (its poller runs in the prober's process): "
                     "load it");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, OXBLOGNO(00108) "cannot register the configdb poller with mod_watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

}  // namespace

const char* cmd_configdb(cmd_parms* cmd, void*, const char* args)
{
    try {
        if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
        ModuleConfig* mc = server_config(cmd->server)->module;
        if (mc->configdb) {
            return apr_psprintf(cmd->pool, "OXConfigDB is already set at %s:%d", mc->configdb->place.file,
                                mc->configdb->place.line);
        }
        std::vector<std::string> words;
        for (std::string_view w : conf_words(cmd->temp_pool, args)) words.emplace_back(w);
        if (words.empty()) {
            return "OXConfigDB needs OX's configdb.properties (OXConfigDB /opt/open-xchange/etc/configdb.properties "
                   "[poll=5]) or read=HOST[:PORT]/DB write=HOST[:PORT]/DB user=USER password=PASSWORD";
        }
        auto cfg = std::make_unique<ConfigdbConfig>();
        std::string path;
        if (std::string err = ox::configdb::parse_arguments(words, cfg->settings, path); !err.empty()) {
            return apr_psprintf(cmd->pool, "OXConfigDB: %s", err.c_str());
        }
        if (!path.empty()) {
            const char* full = ap_server_root_relative(cmd->temp_pool, path.c_str());
            if (!full) return apr_psprintf(cmd->pool, "OXConfigDB %s: not a valid path", path.c_str());
            cfg->properties_path = full;
            if (std::string err = ox::configdb::read_properties_file(full, cfg->settings); !err.empty()) {
                return apr_psprintf(cmd->pool, "OXConfigDB: %s", err.c_str());
            }
        }
        if (cmd->directive) cfg->place = {cmd->directive->filename, cmd->directive->line_num};
        mc->configdb = pool_new<ConfigdbConfig>(cmd->pool, std::move(*cfg));
        return nullptr;
    } catch (const std::exception& e) {
        return apr_psprintf(cmd->pool, "OXConfigDB: internal error: %s", e.what());
    } catch (...) {
        return "OXConfigDB: internal error";
    }
}

int configdb_post_config(apr_pool_t* pconf, server_rec* s)
{
    // httpd reads its configuration twice at start; the first pass only
    // checks it.
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    try {
        return setup(pconf, s);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00108) "cannot set up OXConfigDB: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, OXBLOGNO(00108) "cannot set up OXConfigDB");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

ox::status::ConfigdbStatus configdb_status(const ModuleConfig& mc)
{
    ox::status::ConfigdbStatus c;
    const ConfigdbConfig* cfg = mc.configdb;
    if (!cfg || !cfg->block) return c;
    const SharedBlock& b = *cfg->block;
    c.configured = true;
    c.read_host = host_db(cfg->settings.read);
    c.write_host = host_db(cfg->settings.write);
    c.poll_seconds = cfg->settings.poll_seconds;
    c.last_success_ms = b.last_success_ms.load();
    c.outage_since_ms = b.outage_since_ms.load();
    c.last_attempt_ms = b.last_attempt_ms.load();
    c.last_error = ox::configdb::get_text(b.last_error);
    c.last_error_ms = b.last_error_ms.load();
    c.polls = b.polls.load();
    c.poll_failures = b.poll_failures.load();
    c.writes = b.writes.load();
    c.write_failures = b.write_failures.load();
    c.last_write_error = ox::configdb::get_text(b.last_write_error);
    c.last_write_error_ms = b.last_write_error_ms.load();
    c.frontend = cfg->announced_as;
    c.announced_members = b.announced_members.load();
    c.last_announce_ms = b.last_announce_ms.load();
    c.announce_failing_since_ms = b.announce_failing_since_ms.load();
    if (c.announce_failing_since_ms != 0) c.announce_error = ox::configdb::get_text(b.announce_error);
    c.unknown_rows = b.unknown_rows.load();
    if (c.unknown_rows != 0) {
        for (auto& k : ox::configdb::parse_member_lines(ox::configdb::get_text(b.unknown_list))) {
            c.unknown_members.push_back({std::move(k.balancer), std::move(k.route)});
        }
    }
    return c;
}

ConfigdbTicket configdb_enqueue(request_rec* r, const ModuleConfig& mc, ox::configdb::Change change,
                                const std::string& client) noexcept
{
    ConfigdbTicket t;
    const ConfigdbConfig* cfg = mc.configdb;
    if (!cfg || !cfg->block) return t;
    t.configured = true;
    try {
        if (change.route.empty()) {
            t.refused = "the member has no route=, so the configdb cannot hold its state: in force on this front "
                        "end only";
            return t;
        }
        std::string name = r->server->server_hostname ? r->server->server_hostname : "";
        change.frontend = name.empty() || name == cfg->frontend ? cfg->frontend
                                                                : name + "/" + cfg->frontend;
        if (change.frontend.size() > ox::configdb::kMaxWhoChars) change.frontend.resize(ox::configdb::kMaxWhoChars);
        change.client = client;
        change.tool = "status-page";
        if (std::string why = ox::configdb::validate(change); !why.empty()) {
            t.refused = "not written to the configdb: " + why;
            return t;
        }
        t.ticket = ox::configdb::enqueue(*cfg->block, change, ox::wall_now_ms());
        if (t.ticket.entry < 0) {
            t.refused = "NOT written to the configdb: too many changes are waiting to be written (is it slow or "
                        "down?); in force on this front end only";
        }
    } catch (...) {
        t.refused = "NOT written to the configdb: out of memory";
    }
    return t;
}

std::string configdb_await(const ModuleConfig& mc, const ConfigdbTicket& t, bool& failed) noexcept
{
    failed = false;
    if (!t.configured) return {};
    try {
        if (!t.refused.empty()) {
            failed = true;
            return t.refused;
        }
        std::string result;
        switch (ox::configdb::await(*mc.configdb->block, t.ticket, kWriteWait, result)) {
        case ox::configdb::WriteOutcome::written:
            return "written to the configdb: every front end takes it within " +
                   std::to_string(mc.configdb->settings.poll_seconds) + " s";
        case ox::configdb::WriteOutcome::failed:
            failed = true;
            return "NOT written to the configdb (" + result +
                   "): in force on this front end only, until the configdb's state is read again";
        case ox::configdb::WriteOutcome::pending: break;
        }
        failed = true;
        return "queued for the configdb, but not written within 2 s (is it slow or down? see the configdb line "
               "on the status page); in force on this front end meanwhile";
    } catch (...) {
        failed = true;
        return "the configdb write's result is unknown (out of memory)";
    }
}

}  // namespace oxb
