/**
 * Energy metering: analytic multiply-accumulate counts per component, turned into joule
 * <em>estimates</em> by a {@link dev.auramoe.energy.DeviceProfile} (default 3 pJ per MAC).
 */
package dev.auramoe.energy;
