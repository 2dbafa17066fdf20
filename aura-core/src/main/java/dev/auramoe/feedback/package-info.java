/**
 * Teaching a router directly, from labels and from feedback that arrives later, with guard-rails:
 * {@link dev.auramoe.feedback.GuardedRouter} remembers each route's features under a route id, turns a
 * reward for a chosen expert into a bounded update of the router, keeps the router within a distance of
 * its anchor, freezes and rolls back; {@link dev.auramoe.feedback.FeedbackRules} holds the bounds.
 */
package dev.auramoe.feedback;
