/**
 * Seeded stream generators with concept drift, after the reference definitions of MOA: {@link
 * dev.auramoe.stream.gen.SeaGenerator}, {@link dev.auramoe.stream.gen.HyperplaneGenerator} (rotating hyperplane),
 * {@link dev.auramoe.stream.gen.RandomRbfGenerator} (moving centroids), {@link
 * dev.auramoe.stream.gen.AgrawalGenerator} and {@link dev.auramoe.stream.gen.LedGenerator}; {@link
 * dev.auramoe.stream.gen.ConceptDriftStream} joins two streams by an abrupt or gradual drift and reports the true
 * drift points; {@link dev.auramoe.stream.gen.Generators} builds the project's benchmark streams by name. Every
 * generator is an infinite {@link dev.auramoe.stream.data.InstanceStream} determined by its parameters and seed that
 * allocates nothing per instance; {@link dev.auramoe.stream.gen.LimitedStream} stops one after n instances.
 */
package dev.auramoe.stream.gen;
