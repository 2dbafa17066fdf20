/**
 * Snapshot framing: magic, version, length and CRC-32C around a versioned payload, with a strict
 * reader. The payload layout lives in {@code dev.auramoe.Snapshots}.
 */
package dev.auramoe.io;
