// What both test servers do to start: listen on host:port (0: any free
// port) and publish the port through a file. Each exits with a message on
// stderr, prefixed by `program`, when it cannot.
#ifndef OXB_BACKEND_LISTENER_H
#define OXB_BACKEND_LISTENER_H

#include <string>

namespace testsrv {

// Binds and listens; returns the socket and the bound port.
int listen_on(const char* program, const std::string& host, long port, unsigned& bound_port);

// Temp file + rename, so a reader polling for the file never sees it partial.
void write_port_file(const char* program, const std::string& path, unsigned port);

}  // namespace testsrv

#endif
