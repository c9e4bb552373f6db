/*
 * wire-c-handshake: the handshake, DATA protection and CONTROL half of wire-c-decoder,
 * written from Protocol/handshake.md and SPEC.md §6.3-§6.4 and §11.1-§11.2 (not from the
 * Swift code). See wire-c-handshake.c.
 */
#ifndef WIRE_C_HANDSHAKE_H
#define WIRE_C_HANDSHAKE_H

/* `wire-c-decoder handshake-vectors FILE`: checks every case of a handshake vector file
 * (Protocol/vectors/handshake-1.txt), prints one line per case; returns 0 when all match.
 * Any mismatch is reported on stderr and ends the program with status 1. */
int cmd_handshake_vectors(const char *path);

/* `wire-c-decoder control FILE`: reads a CONTROL vector file (Protocol/vectors/control-1.txt)
 * and prints what a receiver makes of each datagram (its frames, or why it is refused) in
 * the text form of Protocol/vectors/README.md; returns 0 when every section was processed
 * (refusals are output, not errors). An unreadable or ill-formed file is reported on
 * stderr and ends the program with status 1, printing nothing. */
int cmd_control(const char *path);

/* `wire-c-decoder sweep control FILE`: every truncation and single-byte change of each
 * datagram, and of each payload sealed again, in child processes (see wire-c-handshake.c);
 * prints one summary line; returns 0 when none crashed and each was refused (or, for a
 * payload, decoded or refused) as it must be, 1 otherwise. */
int cmd_control_sweep(const char *path);

#endif
