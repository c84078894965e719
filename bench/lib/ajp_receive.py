#!/usr/bin/env python3
"""What receiving a response from Tomcat's AJP connector costs the receiver.

    ajp_receive.py PORT PATH QUERY COUNT READ_SIZE [waitall]

Sends COUNT AJP13 GET requests for PATH?QUERY (QUERY may be empty), one after the other on one
connection (as a pooled backend connection carries them), reads every
response with recv_into of READ_SIZE bytes (mod_oxbalance: up to 64 KiB;
mod_proxy_ajp and mod_jk: one 8 KiB packet) and checks its framing. Prints
one line: the process's system and user CPU per response (getrusage), the
recv calls and bytes per response.

With "waitall", each read waits (MSG_WAITALL) until READ_SIZE bytes are
there, or as many as the response can still hold by its Content-Length: the
fewest wake-ups reads of that size can have (a proxy cannot wait so, since
a servlet that pauses must get what it wrote to the client, but it bounds
from below what the kernel's part can cost).

System time is what the kernel charges the receiving process: copying the
bytes out of the socket and sleeping/waking while the socket is empty. It
is what any front end pays to receive the body, whatever it does with it;
user time here is this script's own (Python), not a floor.
"""
import resource
import socket
import struct
import sys


def ajp_string(s):
    if s is None:
        return b"\xff\xff"
    b = s.encode()
    return struct.pack(">H", len(b)) + b + b"\0"


def forward_request(path, query, port):
    body = bytes([2, 2])  # FORWARD_REQUEST, GET
    body += ajp_string("HTTP/1.1") + ajp_string(path) + ajp_string("127.0.0.1")
    body += ajp_string(None) + ajp_string("localhost") + struct.pack(">H", port) + b"\0"
    body += struct.pack(">H", 2) + struct.pack(">H", 0xA00B) + ajp_string("localhost")  # Host
    body += struct.pack(">H", 0xA008) + ajp_string("0")  # Content-Length: no body follows
    if query:
        body += b"\x05" + ajp_string(query)  # query_string attribute
    body += b"\xff"
    return b"\x12\x34" + struct.pack(">H", len(body)) + body


def content_length(payload):
    """The Content-Length of a SEND_HEADERS payload, or None."""
    pos = 5 + struct.unpack(">H", payload[3:5])[0] + 1  # prefix, status, reason
    count = struct.unpack(">H", payload[pos:pos + 2])[0]
    pos += 2
    for _ in range(count):
        code = struct.unpack(">H", payload[pos:pos + 2])[0]
        if code >= 0xA000:
            name = code
            pos += 2
        else:
            name = payload[pos + 2:pos + 2 + code].decode().lower()
            pos += 2 + code + 1
        vlen = struct.unpack(">H", payload[pos:pos + 2])[0]
        value = payload[pos + 2:pos + 2 + vlen]
        pos += 2 + vlen + 1
        if name in (0xA003, "content-length"):
            return int(value)
    return None


def main():
    port, path, query, count, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    waitall = len(sys.argv) > 6 and sys.argv[6] == "waitall"
    req = forward_request(path, query, port)
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray(max(size, 1 << 16) * 2)
    view = memoryview(buf)
    calls = received = body = 0
    u0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(count):
        s.sendall(req)
        have = 0  # bytes in buf not yet parsed, from offset 0
        done = False
        left = None  # body bytes still due by the Content-Length, once known
        while not done:
            if len(buf) - have < size:
                raise SystemExit("ajp_receive: packet longer than the buffer")
            want, flags = size, 0
            # Bytes still due on the wire: at least the body left by the
            # Content-Length, less what of it is already here unparsed.
            if waitall and left is not None and left - have > 0:
                want, flags = min(size, left - have), socket.MSG_WAITALL
            n = s.recv_into(view[have:have + want], want, flags)
            if n == 0:
                raise SystemExit("ajp_receive: connection closed mid-response")
            calls += 1
            received += n
            have += n
            pos = 0
            while have - pos >= 4:
                if buf[pos] != 0x41 or buf[pos + 1] != 0x42:
                    raise SystemExit("ajp_receive: packet does not start with 'AB'")
                plen = (buf[pos + 2] << 8) | buf[pos + 3]
                if have - pos < 4 + plen:
                    break
                kind = buf[pos + 4]
                if kind == 4 and waitall:
                    left = content_length(bytes(buf[pos + 4:pos + 4 + plen]))
                elif kind == 3:
                    chunk = (buf[pos + 5] << 8) | buf[pos + 6]
                    body += chunk
                    if left is not None:
                        left = max(0, left - chunk)
                elif kind == 5:
                    done = True
                pos += 4 + plen
            view[0:have - pos] = view[pos:have]
            have -= pos
        if have:
            raise SystemExit("ajp_receive: bytes after END_RESPONSE")
    u1 = resource.getrusage(resource.RUSAGE_SELF)
    sys_us = (u1.ru_stime - u0.ru_stime) * 1e6 / count
    user_us = (u1.ru_utime - u0.ru_utime) * 1e6 / count
    mode = " waitall" if waitall else ""
    print(f"read_size={size}{mode} responses={count} body_bytes={body // count} recv_calls={calls / count:.1f} "
          f"bytes_per_recv={received // calls} sys_us={sys_us:.0f} user_us={user_us:.0f}")


if __name__ == "__main__":
    main()
