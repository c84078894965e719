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

void carry_over(MemberSlot& to, const MemberSlot& from, AdminState config_admin) noexcept
{
    // An operator's run-time change survives a reload, unless the
    // configuration's own status for the member was edited meanwhile.
    bool config_changed = from.config_admin.load() != static_cast<std::uint8_t>(config_admin);
    to.admin.store(config_changed ? static_cast<std::uint8_t>(config_admin) : from.admin.load());
    copy_atomic(to.health, from.health);
    copy_atomic(to.error_until_ms, from.error_until_ms);
    copy_atomic(to.wrr_current, from.wrr_current);
    copy_atomic(to.requests, from.requests);
    copy_atomic(to.new_sessions, from.new_sessions);
    copy_atomic(to.sticky, from.sticky);
    copy_atomic(to.failovers, from.failovers);
    copy_atomic(to.failures, from.failures);
    copy_atomic(to.bytes_in, from.bytes_in);
    copy_atomic(to.bytes_out, from.bytes_out);
    copy_atomic(to.last_sticky_ms, from.last_sticky_ms);
    // busy is not carried: requests in flight belong to the old generation
    // of children, which finish them on the old block.
}

}  // namespace

std::size_t Table::row_bytes(std::size_t slots) noexcept
{
    std::size_t n = sizeof(std::int64_t) + slots * sizeof(std::int32_t);
    return (n + alignof(MemberSlot) - 1) / alignof(MemberSlot) * alignof(MemberSlot);
}

std::size_t Table::bytes_for(std::size_t slots, std::size_t rows) noexcept
{
    return kHeaderBytes + slots * sizeof(MemberSlot) + rows * row_bytes(slots);
}

Table Table::format(void* mem, const std::vector<SlotKey>& keys, const Table* previous, std::size_t rows) noexcept
{
    Table t;
    if (reinterpret_cast<std::uintptr_t>(mem) % alignof(MemberSlot) != 0) return t;  // not formattable
    t.header_ = static_cast<Header*>(mem);
    auto* base = static_cast<unsigned char*>(mem);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto* s = new (base + kHeaderBytes + i * sizeof(MemberSlot)) MemberSlot{};
        copy_name(s->balancer, sizeof s->balancer, keys[i].balancer);
        copy_name(s->member, sizeof s->member, keys[i].member);
        auto admin = static_cast<std::uint8_t>(keys[i].config_admin);
        s->config_admin.store(admin);
        s->admin.store(admin);
        const MemberSlot* old = previous && previous->valid() ? previous->find(keys[i].balancer, keys[i].member) : nullptr;
        if (old) carry_over(*s, *old, keys[i].config_admin);
    }
    t.header_->magic = kMagic;
    t.header_->version = kVersion;
    t.header_->slots = static_cast<std::uint32_t>(keys.size());
    t.header_->rows = static_cast<std::uint32_t>(rows);
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

}  // namespace ox::state
