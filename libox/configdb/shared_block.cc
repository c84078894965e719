#include "configdb/shared_block.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>
#include <thread>

namespace ox::configdb {

namespace {

using Phase = EntryPhase;

std::uint32_t u(Phase p) noexcept { return static_cast<std::uint32_t>(p); }

template <std::size_t N>
void put(char (&dst)[N], std::string_view src) noexcept
{
    std::size_t n = std::min(src.size(), N - 1);
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

template <std::size_t N>
std::string get(const char (&src)[N])
{
    return std::string(src, strnlen(src, N));
}

bool cas(QueueEntry& e, Phase from, Phase to) noexcept
{
    std::uint32_t expected = u(from);
    return e.phase.compare_exchange_strong(expected, u(to), std::memory_order_acq_rel);
}

}  // namespace

void set_text(SharedText& t, std::string_view s) noexcept
{
    std::uint32_t seq = t.seq.load(std::memory_order_relaxed);
    t.seq.store(seq + 1, std::memory_order_relaxed);  // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    std::size_t len = std::min(s.size(), sizeof t.text - 1);
    for (std::size_t i = 0; i < len; ++i) __atomic_store_n(&t.text[i], s[i], __ATOMIC_RELAXED);
    __atomic_store_n(&t.text[len], '\0', __ATOMIC_RELAXED);
    t.seq.store(seq + 2, std::memory_order_release);
}

std::string get_text(const SharedText& t)
{
    char out[sizeof t.text];
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::uint32_t before = t.seq.load(std::memory_order_acquire);
        if (before & 1) continue;
        for (std::size_t i = 0; i < sizeof out; ++i) out[i] = __atomic_load_n(&t.text[i], __ATOMIC_RELAXED);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (t.seq.load(std::memory_order_relaxed) == before) {
            out[sizeof out - 1] = '\0';
            return std::string(out);
        }
    }
    return {};  // a writer kept it busy: nothing rather than a torn text
}

std::string member_lines(const std::vector<MemberKey>& keys)
{
    std::string out;
    for (const MemberKey& k : keys) {
        std::string line = k.balancer + "\t" + k.route + "\n";
        if (out.size() + line.size() > kSharedTextBytes - 1) break;
        out += line;
    }
    return out;
}

std::vector<MemberKey> parse_member_lines(std::string_view text)
{
    std::vector<MemberKey> out;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) break;  // cut short: not a whole line
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        std::size_t tab = line.rfind('\t');
        if (tab == std::string_view::npos) continue;
        out.push_back(MemberKey{std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
    }
    return out;
}

SharedBlock* format_block(void* mem) noexcept
{
    if (reinterpret_cast<std::uintptr_t>(mem) % alignof(SharedBlock) != 0) return nullptr;
    auto* b = new (mem) SharedBlock{};
    b->magic = SharedBlock::kMagic;
    b->version = SharedBlock::kVersion;
    return b;
}

SharedBlock* attach_block(void* mem) noexcept
{
    auto* b = static_cast<SharedBlock*>(mem);
    if (!b || b->magic != SharedBlock::kMagic || b->version != SharedBlock::kVersion) return nullptr;
    return b;
}

Ticket enqueue(SharedBlock& b, const Change& c, std::int64_t now_wall_ms) noexcept
{
    Ticket t;
    for (std::size_t i = 0; i < kQueueEntries; ++i) {
        QueueEntry& e = b.entries[i];
        if (!cas(e, Phase::free, Phase::claimed)) continue;
        e.stamp_ms.store(now_wall_ms, std::memory_order_relaxed);
        put(e.balancer, c.balancer);
        put(e.route, c.route);
        e.admin = c.admin ? static_cast<std::int32_t>(*c.admin) : -1;
        e.loadfactor = c.loadfactor ? static_cast<std::int32_t>(*c.loadfactor) : -1;
        put(e.frontend, c.frontend);
        put(e.client, c.client);
        put(e.tool, c.tool);
        e.result[0] = '\0';
        t.entry = static_cast<int>(i);
        t.seq = b.next_seq.fetch_add(1, std::memory_order_relaxed) + 1;
        e.seq.store(t.seq, std::memory_order_relaxed);
        e.phase.store(u(Phase::ready), std::memory_order_release);
        return t;
    }
    return t;
}

WriteOutcome await(SharedBlock& b, const Ticket& t, Millis timeout, std::string& result) noexcept
{
    if (t.entry < 0) return WriteOutcome::failed;
    QueueEntry& e = b.entries[t.entry];
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto p = static_cast<Phase>(e.phase.load(std::memory_order_acquire));
        if (p == Phase::done_ok || p == Phase::done_failed) {
            try {
                result = get(e.result);
            } catch (...) {
                result.clear();
            }
            e.phase.store(u(Phase::free), std::memory_order_release);
            return p == Phase::done_ok ? WriteOutcome::written : WriteOutcome::failed;
        }
        if (Clock::now() >= deadline) {
            // Leave it to the consumer; unless it finished meanwhile.
            if (cas(e, Phase::ready, Phase::ready_orphan) || cas(e, Phase::writing, Phase::writing_orphan)) {
                return WriteOutcome::pending;
            }
            continue;  // done now: take the result above
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::vector<int> ready_entries(const SharedBlock& b)
{
    std::vector<std::pair<std::uint64_t, int>> found;
    for (std::size_t i = 0; i < kQueueEntries; ++i) {
        const QueueEntry& e = b.entries[i];
        auto p = static_cast<Phase>(e.phase.load(std::memory_order_acquire));
        if (p == Phase::ready || p == Phase::ready_orphan) {
            found.emplace_back(e.seq.load(std::memory_order_relaxed), static_cast<int>(i));
        }
    }
    std::sort(found.begin(), found.end());
    std::vector<int> out;
    out.reserve(found.size());
    for (const auto& f : found) out.push_back(f.second);
    return out;
}

bool begin_write(SharedBlock& b, int i, Change& out)
{
    QueueEntry& e = b.entries[i];
    // The pid first: reclaim() in another process must never see the
    // entry writing with a stale one.
    e.writer.store(static_cast<std::int32_t>(getpid()), std::memory_order_relaxed);
    if (!cas(e, Phase::ready, Phase::writing) && !cas(e, Phase::ready_orphan, Phase::writing_orphan)) return false;
    out = Change{};
    out.balancer = get(e.balancer);
    out.route = get(e.route);
    if (e.admin >= 0) out.admin = static_cast<AdminState>(e.admin);
    if (e.loadfactor >= 0) out.loadfactor = static_cast<unsigned>(e.loadfactor);
    out.frontend = get(e.frontend);
    out.client = get(e.client);
    out.tool = get(e.tool);
    return true;
}

void end_write(SharedBlock& b, int i, bool ok, std::string_view text, std::int64_t now_wall_ms) noexcept
{
    QueueEntry& e = b.entries[i];
    put(e.result, text);
    e.stamp_ms.store(now_wall_ms, std::memory_order_relaxed);
    if (cas(e, Phase::writing, ok ? Phase::done_ok : Phase::done_failed)) return;
    // Nobody waits for it any more.
    e.phase.store(u(Phase::free), std::memory_order_release);
}

static bool process_exists(std::int32_t pid) noexcept { return pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH; }

void reclaim(SharedBlock& b, std::int64_t now_wall_ms, std::int64_t age_ms, std::vector<AbandonedWrite>* abandoned,
             bool (*writer_alive)(std::int32_t)) noexcept
{
    if (!writer_alive) writer_alive = process_exists;
    for (std::size_t i = 0; i < kQueueEntries; ++i) {
        QueueEntry& e = b.entries[i];
        auto p = static_cast<Phase>(e.phase.load(std::memory_order_acquire));
        if (p == Phase::writing || p == Phase::writing_orphan) {
            std::int32_t pid = e.writer.load(std::memory_order_relaxed);
            if (writer_alive(pid)) continue;
            // Read the names before the entry can be reused.
            MemberKey key;
            try {
                key = {get(e.balancer), get(e.route)};
            } catch (...) {
            }
            char text[128];
            std::snprintf(text, sizeof text,
                          "the process writing it (pid %d) ended during the write: whether it reached the configdb "
                          "is unknown",
                          static_cast<int>(pid));
            put(e.result, text);
            e.stamp_ms.store(now_wall_ms, std::memory_order_relaxed);
            bool ended = p == Phase::writing ? cas(e, p, Phase::done_failed) : cas(e, p, Phase::free);
            if (ended && abandoned) {
                try {
                    abandoned->push_back({std::move(key), pid});
                } catch (...) {
                }
            }
            continue;
        }
        bool stale = now_wall_ms - e.stamp_ms.load(std::memory_order_relaxed) > age_ms;
        if (!stale) continue;
        // A done entry nobody fetched, or one a producer died filling.
        if (p == Phase::done_ok || p == Phase::done_failed || p == Phase::claimed) cas(e, p, Phase::free);
    }
}

void pending_members(const SharedBlock& b, std::set<MemberKey>& out, bool& unsure)
{
    unsure = false;
    for (std::size_t i = 0; i < kQueueEntries; ++i) {
        const QueueEntry& e = b.entries[i];
        auto p = static_cast<Phase>(e.phase.load(std::memory_order_acquire));
        switch (p) {
        case Phase::claimed: unsure = true; break;
        case Phase::ready:
        case Phase::ready_orphan:
        case Phase::writing:
        case Phase::writing_orphan: out.insert({get(e.balancer), get(e.route)}); break;
        default: break;
        }
    }
}

}  // namespace ox::configdb
