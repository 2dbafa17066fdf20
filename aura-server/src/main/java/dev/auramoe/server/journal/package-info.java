/**
 * The operation log's format and hooks. {@link dev.auramoe.server.journal.Operation} encodes every
 * state-changing operation (create, delete, learn, route, predict, stream open/close/reset);
 * {@link dev.auramoe.server.journal.OperationJournal} receives them in apply order, under the model's
 * lock; {@link dev.auramoe.server.journal.WalJournal} writes them to a write-ahead log. The older
 * {@link dev.auramoe.server.journal.LearnJournal} hook (learn events only) plugs in through
 * {@link dev.auramoe.server.journal.OperationJournal#of}. A learn is acknowledged only once its
 * operation is durable.
 */
package dev.auramoe.server.journal;
