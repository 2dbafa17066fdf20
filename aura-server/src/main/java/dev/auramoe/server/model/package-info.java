/**
 * Named models of the server: {@link dev.auramoe.server.model.ModelSpec} (what a client may ask for,
 * validated, with documented defaults), {@link dev.auramoe.server.model.ModelEntry} (one live model:
 * its data path, and the types of its other concerns: sequencing and journaling, snapshot
 * bookkeeping, budget share, streams and their eviction, durable changes, digest) and
 * {@link dev.auramoe.server.model.ModelRegistry}. Requests are refused with a
 * {@link dev.auramoe.server.model.Refusal}, which names no protocol status.
 */
package dev.auramoe.server.model;
