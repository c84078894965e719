// The state every httpd child shares: one fixed slot per member, plain
// structs and lock-free atomics, placed in one shared-memory block by the
// module (or in ordinary memory by unit tests). Nothing here points outside
// the block, so a block means the same in every process that maps it.
//
// A block is a header and regions in a fixed order, each sized by a count
// in the header: the member slots, then the process rows (in-flight counts
// per process, see state/in_flight.h). A later region (health per backend
// node, say) goes after the last one, its count in the header's spare bytes,
// so that an older block still reads the same.
#ifndef LIBOX_STATE_SHARED_STATE_H
#define LIBOX_STATE_SHARED_STATE_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balance/member_state.h"

namespace ox::state {

static_assert(std::atomic<std::int64_t>::is_always_lock_free, "cross-process atomics must be lock-free");
static_assert(std::atomic<std::uint8_t>::is_always_lock_free, "cross-process atomics must be lock-free");
static_assert(std::atomic<std::int32_t>::is_always_lock_free, "cross-process atomics must be lock-free");

// One member of one balancer. Counters only grow; the rest is state.
struct alignas(64) MemberSlot {
    char balancer[64];   // identity: balancer name and member URL, so that a
    char member[192];    // reload keeps each member's state whatever its position

    std::atomic<std::uint8_t> admin;          // AdminState in force
    std::atomic<std::uint8_t> config_admin;   // what the configuration said
    std::atomic<std::uint8_t> health;         // Health, from probes
    std::atomic<std::int64_t> error_until_ms; // passive failure: avoided until then (steady clock)
    std::atomic<std::int64_t> wrr_current;    // smooth weighted round robin
    std::atomic<std::int64_t> busy;           // requests in flight: the sum of every live process's
                                              // row (state/in_flight.h), kept here so selection reads one word

    std::atomic<std::uint64_t> requests;      // attempts sent to this member
    std::atomic<std::uint64_t> new_sessions;  // chosen for a request without a route
    std::atomic<std::uint64_t> sticky;        // requests that followed their route here
    std::atomic<std::uint64_t> failovers;     // sessions of another member sent here
    std::atomic<std::uint64_t> failures;      // failed attempts
    std::atomic<std::uint64_t> bytes_in;      // request body bytes forwarded
    std::atomic<std::uint64_t> bytes_out;     // response body bytes received
    std::atomic<std::int64_t> last_sticky_ms; // when a session of this member was last seen (wall clock)
};

struct SlotKey {
    std::string balancer;
    std::string member;
    AdminState config_admin = AdminState::active;
};

// A view of a formatted block. Cheap to copy.
class Table {
public:
    static constexpr std::uint32_t kMagic = 0x4f584231;  // "OXB1"
    static constexpr std::uint32_t kVersion = 1;

    // Bytes a block for `slots` members and `rows` processes needs.
    static std::size_t bytes_for(std::size_t slots, std::size_t rows = 0) noexcept;

    // Formats `mem` (bytes_for(keys.size(), rows) bytes, 64-byte aligned;
    // else the result is not valid()) with one slot per key, in order, and
    // `rows` free process rows. A member that `previous` also has (same
    // balancer and URL) keeps its state and counters; its admin state stays
    // what it was at run time unless the configuration's status changed.
    // Rows are never carried over: they belong to the processes of the
    // previous block.
    static Table format(void* mem, const std::vector<SlotKey>& keys, const Table* previous,
                        std::size_t rows = 0) noexcept;

    // A view of an already formatted block, or an empty Table if `mem` does
    // not hold one.
    static Table attach(void* mem) noexcept;

    bool valid() const noexcept { return header_ != nullptr; }
    std::size_t size() const noexcept;
    MemberSlot& slot(std::size_t i) const noexcept;
    // The slot of a member, or null.
    MemberSlot* find(std::string_view balancer, std::string_view member) const noexcept;

    // Process rows: who owns row `r` (0: free; see state/in_flight.h), and
    // what its owner has in flight on slot `i`.
    std::size_t rows() const noexcept;
    std::atomic<std::int64_t>& row_owner(std::size_t r) const noexcept;
    std::atomic<std::int32_t>& row_busy(std::size_t r, std::size_t i) const noexcept;

private:
    struct Header {
        std::uint32_t magic;
        std::uint32_t version;
        std::uint32_t slots;
        std::uint32_t rows;  // 0 in blocks made before rows existed: same layout
    };
    static constexpr std::size_t kHeaderBytes = 64;
    // A row is its owner and one counter per slot, rounded up to a cache
    // line: each process writes its own row, and must not share a line with
    // another's.
    static std::size_t row_bytes(std::size_t slots) noexcept;
    unsigned char* row_base(std::size_t r) const noexcept;

    Header* header_ = nullptr;
};

// A table in ordinary memory: for unit tests, and for runtimes that do not
// share state with other processes.
class LocalTable {
public:
    explicit LocalTable(const std::vector<SlotKey>& keys, std::size_t rows = 0);
    ~LocalTable();
    LocalTable(const LocalTable&) = delete;
    LocalTable& operator=(const LocalTable&) = delete;
    const Table& table() const noexcept { return table_; }

private:
    void* mem_;
    Table table_;
};

// Runtime admin change, for the status page and tools. Returns false if the
// member is unknown.
bool set_admin(const Table& t, std::string_view balancer, std::string_view member, AdminState s) noexcept;

}  // namespace ox::state

#endif
