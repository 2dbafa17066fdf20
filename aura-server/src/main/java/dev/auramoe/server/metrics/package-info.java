/**
 * Request metrics: counts per endpoint and status, and HdrHistogram latency summaries per endpoint,
 * written by hand in the Prometheus text exposition format 0.0.4.
 */
package dev.auramoe.server.metrics;
