/**
 * The service's metrics: requests per endpoint and status, latency quantiles per endpoint, learned
 * samples, models and parameters, and the JVM's and the process's meters, in a Micrometer Prometheus
 * registry (Prometheus text exposition format 0.0.4).
 */
package dev.auramoe.server.metrics;
