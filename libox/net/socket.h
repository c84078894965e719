// A TCP socket with per-operation timeouts, like mod_proxy's `timeout`: each
// wait for the peer is bounded. Connected sockets block with SO_RCVTIMEO and
// SO_SNDTIMEO instead of polling, so waiting for a backend's answer is one
// system call (recv), not two (poll, then recv).
#ifndef LIBOX_NET_SOCKET_H
#define LIBOX_NET_SOCKET_H

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

#include "core/clock.h"
#include "net/endpoint.h"

namespace ox::net {

enum class IoStatus { ok, timeout, closed, error };

class Socket {
public:
    Socket() = default;
    // Adopts a connected socket in blocking mode (as connect() leaves it).
    explicit Socket(int fd) noexcept : fd_(fd) {}
    ~Socket() { close(); }
    Socket(Socket&& o) noexcept
        : fd_(o.fd_), rcv_timeout_ms_(o.rcv_timeout_ms_), snd_timeout_ms_(o.snd_timeout_ms_)
    {
        o.fd_ = -1;
    }
    Socket& operator=(Socket&& o) noexcept;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    // Connects with a timeout. On failure returns timeout or error with
    // `err` set (ECONNREFUSED, EHOSTUNREACH, ...).
    static IoStatus connect(const SockAddr& addr, Millis timeout, Socket& out, int& err) noexcept;

    bool valid() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }

    // Writes all of the buffers. `written` counts bytes that left, so a
    // caller knows whether the peer may have seen part of a request.
    IoStatus write_all(struct iovec* iov, int iovcnt, Millis timeout, std::size_t& written, int& err) noexcept;
    IoStatus write_all(const void* data, std::size_t len, Millis timeout, std::size_t& written, int& err) noexcept;

    // Writes what fits into the socket buffer now, without waiting: ok with
    // `written` <= len (0 when the buffer is full), closed or error.
    IoStatus write_now(const void* data, std::size_t len, std::size_t& written, int& err) noexcept;

    // Reads at least one byte (up to `max`), waiting up to `timeout`.
    IoStatus read_some(void* dst, std::size_t max, Millis timeout, std::size_t& got, int& err) noexcept;

    // Reads what is there without waiting: ok (got > 0), timeout (nothing
    // yet), closed or error.
    IoStatus read_now(void* dst, std::size_t max, std::size_t& got, int& err) noexcept;

    // True when a read would not block (data, EOF or an error is pending).
    bool readable_now() const noexcept;
    // The same, waiting up to `wait` for it (poll: SO_RCVTIMEO stays as set).
    // With `at_least` > 1, fewer bytes than that do not count (EOF and
    // errors still do): SO_RCVLOWAT for the wait, so that the kernel wakes
    // the thread once for them instead of once per segment; 1 again after.
    bool readable_within(Millis wait, std::size_t at_least = 1) const noexcept;

    // For an idle pooled connection: true when the peer has neither closed it
    // nor sent anything unexpected, so a request may be written on it.
    bool idle_and_open() const noexcept;

    void close() noexcept;
    // Closes with RST instead of FIN, for connections left in an unknown
    // protocol state: the backend must not read a half request as complete.
    void abort() noexcept;

private:
    // Sets SO_RCVTIMEO / SO_SNDTIMEO when `timeout` differs from the last
    // one set: a member's requests all use the same, so this is once per
    // connection.
    bool set_timeout(int option, long& current_ms, Millis timeout, int& err) noexcept;

    int fd_ = -1;
    long rcv_timeout_ms_ = -2;  // -2: not set yet; -1: none
    long snd_timeout_ms_ = -2;
};

}  // namespace ox::net

#endif
