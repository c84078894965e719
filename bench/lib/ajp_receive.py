#!/usr/bin/env python3
"""What receiving a response from Tomcat's AJP connector costs the receiver.

    ajp_receive.py PORT PATH QUERY COUNT READ_SIZE

Sends COUNT AJP13 GET requests for PATH?QUERY (QUERY may be empty), one after the other on one
connection (as a pooled backend connection carries them), reads every
response with recv_into of READ_SIZE bytes (mod_oxbalance: up to 64 KiB;
mod_proxy_ajp and mod_jk: one 8 KiB packet) and checks its framing. Prints
one line: the process's system and user CPU per response (getrusage), the
recv calls and bytes per response.

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


def main():
    port, path, query, count, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
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
        while not done:
            if len(buf) - have < size:
                raise SystemExit("ajp_receive: packet longer than the buffer")
            n = s.recv_into(view[have:have + size])
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
                if kind == 3:
                    body += (buf[pos + 5] << 8) | buf[pos + 6]
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
    print(f"read_size={size} responses={count} body_bytes={body // count} recv_calls={calls / count:.1f} "
          f"bytes_per_recv={received // calls} sys_us={sys_us:.0f} user_us={user_us:.0f}")


if __name__ == "__main__":
    main()
