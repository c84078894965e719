#include "state/shared_state.h"

#include <cstring>
#include <new>

namespace ox::state {

namespace {

void copy_name(char* dst, std::size_t cap, std::string_view src) noexcept
{
    std::size_t n = src.size() < cap - 1 ? src.size() : cap - 1;
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

// Names longer than the slot's field are compared on what fits; the module
// rejects balancer names and URLs that long at configuration time.
bool same_name(const char* field, std::size_t cap, std::string_view name) noexcept
{
    std::size_t n = name.size() < cap - 1 ? name.size() : cap - 1;
    return std::strncmp(field, name.data(), n) == 0 && field[n] == '\0';
}

template <class T>
void copy_atomic(std::atomic<T>& to, const std::atomic<T>& from) noexcept
{
    to.store(from.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void carry_over(MemberSlot& to, const MemberSlot& from, const SlotKey& key) noexcept
{
    // An operator's run-time change survives a reload, unless the
    // configuration's own value for the member was edited meanwhile.
    bool admin_changed = from.config_admin.load() != static_cast<std::uint8_t>(key.config_admin);
    to.admin.store(admin_changed ? static_cast<std::uint8_t>(key.config_admin) : from.admin.load());
    bool weight_changed = from.config_loadfactor.load() != key.config_loadfactor;
    to.loadfactor.store(weight_changed ? key.config_loadfactor : from.loadfactor.load());
    copy_atomic(to.wrr_current, from.wrr_current);
    copy_atomic(to.requests, from.requests);
    copy_atomic(to.new_sessions, from.new_sessions);
    copy_atomic(to.sticky, from.sticky);
    copy_atomic(to.failovers, from.failovers);
    copy_atomic(to.failures, from.failures);
    copy_atomic(to.bytes_in, from.bytes_in);
    copy_atomic(to.bytes_out, from.bytes_out);
    copy_atomic(to.last_sticky_ms, from.last_sticky_ms);
    copy_atomic(to.reuse_pings, from.reuse_pings);
    copy_atomic(to.stale_dropped, from.stale_dropped);
    copy_atomic(to.idle_replaced, from.idle_replaced);
    copy_atomic(to.resent, from.resent);
    // busy is not carried: requests in flight belong to the old generation
    // of children, which finish them on the old block.
}

void carry_over(NodeSlot& to, const NodeSlot& from) noexcept
{
    copy_atomic(to.health, from.health);
    copy_atomic(to.error_until_ms, from.error_until_ms);
    copy_atomic(to.failed_in_row, from.failed_in_row);
    copy_atomic(to.passed_in_row, from.passed_in_row);
    copy_atomic(to.probe_wall_ms, from.probe_wall_ms);
    copy_atomic(to.probe_latency_us, from.probe_latency_us);
    copy_atomic(to.probe_status, from.probe_status);
    copy_atomic(to.probe_ok, from.probe_ok);
    copy_atomic(to.probes, from.probes);
    copy_atomic(to.probe_failures, from.probe_failures);
    char detail[sizeof(NodeSlot::detail)];
    probe_detail(from, detail);
    set_probe_detail(to, detail);
}

void carry_over(SessionSketch& to, const SessionSketch& from) noexcept
{
    for (std::size_t m = 0; m < kSketchMinutes; ++m) {
        copy_atomic(to.minutes[m].minute, from.minutes[m].minute);
        for (std::size_t j = 0; j < kSketchRegisters; ++j) copy_atomic(to.minutes[m].reg[j], from.minutes[m].reg[j]);
    }
}

// The node slot for `address` among the first `count` of t's, or null.
NodeSlot* node_named(const Table& t, std::size_t count, std::string_view address) noexcept
{
    for (std::size_t n = 0; n < count; ++n) {
        NodeSlot& ns = t.node(n);
        if (same_name(ns.address, sizeof ns.address, address)) return &ns;
    }
    return nullptr;
}

}  // namespace

std::size_t Table::row_bytes(std::size_t slots) noexcept
{
    std::size_t n = sizeof(std::int64_t) + slots * sizeof(std::int32_t);
    return (n + alignof(MemberSlot) - 1) / alignof(MemberSlot) * alignof(MemberSlot);
}

std::size_t Table::bytes_for(std::size_t slots, std::size_t rows) noexcept
{
    return kHeaderBytes + slots * sizeof(MemberSlot) + rows * row_bytes(slots) + slots * sizeof(NodeSlot) +
           slots * sizeof(SessionSketch);
}

Table Table::format(void* mem, const std::vector<SlotKey>& keys, const Table* previous, std::size_t rows) noexcept
{
    Table t;
    if (reinterpret_cast<std::uintptr_t>(mem) % alignof(MemberSlot) != 0) return t;  // not formattable
    t.header_ = static_cast<Header*>(mem);
    t.header_->magic = kMagic;
    t.header_->version = kVersion;
    t.header_->slots = static_cast<std::uint32_t>(keys.size());
    t.header_->rows = static_cast<std::uint32_t>(rows);
    t.header_->nodes = 0;
    new (&t.header_->leader) Lease{};
    const Table* prev = previous && previous->valid() ? previous : nullptr;
    auto* base = static_cast<unsigned char*>(mem);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const SlotKey& k = keys[i];
        // Its node: one per distinct address, in order of first mention.
        std::size_t nodes = t.header_->nodes;
        NodeSlot* node = node_named(t, nodes, k.member);
        if (!node) {
            node = new (t.node_base() + nodes * sizeof(NodeSlot)) NodeSlot{};
            copy_name(node->address, sizeof node->address, k.member);
            node->probe_latency_us.store(-1);
            if (NodeSlot* old = prev ? prev->find_node(k.member) : nullptr) carry_over(*node, *old);
            t.header_->nodes = static_cast<std::uint32_t>(nodes + 1);
        }
        auto* s = new (base + kHeaderBytes + i * sizeof(MemberSlot)) MemberSlot{};
        copy_name(s->balancer, sizeof s->balancer, k.balancer);
        copy_name(s->member, sizeof s->member, k.member);
        s->node = static_cast<std::uint32_t>(node - &t.node(0));
        auto admin = static_cast<std::uint8_t>(k.config_admin);
        s->config_admin.store(admin);
        s->admin.store(admin);
        s->config_loadfactor.store(k.config_loadfactor);
        s->loadfactor.store(k.config_loadfactor);
        auto* sketch = new (&t.sketch(i)) SessionSketch{};
        const MemberSlot* old = prev ? prev->find(k.balancer, k.member) : nullptr;
        if (old) {
            carry_over(*s, *old, k);
            carry_over(*sketch, prev->sketch(static_cast<std::size_t>(old - &prev->slot(0))));
        }
    }
    // Nodes that no key asks to probe: nobody would find them up again.
    for (std::size_t n = 0; n < t.header_->nodes; ++n) {
        NodeSlot& node = t.node(n);
        bool probed = false;
        for (std::size_t i = 0; i < keys.size() && !probed; ++i) {
            probed = keys[i].probed && t.slot(i).node == n;
        }
        if (!probed) forget_probes(node);
    }
    for (std::size_t r = 0; r < rows; ++r) {
        unsigned char* row = t.row_base(r);
        new (row) std::atomic<std::int64_t>(0);
        for (std::size_t i = 0; i < keys.size(); ++i) {
            new (row + sizeof(std::int64_t) + i * sizeof(std::int32_t)) std::atomic<std::int32_t>(0);
        }
    }
    return t;
}

Table Table::attach(void* mem) noexcept
{
    Table t;
    auto* h = static_cast<Header*>(mem);
    if (h && h->magic == kMagic && h->version == kVersion) t.header_ = h;
    return t;
}

Lease& Table::leader() const noexcept
{
    static_assert(sizeof(Header) <= kHeaderBytes, "the header outgrew its room");
    return header_->leader;
}

std::size_t Table::size() const noexcept { return header_ ? header_->slots : 0; }

MemberSlot& Table::slot(std::size_t i) const noexcept
{
    auto* base = reinterpret_cast<unsigned char*>(header_);
    return *reinterpret_cast<MemberSlot*>(base + kHeaderBytes + i * sizeof(MemberSlot));
}

std::size_t Table::rows() const noexcept { return header_ ? header_->rows : 0; }

unsigned char* Table::row_base(std::size_t r) const noexcept
{
    return reinterpret_cast<unsigned char*>(header_) + kHeaderBytes + size() * sizeof(MemberSlot) +
           r * row_bytes(size());
}

unsigned char* Table::node_base() const noexcept { return row_base(rows()); }

std::size_t Table::nodes() const noexcept { return header_ ? header_->nodes : 0; }

NodeSlot& Table::node(std::size_t n) const noexcept
{
    return *reinterpret_cast<NodeSlot*>(node_base() + n * sizeof(NodeSlot));
}

NodeSlot* Table::find_node(std::string_view address) const noexcept { return node_named(*this, nodes(), address); }

SessionSketch& Table::sketch(std::size_t i) const noexcept
{
    unsigned char* sketches = node_base() + size() * sizeof(NodeSlot);
    return *reinterpret_cast<SessionSketch*>(sketches + i * sizeof(SessionSketch));
}

std::atomic<std::int64_t>& Table::row_owner(std::size_t r) const noexcept
{
    return *reinterpret_cast<std::atomic<std::int64_t>*>(row_base(r));
}

std::atomic<std::int32_t>& Table::row_busy(std::size_t r, std::size_t i) const noexcept
{
    return *reinterpret_cast<std::atomic<std::int32_t>*>(row_base(r) + sizeof(std::int64_t) + i * sizeof(std::int32_t));
}

MemberSlot* Table::find(std::string_view balancer, std::string_view member) const noexcept
{
    for (std::size_t i = 0; i < size(); ++i) {
        MemberSlot& s = slot(i);
        if (same_name(s.balancer, sizeof s.balancer, balancer) && same_name(s.member, sizeof s.member, member)) return &s;
    }
    return nullptr;
}

LocalTable::LocalTable(const std::vector<SlotKey>& keys, std::size_t rows)
    : mem_(::operator new(Table::bytes_for(keys.size(), rows), std::align_val_t{alignof(MemberSlot)})),
      table_(Table::format(mem_, keys, nullptr, rows))
{
}

LocalTable::~LocalTable() { ::operator delete(mem_, std::align_val_t{alignof(MemberSlot)}); }

bool set_admin(const Table& t, std::string_view balancer, std::string_view member, AdminState s) noexcept
{
    MemberSlot* slot = t.find(balancer, member);
    if (!slot) return false;
    slot->admin.store(static_cast<std::uint8_t>(s));
    return true;
}

void forget_probes(NodeSlot& n) noexcept
{
    n.failed_in_row.store(0, std::memory_order_relaxed);
    n.passed_in_row.store(0, std::memory_order_relaxed);
    n.health.store(static_cast<std::uint8_t>(Health::up), std::memory_order_release);
}

void set_probe_detail(NodeSlot& n, std::string_view text) noexcept
{
    std::uint32_t seq = n.detail_seq.load(std::memory_order_relaxed);
    n.detail_seq.store(seq + 1, std::memory_order_relaxed);  // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    std::size_t len = text.size() < sizeof n.detail - 1 ? text.size() : sizeof n.detail - 1;
    for (std::size_t i = 0; i < len; ++i) __atomic_store_n(&n.detail[i], text[i], __ATOMIC_RELAXED);
    __atomic_store_n(&n.detail[len], '\0', __ATOMIC_RELAXED);
    n.detail_seq.store(seq + 2, std::memory_order_release);
}

void probe_detail(const NodeSlot& n, char (&out)[sizeof(NodeSlot::detail)]) noexcept
{
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::uint32_t before = n.detail_seq.load(std::memory_order_acquire);
        if (before & 1) continue;
        for (std::size_t i = 0; i < sizeof out; ++i) out[i] = __atomic_load_n(&n.detail[i], __ATOMIC_RELAXED);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (n.detail_seq.load(std::memory_order_relaxed) == before) {
            out[sizeof out - 1] = '\0';
            return;
        }
    }
    out[0] = '\0';  // a writer kept it busy: nothing rather than a torn text
}

}  // namespace ox::state
