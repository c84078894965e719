// The state every httpd child shares: one fixed slot per member, plain
// structs and lock-free atomics, placed in one shared-memory block by the
// module (or in ordinary memory by unit tests). Nothing here points outside
// the block, so a block means the same in every process that maps it.
//
// A block is a header (with the leader's lease, state/lease.h) and regions
// in a fixed order, each sized by a count in the header: the member slots,
// the process rows (in-flight counts per process, see state/in_flight.h),
// the node slots (health per backend address, shared by every balancer
// that lists the address) and one session sketch per member
// (state/session_sketch.h).
#ifndef LIBOX_STATE_SHARED_STATE_H
#define LIBOX_STATE_SHARED_STATE_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balance/member_state.h"
#include "state/lease.h"
#include "state/session_sketch.h"

namespace ox::state {

static_assert(std::atomic<std::int64_t>::is_always_lock_free, "cross-process atomics must be lock-free");
static_assert(std::atomic<std::uint8_t>::is_always_lock_free, "cross-process atomics must be lock-free");
static_assert(std::atomic<std::int32_t>::is_always_lock_free, "cross-process atomics must be lock-free");

// One backend node, named by its address (the member URL): health belongs
// to the node, not to a balancer's entry for it. OX App Suite lists the same
// node in several balancers; they share one probe stream, one health and
// one error window. The probe fields are written by the prober only.
struct alignas(64) NodeSlot {
    char address[192];                         // identity: "ajp://host:port"

    std::atomic<std::uint8_t> health;          // Health, from probes
    std::atomic<std::int64_t> error_until_ms;  // passive failure: avoided until then (steady clock)

    std::atomic<std::uint32_t> failed_in_row;  // probes, see health/probe_state.h
    std::atomic<std::uint32_t> passed_in_row;
    std::atomic<std::int64_t> probe_wall_ms;   // when the last probe ended (wall clock); 0: never
    std::atomic<std::int64_t> probe_latency_us;
    std::atomic<std::int32_t> probe_status;    // HTTP status of the last http probe, else 0
    std::atomic<std::uint8_t> probe_ok;
    std::atomic<std::uint64_t> probes;          // probes run
    std::atomic<std::uint64_t> probe_failures;  // probes failed
    // Why the last probe failed: text written by the prober under a
    // sequence lock (odd while being written), read by the status page.
    std::atomic<std::uint32_t> detail_seq;
    char detail[64];
};

// One member of one balancer. Counters only grow; the rest is state.
struct alignas(64) MemberSlot {
    char balancer[64];   // identity: balancer name and member URL, so that a
    char member[192];    // reload keeps each member's state whatever its position

    std::uint32_t node;                       // its NodeSlot (set at format)
    std::atomic<std::uint8_t> admin;          // AdminState in force
    std::atomic<std::uint8_t> config_admin;   // what the configuration said
    std::atomic<std::int32_t> loadfactor;     // in force (1..100)
    std::atomic<std::int32_t> config_loadfactor;  // what the configuration said
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
    // Pooled connections before reuse (MemberRuntime::get), and requests
    // sent again on a fresh connection after a pooled one failed under them.
    std::atomic<std::uint64_t> reuse_pings;    // CPings on pooled connections (pingidle=, ping=)
    std::atomic<std::uint64_t> stale_dropped;  // found closed or unanswering before use, dropped
    std::atomic<std::uint64_t> idle_replaced;  // http://: idle >= pingidle, a fresh one used instead
    std::atomic<std::uint64_t> resent;         // sent again on a fresh connection (stale pooled one)
};
// The four counters above took what was padding at the end of the slot (a
// slot is value-initialised, so it reads 0 in a block of an earlier module):
// the size, and so the block's version, stayed the same.
static_assert(sizeof(MemberSlot) == 384, "MemberSlot changed size: bump Table::kVersion");

struct SlotKey {
    std::string balancer;
    std::string member;  // the member URL: also its node's address
    AdminState config_admin = AdminState::active;
    int config_loadfactor = 1;
    // Whether this member asks for probes (a method other than off). A node
    // none of whose members does is probed by nobody: format() makes it up.
    bool probed = false;
};

// A view of a formatted block. Cheap to copy.
class Table {
public:
    static constexpr std::uint32_t kMagic = 0x4f584231;  // "OXB1"
    // 2: node slots, load factors and session sketches. A block of another
    // version is not carried over (a module upgrade starts from the
    // configuration and OXStateFile).
    static constexpr std::uint32_t kVersion = 2;

    // Bytes a block for `slots` members and `rows` processes needs (room for
    // as many nodes as members: there are never more).
    static std::size_t bytes_for(std::size_t slots, std::size_t rows = 0) noexcept;

    // Formats `mem` (bytes_for(keys.size(), rows) bytes, 64-byte aligned;
    // else the result is not valid()) with one slot per key, in order, one
    // node slot per distinct member URL, and `rows` free process rows. A
    // member that `previous` also has (same balancer and URL) keeps its
    // state, counters and sessions seen; its admin state and load factor
    // stay what they were at run time unless the configuration's changed. A
    // node keeps its health, error window and probe results, except that a
    // node no key asks to probe is up with its probe counters cleared
    // (forget_probes): nobody would ever find it up again. Rows are never
    // carried over: they belong to the processes of the previous block.
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

    // Nodes: the node slots, and the one member slot `i` belongs to.
    std::size_t nodes() const noexcept;
    NodeSlot& node(std::size_t n) const noexcept;
    NodeSlot& node_of(std::size_t i) const noexcept { return node(slot(i).node); }
    NodeSlot* find_node(std::string_view address) const noexcept;

    // The sessions seen on member slot `i`.
    SessionSketch& sketch(std::size_t i) const noexcept;

    // Process rows: who owns row `r` (0: free; see state/in_flight.h), and
    // what its owner has in flight on slot `i`.
    std::size_t rows() const noexcept;
    std::atomic<std::int64_t>& row_owner(std::size_t r) const noexcept;
    std::atomic<std::int32_t>& row_busy(std::size_t r, std::size_t i) const noexcept;

    // Which process runs the prober and the configdb poller for this
    // block's generation (free in a new block).
    Lease& leader() const noexcept;

private:
    struct Header {
        std::uint32_t magic;
        std::uint32_t version;
        std::uint32_t slots;
        std::uint32_t rows;
        std::uint32_t nodes;
        Lease leader;
    };
    static constexpr std::size_t kHeaderBytes = 64;
    // A row is its owner and one counter per slot, rounded up to a cache
    // line: each process writes its own row, and must not share a line with
    // another's.
    static std::size_t row_bytes(std::size_t slots) noexcept;
    unsigned char* row_base(std::size_t r) const noexcept;
    // Where the node region starts; nodes() counts the used ones, the
    // region has room for size().
    unsigned char* node_base() const noexcept;

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

// The node is no longer probed (its probing was turned off, or the prober
// gave up on it): it is up, as far as probes know, and its probes in a row
// are cleared; its error window (failed requests) stays, and so do its
// probe totals and last result. Without this a node found down would stay
// down for good, since only the prober ever finds it up again.
void forget_probes(NodeSlot& n) noexcept;

// The text of a node's last failed probe, written by the prober (a single
// writer) and read by anyone: `out` gets a consistent copy, NUL-terminated.
void set_probe_detail(NodeSlot& n, std::string_view text) noexcept;
void probe_detail(const NodeSlot& n, char (&out)[sizeof(NodeSlot::detail)]) noexcept;

}  // namespace ox::state

#endif
