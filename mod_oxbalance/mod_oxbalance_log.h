// Stable message ids: "OXB" + five digits, never reused. docs/messages.md
// lists each one with what it means and what to do.
#ifndef MOD_OXBALANCE_LOG_H
#define MOD_OXBALANCE_LOG_H

#define OXBLOGNO(n) "OXB" #n ": "

// Configuration (checked before `apachectl configtest` says Syntax OK)
//   00001 OXPass names an undefined balancer
//   00002 a balancer has no members
// Requests
//   00010 an attempt to forward a request to a member failed
//   00011 a member entered the error state
//   00012 the client's request body could not be read
//   00013 the request head does not fit into one AJP packet
//   00014 the client went away while the response streamed
//   00015 an unexpected internal error (a C++ exception) was contained
//   00016 no member may take a request (rate-limited per balancer)
// Access (OXProtect)
//   00030 a client was denied a protected path (403), once per client and rule per minute
//   00031 an ambiguous path was refused (400), once per client and reason per minute
// Processes
//   00020 the per-process runtime could not be created
//   00021 the shared memory could not be created
//   00070 a process ended with requests in flight; they were taken off the busy counts
//   00071 no in-flight row was free for a process
// Status page (OXStatus) and OXStateFile
//   00080 an action changed a member (notice: client, member, old and new)
//   00081 OXStateFile could not be read or parsed at start; ignored
//   00082 OXStateFile could not be written (once per cause and process)
//   00083 a client not on the OXStatus list was denied the page (403)
//   00084 an action or query was refused (info; nothing changed)
//   00085 no nonce secret could be made: the page's actions are off
//   00086 the lock for OXStateFile's writers could not be created or attached
//   00087 OXStateFile was read at a full start (info)
// configdb (OXConfigDB)
//   00101 the configdb cannot be read (once per outage)
//   00102 it is read again after an outage
//   00103 a row names a balancer or route the configuration lacks (once each)
//   00104 a read changed a member's admin state or load factor
//   00105 a status page change could not be written (once per cause)
//   00106 a status page change was written (debug)
//   00107 members without route= keep their configured states (start)
//   00108 OXConfigDB cannot run (watchdog, library, memory, thread)
//   00109 which process polls the configdb (debug)
//   00120 the leader lost its lease to another process (it had hung)
//   00121 ... and no longer polls the configdb (debug)

#endif
