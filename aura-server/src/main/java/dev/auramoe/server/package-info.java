/**
 * The routing service (issue 5, in progress): an HTTP API over aura-core models.
 */
package dev.auramoe.server;
