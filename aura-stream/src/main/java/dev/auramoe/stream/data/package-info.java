/**
 * The data model of streams: {@link dev.auramoe.stream.data.Schema} (numeric and nominal columns
 * and a target), reusable {@link dev.auramoe.stream.data.Instance} rows (nominal values as indices,
 * missing as NaN) and {@link dev.auramoe.stream.data.InstanceStream}, the interface of file readers
 * and generators alike.
 */
package dev.auramoe.stream.data;
