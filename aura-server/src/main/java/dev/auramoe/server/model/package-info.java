/**
 * Named models of the server: {@link dev.auramoe.server.model.ModelSpec} (what a client may ask for,
 * validated, with documented defaults), {@link dev.auramoe.server.model.ModelEntry} (one live model,
 * its counters and the sequencing lock that orders learn events) and
 * {@link dev.auramoe.server.model.ModelRegistry}.
 */
package dev.auramoe.server.model;
