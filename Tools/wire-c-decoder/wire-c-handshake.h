/*
 * wire-c-handshake: the handshake and DATA protection half of wire-c-decoder, written from
 * Protocol/handshake.md and SPEC.md §6.3-§6.4 (not from the Swift code). See
 * wire-c-handshake.c.
 */
#ifndef WIRE_C_HANDSHAKE_H
#define WIRE_C_HANDSHAKE_H

/* `wire-c-decoder handshake-vectors FILE`: checks every case of a handshake vector file
 * (Protocol/vectors/handshake-1.txt), prints one line per case; returns 0 when all match.
 * Any mismatch is reported on stderr and ends the program with status 1. */
int cmd_handshake_vectors(const char *path);

#endif
