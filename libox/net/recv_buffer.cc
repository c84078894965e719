#include "net/recv_buffer.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

namespace ox::net {

namespace {

// Lives right before a block's data, so that the data pointer alone (all a
// C free callback gets) finds it.
struct alignas(16) BlockHeader {
    std::atomic<std::uint32_t> refs;
    std::size_t capacity;
};

BlockHeader* header_of(void* data) noexcept
{
    return reinterpret_cast<BlockHeader*>(static_cast<char*>(data) - sizeof(BlockHeader));
}

char* allocate(std::size_t capacity) noexcept
{
    void* raw = ::operator new(sizeof(BlockHeader) + capacity, std::nothrow);
    if (!raw) return nullptr;
    auto* h = new (raw) BlockHeader{{1}, capacity};
    return reinterpret_cast<char*>(h) + sizeof(BlockHeader);
}

void retain(char* data) noexcept
{
    header_of(data)->refs.fetch_add(1, std::memory_order_relaxed);
}

bool shared(const char* data) noexcept
{
    // Acquire: once the count reads 1, every other holder's use of the
    // bytes happened before, and they may be overwritten.
    return header_of(const_cast<char*>(data))->refs.load(std::memory_order_acquire) > 1;
}

}  // namespace

BlockHold& BlockHold::operator=(BlockHold&& o) noexcept
{
    if (this != &o) {
        reset();
        base_ = o.base_;
        o.base_ = nullptr;
    }
    return *this;
}

void BlockHold::reset() noexcept
{
    if (base_) release(base_);
    base_ = nullptr;
}

char* BlockHold::detach() noexcept
{
    char* b = base_;
    base_ = nullptr;
    return b;
}

void BlockHold::release(void* base) noexcept
{
    BlockHeader* h = header_of(base);
    if (h->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        h->~BlockHeader();
        ::operator delete(h);
    }
}

RecvBuffer::RecvBuffer(std::size_t capacity) : data_(allocate(capacity))
{
    if (!data_) throw std::bad_alloc();
}

RecvBuffer::~RecvBuffer()
{
    BlockHold::release(data_);
    for (char* s : spares_) {
        if (s) BlockHold::release(s);
    }
}

std::size_t RecvBuffer::capacity() const noexcept
{
    return header_of(const_cast<char*>(data_))->capacity;
}

bool RecvBuffer::held() const noexcept { return shared(data_); }

BlockHold RecvBuffer::hold() noexcept
{
    retain(data_);
    return BlockHold(data_);
}

bool RecvBuffer::compact(std::size_t from, std::size_t len) noexcept
{
    if (!shared(data_)) {
        if (from > 0 && len > 0) std::memmove(data_, data_ + from, len);
        return true;
    }
    std::size_t cap = capacity();
    for (char*& s : spares_) {
        if (s && !shared(s) && header_of(s)->capacity >= cap) {
            char* next = s;
            s = nullptr;
            return move_to(next, from, len);
        }
    }
    char* next = allocate(cap);
    return next && move_to(next, from, len);
}

bool RecvBuffer::grow(std::size_t size, std::size_t from, std::size_t len) noexcept
{
    if (size <= capacity()) return compact(from, len);
    char* next = allocate(size);
    return next && move_to(next, from, len);
}

bool RecvBuffer::move_to(char* block, std::size_t from, std::size_t len) noexcept
{
    if (len > 0) std::memcpy(block, data_ + from, len);
    // The old block becomes a spare, reused once httpd is done with it. With
    // no free slot, a spare still held gives way (its last holder frees it).
    char** slot = nullptr;
    for (char*& s : spares_) {
        if (!s) {
            slot = &s;
            break;
        }
        if (!slot && shared(s)) slot = &s;
    }
    if (!slot) slot = &spares_[0];
    if (*slot) BlockHold::release(*slot);
    *slot = data_;
    data_ = block;
    return true;
}

}  // namespace ox::net
