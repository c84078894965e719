// A backend connection's receive buffer whose bytes may outlive the next
// read. A body view handed on with a BlockHold keeps its block alive, and
// the buffer reads on into another block instead of over it; so the httpd
// glue can pass body bytes to the client by reference (heap buckets) where
// it would otherwise copy them (httpd sets transient buckets aside by
// copying, and mod_http2 copies every transient bucket into its beam).
#ifndef LIBOX_NET_RECV_BUFFER_H
#define LIBOX_NET_RECV_BUFFER_H

#include <cstddef>

namespace ox::net {

// One reference to a receive block. The count is atomic: httpd may destroy
// the bucket holding it on another thread (mod_http2's connection thread).
class BlockHold {
public:
    BlockHold() noexcept = default;
    BlockHold(BlockHold&& o) noexcept : base_(o.base_) { o.base_ = nullptr; }
    BlockHold& operator=(BlockHold&& o) noexcept;
    BlockHold(const BlockHold&) = delete;
    BlockHold& operator=(const BlockHold&) = delete;
    ~BlockHold() { reset(); }

    void reset() noexcept;
    // The block's first data byte; views into the block are offsets from it.
    char* base() const noexcept { return base_; }
    // Gives the reference to the caller, who ends it with release(base):
    // the shape of a C callback such as apr_bucket_heap's free function.
    char* detach() noexcept;
    static void release(void* base) noexcept;

private:
    friend class RecvBuffer;
    explicit BlockHold(char* base) noexcept : base_(base) {}
    char* base_ = nullptr;
};

class RecvBuffer {
public:
    // Throws std::bad_alloc, as new does.
    explicit RecvBuffer(std::size_t capacity);
    ~RecvBuffer();
    RecvBuffer(const RecvBuffer&) = delete;
    RecvBuffer& operator=(const RecvBuffer&) = delete;

    char* data() noexcept { return data_; }
    const char* data() const noexcept { return data_; }
    std::size_t capacity() const noexcept;

    // Moves the `len` bytes at `from` to the front of a block nobody else
    // holds: this one when no hold is left on it, else a spare block (or a
    // new one). Views into the old block stay valid while it is held.
    // False when memory is short (nothing moved).
    bool compact(std::size_t from, std::size_t len) noexcept;
    // As compact(), into a block of at least `size` bytes.
    bool grow(std::size_t size, std::size_t from, std::size_t len) noexcept;
    // A reference to the current block, for views handed on.
    BlockHold hold() noexcept;
    // Whether anything besides this buffer holds the current block.
    bool held() const noexcept;

private:
    bool move_to(char* block, std::size_t from, std::size_t len) noexcept;

    // Earlier blocks, reused once nobody else holds them: a download passed
    // to httpd in 64 KiB steps keeps two or three blocks in flight.
    static constexpr int kSpares = 3;
    char* data_;
    char* spares_[kSpares] = {};
};

}  // namespace ox::net

#endif
