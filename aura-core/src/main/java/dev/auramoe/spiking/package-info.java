/**
 * Spiking k-winners-take-all attention over input tokens; its gain sharpens the routing temperature.
 */
package dev.auramoe.spiking;
