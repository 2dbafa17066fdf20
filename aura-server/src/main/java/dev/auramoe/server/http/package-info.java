/**
 * The HTTP API without the HTTP framework: {@link dev.auramoe.server.http.ModelApi} turns path
 * parameters and raw bodies into {@link dev.auramoe.server.http.Reply} values, and
 * {@link dev.auramoe.server.http.JsonRequests} reads bodies strictly (size limit, no unknown or
 * duplicate fields, finite float32 values), so that every refusal happens before a model is touched.
 * {@link dev.auramoe.server.http.HttpLayer} sets up the HTTP layer beneath them, whose refusals are
 * the same JSON error.
 */
package dev.auramoe.server.http;
