/**
 * Durable models: {@link dev.auramoe.server.persist.DataStore} logs every state-changing operation in
 * a write-ahead log, snapshots models, trims the log and rebuilds the registry on start.
 */
package dev.auramoe.server.persist;
